"""Batched forward kinematics, Jacobians, pose encodings and errors, manipulability metrics."""

from iklearn.kinematics.fk import fk, fk_and_jacobian, fk_pose, jacobian
from iklearn.kinematics.metrics import Manipulability, joint_limit_distance, manipulability, singular_values
from iklearn.kinematics.pose import (
    encode,
    euler_xyz_to_matrix,
    matrix_to_euler_xyz,
    matrix_to_pose7,
    pose7_to_matrix,
    pose_error,
    quat_to_rotation,
    rotation_angle,
    rotation_to_euler,
    rotation_to_quat,
    rotation_to_yaw,
    task_error,
)

__all__ = [
    "fk", "fk_pose", "jacobian", "fk_and_jacobian", "manipulability", "Manipulability",
    "joint_limit_distance", "singular_values", "encode", "matrix_to_pose7", "pose7_to_matrix", "pose_error",
    "rotation_angle", "rotation_to_quat", "quat_to_rotation", "rotation_to_euler", "rotation_to_yaw",
    "euler_xyz_to_matrix", "matrix_to_euler_xyz", "task_error",
]
