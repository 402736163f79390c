"""A learned model beside the solver in the viewer (``iklearn view --model model.npz``).

A model file says its kind (:func:`iklearn.estimators._io.model_kind`); :data:`VIEWABLE` maps a kind to its
class and to what the viewer shows of it:

- ``'reachability'`` (a classifier with ``predict_proba(poses (N, 7)) -> (N, C)`` and ``classes_``, class 0
  = unreachable): its reachability probability on a slice of the workspace at the target's orientation,
  as a point cloud beside the true reachability (IK with restarts at the same poses), and their agreement;
- ``'warm_start'`` (a regressor with ``predict(poses (N, 4, 4)) -> (N, dof)``): its answer for the current
  target as a ghost arm, used as the seed of the live solve, with the errors before and after refinement.
  A model from ``iklearn train`` (kind ``'learned_ik'``, ml-ik or crisp) is shown the same way.

Every class is loaded with ``cls.load(path, robot=chain)``, which refuses a file made for another robot.
"""

from __future__ import annotations

import importlib
import os
import time
from pathlib import Path

import numpy as np

from iklearn.data.workspace import reachability_probability, slice_grid
from iklearn.errors import IKLearnError
from iklearn.estimators._io import model_kind
from iklearn.kinematics import fk, fk_pose, pose_error
from iklearn.kinematics.pose import rotation_to_quat
from iklearn.solvers.lm import LevenbergMarquardt
from iklearn.viewer.app import WARM_COLOR
from iklearn.viewer.arms import make_arm

#: model kind -> (module, class, role)
VIEWABLE = {
    "ml_ik.conditioning_classifier": ("iklearn.estimators.ml_ik", "ConditioningClassifier", "reachability"),
    "ml_ik.clustered_mlp_regressor": ("iklearn.estimators.ml_ik", "ClusteredMLPRegressor", "warm_start"),
}

REACHABLE = np.array([40, 170, 90])
UNREACHABLE = np.array([215, 215, 220])
DISAGREE = np.array([220, 40, 40])


def attach_model(viewer, path: str | os.PathLike):
    """Load the model at ``path`` for ``viewer.chain`` and add its overlay; returns the overlay."""
    kind = model_kind(path)
    if kind == "learned_ik":  # a model from `iklearn train`: its answer is the warm start
        from iklearn.estimators.learned import LearnedIK

        model = LearnedIK.load(path, robot=viewer.chain)
        if model.method == "lwpr":
            raise IKLearnError("--model: an lwpr model learns joint velocities, not configurations; the viewer "
                               "shows ml-ik and crisp models from `iklearn train`")
        return WarmStartOverlay(viewer, model, Path(path).name)
    if kind not in VIEWABLE:
        raise IKLearnError(f"--model: the viewer cannot show a '{kind}' model; it shows "
                           f"{', '.join(sorted(VIEWABLE))} and ml-ik / crisp models from `iklearn train`")
    module, name, role = VIEWABLE[kind]
    model = getattr(importlib.import_module(module), name).load(path, robot=viewer.chain)
    label = Path(path).name
    if role == "reachability":
        return ReachabilityOverlay(viewer, model, label)
    return WarmStartOverlay(viewer, model, label)


def default_plane(chain) -> str:
    """'xy' for a robot whose tip stays in the base's xy plane (planar arms), else the vertical 'xz'."""
    q = np.random.default_rng(0).uniform(chain.finite_lower, chain.finite_upper, (500, chain.dof))
    z = fk_pose(chain, q)[:, 2]
    return "xy" if np.ptp(z) < 0.01 * chain.reach() else "xz"


