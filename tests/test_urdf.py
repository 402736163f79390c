"""URDF parsing: fixed joints merged, off-path joints ignored, continuous joints, meshes never read, errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from iklearn.errors import LinkNotFoundError, URDFError
from iklearn.kinematics import fk
from iklearn.robot import from_urdf, load_robot

TREE = """<?xml version="1.0"?>
<robot name="tree">
  <link name="world"/>
  <link name="base"><visual><geometry><mesh filename="package://nowhere/meshes/base.dae"/></geometry></visual></link>
  <link name="l1"><collision><geometry><mesh filename="package://nowhere/l1.stl"/></geometry></collision></link>
  <link name="l1b"/><link name="l2"/><link name="l3"/><link name="tool"/><link name="cam"/><link name="finger"/>
  <joint name="mount" type="fixed"><parent link="world"/><child link="base"/><origin xyz="0 0 0.5" rpy="0 0 1.0"/></joint>
  <joint name="j1" type="revolute"><parent link="base"/><child link="l1"/>
    <origin xyz="0 0 0.1"/><axis xyz="0 0 1"/><limit lower="-2" upper="2" effort="1" velocity="1"/></joint>
  <joint name="spacer" type="fixed"><parent link="l1"/><child link="l1b"/><origin xyz="0.05 0 0.2" rpy="0.3 0 0"/></joint>
  <joint name="j2" type="continuous"><parent link="l1b"/><child link="l2"/>
    <origin xyz="0 0 0.3" rpy="0 0.2 0"/><axis xyz="0 1 0"/></joint>
  <joint name="j3" type="prismatic"><parent link="l2"/><child link="l3"/>
    <origin xyz="0.2 0 0"/><axis xyz="1 0 0"/><limit lower="0" upper="0.3" effort="1" velocity="1"/></joint>
  <joint name="tool_fix" type="fixed"><parent link="l3"/><child link="tool"/><origin xyz="0.1 0 0" rpy="0 1.5707963 0"/></joint>
  <joint name="cam_fix" type="fixed"><parent link="l1"/><child link="cam"/><origin xyz="0 0.1 0"/></joint>
  <joint name="finger_j" type="revolute"><parent link="l2"/><child link="finger"/>
    <origin xyz="0 0.1 0"/><axis xyz="0 0 1"/><limit lower="-1" upper="1"/></joint>
