"""An interactive 3D viewer in the browser (viser): the arm, a draggable IK target, joint sliders, errors.

``iklearn.view(robot)`` serves the page and returns a :class:`~iklearn.viewer.app.Viewer` handle that scripts
update: ``set_target``, ``set_q``, ``state`` / ``q`` (what is shown), ``solutions.show()`` (the target's
solution set as ghost arms), ``path.load(csv)`` / ``path.play()`` / ``path.show_row(i)``, ``stop()``. viser and
yourdfpy come with the ``view`` extra (``pip install 'iklearn[view]'``) and are imported only here.
This package sits above the estimators: it uses robots, solvers and, optionally, learned models.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from iklearn.robot.catalogue import load_robot
from iklearn.robot.chain import Chain
from iklearn.viewer.arms import mesh_urdf_for
from iklearn.viewer.models import attach_model

if TYPE_CHECKING:  # viser is imported only when a viewer starts
    from iklearn.viewer.app import Viewer


def view(
    robot: Chain | str | os.PathLike,
    *,
    base_link: str | None = None,
    tip_link: str | None = None,
    urdf: str | os.PathLike | None = None,
    meshes: bool = True,
    method: str = "lm",
    model: str | os.PathLike | None = None,
    path: str | os.PathLike | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    seed: int = 0,
    verbose: bool = False,
    **solver_options,
) -> Viewer:
    """Serve an interactive viewer of ``robot`` and return its :class:`~iklearn.viewer.app.Viewer` handle.

    Parameters
    ----------
    robot : Chain, built-in name (e.g. ``'panda'``) or URDF path (with ``base_link`` / ``tip_link``)
    urdf : URDF file with visual meshes that describes ``robot`` (default: ``robot`` itself when it is a URDF
        path; example-robot-data's file for the built-in Panda and UR5 when that package is installed).
        Its meshes are used only when its base-to-tip kinematics equal the chain's; otherwise, and with
        ``meshes=False``, links are drawn as capsules between the joint frames.
    method : IK method solved live while the target is dragged ('lm', 'dls', 'sdls', 'analytic')
    model : a saved learned model (``.npz``) to show beside the solver (see :mod:`iklearn.viewer.models`)
    path : a targets CSV (``x,y,z,qx,qy,qz,qw``) solved as a path and shown in the "Path" panel
    host, port : where to serve; port 0 picks a free port (read it from ``viewer.url``)
    seed : seed of the solver's random restarts
    **solver_options : further options of the solver (e.g. ``max_iterations``)

    The server runs in background threads; the handle's :meth:`stop` (or a ``with`` block) ends it.
    """
    from iklearn.viewer.app import Viewer

    chain = load_robot(robot, base_link, tip_link)
    if urdf is None and not isinstance(robot, Chain) and Path(str(robot)).is_file():
        urdf = robot
    mesh = mesh_urdf_for(chain, urdf) if meshes else None
    viewer = Viewer(chain, mesh=mesh, method=method, host=host, port=port, seed=seed,
                    solver_options=solver_options, verbose=verbose)
    try:
        if model is not None:
            viewer.overlay = attach_model(viewer, model)
        if path is not None:
            viewer.path.load(path)
    except BaseException:
        viewer.stop()
        raise
    return viewer


__all__ = ["view"]
