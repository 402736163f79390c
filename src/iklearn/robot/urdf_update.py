"""Write a corrected chain's geometry back into the URDF it was read from, keeping everything else.

Calibration changes the fixed transforms ``F[i]`` and the tip transform of a :class:`Chain` read from a URDF.
:func:`update_urdf` puts those changes into the file the user gave: each movable joint ``i`` on the base-tip
path gets the origin ``O_i @ F[i]^-1 F'[i]`` (fixed joints before it stay as they are, so ``P_i O_i'`` =
``F'[i]``), and the last fixed joint before the tip link gets ``G @ tip^-1 tip'``. Links, meshes, inertias,
limits, off-path joints, comments and every other element are kept, so the corrected file loads in every
tool that loaded the original (Pinocchio, TRAC-IK / KDL, PyBullet), with the same link and joint names.
Child frames of a corrected joint move with it, as their real counterparts do.

When no fixed joint follows the last movable joint (the tip link is that joint's child) a tool correction
needs a frame of its own: a fixed joint ``<tip>_calibration_joint`` to a new link ``<tip>_calibrated`` is
added, and that link is the corrected chain's tip.
"""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from iklearn.errors import URDFError
from iklearn.robot.chain import Chain
from iklearn.robot.urdf import from_urdf
from iklearn.robot.urdf_export import _num, _rpy

_TOL = 1e-13


def _text(source: str | os.PathLike) -> str:
    s = str(source)
    if s.lstrip().startswith("<"):
        return s
    p = Path(s)
    try:
        return p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise URDFError(f"cannot read URDF file {p}: {exc}") from None


def _origin_matrix(joint: ET.Element) -> np.ndarray:
    from iklearn.robot.urdf import _origin

    return _origin(joint, f"joint {joint.get('name')!r}")


def _set_origin(joint: ET.Element, T: np.ndarray) -> None:
    o = joint.find("origin")
    if o is None:
        o = ET.Element("origin")
        joint.insert(0, o)
    r, p, y = _rpy(T[:3, :3])
    o.set("xyz", " ".join(_num(v) for v in T[:3, 3]))
    o.set("rpy", f"{_num(r)} {_num(p)} {_num(y)}")


def update_urdf(source: str | os.PathLike, chain: Chain) -> tuple[str, str]:
    """URDF text of ``source`` (a path or the text) with ``chain``'s fixed and tip transforms written in.

    Parameters
    ----------
    source : the URDF ``chain`` corresponds to (read between ``chain.base_link`` and ``chain.tip_link``)
    chain : the corrected chain: same joints (names, types, axes) as the URDF's chain, other ``fixed`` / ``tip``

    Returns
    -------
    (text, tip_link)
        The corrected URDF and the tip link to load it with (``chain.tip_link``, or the added
        ``<tip>_calibrated`` link when the URDF had no fixed joint before the tip to carry a tool correction).
    """
    text = _text(source)
    nominal = from_urdf(text, chain.base_link, chain.tip_link)
    if nominal.joint_names != chain.joint_names or not np.array_equal(nominal.joint_types, chain.joint_types) \
            or not np.allclose(nominal.axes, chain.axes, atol=1e-12):
        raise URDFError(f"the corrected chain's joints {list(chain.joint_names)} do not match the URDF's "
                        f"{list(nominal.joint_names)} between {chain.base_link!r} and {chain.tip_link!r}")
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(text, parser=parser)
    joints = {j.get("name"): j for j in root.findall("joint")}
    parent_of = {j.find("child").get("link"): j for j in joints.values()}
    path = []
    cur = chain.tip_link
    while cur != chain.base_link:
        j = parent_of[cur]
        path.append(j)
        cur = j.find("parent").get("link")
    path.reverse()
    movable = [j for j in path if j.get("type") != "fixed"]
    for i, j in enumerate(movable):
        D = np.linalg.solve(nominal.fixed[i], chain.fixed[i])
        _set_origin(j, _origin_matrix(j) @ D)
    D = np.linalg.solve(nominal.tip, chain.tip)
    tip_link = chain.tip_link
    if np.abs(D - np.eye(4)).max() > _TOL:
        after = path[path.index(movable[-1]) + 1:]
        if after:
            _set_origin(after[-1], _origin_matrix(after[-1]) @ D)
        else:
            names = {ln.get("name") for ln in root.findall("link")} | set(joints)
            tip_link = f"{chain.tip_link}_calibrated"
            while tip_link in names:
                tip_link += "_"
            jn = f"{chain.tip_link}_calibration_joint"
            while jn in names:
                jn += "_"
            root.append(ET.Element("link", name=tip_link))
            j = ET.SubElement(root, "joint", name=jn, type="fixed")
            ET.SubElement(j, "parent", link=chain.tip_link)
            ET.SubElement(j, "child", link=tip_link)
            _set_origin(j, D)
    out = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0"?>\n' + out + "\n", tip_link
