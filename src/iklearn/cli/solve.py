"""``iklearn solve``: IK for a CSV of poses, as single targets, as a path (``--path``) or as solution sets
(``--solutions K``), with the per-call options of :func:`iklearn.solve` spelled as flags.

Only parsing, checks in flag terms and printing live here; the work is :mod:`iklearn.solvers`'.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, List, Optional

import typer

from iklearn.cli._options import POSITIVE, checked, seed_option
from iklearn.cli.core import ROBOT_HELP, parse_numbers
from iklearn.errors import IKLearnError

if TYPE_CHECKING:  # NumPy loads when a command runs, not for --help
    import numpy as np


#: batches of at most this many targets solve without a progress display
QUIET_BELOW = 100


def _start(text: str, chain) -> np.ndarray:
    """``--q0``: comma-separated joint values or a named pose of the robot."""
    import numpy as np

    if text.strip() in chain.named_poses:
        return chain.pose(text.strip())
    if not any(ch.isdigit() for ch in text):
        raise IKLearnError(f"--q0: robot '{chain.name}' has no named pose {text!r}; known: "
                           f"{', '.join(sorted(chain.named_poses)) or 'none'} (or give {chain.dof} numbers)")
    q = parse_numbers(text, "--q0", chain.dof, f"one per joint of {chain.name}")
    if not np.isfinite(q).all():
        raise IKLearnError("--q0 contains NaN or inf")
    if not chain.within_limits(q, 1e-9)[0]:
        raise IKLearnError(f"--q0 lies outside the joint limits of {chain.name}")
    return q


def _pairs(items: List[str], flag: str, form: str) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise IKLearnError(f"{flag} expects {form}, got {item!r}")
        out[name.strip()] = value.strip()
    return out


def _limits(items: List[str]) -> dict[str, tuple[str, str]]:
    out = {}
    for name, value in _pairs(items, "--limits", "NAME=LO:HI").items():
        lo, sep, hi = value.partition(":")
        if not sep:
            raise IKLearnError(f"--limits expects NAME=LO:HI, got {name}={value!r}")
        out[name] = (lo, hi)
    return out


def solve_cmd(
    robot: Optional[str] = typer.Option(None, "--robot", help=ROBOT_HELP + " (with --model: default the model's "
                                        "robot; another robot's model is refused)"),
    targets: Path = typer.Option(..., "--targets", help="CSV with columns x,y,z,qx,qy,qz,qw"),
    out: Path = typer.Option(..., "--out", help="solutions CSV: q0..q{n-1},success,position_error,..."),
    base: Optional[str] = typer.Option(None, "--base", help="base link (URDF)"),
    tip: Optional[str] = typer.Option(None, "--tip", help="tip link (URDF)"),
    method: Optional[str] = typer.Option(None, "--method", help="lm, dls, sdls or analytic (closed form, UR "
                                         "arms); default lm, with --solutions the closed form where there is one"),
    seed: int = seed_option(),
    position_only: bool = typer.Option(False, "--position-only", help="ignore the target orientation"),
    tol_position: float = typer.Option(1e-6, "--tol-position", help="m, > 0", callback=POSITIVE),
    tol_rotation: float = typer.Option(1e-5, "--tol-rotation", help="rad, > 0", callback=POSITIVE),
    q0: Optional[str] = typer.Option(None, "--q0", help='seed of every row, or the start of a --path: "v1,v2,..." '
                                     "or a named pose (e.g. ready)"),
    seeds: Optional[Path] = typer.Option(None, "--seeds", help="CSV with columns q0..q{n-1}: one seed per target row"),
    path: bool = typer.Option(False, "--path", help="follow the rows as a path: each seeded by the previous "
                              "solution; the CSV gains joint_step, cartesian_step, discontinuity, reason"),
    max_joint_rate: Optional[float] = typer.Option(None, "--max-joint-rate", help="with --path: rad per m of "
                                                   "Cartesian step above which a step is a discontinuity (default 50)"),
    solutions: Optional[int] = typer.Option(None, "--solutions", help="up to K distinct solutions per target; "
                                            "the CSV gets target and solution index columns"),
    min_distance: Optional[float] = typer.Option(None, "--min-distance", help="with --solutions: joint distance "
                                                 "(rad) between two solutions (default 0.5)"),
    rank: Optional[str] = typer.Option(None, "--rank", help="with --solutions: nearest (to --q0), manipulability "
                                       "or limits (default nearest)"),
    weights: Optional[str] = typer.Option(None, "--weights", help='6 per-axis weights "x,y,z,rx,ry,rz" in the '
                                          "target frame; 0 frees an axis"),
    tolerances: Optional[str] = typer.Option(None, "--tolerances", help='6 per-axis tolerances "x,y,z,rx,ry,rz" '
                                             "(m, rad; inf for none) instead of --tol-position/--tol-rotation"),
    free_axis: Optional[str] = typer.Option(None, "--free-axis", help="x, y or z: any rotation about this tool "
                                            "axis is accepted (drills, suction cups)"),
    lock: List[str] = typer.Option([], "--lock", help="NAME=VALUE: lock a joint (URDF name; repeatable)"),
    limits: List[str] = typer.Option([], "--limits", help="NAME=LO:HI: narrow a joint's range (repeatable)"),
    chunk_size: int = typer.Option(10_000, "--chunk-size", help="targets per solver call (per task with "
                                   "--engine ray); chunk k is solved with seed --seed + k"),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (chunks as Ray tasks; "
                               "the same answers)"),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster to join: auto or HOST:PORT "
                                          "(default: start a local Ray instance)"),
    model: Optional[Path] = typer.Option(None, "--model", help="a model from `iklearn train`: its prediction "
                                         "seeds the numerical solver (lwpr: tracks the rows from --q0)"),
    refine: Optional[bool] = typer.Option(None, "--refine/--no-refine", help="with --model: refine the "
                                          "prediction with LM (default: on, off for crisp models)"),
    gate: bool = typer.Option(False, "--gate", help="with an ml-ik --model: skip targets its classifier judges "
                              "unreachable (columns gated, p_reachable)"),
    gate_threshold: float = typer.Option(0.5, "--gate-threshold", help="with --gate: P(unreachable) at which a "
                                         "target is skipped, in (0, 1]", callback=checked(low=0.0, high=1.0, low_open=True)),
) -> None:
    """Inverse kinematics for every pose of a CSV; unreachable targets get success=0, not an error."""
    import numpy as np

    from iklearn import solvers as S
    from iklearn._io import check_writable
    from iklearn.cli._output import progress
    from iklearn.data import csvio
    from iklearn.robot import load_robot
    from iklearn.solvers.base import batch_progress
    from iklearn.solvers.options import as_free_axis, as_tolerances, as_weights, restrict_joints

    from iklearn._engine import check_engine

    if model is not None:
        used = [flag for flag, v in (("--path", path), ("--solutions", solutions is not None),
                                     ("--method", method is not None), ("--seeds", seeds is not None),
                                     ("--lock", bool(lock)), ("--limits", bool(limits)),
                                     ("--weights", weights is not None), ("--tolerances", tolerances is not None),
                                     ("--free-axis", free_axis is not None), ("--position-only", position_only),
                                     ("--engine", engine != "local")) if v]
        if used:
            raise IKLearnError(f"--model cannot be combined with {', '.join(used)}")
        return _solve_with_model(model, robot, base, tip, targets, out, q0, refine, gate, gate_threshold, seed,
                                 tol_position, tol_rotation)
    if robot is None:
        raise IKLearnError("give --robot (or --model, whose robot is used)")
    if refine is not None or gate:
        raise IKLearnError("--refine/--no-refine and --gate need --model")
    if path and solutions is not None:
        raise IKLearnError("give either --path or --solutions, not both")
    check_engine(engine, address)
    if engine != "local" and (path or solutions is not None):
        raise IKLearnError("--engine ray solves independent targets in chunks; --path and --solutions run locally")
    if chunk_size < 1:
        raise IKLearnError(f"--chunk-size must be a positive integer, got {chunk_size}")
    if seeds is not None and (q0 is not None or path):
        raise IKLearnError("--seeds gives one seed per row; it cannot be combined with --q0 or --path "
                           "(a path seeds each row from the previous one: give its start with --q0)")
    if max_joint_rate is not None and not path:
        raise IKLearnError("--max-joint-rate needs --path")
    if (min_distance is not None or rank is not None) and solutions is None:
        raise IKLearnError("--min-distance and --rank need --solutions")
    if solutions is not None and solutions < 1:
        raise IKLearnError(f"--solutions must be >= 1, got {solutions}")
    if min_distance is not None and not (np.isfinite(min_distance) and min_distance > 0):
        raise IKLearnError(f"--min-distance must be a positive number of radians, got {min_distance}")
    if rank is not None and rank not in ("nearest", "manipulability", "limits"):
        raise IKLearnError(f"--rank must be nearest, manipulability or limits, got {rank!r}")
    if max_joint_rate is not None and not (np.isfinite(max_joint_rate) and max_joint_rate > 0):
        raise IKLearnError(f"--max-joint-rate must be a positive number (rad per m), got {max_joint_rate}")
    task = {}
    if weights is not None:
        task["weights"] = as_weights(parse_numbers(weights, "--weights", 6, "x,y,z,rx,ry,rz"), "--weights")
    if tolerances is not None:
        task["tolerances"] = as_tolerances(parse_numbers(tolerances, "--tolerances", 6, "x,y,z,rx,ry,rz"), "--tolerances")
    if free_axis is not None:
        task["free_axis"] = "xyz"[as_free_axis(free_axis, "--free-axis")]
    if task and method not in (None, "lm"):
        raise IKLearnError("--weights, --tolerances and --free-axis need --method lm")
    if lock and method == "analytic":
        raise IKLearnError("--lock needs a numerical method (lm): the closed form has no free joint")
    if position_only and "weights" in task:
        raise IKLearnError("give either --weights or --position-only (--weights 1,1,1,0,0,0 is position-only)")
    check_writable(out)
    chain = restrict_joints(load_robot(robot, base, tip), _pairs(lock, "--lock", "NAME=VALUE"), _limits(limits),
                            lock_name="--lock", limits_name="--limits")
    T = csvio.read_poses_csv(targets)
    start = None if q0 is None else _start(q0, chain)
    if seeds is not None:
        start = csvio.read_configurations_csv(seeds, chain.dof)
        if start.shape[0] != T.shape[0]:
            raise IKLearnError(f"--seeds has {start.shape[0]} rows but --targets has {T.shape[0]}; give one seed "
                               "per target")
    opts = dict(method=method or "lm", seed=seed, position_only=position_only, tol_position=tol_position,
                tol_rotation=tol_rotation, **task)
    if path:
        r = S.solve_path(chain, T, q0=start, max_joint_rate=max_joint_rate, **opts)
        csvio.write_path_csv(out, r)
        jumps = r.discontinuities
        where = ", ".join(f"{i} ({r.reason[i]})" for i in jumps[:10]) + (" ..." if jumps.size > 10 else "")
        typer.echo(f"path of {len(r)} rows: solved {int(r.success.sum())}; largest joint step "
                   f"{r.joint_step.max(initial=0.0):.4g}; {jumps.size} discontinuities"
                   + (f" at rows {where}" if jumps.size else "") + f"; wrote {out}")
        return
    if solutions is not None:
        opts["method"] = method or "auto"
        sset = S.solve_set(chain, T, q0=start, n_solutions=solutions, min_distance=min_distance or 0.5,
                           rank=rank or "nearest", **opts)
        csvio.write_solution_set_csv(out, sset)
        c = sset.count
        typer.echo(f"{int((c == solutions).sum())}/{len(sset)} targets with {solutions} solutions, "
                   f"{int((c == 0).sum())} with none; {int(c.sum())} solutions written to {out}")
        return
    from iklearn.solvers.chunked import solve_chunked

    n = T.shape[0]
    # a few targets take well under a second even when none converges: no bar (importing rich costs ~0.1 s)
    with progress(quiet=n <= QUIET_BELOW) as bar:
        job = bar.add_task(f"solving {n:,} targets with {opts['method']}", total=n)
        done_before = [0]  # targets of the chunks already finished

        def chunk_done(done: int, n_chunks: int) -> None:
            done_before[0] = min(n, done * chunk_size)
            bar.update(job, completed=done_before[0])

        # within a chunk solved here, the compiled batch reports its slices too
        with batch_progress(lambda done, total: bar.update(job, completed=done_before[0] + done)):
            res = solve_chunked(chain, T, q0=start, chunk_size=chunk_size, engine=engine, address=address,
                                callback=chunk_done, **opts)
        bar.update(job, completed=n)
    csvio.write_solutions_csv(out, res)
    typer.echo(f"solved {int(res.success.sum())}/{len(res)} targets with {opts['method']}; wrote {out}")


def _solve_with_model(model_path, robot, base, tip, targets, out, q0, refine, gate, gate_threshold, seed,
                      tol_position, tol_rotation) -> None:
    """``iklearn solve --model``: the model's prediction seeds LM; per-row CSV with what the model did."""
    import numpy as np

    from iklearn._io import check_writable
    from iklearn.data import csvio
    from iklearn.estimators.learned_solve import write_model_solutions_csv
    from iklearn.estimators.training import load_model

    check_writable(out)
    m = load_model(model_path, robot=robot, base_link=base, tip_link=tip)
    if gate and not m.has_gate:
        raise IKLearnError(f"--gate needs a reachability classifier; {model_path} is a {m.method} model without "
                           "one (train ml-ik for one)")
    if q0 is not None and m.method != "lwpr":
        raise IKLearnError(f"--q0 is the start of an lwpr model's tracking; a {m.method} model seeds itself")
    T = csvio.read_poses_csv(targets)
    start = None if q0 is None else _start(q0, m.robot)
    r = m.solve(T, start, refine=refine, gate=gate, gate_threshold=gate_threshold, seed=seed,
                tol_position=tol_position, tol_rotation=tol_rotation)
    write_model_solutions_csv(out, r, with_gate=gate)
    did = "refined" if (refine if refine is not None else m.method != "crisp") else "not refined"
    n = len(r)
    typer.echo(f"{m.method} model ({did}): solved {int(r.success.sum())}/{n} targets"
               + (f", {int(r.gated.sum())} gated as unreachable" if gate else "")
               + (f"; model answer median {1e3 * float(np.median(r.warm_position_error)):.4g} mm, "
                  f"{1e3 * float(np.median(r.warm_rotation_error)):.4g} mrad" if n else "")
               + f"; wrote {out}")


def register(app: typer.Typer, groups: dict[str, typer.Typer]) -> None:
    """Add ``iklearn solve`` to the top-level app."""
    app.command("solve")(solve_cmd)
