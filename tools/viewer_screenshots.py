"""Make the README's viewer screenshots: the Panda drawn from its meshes, and a URDF without meshes (capsules).

Usage: python tools/viewer_screenshots.py [--out docs/img]

Each viewer serves on 127.0.0.1 at a free port, gets a target through the Python API (as a drag would), and
headless Chromium (Debian's ``chromium``) takes the picture once the canvas and the page have settled.
Needs ``iklearn[view,oracle]`` (example-robot-data carries the Panda's meshes).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import iklearn
from iklearn.kinematics import fk
from iklearn.robot.catalogue import URDF_DIR
from iklearn.viewer.browser import HeadlessChromium


def shoot(viewer, out: Path) -> None:
    with HeadlessChromium(width=1280, height=720, timeout=120) as b:
        b.goto(viewer.url)
        if not viewer.wait_for_client(120):
            raise SystemExit("no browser connected to the viewer")
        b.wait_for_stable_canvas(timeout=300)
        b.dismiss_notifications()
        out.write_bytes(b.stable_screenshot(timeout=60))
        if b.errors():
            raise SystemExit(f"console errors: {b.errors()}")
    print(f"wrote {out} ({viewer.state.source}: {viewer.status_text.splitlines()[0]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("docs/img"))
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)

    with iklearn.view("panda", port=0) as v:
        if v.mesh is None:
            raise SystemExit("the Panda's meshes were not found: pip install 'iklearn[oracle]'")
        c = v.chain
        v.set_target(fk(c, c.pose("ready") + np.array([0.6, 0.35, 0.0, 0.45, 0.0, -0.2, 0.0])))
        shoot(v, a.out / "viewer_panda.png")

    urdf = URDF_DIR / "arm5.urdf"
    with iklearn.view(urdf, base_link="base_link", tip_link="tool_link", port=0) as v:
        v.set_q([0.5, 0.35, 0.25, 0.7, 0.4])
        v.set_target(fk(v.chain, np.array([0.7, 0.45, 0.3, 0.8, 0.6])))
        v.show_joint_frames(True)  # the kinematics the capsules are built from
        shoot(v, a.out / "viewer_capsules.png")


if __name__ == "__main__":
    main()
