"""The "Path" panel: load a targets CSV, solve it as a path, play it back, flag its discontinuities.

The path is solved by :func:`iklearn.solvers.solve_path` (each row seeded by the previous solution, from
the arm's configuration, with the viewer's method), which flags rows whose joint step is out of proportion
to the Cartesian step and says why ('limit', 'singularity', 'branch', 'unreachable'). The targets are drawn
as a line, green where the path is continuous and red into a flagged row, with a red ball and the reason at
each flagged target.
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

import numpy as np

from iklearn.data.csvio import read_poses_csv
from iklearn.errors import IKLearnError
from iklearn.kinematics.pose import as_poses
from iklearn.solvers import solve_path
from iklearn.viewer.app import ShownState
from iklearn.viewer.arms import wxyz

OK_RGB = (40, 170, 90)
FLAG_RGB = (220, 40, 40)


class PathPanel:
    """GUI folder, drawing and playback of a solved path; :meth:`load` takes poses or a CSV file."""

    def __init__(self, viewer) -> None:
        self.viewer = viewer
        self.result = None  # PathResult
        self.poses: np.ndarray | None = None  # (N, 4, 4)
        self._stop = threading.Event()
        self._player: threading.Thread | None = None
        gui = viewer.server.gui
        with gui.add_folder("Path", expand_by_default=False):
            upload = gui.add_upload_button("Load targets CSV (x,y,z,qx,qy,qz,qw)", mime_type=".csv,text/csv")
            self._row = gui.add_slider("Row", min=0, max=1, step=1, initial_value=0, disabled=True)
            self._fps = gui.add_slider("Rows per second", min=1, max=120, step=1, initial_value=30)
            play = gui.add_button("Play")
            pause = gui.add_button("Pause")
            self._text = gui.add_markdown("no path loaded")
        upload.on_upload(lambda e: self._on_upload(e.target.value))
        self._row.on_update(lambda _: self._on_row())
        play.on_click(lambda _: self.play())
        pause.on_click(lambda _: self.pause())

    # ------------------------------------------------------------------ loading
    def _on_upload(self, file) -> None:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "targets.csv"
            p.write_bytes(file.content)
            try:
                self.load(p)
            except IKLearnError as exc:
                self._text.content = f"**cannot load {file.name}**: {exc}"

    def load(self, targets: str | os.PathLike | np.ndarray):
        """Solve a path of targets (a CSV path, or poses ``(N, 7)`` / ``(N, 4, 4)``) from the arm's
        configuration, draw it and show row 0; returns the ``PathResult``."""
        if isinstance(targets, (str, os.PathLike)):
            targets = read_poses_csv(targets)
        T, _ = as_poses(targets, "path targets")
        if T.shape[0] < 1:
            raise IKLearnError("the path has no targets")
        v = self.viewer
        self.pause()
        with v._lock:
            res = solve_path(v.chain, T, q0=v.state.q, method=v.method, seed=v.seed)
            self.result, self.poses = res, T
            self._draw()
            flagged = res.discontinuities
            lines = [f"{len(res)} rows, {int(res.success.sum())} solved, {flagged.size} discontinuities"]
            lines += [f"row {i}: {res.reason[i]} (joint step {res.joint_step[i]:.3f} rad)" for i in flagged[:12]]
            if flagged.size > 12:
                lines.append(f"... and {flagged.size - 12} more")
            self._text.content = "  \n".join(lines)
            self._row.max = max(1, len(res) - 1)
            self._row.disabled = False
            self.show_row(0)
            return res

    def _draw(self) -> None:
        res, P = self.result, self.poses[:, :3, 3]
        scene = self.viewer.server.scene
        R = self.viewer.chain.reach()
        if len(res) > 1:
            seg = np.stack([P[:-1], P[1:]], axis=1)
            col = np.where(res.discontinuity[1:, None, None], FLAG_RGB, OK_RGB) * np.ones((1, 2, 3))
            scene.add_line_segments("/path/line", seg, col.astype(np.uint8), thickness=0.006 * R)
        flagged = res.discontinuities
        for i in flagged[:50]:
            scene.add_icosphere(f"/path/flag_{i}", radius=0.012 * R, color=FLAG_RGB, position=P[i])
            scene.add_label(f"/path/flag_{i}/reason", text=f"{i}: {res.reason[i]}", position=(0, 0, 0.03 * R))
        self._cursor = scene.add_frame("/path/cursor", axes_length=0.06 * R, axes_radius=0.003 * R)

    # ------------------------------------------------------------------ playback
    def show_row(self, i: int):
        """Put the arm at the solution of row ``i`` and the target at its pose; returns the viewer's state."""
        res, v = self.result, self.viewer
        if res is None:
            raise IKLearnError("no path loaded")
        i = int(np.clip(i, 0, len(res) - 1))
        T = self.poses[i]
        with v._lock:
            q = res.q[i]
            v._apply_q(q)
            v._gizmo.wxyz, v._gizmo.position = wxyz(T[:3, :3]), T[:3, 3]
            self._cursor.position = T[:3, 3]
            v._state = ShownState(q.copy(), T.copy(), float(res.position_error[i]), float(res.rotation_error[i]),
                                  bool(res.success[i]), int(res.iterations[i]), "path")
            v._show_state(extra=f"path row {i}/{len(res) - 1}"
                          + (f", **discontinuity: {res.reason[i]}**" if res.discontinuity[i] else ""))
            if int(self._row.value) != i:
                self._row.value = i
            return v._state

    def _on_row(self) -> None:
        if self.result is not None:
            self.show_row(int(self._row.value))

    def play(self) -> None:
        """Step through the rows in a background thread (stops at the end, at :meth:`pause`, or on stop)."""
        if self.result is None or (self._player is not None and self._player.is_alive()):
            return
        self._stop.clear()

        def run() -> None:
            i = int(self._row.value)
            if i >= len(self.result) - 1:
                i = 0
            while not self._stop.is_set() and i < len(self.result):
                self.show_row(i)
                i += 1
                self._stop.wait(1.0 / max(1, int(self._fps.value)))

        self._player = threading.Thread(target=run, daemon=True, name="iklearn-view-path")
        self._player.start()

    def pause(self) -> None:
        """Stop playback and wait for the player thread."""
        self._stop.set()
        if self._player is not None:
            self._player.join(timeout=5)
            self._player = None

