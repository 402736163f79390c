"""Learned IK, one package per paper, every estimator held to one contract (scikit-learn's).

The estimator contract (``tests/test_estimator_contract.py`` runs every estimator below through it):

1. ``__init__`` takes keyword hyperparameters and stores them untouched, under their own names; it validates
   nothing and learns nothing. Learned attributes end in ``_`` and appear in ``fit`` (or ``load``).
2. An estimator tied to one robot takes it as ``robot=`` (a :class:`~iklearn.robot.Chain`), the same name
   everywhere; one that learns a robot-free map takes none.
3. ``fit(...)`` learns from scratch and returns ``self``; online learners also update in place
   (``partial_fit`` / ``learn``) and return ``self``. Every random choice comes from ``random_state``.
4. ``predict(X)`` returns one type whatever its options: an array, or for the estimators whose answer has
   several parts always the same named record or tuple.
5. Before ``fit`` (or ``load``), ``predict`` and ``save`` raise :class:`~iklearn.errors.NotFittedError`, an
   :class:`~iklearn.errors.IKLearnError`.
6. ``save(path)`` writes one ``.npz`` (arrays + JSON metadata, no pickle; torch weights as arrays) atomically
   and returns the :class:`~pathlib.Path`. The file records the model kind, its format version, the iklearn
   version and, for a robot-tied estimator, the robot's description and fingerprint (a hash of its
   kinematic parameters, so another robot of the same name is told apart).
7. ``load(path, *, robot=None)`` (a classmethod) returns an estimator whose predictions equal the saved one's
   to the bit. It raises :class:`~iklearn.errors.ModelMismatchError` (an ``IKLearnError``) for a file of
   another kind, a newer format version, a corrupt file, or a robot-tied model made for a robot whose
   kinematics differ from ``robot``; without ``robot`` the robot recorded in the file is used. A robot-free
   model records no robot and checks none.

Estimators: :class:`~iklearn.estimators.ml_ik.ClusteredMLPRegressor` and
:class:`~iklearn.estimators.ml_ik.ConditioningClassifier` (paper 001), :class:`~iklearn.estimators.crisp.CRiSP`
and its neural-network baseline :class:`~iklearn.estimators.mlp.MLPIK` (paper 003), the robot-free
:class:`~iklearn.estimators.lwpr.LWPR` and the velocity-IK learner built on it
:class:`~iklearn.estimators.lwpr.VelocityIKLearner` (paper 002), the Gaussian process of GP-IK
:class:`~iklearn.estimators.gp_ik.OnlineGP` (paper 000; :class:`~iklearn.estimators.gp_ik.GPIK` itself is an IK
solver that owns one), and :class:`~iklearn.estimators.jacobian_net.JacobianNet` (paper 004; robot-free, the
arm's DH parameters are part of its input).
"""
