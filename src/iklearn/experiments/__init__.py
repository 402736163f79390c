"""One module per paper; each reproduces its tables beside the published numbers (see ``base``)."""

# name -> module path; modules are imported lazily because they pull in torch / scikit-learn / matplotlib
EXPERIMENTS: dict[str, str] = {
    "ik-bench": "iklearn.experiments.ik_bench",
    "gp-ik": "iklearn.experiments.gp_ik",
    "ml-ik": "iklearn.experiments.ml_ik",
    "lwpr": "iklearn.experiments.lwpr",
    "crisp": "iklearn.experiments.crisp",
    "jacobian-net": "iklearn.experiments.jacobian_net",
    "calibration": "iklearn.experiments.calibration",
}
