"""Write any :class:`Chain` as URDF text, so built-in (DH) robots can be handed to URDF-only tools.

Each joint ``i`` becomes a URDF joint whose ``<origin>`` is the fixed transform ``F[i]`` and whose
``<axis>`` is ``axes[i]``; the tip transform becomes a fixed joint to the tip link. The exported chain has
the same forward kinematics as ``chain`` (to round-off of the 17-digit numbers written), which the tests
check by reading the text back with :func:`iklearn.robot.from_urdf` and with Pinocchio.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import numpy as np

from iklearn.robot.chain import PRISMATIC, Chain

#: Travel written for prismatic joints whose limits are infinite (URDF has no continuous prismatic joint).
PRISMATIC_INF_TRAVEL = 1e3


def _rpy(R: np.ndarray) -> tuple[float, float, float]:
    """URDF roll-pitch-yaw of R: ``R = Rz(yaw) @ Ry(pitch) @ Rx(roll)``."""
    sy = -R[2, 0]
    pitch = float(np.arctan2(sy, np.hypot(R[0, 0], R[1, 0])))
    if np.hypot(R[0, 0], R[1, 0]) > 1e-12:
        roll = float(np.arctan2(R[2, 1], R[2, 2]))
        yaw = float(np.arctan2(R[1, 0], R[0, 0]))
    else:  # gimbal lock (pitch = +-pi/2): yaw = 0, and row 1 of R is [0, cos(roll), -sin(roll)] either way
        yaw = 0.0
        roll = float(np.arctan2(-R[1, 2], R[1, 1]))
    return roll, pitch, yaw


def _num(x: float) -> str:
    return repr(float(x)) if x != 0 else "0"


def _origin(T: np.ndarray) -> str:
    r, p, y = _rpy(T[:3, :3])
    xyz = " ".join(_num(v) for v in T[:3, 3])
    return f'<origin xyz="{xyz}" rpy="{_num(r)} {_num(p)} {_num(y)}"/>'


def to_urdf(chain: Chain, *, effort: float = 100.0, velocity: float = 2.0) -> str:
    """URDF text of ``chain`` (base link -> joints -> tip link), with joint limits.

    Revolute joints with infinite limits become ``continuous``; prismatic joints with infinite limits get
    +-:data:`PRISMATIC_INF_TRAVEL` m. ``effort`` (N or N m) and ``velocity`` (rad/s or m/s) are written
    into every ``<limit>`` because URDF requires them; nothing here uses them.

    Returns
    -------
    str
        A complete ``<robot>`` document whose links are ``chain.base_link``, ``<name>_link1`` ...,
        ``chain.tip_link``; joints keep ``chain.joint_names``.
    """
    n = chain.dof
    prefix = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in chain.name) or "robot"
    taken = {chain.base_link, chain.tip_link, *chain.joint_names}
    links = [chain.base_link]
    for i in range(n):
        name = f"{prefix}_link{i + 1}"
        while name in taken:
            name += "_"
        taken.add(name)
        links.append(name)
    links.append(chain.tip_link)
    tip_joint = f"{prefix}_tip_joint"
    while tip_joint in taken:
        tip_joint += "_"

    out = [f"<?xml version=\"1.0\"?>\n<robot name={quoteattr(chain.name)}>"]
    # a unit inertial at each link origin: PyBullet warns without one and puts the link's "centre of mass"
    # frame, which its IK targets, at the inertial origin; not on the root link, which KDL refuses to weigh
    inertial = ('<inertial><origin xyz="0 0 0" rpy="0 0 0"/><mass value="1"/>'
                '<inertia ixx="1e-3" ixy="0" ixz="0" iyy="1e-3" iyz="0" izz="1e-3"/></inertial>')
    out.append(f"  <link name={quoteattr(links[0])}/>")
    for ln in links[1:]:
        out.append(f"  <link name={quoteattr(ln)}>{inertial}</link>")
    for i in range(n):
        lo, hi = float(chain.lower[i]), float(chain.upper[i])
        prismatic = chain.joint_types[i] == PRISMATIC
        if prismatic:
            jt = "prismatic"
            lo = lo if np.isfinite(lo) else -PRISMATIC_INF_TRAVEL
            hi = hi if np.isfinite(hi) else PRISMATIC_INF_TRAVEL
        else:
            jt = "revolute" if np.isfinite(lo) and np.isfinite(hi) else "continuous"
        ax = " ".join(_num(v) for v in chain.axes[i])
        lim = (f'<limit lower="{_num(lo)}" upper="{_num(hi)}" effort="{effort}" velocity="{velocity}"/>'
               if jt != "continuous" else f'<limit effort="{effort}" velocity="{velocity}"/>')
        out.append(
            f"  <joint name={quoteattr(chain.joint_names[i])} type=\"{jt}\">\n"
            f"    <parent link={quoteattr(links[i])}/>\n    <child link={quoteattr(links[i + 1])}/>\n"
            f"    {_origin(chain.fixed[i])}\n    <axis xyz=\"{ax}\"/>\n    {lim}\n  </joint>"
        )
    out.append(
        f"  <joint name={quoteattr(tip_joint)} type=\"fixed\">\n"
        f"    <parent link={quoteattr(links[n])}/>\n    <child link={quoteattr(links[n + 1])}/>\n"
        f"    {_origin(chain.tip)}\n  </joint>"
    )
    out.append("</robot>\n")
    return "\n".join(out)
