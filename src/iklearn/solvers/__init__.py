"""Numerical IK solvers, all returning the same batched :class:`IKResult`.

One-call entry points: ``solve(robot, targets)`` (Levenberg-Marquardt by default) -> :class:`IKResult`;
``solve_set(robot, targets, n_solutions=K)`` -> :class:`SolutionSet` (up to K distinct solutions per
target); ``solve_path(robot, poses, q0=...)`` -> :class:`PathResult` (each row seeded by the previous one,
jumps flagged). All three take the same task options (``weights``, ``tolerances``, ``free_axis``,
``position_only``) and joint options (``lock``, ``limits`` by joint name), and cache the solver they build.
The solver classes: :class:`LevenbergMarquardt` (default, limit-respecting, restarts),
:class:`DampedLeastSquares` (adaptive damping), :class:`SelectivelyDampedLeastSquares` (Buss & Kim 2005),
:class:`URAnalyticIK` (closed form, all eight solutions of a UR arm); resolved-rate / null-space control lives
in :mod:`iklearn.solvers.nullspace`. Adapters to peer solvers (TRAC-IK, OptIK, PyBullet) are in
:mod:`iklearn.solvers.peers`, imported only when asked for (their packages are optional).
"""

from __future__ import annotations

import importlib
import os
from collections import OrderedDict
from pathlib import Path
from typing import Callable, Literal, Mapping

import numpy as np
from numpy.typing import ArrayLike

from iklearn.errors import IKLearnError
from iklearn.robot.catalogue import load_robot
from iklearn.robot.chain import Chain
from iklearn.solvers.analytic import URAnalyticIK
from iklearn.solvers.base import IKSolver
from iklearn.solvers.dls import DampedLeastSquares
from iklearn.solvers.lm import LevenbergMarquardt
from iklearn.solvers.options import restrict_joints
from iklearn.solvers.path import PathResult
from iklearn.solvers.result import IKResult
from iklearn.solvers.sdls import SelectivelyDampedLeastSquares
from iklearn.solvers.sets import SolutionSet

METHODS: dict[str, type[IKSolver]] = {
    "lm": LevenbergMarquardt,
    "dls": DampedLeastSquares,
    "sdls": SelectivelyDampedLeastSquares,
    "analytic": URAnalyticIK,  # closed form, UR arms only
}

__all__ = [
    "solve", "solve_set", "solve_path", "make_solver", "METHODS", "IKResult", "SolutionSet", "PathResult",
    "IKSolver", "LevenbergMarquardt", "DampedLeastSquares", "SelectivelyDampedLeastSquares", "URAnalyticIK",
]

Method = Literal["lm", "dls", "sdls", "analytic"]

# solvers built by the one-call functions, keyed by robot and options: building one (chain arrays, option
# checks; a closed form checks the chain's FK) costs more than solving a target
_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 32


def _freeze(v):
    """A hashable stand-in for an option value (raises TypeError for what has none)."""
    if v is None or type(v) in (bool, int, float, str):
        return v
    if isinstance(v, Mapping):
        return ("map", tuple(sorted((str(k), _freeze(x)) for k, x in v.items())))
    if isinstance(v, (list, tuple, np.ndarray)):
        return ("seq", tuple(_freeze(x) for x in np.asarray(v, dtype=object).ravel()), np.shape(v))
    hash(v)
    return v


def _robot_key(robot, base_link, tip_link):
    if isinstance(robot, Chain):
        return robot
    p = Path(str(robot))
    if p.is_file():  # a URDF: rebuild when the file changes
        st = p.stat()
        return ("urdf", str(p.resolve()), st.st_mtime_ns, st.st_size, base_link, tip_link)
    return ("name", str(robot), base_link, tip_link)


def make_solver(
    robot: Chain | str | Path,
    method: Method = "lm",
    *,
    base_link: str | None = None,
    tip_link: str | None = None,
    lock: Mapping[str, float] | None = None,
    limits: Mapping[str, tuple[float, float]] | None = None,
    **kwargs,
) -> IKSolver:
    """Build the solver ``method`` for ``robot`` (a Chain, a built-in name or a URDF path).

    ``lock`` (``{joint: value}``) and ``limits`` (``{joint: (lower, upper)}``) restrict joints by their URDF
    names (:func:`iklearn.solvers.options.restrict_joints`); ``kwargs`` go to the solver's constructor, and
    an unknown one raises :class:`~iklearn.errors.IKLearnError`.
    """
    try:
        cls = METHODS[str(method).lower()]
    except KeyError:
        raise IKLearnError(f"unknown IK method {method!r}; choose one of {', '.join(METHODS)}") from None
    if lock and cls is URAnalyticIK:
        raise IKLearnError("the analytic solver cannot lock joints (a closed form has no free joint); use method 'lm'")
    chain = robot if isinstance(robot, Chain) else load_robot(robot, base_link, tip_link)
    chain = restrict_joints(chain, lock, limits)
    try:
        return cls(chain, **kwargs)
    except TypeError as exc:  # an option the chosen solver does not take
        raise IKLearnError(f"method {method!r}: {exc}") from None


