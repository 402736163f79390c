"""The interactive viewer: a viser server showing the arm, a draggable IK target, joint sliders and the error.

Every change of the target, whether a drag in the browser or :meth:`Viewer.set_target` from a script, goes
through :meth:`Viewer._solve_to`: one solve of the configured method seeded by the previous solution (or by
a learned model's warm start), whose ``q`` moves the arm and the sliders and whose errors are shown as the
solver reported them. Moving a slider is the forward direction: the arm follows, and the target moves to
the tip.
"""

from __future__ import annotations

import contextlib
import io
import sys
import threading
import time
from dataclasses import dataclass

import numpy as np

from iklearn._validate import as_batch
from iklearn.errors import IKLearnError, require
from iklearn.kinematics import fk, pose_error
from iklearn.kinematics.pose import as_poses, quat_to_rotation
from iklearn.robot.chain import PRISMATIC, Chain, joint_motion
from iklearn.solvers import make_solver
from iklearn.viewer.arms import MeshSource, make_arm, wxyz

#: Ghost-arm colour (RGB 0-1) of a learned model's warm start.
WARM_COLOR = (1.0, 0.55, 0.1)


@dataclass(frozen=True)
class ShownState:
    """What the viewer shows now.

    q : (dof,) joint values of the arm and the sliders (rad / m)
    target : (4, 4) target pose in the base frame
    position_error : m, rotation_error : rad, success, iterations : the solver's report for this target
        (after a slider move: the distance of the tip to the target, which then is 0, and ``iterations`` 0)
    source : 'ik' (last change was a solve), 'fk' (a slider or :meth:`Viewer.set_q`) or 'path' (a row of a
        solved path, see :mod:`iklearn.viewer.paths`)
    """

    q: np.ndarray
    target: np.ndarray
    position_error: float
    rotation_error: float
    success: bool
    iterations: int
    source: str


def _start_pose(chain: Chain) -> np.ndarray:
    for name in ("ready", "home"):
        if name in chain.named_poses:
            return np.array(chain.named_poses[name], float)
    return np.clip(np.zeros(chain.dof), chain.lower, chain.upper)


def status_markdown(method: str, s: ShownState) -> str:
    """The status text of the GUI (numbers with six significant digits)."""
    if s.source == "fk":
        head = "**FK**: joints set by hand, the target follows the tip"
    else:
        mark = "solved" if s.success else "**not solved** (best q shown)"
        head = f"**{'Path' if s.source == 'path' else 'IK'} ({method})**: {mark}, {s.iterations} iterations"
    return (f"{head}  \nposition error: {s.position_error * 1e3:.6g} mm  \n"
            f"rotation error: {np.degrees(s.rotation_error):.6g} deg")


