"""The viewer in a real browser: headless Chromium (Debian's ``chromium``) renders the page served by
``iklearn view`` and by ``iklearn.view``.

Marked ``browser``: not in the default suite (Chromium renders WebGL in software here, about a minute a
test); ``.ci/run`` runs them through ``tools/browser_tests.sh``, which installs Chromium when it is missing
and sets ``IKLEARN_REQUIRE_BROWSER=1`` so that a missing browser fails instead of skipping. Every server
listens on 127.0.0.1 at a free port and is stopped when the test ends, pass or fail; Chromium is killed
likewise. Screenshots go to ``$IKLEARN_SCREENSHOTS`` when it is set (else to the test's tmp_path).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.browser
pytest.importorskip("viser", reason="viser is not installed: pip install 'iklearn[view]'")

import iklearn  # noqa: E402
from iklearn.kinematics import fk, pose_error  # noqa: E402
from iklearn.solvers import make_solver  # noqa: E402
from iklearn.viewer.browser import HeadlessChromium, find_chromium  # noqa: E402

SERVER_START_S = 120  # the Panda's meshes load in a few seconds; a busy 2-core machine needs more
RENDER_S = 240  # software WebGL of the Panda's 11 MB of meshes


@pytest.fixture
def chromium():
    if find_chromium() is None:
        msg = "Chromium is not installed (apt-get install -y chromium); tools/browser_tests.sh installs it"
        if os.environ.get("IKLEARN_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    with HeadlessChromium(width=1280, height=800, timeout=60) as b:
        yield b


@pytest.fixture
def shots(tmp_path) -> Path:
    d = Path(os.environ.get("IKLEARN_SCREENSHOTS") or tmp_path)
    d.mkdir(parents=True, exist_ok=True)
    return d


def _serve_cli(*args: str) -> tuple[subprocess.Popen, str]:
    """Start ``iklearn view ARGS --port 0`` in a subprocess; return it and the URL it printed."""
    cmd = [sys.executable, "-c", "from iklearn.cli import main; main()", "view", *args, "--port", "0",
           "--timeout", "900"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline and proc.poll() is None:
        for line in list(lines):
            m = re.search(r"serving .* on (http://127\.0\.0\.1:\d+)", line)
            if m:
                return proc, m.group(1)
        time.sleep(0.1)
    _stop(proc)
    raise AssertionError(f"iklearn view printed no URL within {SERVER_START_S} s: {''.join(lines)[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def test_cli_view_renders_in_chromium(chromium, shots):
    proc, url = _serve_cli("--robot", "panda")
    try:
        chromium.goto(url)
        pixels = chromium.wait_for_stable_canvas(timeout=RENDER_S)
        chromium.dismiss_notifications()
        (shots / "cli_panda.png").write_bytes(chromium.stable_screenshot())
        assert pixels.std() > 10, f"canvas nearly blank: grey-level std {pixels.std():.2f}"
        assert not chromium.errors(), f"console errors: {chromium.errors()}"
        assert "panda_joint7" in chromium.evaluate("document.body.innerText")
    finally:
        _stop(proc)
    assert proc.returncode is not None


_SLIDER_JS = """(() => { const out = {};
  for (const name of NAMES) {
    const label = Array.from(document.querySelectorAll('label')).find(e => e.textContent.trim() === name);
    const slider = label && document.getElementById(label.htmlFor);
    const thumb = slider && slider.querySelector('[role=slider]');
    out[name] = thumb ? parseFloat(thumb.getAttribute('aria-valuenow')) : null;
  }
  return out; })()"""


def _shown(b, v) -> tuple[np.ndarray, float, float]:
    """Joint values of the page's sliders, and the position (mm) and rotation (deg) errors of its text."""
    names = [f"{n} (rad)" for n in v.chain.joint_names]
    vals = b.evaluate(_SLIDER_JS.replace("NAMES", repr(names)))
    text = b.evaluate("document.body.innerText")
    pos = re.search(r"position error: (\S+) mm", text)
    rot = re.search(r"rotation error: (\S+) deg", text)
    return np.array([vals[n] for n in names], float), float(pos.group(1)), float(rot.group(1))


def test_dragging_the_target_changes_joints_shown_and_error_is_the_solvers(chromium, shots):
    with iklearn.view("panda", port=0) as v:
        chromium.goto(v.url)
        assert v.wait_for_client(SERVER_START_S)
        before_px = chromium.wait_for_stable_canvas(timeout=RENDER_S)
        chain = v.chain
        q_before, _, _ = _shown(chromium, v)
        np.testing.assert_allclose(q_before, chain.pose("ready"), atol=1e-9)
        # drag the target (through the API: the same code path as the gizmo's drag callback)
        T = fk(chain, chain.clip(chain.pose("ready") + np.array([0.5, 0.3, -0.4, 0.4, 0.3, -0.3, 0.2])))
        s = v.set_target(T)
        # an independent solver with the same method, options and seed, fed the same targets and seeds
        reference = make_solver(chain, "lm", seed=0, nearest=True)
        ref = reference.solve(T[None], q_before[None])
        chromium.wait_for(f"document.body.innerText.includes('position error: {s.position_error * 1e3:.6g} mm')",
                          timeout=60, what="the new error in the page")
        q_page, pos_mm, rot_deg = _shown(chromium, v)
        # the page shows the solver's joint values and the solver's errors
        np.testing.assert_allclose(q_page, ref.q[0], atol=1e-9)
        assert np.abs(q_page - q_before).max() > 0.1
        assert pos_mm == pytest.approx(ref.position_error[0] * 1e3, rel=1e-5, abs=1e-12)
        assert rot_deg == pytest.approx(np.degrees(ref.rotation_error[0]), rel=1e-5, abs=1e-12)
        p, r = pose_error(fk(chain, q_page)[None], T[None])
        assert p[0] < 1e-6 and ref.success[0]
        # an unreachable target: the page shows the best q and the error the solver reports for it
        far = T.copy()
        far[:3, 3] = [1.5, 0.0, 0.5]
        s = v.set_target(far)
        ref = reference.solve(far[None], ref.q)
        chromium.wait_for(f"document.body.innerText.includes('position error: {s.position_error * 1e3:.6g} mm')",
                          timeout=60, what="the unreachable target's error in the page")
        q_page, pos_mm, _ = _shown(chromium, v)
        assert not ref.success[0] and "not solved" in chromium.evaluate("document.body.innerText")
        np.testing.assert_allclose(q_page, ref.q[0], atol=1e-9)
        assert pos_mm == pytest.approx(ref.position_error[0] * 1e3, rel=1e-5)
        # the arm is in the picture: the canvas changed where it moved, and hiding it changes it again
        moved_px = chromium.wait_for_stable_canvas(timeout=RENDER_S)
        assert (np.abs(moved_px - before_px) > 10).mean() > 0.005
        v.arm.visible = False
        hidden_px = chromium.wait_for_stable_canvas(timeout=RENDER_S)
        assert (np.abs(moved_px - hidden_px) > 10).mean() > 0.005
        v.arm.visible = True
        chromium.wait_for_stable_canvas(timeout=RENDER_S)
        chromium.dismiss_notifications()
        (shots / "api_panda_unreachable.png").write_bytes(chromium.stable_screenshot())
        assert not chromium.errors(), f"console errors: {chromium.errors()}"
