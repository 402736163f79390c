"""Open a report in headless Chromium and check that every image loads and every link resolves.

Usage: python tools/check_report_html.py report/report.html [--screenshot shot.png]

Loads a temporary copy of the page with a small script appended that, after load, writes the number of
images, the broken ones (naturalWidth == 0) and the links into the DOM, which Chromium's --dump-dom prints.
Relative links are checked against the file system. Exit code 0 when all is well.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--virtual-time-budget=10000"]

PROBE = """<script>
window.addEventListener('load', function () {
  var imgs = Array.from(document.images);
  var broken = imgs.filter(function (i) { return !(i.complete && i.naturalWidth > 0); }).map(function (i) { return i.alt; });
  var links = Array.from(document.querySelectorAll('a[href]')).map(function (a) { return a.getAttribute('href'); });
  var d = document.createElement('pre'); d.id = 'probe';
  d.textContent = 'IMAGES=' + imgs.length + '\\nBROKEN=' + JSON.stringify(broken) + '\\nLINKS=' + JSON.stringify(links);
  document.body.appendChild(d);
});
</script>"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("html", type=Path)
    ap.add_argument("--screenshot", type=Path)
    a = ap.parse_args()
    chrome = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if chrome is None:
        print("chromium not found (apt-get install chromium)")
        return 2
    page = a.html.resolve()
    with tempfile.TemporaryDirectory() as td:
        probe = page.parent / f".probe_{page.name}"
        probe.write_text(page.read_text().replace("</body>", PROBE + "</body>"))
        try:
            out = subprocess.run([chrome, *FLAGS, f"--user-data-dir={td}", "--dump-dom", probe.as_uri()],
                                 capture_output=True, text=True, timeout=120).stdout
        finally:
            probe.unlink()
        if a.screenshot:
            subprocess.run([chrome, *FLAGS, f"--user-data-dir={td}", "--window-size=1200,3000",
                            f"--screenshot={a.screenshot.resolve()}", page.as_uri()], capture_output=True, timeout=120)
    m = re.search(r"IMAGES=(\d+)\s+BROKEN=(\[.*?\])\s+LINKS=(\[.*?\])", out, re.S)
    if not m:
        print("probe did not run; Chromium output:\n" + out[-2000:])
        return 1
    import json

    n, broken, links = int(m.group(1)), json.loads(m.group(2)), json.loads(m.group(3))
    bad_links = [l for l in links if not re.match(r"^(https?:|#|data:)", l) and not (page.parent / l).exists()]
    print(f"{n} images, {len(broken)} broken {broken}; {len(links)} links, {len(bad_links)} broken {bad_links}")
    return 0 if n > 0 and not broken and not bad_links else 1


if __name__ == "__main__":
    sys.exit(main())