</robot>"""


def _T(xyz=(0, 0, 0), rpy=(0, 0, 0)):
    T = np.eye(4)
    T[:3, :3] = Rotation.from_euler("xyz", rpy).as_matrix()
    T[:3, 3] = xyz
    return T


def _manual_fk(q):
    """The TREE chain world -> tool composed by hand."""
    R = lambda axis, a: _T(rpy=tuple(a * np.array(axis)))  # noqa: E731 - rotations about x, y or z only
    P = lambda axis, d: _T(xyz=tuple(d * np.array(axis)))  # noqa: E731
    return (_T((0, 0, 0.5), (0, 0, 1.0)) @ _T((0, 0, 0.1)) @ R((0, 0, 1), q[0])
            @ _T((0.05, 0, 0.2), (0.3, 0, 0)) @ _T((0, 0, 0.3), (0, 0.2, 0)) @ R((0, 1, 0), q[1])
            @ _T((0.2, 0, 0)) @ P((1, 0, 0), q[2]) @ _T((0.1, 0, 0), (0, 1.5707963, 0)))


def test_tree_chain_matches_hand_composition(tmp_path):
    path = tmp_path / "tree.urdf"
    path.write_text(TREE)
    c = from_urdf(path, "world", "tool")
    assert c.joint_names == ("j1", "j2", "j3")  # fixed joints merged, cam/finger branches ignored
    assert c.joint_types.tolist() == [0, 0, 1]
    assert np.isinf(c.lower[1]) and np.isinf(c.upper[1])  # continuous
    np.testing.assert_allclose([c.lower[2], c.upper[2]], [0, 0.3])
    for q in np.random.default_rng(0).uniform([-2, -5, 0], [2, 5, 0.3], (10, 3)):
        np.testing.assert_allclose(fk(c, q), _manual_fk(q), atol=1e-12)
    # load_robot takes a path too, and text works as well as a file
    np.testing.assert_allclose(fk(load_robot(str(path), "world", "tool"), [0.1, 0.2, 0.1]),
                               fk(from_urdf(TREE, "world", "tool"), [0.1, 0.2, 0.1]), atol=0)


def test_sub_chain_between_inner_links():
    full = from_urdf(TREE, "world", "tool")
    sub = from_urdf(TREE, "l1", "l3")
    assert sub.joint_names == ("j2", "j3")
    q = np.array([0.4, -0.7, 0.2])
    T_l1 = _T((0, 0, 0.5), (0, 0, 1.0)) @ _T((0, 0, 0.1)) @ _T(rpy=(0, 0, q[0]))
    T_tool = fk(full, q)
    np.testing.assert_allclose(T_l1 @ fk(sub, q[1:]) @ _T((0.1, 0, 0), (0, 1.5707963, 0)), T_tool, atol=1e-12)


def test_default_base_is_root_and_ambiguous_tip_refused():
    with pytest.raises(LinkNotFoundError, match="several leaf links"):
        from_urdf(TREE)
    c = from_urdf(TREE, tip_link="tool")
    assert c.base_link == "world"


def test_unknown_links_and_tip_not_below_base():
    with pytest.raises(LinkNotFoundError, match="tip link 'nope' not found"):
        from_urdf(TREE, "world", "nope")
    with pytest.raises(LinkNotFoundError, match="base link 'nope' not found"):
        from_urdf(TREE, "nope", "tool")
    with pytest.raises(LinkNotFoundError, match="not below"):
        from_urdf(TREE, "tool", "world")
    with pytest.raises(LinkNotFoundError, match="not below"):
        from_urdf(TREE, "cam", "tool")  # a sibling branch


@pytest.mark.parametrize("text, match", [
    ("<robot><link name='a'", "not valid XML"),
    ("<model name='x'/>", "root element"),
    ("""<robot name="r"><link name="a"/><link name="b"/>
        <joint name="j" type="floating"><parent link="a"/><child link="b"/></joint></robot>""", "not supported"),
    ("""<robot name="r"><link name="a"/><link name="b"/>
        <joint name="j" type="revolute"><parent link="a"/><child link="b"/></joint></robot>""", "needs <limit"),
    ("""<robot name="r"><link name="a"/><link name="b"/>
        <joint name="j" type="revolute"><parent link="a"/><child link="b"/><origin xyz="0 0"/>
        <limit lower="0" upper="1"/></joint></robot>""", "expected 3 finite numbers"),
    ("""<robot name="r"><link name="a"/><link name="b"/>
        <joint name="j" type="fixed"><parent link="a"/><child link="b"/></joint></robot>""", "no movable joint"),
    ("""<robot name="r"><link name="a"/><link name="b"/><link name="c"/>
        <joint name="j" type="continuous"><parent link="a"/><child link="c"/></joint>
        <joint name="k" type="continuous"><parent link="b"/><child link="c"/></joint></robot>""", "two parent"),
])
def test_bad_urdf_text(text, match):
    with pytest.raises(URDFError, match=match):
        from_urdf(text)


def test_missing_file():
    with pytest.raises(URDFError, match="not found"):
        from_urdf("/no/such/robot.urdf")


def test_default_axis_is_x():
    c = from_urdf("""<robot name="r"><link name="a"/><link name="b"/>
        <joint name="j" type="continuous"><parent link="a"/><child link="b"/></joint></robot>""")
    np.testing.assert_allclose(c.axes, [[1, 0, 0]])


def test_shipped_arm5_urdf():
    c = load_robot("arm5")
    assert c.dof == 5 and c.base_link == "base_link" and c.tip_link == "tool_link"
    np.testing.assert_allclose(fk(c, np.zeros(5))[:3, 3], [0.03 + 0.28 + 0.06 + 0.09, 0, 0.12 + 0.08 + 0.30],
                               atol=1e-12)
