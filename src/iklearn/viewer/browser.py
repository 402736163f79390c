"""Headless Chromium driven over the DevTools protocol: open a page, wait, read its console, take a screenshot.

Used to test the viewer in a real browser and to make the README's screenshots. It needs only a Chromium
binary (Debian's ``chromium`` package: ``apt-get install -y chromium``) and the ``websockets`` package that
viser already depends on; no browser download, no node. The protocol messages used are plain CDP
(``Target``, ``Page``, ``Runtime``, ``Log``).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from iklearn.errors import IKLearnError, require

#: Flags Chromium needs on a machine with no display, no GPU and no network beyond loopback. SwiftShader
#: gives WebGL in software (recent Chromium no longer falls back to it unless asked).
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--hide-scrollbars", "--mute-audio",
)


_CANVAS_JS = """(() => {
  const cs = Array.from(document.querySelectorAll('canvas')).filter(c => c.width > 0 && c.height > 0);
  if (!cs.length) return null;
  const c = cs.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
  const w = WIDTH, h = Math.max(1, Math.round(WIDTH * c.height / c.width));
  const o = document.createElement('canvas'); o.width = w; o.height = h;
  const g = o.getContext('2d'); g.drawImage(c, 0, 0, w, h);
  const d = g.getImageData(0, 0, w, h).data; const grey = new Array(w * h);
  for (let i = 0; i < w * h; i++) grey[i] = Math.round(0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2]);
  let op = 1; for (let e = c; e; e = e.parentElement) op *= parseFloat(getComputedStyle(e).opacity);
  return {w: w, h: h, grey: grey, opacity: op};
})()"""


class BrowserError(IKLearnError, RuntimeError):
    """Chromium is missing, did not start, or a page did not do what was waited for."""


def find_chromium() -> str | None:
    """Path of a Chromium binary (``$CHROMIUM``, then ``chromium`` / ``chromium-browser`` on the PATH)."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).is_file() else None
    for name in ("chromium", "chromium-browser"):
        p = shutil.which(name)
        if p:
            return p
    return None


@dataclass
class ConsoleEntry:
    """One message of the page's console (``level`` 'error', 'warning', 'log', ...) or an uncaught exception."""

    level: str
    text: str
    source: str = "console"


