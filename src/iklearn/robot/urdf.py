"""Chains from URDF files: any base and tip link, fixed joints merged, off-path joints ignored."""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from iklearn.errors import LinkNotFoundError, URDFError
from iklearn.robot.chain import PRISMATIC, REVOLUTE, Chain


def _floats(text: str | None, n: int, default: float, what: str) -> np.ndarray:
    if text is None:
        return np.full(n, default)
    try:
        v = np.array([float(x) for x in text.split()])
    except ValueError:
        raise URDFError(f"{what}: cannot read numbers from {text!r}") from None
    if v.shape != (n,) or not np.isfinite(v).all():
        raise URDFError(f"{what}: expected {n} finite numbers, got {text!r}")
    return v


def _origin(el: ET.Element, what: str) -> np.ndarray:
    T = np.eye(4)
    o = el.find("origin")
    if o is not None:
        T[:3, 3] = _floats(o.get("xyz"), 3, 0.0, f"{what} origin xyz")
        rpy = _floats(o.get("rpy"), 3, 0.0, f"{what} origin rpy")
        # URDF rpy: fixed-axis roll about x, then pitch about y, then yaw about z: R = Rz Ry Rx (written out, as
        # importing scipy.spatial costs more than loading a robot)
        (cr, cp, cy), (sr, sp, sy) = np.cos(rpy), np.sin(rpy)
        T[:3, :3] = [[cy * cp, cy * sp * sr - sy * cr, cy * sp * cr + sy * sr],
                     [sy * cp, sy * sp * sr + cy * cr, sy * sp * cr - cy * sr],
                     [-sp, cp * sr, cp * cr]]
    return T


#: names of joints that move a gripper or hand rather than the arm
_END_EFFECTOR = re.compile(r"grip|finger|jaw|claw|hand", re.IGNORECASE)


def _refuse_end_effector_joint(path_joints: list, tip_link: str, where: str) -> None:
    """With the tip left to its default (the single leaf), refuse a chain whose movable joints include a
    gripper's: taken silently it would add the gripper as one more arm joint (Unitree Z1: 'jointGripper')."""
    for j in path_joints:
        name = j.get("name") or ""
        child = j.find("child").get("link") or ""
        if j.get("type") != "fixed" and (_END_EFFECTOR.search(name) or _END_EFFECTOR.search(child)):
            parent = j.find("parent").get("link")
            raise LinkNotFoundError(
                f"{where}: the only leaf link {tip_link!r} lies past joint {name!r}, which looks like a gripper's; "
                f"choose the arm's tip link (e.g. {parent!r}) or confirm {tip_link!r} with --tip on the command "
                "line (tip_link= in Python)"
            )


