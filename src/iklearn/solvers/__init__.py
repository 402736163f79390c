"""Numerical IK solvers, all returning the same batched :class:`IKResult`.

``solve(robot, targets)`` is the one-call entry point (Levenberg-Marquardt by default). The solver classes:
:class:`LevenbergMarquardt` (default, limit-respecting, restarts), :class:`DampedLeastSquares` (adaptive
damping), :class:`SelectivelyDampedLeastSquares` (Buss & Kim 2005), :class:`URAnalyticIK` (closed form, all
eight solutions of a UR arm); resolved-rate / null-space control lives in
:mod:`iklearn.solvers.nullspace`. Adapters to peer solvers (TRAC-IK, OptIK, PyBullet) are in
:mod:`iklearn.solvers.peers`, imported only when asked for (their packages are optional).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Literal

from iklearn.errors import IKLearnError
from iklearn.robot.chain import Chain
from iklearn.solvers.analytic import URAnalyticIK
from iklearn.solvers.base import IKSolver
from iklearn.solvers.dls import DampedLeastSquares
from iklearn.solvers.lm import LevenbergMarquardt
from iklearn.solvers.result import IKResult
from iklearn.solvers.sdls import SelectivelyDampedLeastSquares

METHODS: dict[str, type[IKSolver]] = {
    "lm": LevenbergMarquardt,
    "dls": DampedLeastSquares,
    "sdls": SelectivelyDampedLeastSquares,
    "analytic": URAnalyticIK,  # closed form, UR arms only
}

__all__ = [
    "solve", "METHODS", "IKResult", "IKSolver", "LevenbergMarquardt", "DampedLeastSquares",
    "SelectivelyDampedLeastSquares", "URAnalyticIK",
]


def make_solver(
    robot: Chain | str | Path,
    method: Literal["lm", "dls", "sdls", "analytic"] = "lm",
    *,
    base_link: str | None = None,
    tip_link: str | None = None,
    **kwargs,
) -> IKSolver:
    """Build the solver ``method`` for ``robot`` (a Chain, a built-in name or a URDF path).

    ``kwargs`` go to the solver's constructor; an unknown one raises :class:`~iklearn.errors.IKLearnError`.
    """
    from iklearn.robot.catalogue import load_robot

    chain = robot if isinstance(robot, Chain) else load_robot(robot, base_link, tip_link)
    try:
        cls = METHODS[str(method).lower()]
    except KeyError:
        raise IKLearnError(f"unknown IK method {method!r}; choose one of {', '.join(METHODS)}") from None
    try:
        return cls(chain, **kwargs)
    except TypeError as exc:  # an option the chosen solver does not take
        raise IKLearnError(f"method {method!r}: {exc}") from None


def solve(
    robot: Chain | str | Path,
    targets,
    *,
    q0=None,
    method: Literal["lm", "dls", "sdls", "analytic"] = "lm",
    position_only: bool = False,
    tol_position: float = 1e-6,
    tol_rotation: float = 1e-5,
    seed: int = 0,
    base_link: str | None = None,
    tip_link: str | None = None,
    **kwargs,
) -> IKResult:
    """Solve inverse kinematics for a batch of targets.

    Parameters
    ----------
    robot : Chain, built-in robot name (e.g. ``'panda'``) or URDF path (with ``base_link`` / ``tip_link``)
    targets : (N, 7) ``[x, y, z, qx, qy, qz, qw]``, (N, 4, 4), or one (7,) / (4, 4) pose, in the base frame (m)
        Quaternions with a norm within 10 % of 1 are normalised; others are refused (likely a column mix-up).
    q0 : (N, dof) or (dof,) seeds, optional (random inside the limits when None)
    method : 'lm' (default: limit-respecting Levenberg-Marquardt with restarts), 'dls', 'sdls' or 'analytic'
        (closed form for UR arms: the solution nearest the seed among all eight)
    position_only : bool
        Ignore the target orientation.
    tol_position : float, m
    tol_rotation : float, rad
    seed : int
        Seed of every random choice (random seeds, restarts).
    **kwargs : further options of the solver class (e.g. ``max_iterations``)

    Returns
    -------
    IKResult
        Batch size ``N`` (1 for a single target). An unreachable target is not an error: it gets the best
        ``q`` found with ``success=False``. Redundant arms use their redundancy; under-actuated ones (e.g. a
        5-DOF arm and a 6-D pose) get the least-squares configuration.
    """
    solver = make_solver(
        robot, method, base_link=base_link, tip_link=tip_link, position_only=position_only,
        tol_position=tol_position, tol_rotation=tol_rotation, seed=seed, **kwargs,
    )
    return solver.solve(targets, q0)


def __getattr__(name: str):
    # peers import optional packages: load them on first use, not with iklearn.solvers
    if name in ("peers", "nullspace"):
        return importlib.import_module(f"iklearn.solvers.{name}")
    raise AttributeError(f"module 'iklearn.solvers' has no attribute {name!r}")