@dataclass
class HeadlessChromium:
    """A headless Chromium with one page, as a context manager (the browser is killed on exit, always).

    Parameters
    ----------
    width, height : viewport size in CSS pixels
    timeout : seconds to wait for the browser to start and for each protocol answer
    binary : Chromium path (default: :func:`find_chromium`)
    """

    width: int = 1280
    height: int = 800
    timeout: float = 60.0
    binary: str | None = None
    console: list[ConsoleEntry] = field(default_factory=list)

    def __enter__(self) -> "HeadlessChromium":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ process
    def start(self) -> None:
        """Start Chromium with a fresh profile and attach to a blank page."""
        ws_client = require("websockets.sync.client", "view")
        binary = self.binary or find_chromium()
        if binary is None:
            raise BrowserError("Chromium not found; install it (Debian: apt-get install -y chromium) or set $CHROMIUM")
        self._profile = tempfile.mkdtemp(prefix="iklearn-chromium-")
        args = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile}", "--remote-debugging-port=0",
                "--remote-debugging-address=127.0.0.1", f"--window-size={self.width},{self.height}", "about:blank"]
        self._log = open(Path(self._profile) / "chromium.log", "wb")
        self._proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                      start_new_session=True)
        port_file = Path(self._profile) / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.is_file() and len(port_file.read_text().splitlines()) >= 2):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise BrowserError(f"Chromium did not start (exit code {self._proc.returncode})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._ws = ws_client.connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=self.timeout)
        self._next_id = 0
        self._session = None
        target = self._call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self._call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Log"):
            self._call(f"{domain}.enable")
        self._call("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                   deviceScaleFactor=1, mobile=False)

    def close(self) -> None:
        """Kill the browser and remove its profile (safe to call twice)."""
        ws = getattr(self, "_ws", None)
        if ws is not None:
            try:
                ws.close()
            except Exception:  # the browser may already be gone
                pass
            self._ws = None
        proc = getattr(self, "_proc", None)
        if proc is not None:
            try:  # the whole process group: Chromium's helper processes too
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck kill
                pass
        if getattr(self, "_log", None) is not None:
            self._log.close()
            self._log = None
        if getattr(self, "_profile", None):
            for _ in range(20):  # helpers that were still exiting may write into it once more
                shutil.rmtree(self._profile, ignore_errors=True)
                if not Path(self._profile).exists():
                    break
                time.sleep(0.1)
            self._profile = None

    # ------------------------------------------------------------------ protocol
    def _call(self, method: str, session: bool = True, **params) -> dict[str, Any]:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session and self._session is not None:
            msg["sessionId"] = self._session
        self._ws.send(json.dumps(msg))
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer {method} within {self.timeout:.0f} s")
            try:
                reply = json.loads(self._ws.recv(timeout=left))
            except TimeoutError:
                continue
            if reply.get("id") == msg["id"]:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._event(reply)

    def _event(self, ev: dict[str, Any]) -> None:
        method, p = ev.get("method"), ev.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            self.console.append(ConsoleEntry(p.get("type", "log"), text))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "")
            self.console.append(ConsoleEntry("error", text, "exception"))
        elif method == "Log.entryAdded":
            e = p.get("entry", {})
            self.console.append(ConsoleEntry(e.get("level", "info"), e.get("text", ""), e.get("source", "log")))

    def _pump(self, seconds: float) -> None:
        """Read events for ``seconds``."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                self._event(json.loads(self._ws.recv(timeout=left)))
            except TimeoutError:
                return

    # ------------------------------------------------------------------ page
    def goto(self, url: str) -> None:
        """Navigate the page to ``url`` (returns when the navigation is committed)."""
        r = self._call("Page.navigate", url=url)
        if r.get("errorText"):
            raise BrowserError(f"cannot open {url}: {r['errorText']}")

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page (JSON-serialisable results only)."""
        r = self._call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise BrowserError(f"JavaScript error in {expression!r}: {r['exceptionDetails'].get('text')}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float = 30.0, what: str | None = None) -> Any:
        """Poll a JavaScript expression until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while True:
            v = self.evaluate(expression)
            if v:
                return v
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout:.0f} s waiting for {what or expression}")
            self._pump(0.2)

    def settle(self, seconds: float) -> None:
        """Let the page run for ``seconds`` while collecting its console messages."""
        self._pump(seconds)

    def screenshot(self) -> bytes:
        """PNG bytes of the viewport."""
        return base64.b64decode(self._call("Page.captureScreenshot", format="png")["data"])

    def canvas_pixels(self, width: int = 256) -> np.ndarray | None:
        """Grey levels ``(h, width)`` (0-255) of the page's largest canvas, scaled down; None without one.

        Read from the canvas itself (viser keeps its WebGL drawing buffer), so the GUI panel and
        notifications drawn over it do not count.
        """
        r = self.evaluate(_CANVAS_JS.replace("WIDTH", str(int(width))))
        if not r:
            return None
        self._canvas_opacity = float(r["opacity"])
        return np.asarray(r["grey"], float).reshape(r["h"], r["w"])

    def wait_for_stable_canvas(self, timeout: float = 180.0, interval: float = 1.0,
                               min_std: float = 1.0) -> np.ndarray:
        """Poll the canvas until two reads ``interval`` s apart are equal and not blank (grey-level standard
        deviation above ``min_std``; undrawn pixels are transparent and read as 0) and the canvas has faded
        in (CSS opacity 1): the scene has loaded and is shown. Returns the last read."""
        deadline = time.monotonic() + timeout
        prev = None
        while True:
            cur = self.canvas_pixels()
            if cur is not None and prev is not None and cur.shape == prev.shape and np.array_equal(cur, prev) \
                    and cur.std() > min_std and self._canvas_opacity > 0.999:
                return cur
            if time.monotonic() > deadline:
                raise BrowserError(f"the canvas did not settle on a drawn scene within {timeout:.0f} s")
            prev = cur
            self._pump(interval)

    def dismiss_notifications(self) -> None:
        """Close the page's pop-up notifications (e.g. viser's note that WebGL runs in software)."""
        self.evaluate("document.querySelectorAll('.mantine-Notification-closeButton, "
                      "[class*=Notification] button').forEach(b => b.click()) || true")
        self._pump(0.5)

    def stable_screenshot(self, timeout: float = 60.0, interval: float = 1.0) -> bytes:
        """PNG bytes of the viewport once two screenshots ``interval`` s apart are identical (fades and
        transitions of the page have ended)."""
        deadline = time.monotonic() + timeout
        prev = self.screenshot()
        while True:
            self._pump(interval)
            cur = self.screenshot()
            if cur == prev or time.monotonic() > deadline:
                return cur
            prev = cur

    def errors(self) -> list[ConsoleEntry]:
        """Console errors and uncaught exceptions seen so far."""
        return [e for e in self.console if e.level == "error"]