def from_urdf(
    source: str | os.PathLike,
    base_link: str | None = None,
    tip_link: str | None = None,
    *,
    name: str | None = None,
) -> Chain:
    """Build a :class:`Chain` from a URDF file (path) or URDF text.

    Parameters
    ----------
    source : path to a ``.urdf`` file, or the XML text itself
    base_link : link the chain starts at (default: the root link)
    tip_link : link the chain ends at (default: the single leaf link if there is exactly one, unless the way
        there passes a movable joint named like a gripper's, e.g. 'jointGripper': then it must be named)

    Fixed joints on the path are merged into the neighbouring transforms; ``continuous`` joints get
    infinite limits; joints off the base-tip path are ignored; meshes are never read. ``floating`` and
    ``planar`` joints on the path are refused.
    """
    text = str(source)
    path = None
    if not text.lstrip().startswith("<"):
        path = Path(text)
        if not path.is_file():
            raise URDFError(f"URDF file not found: {path}")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise URDFError(f"cannot read URDF file {path}: {exc}") from None
    where = str(path) if path else "URDF text"
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise URDFError(f"{where} is not valid XML: {exc}") from None
    if root.tag != "robot":
        raise URDFError(f"{where}: root element is <{root.tag}>, expected <robot>")

    links = {l.get("name") for l in root.findall("link")}
    joints = {}
    parent_of: dict[str, str] = {}  # child link -> joint name
    for j in root.findall("joint"):
        jn = j.get("name")
        par = j.find("parent")
        chi = j.find("child")
        if jn is None or par is None or chi is None or par.get("link") is None or chi.get("link") is None:
            raise URDFError(f"{where}: joint {jn!r} lacks a name, parent or child link")
        joints[jn] = j
        c = chi.get("link")
        if c in parent_of:
            raise URDFError(f"{where}: link {c!r} has two parent joints (not a tree)")
        parent_of[c] = jn
        links.add(par.get("link"))
        links.add(c)
    if not links:
        raise URDFError(f"{where}: no links")

    roots = [l for l in links if l not in parent_of]
    if base_link is None:
        if len(roots) != 1:
            raise URDFError(f"{where}: expected one root link, found {sorted(roots)}")
        base_link = roots[0]
    default_tip = tip_link is None
    if tip_link is None:
        parents = {joints[j].find("parent").get("link") for j in joints}
        leaves = sorted(l for l in links if l not in parents)
        if len(leaves) != 1:
            raise LinkNotFoundError(f"{where}: several leaf links {leaves}; choose the tip link (--tip on the "
                                    "command line, tip_link= in Python)")
        tip_link = leaves[0]
    for role, ln in (("base", base_link), ("tip", tip_link)):
        if ln not in links:
            raise LinkNotFoundError(f"{role} link {ln!r} not found in {where}; links: {sorted(links)}")

    # walk up from the tip to the base
    path_joints = []
    cur = tip_link
    while cur != base_link:
        if cur not in parent_of:
            raise LinkNotFoundError(f"tip link {tip_link!r} is not below base link {base_link!r} in {where}")
        jn = parent_of[cur]
        path_joints.append(joints[jn])
        cur = joints[jn].find("parent").get("link")
    path_joints.reverse()
    if default_tip:
        _refuse_end_effector_joint(path_joints, tip_link, where)

    fixed, axes, types, names, lower, upper = [], [], [], [], [], []
    pending = np.eye(4)
    for j in path_joints:
        jn = j.get("name")
        jt = j.get("type")
        T = _origin(j, f"joint {jn!r}")
        if jt == "fixed":
            pending = pending @ T
            continue
        if jt not in ("revolute", "continuous", "prismatic"):
            raise URDFError(f"{where}: joint {jn!r} of type {jt!r} on the chain is not supported")
        ax_el = j.find("axis")
        axis = _floats(ax_el.get("xyz") if ax_el is not None else None, 3, 0.0, f"joint {jn!r} axis")
        if ax_el is None:
            axis = np.array([1.0, 0.0, 0.0])  # URDF default axis
        if np.linalg.norm(axis) < 1e-12:
            raise URDFError(f"{where}: joint {jn!r} has a zero axis")
        lim = j.find("limit")
        if jt == "continuous":
            lo, hi = -np.inf, np.inf
        else:
            if lim is None or lim.get("lower") is None or lim.get("upper") is None:
                if jt == "prismatic" or lim is None:
                    raise URDFError(f"{where}: joint {jn!r} ({jt}) needs <limit lower= upper=>")
            lo = float(_floats(lim.get("lower"), 1, 0.0, f"joint {jn!r} lower")[0])
            hi = float(_floats(lim.get("upper"), 1, 0.0, f"joint {jn!r} upper")[0])
        fixed.append(pending @ T)
        pending = np.eye(4)
        axes.append(axis)
        types.append(PRISMATIC if jt == "prismatic" else REVOLUTE)
        names.append(jn)
        lower.append(lo)
        upper.append(hi)
    if not names:
        raise URDFError(f"{where}: no movable joint between {base_link!r} and {tip_link!r}")
    return Chain(
        name=name or root.get("name") or "urdf_robot",
        joint_names=tuple(names),
        joint_types=np.array(types),
        fixed=np.array(fixed),
        axes=np.array(axes),
        tip=pending,
        lower=np.array(lower),
        upper=np.array(upper),
        base_link=base_link,
        tip_link=tip_link,
    )