class ReachabilityOverlay:
    """A classifier's reachability on a workspace slice, beside IK's answer at the same poses.

    The slice is a ``bins`` x ``bins`` grid on ``plane`` at ``offset`` (m), spanning the robot's reach; every
    cell centre gets the current target's orientation. True reachability: the viewer's robot solved by
    Levenberg-Marquardt with random restarts (``restarts`` tries of 50 iterations). The model's cloud is
    drawn beside the true one, shifted along the slice's first axis; cells where the model (probability
    > 0.5) and IK disagree are red.
    """

    def __init__(self, viewer, model, label: str, *, bins: int = 20, restarts: int = 6) -> None:
        self.viewer, self.model, self.label = viewer, model, label
        self.truth_solver = LevenbergMarquardt(viewer.chain, max_iterations=50 * restarts, iterations_per_try=50,
                                               seed=0)
        gui = viewer.server.gui
        with gui.add_folder(f"Model: reachability ({label})"):
            self._plane = gui.add_dropdown("Slice plane", ("xz", "yz", "xy"), initial_value=default_plane(viewer.chain))
            R = float(viewer.chain.reach())
            self._offset = gui.add_slider("Slice offset (m)", min=-R, max=R, step=R / 100, initial_value=0.0)
            self._bins = gui.add_slider("Cells per side", min=6, max=60, step=1, initial_value=bins)
            button = gui.add_button("Recompute at the target's orientation")
            self._text = gui.add_markdown("")
        button.on_click(lambda _: self.compute())
        self.result: dict | None = None
        self._clouds: list = []
        self.compute()

    def compute(self) -> dict:
        """Evaluate model and IK on the slice and redraw; returns the arrays and the agreement."""
        v = self.viewer
        t0 = time.perf_counter()
        half = 1.05 * float(v.chain.reach())
        plane, offset, bins = str(self._plane.value), float(self._offset.value), int(self._bins.value)
        P = slice_grid(half, plane, offset, bins)
        R = v.state.target[:3, :3]
        poses = np.column_stack([P, np.tile(rotation_to_quat(R), (P.shape[0], 1))])
        prob = reachability_probability(self.model, poses)
        truth = self.truth_solver.solve(poses).success
        agree = (prob > 0.5) == truth
        shift = np.zeros(3)
        shift["xyz".index(plane[0])] = 2.1 * half
        mcol = (UNREACHABLE + prob[:, None] * (REACHABLE - UNREACHABLE)).astype(int)
        mcol[~agree] = DISAGREE
        size = 0.6 * 2 * half / bins
        scene = v.server.scene
        # reachable cells (and disagreements) full size; unreachable ones small, so the arm stays visible
        big_t, big_m = truth, (prob > 0.5) | ~agree
        for h in self._clouds:
            h.remove()
        self._clouds = []
        for name, pts, col, big in (("truth", P, np.where(truth[:, None], REACHABLE, UNREACHABLE), big_t),
                                    ("learned", P + shift, mcol, big_m)):
            for part, sel, s in (("in", big, size), ("out", ~big, 0.25 * size)):
                if sel.any():
                    self._clouds.append(scene.add_point_cloud(
                        f"/model/{name}_{part}", pts[sel], col[sel].astype(np.uint8), point_size=s,
                        point_shape="circle"))
        top = np.zeros(3)
        top["xyz".index(plane[1])] = half
        scene.add_label("/model/truth_label", text="IK (true reachability)", position=top)
        scene.add_label("/model/learned_label", text=f"model {self.label}", position=top + shift)
        self.result = {"poses": poses, "probability": prob, "reachable": truth,
                       "agreement": float(agree.mean()), "seconds": time.perf_counter() - t0}
        self._text.content = (
            f"{bins} x {bins} cells on {plane} at {offset:.3f} m, target orientation  \n"
            f"IK: {int(truth.sum())} reachable; model (p > 0.5): {int((prob > 0.5).sum())}  \n"
            f"agreement: {100 * agree.mean():.1f} % (red: disagree)")
        return self.result


class WarmStartOverlay:
    """A learned IK model's answer for the current target (orange ghost arm) and the solver's refinement.

    With "Seed IK with the model" on (the default), the live solve starts from the model's answer instead
    of the previous solution, so the arm shows the refined solution and the ghost the warm start.
    """

    def __init__(self, viewer, model, label: str) -> None:
        self.viewer, self.model, self.label = viewer, model, label
        # the ghost shares the arm's URDF model: every set_q writes the whole configuration before reading it
        self.ghost = make_arm(viewer.server, viewer.chain, "/model/warm_start", viewer.mesh, color=WARM_COLOR,
                              opacity=0.45, urdf=getattr(viewer.arm, "urdf", None))
        gui = viewer.server.gui
        with gui.add_folder(f"Model: warm start ({label})"):
            self._seed = gui.add_checkbox("Seed IK with the model", True)
            self._show = gui.add_checkbox("Show the warm start", True)
            self._text = gui.add_markdown("")
        self._seed.on_update(lambda _: self._set_seeding())
        self._show.on_update(lambda _: setattr(self.ghost, "visible", bool(self._show.value)))
        self._set_seeding()
        viewer.on_target(self._update)
        self.warm_q: np.ndarray | None = None
        self._update(viewer.state.target, viewer.state.q)

    def predict(self, T: np.ndarray) -> np.ndarray:
        """The model's configuration ``(dof,)`` for target ``T`` ``(4, 4)``."""
        return np.asarray(self.model.predict(T[None]), float).reshape(-1)[: self.viewer.chain.dof]

    def _set_seeding(self) -> None:
        self.viewer._warm_start = self.predict if self._seed.value else None

    def _update(self, T: np.ndarray, q: np.ndarray) -> None:
        qw = self.predict(T)
        self.warm_q = qw
        self.ghost.set_q(qw)
        wp, wr = pose_error(fk(self.viewer.chain, qw)[None], T[None])
        s = self.viewer.state
        seeded = "seeded by it" if self._seed.value else "seeded by the previous solution"
        self._text.content = (f"warm start: {wp[0] * 1e3:.4g} mm, {np.degrees(wr[0]):.4g} deg  \n"
                              f"solver ({seeded}): {s.position_error * 1e3:.4g} mm, "
                              f"{np.degrees(s.rotation_error):.4g} deg, {s.iterations} iterations")