class Viewer:
    """A running viewer; build it with :func:`iklearn.view`. Thread-safe; stop it with :meth:`stop`.

    Parameters
    ----------
    chain : Chain
    mesh : MeshSource or None
        URDF whose visual meshes draw the arm (None: capsules).
    method : IK method for live solving ('lm', 'dls', 'sdls', 'analytic')
    host, port : where to serve (port 0: any free port; a busy port moves to the next free one)
    seed : seed of the solver's random restarts
    solver_options : further keyword arguments of the solver
    """

    def __init__(self, chain: Chain, *, mesh: MeshSource | None = None, method: str = "lm",
                 host: str = "127.0.0.1", port: int = 8080, seed: int = 0, solver_options: dict | None = None,
                 verbose: bool = False) -> None:
        viser = require("viser", "view")

        opts = dict(solver_options or {})
        if method == "lm":
            opts.setdefault("nearest", True)  # restarts near the seed: the arm does not jump while dragging
        self.chain = chain
        self.method = method
        self.seed = seed
        self.mesh = mesh
        self.solver = make_solver(chain, method, seed=seed, **opts)
        self._lock = threading.RLock()
        self._local = threading.local()
        self._warm_start = None  # callable T (4, 4) -> q (dof,), set by a model overlay
        self._target_listeners: list = []
        self.last_result = None  # IKResult of the last solve, and the seed it started from
        self.last_seed = None
        self.overlay = None  # a learned model's overlay (iklearn.viewer.models), when one is shown
        with contextlib.redirect_stdout(sys.stdout if verbose else io.StringIO()):  # viser's address banner
            self.server = viser.ViserServer(host=host, port=port, verbose=verbose, label=f"iklearn: {chain.name}")
        # no share button: it would open a tunnel through a third-party server
        self.server.gui.configure_theme(show_share_button=False)
        try:
            self._build_scene()
            self._build_gui()
            from iklearn.viewer.paths import PathPanel
            from iklearn.viewer.solutions import SolutionsPanel

            self.solutions = SolutionsPanel(self)  # .show(): the target's solution set as ghost arms
            self.path = PathPanel(self)  # .load(csv or poses), .play(), .show_row(i)
            q = _start_pose(chain)
            self._apply_q(q)
            T = fk(chain, q)
            self._state = ShownState(q, T, 0.0, 0.0, True, 0, "fk")
            self._gizmo.wxyz, self._gizmo.position = wxyz(T[:3, :3]), T[:3, 3]
            self._show_state()
        except BaseException:
            self.server.stop()
            raise

    # ------------------------------------------------------------------ scene
    def _build_scene(self) -> None:
        scene, c = self.server.scene, self.chain
        R = c.reach()
        self._scale = R
        scene.add_grid("/grid", width=2 * R, height=2 * R, cell_size=R / 10, section_size=R / 2)
        self.arm = make_arm(self.server, c, "/arm", self.mesh)
        ax = 0.18 * R
        scene.add_frame("/base", axes_length=ax, axes_radius=ax / 25)
        scene.add_label("/base/name", text=f"base: {c.base_link}", position=(0, 0, -0.04 * R))
        self._tip = scene.add_frame("/tip", axes_length=ax * 0.8, axes_radius=ax / 30)
        scene.add_label("/tip/name", text=f"tip: {c.tip_link}", position=(0, 0, 0.06 * R))
        self._joint_frames = [scene.add_frame(f"/joint_frames/{k}", axes_length=ax * 0.5, axes_radius=ax / 50,
                                              visible=False) for k in range(c.dof)]
        self._gizmo = scene.add_transform_controls("/target", scale=0.2 * R, depth_test=False, line_width=3.0)
        self._gizmo.on_update(self._on_gizmo)
        q = _start_pose(c)
        frames = self.joint_transforms(q)
        centre = frames[:, :3, 3].mean(axis=0)
        cam = self.server.initial_camera
        cam.look_at = centre
        cam.position = centre + np.array([0.75, -0.95, 0.45]) * max(R, 1e-3)

    def joint_transforms(self, q: np.ndarray) -> np.ndarray:
        """``(dof, 4, 4)`` pose of each joint's frame (after its motion) in the base frame, at ``q`` ``(dof,)``."""
        c, T = self.chain, np.eye(4)
        out = np.empty((c.dof, 4, 4))
        for k in range(c.dof):
            T = T @ c.fixed[k] @ joint_motion(c.axes[k], int(c.joint_types[k]), float(q[k]))
            out[k] = T
        return out

    # ------------------------------------------------------------------ GUI
    def _build_gui(self) -> None:
        gui, c = self.server.gui, self.chain
        with gui.add_folder("Inverse kinematics"):
            self._status = gui.add_markdown("")
            self._solve_on_drag = gui.add_checkbox("Solve while dragging", True,
                                                   hint="off: solve only when the target is released")
            reset = gui.add_button("Reset arm and target")
            reset.on_click(lambda _: self.reset())
        with gui.add_folder("Joints"):
            self._sliders = []
            for k, name in enumerate(c.joint_names):
                unit = "m" if c.joint_types[k] == PRISMATIC else "rad"
                lo, hi = float(c.finite_lower[k]), float(c.finite_upper[k])
                s = gui.add_slider(f"{name} ({unit})", min=lo, max=hi, step=1e-3, initial_value=float(np.clip(0, lo, hi)),
                                   hint=f"limits [{lo:.4f}, {hi:.4f}] {unit}")
                s.on_update(self._on_slider)
                self._sliders.append(s)
        with gui.add_folder("Display", expand_by_default=False):
            self._frames_box = gui.add_checkbox("Joint frames", False)

            @self._frames_box.on_update
            def _(_) -> None:
                for f in self._joint_frames:
                    f.visible = bool(self._frames_box.value)

    # ------------------------------------------------------------------ callbacks
    def _on_gizmo(self, event) -> None:
        if event.phase == "start" or (event.phase == "update" and not self._solve_on_drag.value):
            return
        g = event.target
        T = np.eye(4)
        w, x, y, z = np.asarray(g.wxyz, float)

        T[:3, :3] = quat_to_rotation(np.array([x, y, z, w]))
        T[:3, 3] = np.asarray(g.position, float)
        self._solve_to(T)

    def _on_slider(self, _event) -> None:
        if getattr(self._local, "syncing", False):
            return  # our own write of a solution into the sliders
        with self._lock:
            q = np.array([s.value for s in self._sliders], float)
            self.set_q(q)

    # ------------------------------------------------------------------ state changes
    def _apply_q(self, q: np.ndarray) -> None:
        """Move the arm, the tip and joint frames, and the sliders to ``q``."""
        self.arm.set_q(q)
        frames = self.joint_transforms(q)
        for f, T in zip(self._joint_frames, frames):
            f.wxyz, f.position = wxyz(T[:3, :3]), T[:3, 3]
        tip = frames[-1] @ self.chain.tip
        self._tip.wxyz, self._tip.position = wxyz(tip[:3, :3]), tip[:3, 3]
        self._local.syncing = True
        try:
            for s, v in zip(self._sliders, q):
                s.value = float(v)
        finally:
            self._local.syncing = False

    def _show_state(self, extra: str | None = None) -> None:
        text = status_markdown(self.method, self._state)
        self._status.content = text if extra is None else f"{extra}  \n{text}"

    def _solve_to(self, T: np.ndarray):
        """Solve for target ``T`` (4, 4) from the previous solution (or the warm start), and show it."""
        with self._lock:
            q0 = self._state.q if self._warm_start is None else self._warm_start(T)
            res = self.solver.solve(T[None], q0[None])
            q = res.q[0]
            self._apply_q(q)
            self._state = ShownState(q.copy(), T.copy(), float(res.position_error[0]), float(res.rotation_error[0]),
                                     bool(res.success[0]), int(res.iterations[0]), "ik")
            self._show_state()
            self.last_result = res
            self.last_seed = q0
            for cb in list(self._target_listeners):
                cb(T, q)
            return res

    def on_target(self, cb) -> None:
        """Call ``cb(T (4, 4), q (dof,))`` after every solve (overlays use it)."""
        self._target_listeners.append(cb)

    # ------------------------------------------------------------------ public API
    @property
    def url(self) -> str:
        """Address of the page, e.g. ``http://127.0.0.1:8080``."""
        return f"http://{self.server.get_host()}:{self.server.get_port()}"

    @property
    def port(self) -> int:
        return int(self.server.get_port())

    @property
    def state(self) -> ShownState:
        """What is shown now (see :class:`ShownState`)."""
        with self._lock:
            return self._state

    @property
    def q(self) -> np.ndarray:
        """Joint values shown by the sliders, ``(dof,)``."""
        return np.array([s.value for s in self._sliders], float)

    @property
    def status_text(self) -> str:
        """The status text shown in the GUI."""
        return str(self._status.content)

    def set_target(self, pose) -> "ShownState":
        """Move the target gizmo to ``pose`` ((7,) ``[x, y, z, qx, qy, qz, qw]`` or (4, 4), base frame, m) and
        solve for it, exactly as a drag in the browser does; returns the new :attr:`state`."""
        T, _ = as_poses(pose, "pose")
        if T.shape[0] != 1:
            raise IKLearnError(f"set_target takes one pose, got {T.shape[0]}")
        T = T[0]
        with self._lock:
            self._gizmo.wxyz, self._gizmo.position = wxyz(T[:3, :3]), T[:3, 3]
            self._solve_to(T)
            return self._state

    def set_q(self, q) -> "ShownState":
        """Forward direction: put the arm at ``q`` ``(dof,)`` (clipped into the limits); the target follows."""
        Q, _ = as_batch(q, self.chain.dof, "q")
        q = self.chain.clip(Q[0])
        with self._lock:
            self._apply_q(q)
            T = fk(self.chain, q)
            self._gizmo.wxyz, self._gizmo.position = wxyz(T[:3, :3]), T[:3, 3]
            self._state = ShownState(q.copy(), T, 0.0, 0.0, True, 0, "fk")
            self._show_state()
            return self._state

    def reset(self) -> "ShownState":
        """Back to the robot's 'ready' (or 'home') pose, target at its tip."""
        return self.set_q(_start_pose(self.chain))

    def show_joint_frames(self, visible: bool = True) -> None:
        """Show or hide the frame of every joint (the GUI's "Joint frames" box)."""
        self._frames_box.value = bool(visible)

    def wait_for_client(self, timeout: float = 60.0) -> bool:
        """Block until a browser is connected (True) or ``timeout`` s pass (False)."""
        deadline = time.monotonic() + timeout
        while not self.server.get_clients():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def stop(self) -> None:
        """Stop the server (safe to call twice)."""
        if not getattr(self, "_stopped", False):
            self._stopped = True
            if hasattr(self, "path"):
                self.path.pause()
            self.server.stop()

    def __enter__(self) -> "Viewer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