def _cached_solver(robot, method, base_link, tip_link, options: dict) -> IKSolver:
    try:
        key = (_robot_key(robot, base_link, tip_link), str(method).lower(),
               tuple(sorted((k, _freeze(v)) for k, v in options.items())))
    except TypeError:  # an unhashable option value: build without caching
        return make_solver(robot, method, base_link=base_link, tip_link=tip_link, **options)
    s = _CACHE.get(key)
    if s is None:
        s = make_solver(robot, method, base_link=base_link, tip_link=tip_link, **options)
        _CACHE[key] = s
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return s


def solve(
    robot: Chain | str | os.PathLike,
    targets: ArrayLike,
    *,
    q0: ArrayLike | None = None,
    method: Method = "lm",
    position_only: bool = False,
    tol_position: float = 1e-6,
    tol_rotation: float = 1e-5,
    seed: int = 0,
    base_link: str | None = None,
    tip_link: str | None = None,
    accept: Callable[[np.ndarray], bool] | None = None,
    time_budget: float | None = None,
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
        Seed of every random choice (random seeds, restarts); the same call gives the same answer.
    accept : callable ``q (dof,) -> bool``, optional
        An acceptance test (e.g. a collision check): the solver restarts until a solution is accepted, the
        attempts (100 per target) or ``time_budget`` run out; ``IKResult.rejected`` counts the refusals and
        a target with none accepted gets ``success=False``.
    time_budget : float, s, optional
        Wall-clock budget of the whole call (LM, and the ``accept`` loop).
    **kwargs : further options: ``lock={'joint': value}`` and ``limits={'joint': (lo, hi)}`` (by URDF joint
        name), and the solver's own, e.g. for LM ``weights`` (6 per-axis weights, target frame),
        ``tolerances`` (6 per-axis tolerances), ``free_axis`` ('x', 'y' or 'z'), ``max_iterations``
        (see :class:`LevenbergMarquardt`)

    Returns
    -------
    IKResult
        Batch size ``N`` (1 for a single target). An unreachable target is not an error: it gets the best
        ``q`` found with ``success=False``. Redundant arms use their redundancy; under-actuated ones (e.g. a
        5-DOF arm and a 6-D pose) get the least-squares configuration.

    For up to K distinct solutions per target use :func:`solve_set`; to follow a path, :func:`solve_path`.
    """
    if "n_solutions" in kwargs:
        raise IKLearnError("n_solutions: use iklearn.solve_set(robot, targets, n_solutions=K, ...), which "
                           "returns a SolutionSet (solve always returns one IKResult)")
    opts = dict(position_only=position_only, tol_position=tol_position, tol_rotation=tol_rotation, seed=seed,
                **kwargs)
    if time_budget is not None and accept is None:
        opts["time_budget"] = time_budget
    solver = _cached_solver(robot, method, base_link, tip_link, opts)
    if accept is not None:
        from iklearn.solvers.accept import solve_accepted

        return solve_accepted(solver, targets, q0, accept, time_budget=time_budget, seed=seed)
    return solver.solve(targets, q0)


def solve_set(
    robot: Chain | str | os.PathLike,
    targets: ArrayLike,
    *,
    n_solutions: int = 8,
    min_distance: float = 0.5,
    rank: Literal["nearest", "manipulability", "limits"] = "nearest",
    q0: ArrayLike | None = None,
    method: Literal["auto", "lm", "dls", "sdls", "analytic"] = "auto",
    position_only: bool = False,
    tol_position: float = 1e-6,
    tol_rotation: float = 1e-5,
    max_attempts: int | None = None,
    seed: int = 0,
    base_link: str | None = None,
    tip_link: str | None = None,
    **kwargs,
) -> SolutionSet:
    """Up to ``n_solutions`` distinct valid solutions per target, ranked best first.

    Parameters
    ----------
    robot, targets, q0, position_only, tol_position, tol_rotation, seed, base_link, tip_link : as in
        :func:`solve`
    n_solutions : K >= 1, solutions wanted per target
    min_distance : rad (joint distance, > 0); members of a set are at least this far apart, and solutions
        that differ by whole turns of a joint spanning 2 pi count as one
    rank : 'nearest' (joint distance to ``q0``, or to mid-range without one), 'manipulability' (Yoshikawa,
        largest first) or 'limits' (distance to the nearest joint limit, largest first)
    method : 'auto' (the closed form for a UR arm without task or joint options, else 'lm'), or any
        :func:`solve` method; a closed form gives all its solutions directly, the others restart
    max_attempts : restarts per target for the numerical solvers (default ``10 * n_solutions``)
    **kwargs : the task and joint options of :func:`solve` (``lock``, ``limits``, ``weights``, ...)

    Returns
    -------
    SolutionSet
        ``q`` (N, K, dof) with NaN beyond each target's ``count``.
    """
    from iklearn.solvers.sets import solve_set as _solve_set

    opts = dict(tol_position=tol_position, tol_rotation=tol_rotation, seed=seed)
    solver = None
    if method == "auto":
        method = "lm"
        name = robot.name if isinstance(robot, Chain) else str(robot)
        if not kwargs and not position_only and name in _ur_names():
            try:
                solver = _cached_solver(robot, "analytic", base_link, tip_link, opts)
            except IKLearnError:  # a UR name on another model (e.g. a tool offset): numerical restarts
                pass
    if solver is None:
        solver = _cached_solver(robot, method, base_link, tip_link, dict(position_only=position_only, **opts,
                                                                         **kwargs))
    return _solve_set(solver, targets, q0, n_solutions=n_solutions, min_distance=min_distance, rank=rank,
                      max_attempts=max_attempts, seed=seed)


def _ur_names() -> tuple[str, ...]:
    from iklearn.solvers.analytic import UR_PARAMETERS

    return tuple(UR_PARAMETERS)


def solve_path(
    robot: Chain | str | os.PathLike,
    poses: ArrayLike,
    *,
    q0: ArrayLike | None = None,
    method: Method = "lm",
    max_joint_rate: float | None = None,
    min_jump: float | None = None,
    seed: int = 0,
    base_link: str | None = None,
    tip_link: str | None = None,
    **kwargs,
) -> PathResult:
    """Inverse kinematics along a path: each row seeded by the previous solution, jumps flagged.

    Parameters
    ----------
    robot, seed, base_link, tip_link : as in :func:`solve`
    poses : (N, 7) / (N, 4, 4) target poses in path order
    q0 : (dof,) configuration the path starts from (e.g. ``robot.pose('ready')``); None solves the first
        pose from a random seed
    method : as in :func:`solve`; LM restarts near the seed (``nearest=True``) so it keeps to the branch
    max_joint_rate : rad per m of Cartesian step (default 50): a larger joint step is a discontinuity
    min_jump : rad (default 1e-3): joint steps at or below it are never flagged
    **kwargs : the task and joint options of :func:`solve`, and ``rotation_scale`` (m per rad, default 0.1:
        how much a rotation of the target counts in the Cartesian step) and ``max_substeps`` (default 32:
        how finely a jumping row is re-tracked before the jump is declared unavoidable)

    Returns
    -------
    PathResult
        Per row: the solution, its joint step, the Cartesian step, whether it is a discontinuity and why
        (``'limit'``, ``'singularity'``, ``'branch'``, or ``'unreachable'`` when it has no solution).
    """
    from iklearn.solvers import path as P

    track = {k: kwargs.pop(k) for k in ("rotation_scale", "max_substeps") if k in kwargs}
    opts = dict(seed=seed, **kwargs)
    if method == "lm":
        opts.setdefault("nearest", True)
    solver = _cached_solver(robot, method, base_link, tip_link, opts)
    return P.solve_path(solver, poses, q0,
                        max_joint_rate=P.MAX_JOINT_RATE if max_joint_rate is None else max_joint_rate,
                        min_jump=P.MIN_JUMP if min_jump is None else min_jump, **track)


def __getattr__(name: str):
    # peers import optional packages: load them on first use, not with iklearn.solvers
    if name in ("peers", "nullspace"):
        return importlib.import_module(f"iklearn.solvers.{name}")
    raise AttributeError(f"module 'iklearn.solvers' has no attribute {name!r}")

