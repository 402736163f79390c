"""Paper 004: JacobianNet -- reachability confidence and Jacobians of random manipulators (tables VI, VII).

The paper's protocol first: M3's own sampler (``randSample.m``: an unreachable draw kept with probability
0.25), its data sizes (conf 297k / 3k with 24 features, conf_dyna and jacob 198k / 2k with 96), the label RTB's
``ikine6s`` returns at its default configuration, the end-effector-frame Jacobian, and the paper's training
settings (Adam at its defaults, batch 4096, dropout 0.5, 25 epochs in the cycle schedule). Every sample has its
own random arm, so the test sets are held-out manipulators. Our recipe, more confidence data, other labels and
frames follow as extensions beside the paper rows they improve on, with an ablation of what each addition buys.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np

from iklearn.data import random_manipulators as rm
from iklearn.estimators.jacobian_net import JacobianNet
from iklearn.evaluation.checkpoint import Checkpoints
from iklearn.evaluation.record import ExperimentResult, Progress, Size, Table, Timer, save_json
from iklearn.experiments import jacobian_net_report as report
from iklearn.experiments import jacobian_net_uses as uses
from iklearn.experiments.jacobian_net_baselines import (
    best_threshold, conf_baselines, conf_metrics, est_baselines, est_metrics, mcc_interval, numerical_route_time)
from iklearn.experiments.jacobian_net_checks import inference_speed, rounding_robustness
from iklearn.solvers import spherical_wrist as sw

NAME = "jacobian-net"
TITLE = "Paper 004: JacobianNet, reachability and Jacobians of random manipulators"

# training sets (conf: 24 features; conf96 and jac: the paper's dyna / jacob files), test sets, our schedule
# (pretrain, confidence, cycles, epochs per phase), baseline subsets, which models run at this size
SIZES = {
    "tiny": dict(n_conf=2000, n_conf96=1500, n_est=1500, n_test=600, n_test_est=300, sched=(3, 2, 1, 1),
                 paper_sched=(2, 2, 1, 1), widths="small", n_sub=400, n_gp=100, conf_extra=1000,
                 conf_extra_epochs=(1,), n_single=50, models=("paper24", "paper96", "ours24", "world24")),
    "quick": dict(n_conf=20000, n_conf96=13000, n_est=13000, n_test=3000, n_test_est=2000, sched=(8, 4, 1, 2),
                  widths="base", n_sub=3000, n_gp=500, n_single=500,
                  models=("paper24", "paper96", "ours24", "ours96", "random24", "world24")),
    "full": dict(n_conf=297000, n_conf96=198000, n_est=198000, n_test=3000, n_test_est=2000, n_big=20000,
                 sched=(12, 8, 2, 3), widths="wide", n_sub=20000, n_gp=2000, conf_extra=2103000,
                 conf_extra_epochs=(6, 6), n_opt=20000, n_abl=20000, n_single=2000,
                 models=("paper24", "paper96", "ours24", "world24")),  # ours96, random24: quick only (CPU time)
}
WIDTHS = {"small": dict(encoder=(64, 64), confidence=(32,), estimation=(64,)),
          "base": dict(encoder=(256, 256, 128), confidence=(128, 64), estimation=(256, 128)),
          "wide": dict(encoder=(384, 384, 384), confidence=(256, 128, 64), estimation=(384, 192))}
# the paper's training settings (section V-A): Adam with its defaults, batch 4096, dropout 0.5, 25 epochs (how
# they split over the cycle schedule is not given: pretrain 7, confidence 6, two cycles of 2 + 2 + 2)
PAPER = dict(dropout=0.5, batch_size=4096, lr=1e-3, lift="none", skip=False, lr_decay=False, pretrain="estimation")
PAPER_SCHED = (7, 6, 2, 2)
# our recipe (issue 8): the quadratic lift inside the net, the confidence head's skip connection, the paper's
# estimation-only pretraining, a cosine learning rate within each phase, no dropout, smaller batches, more epochs
METHOD = dict(lift="quad", skip=True, pretrain="estimation", lr_decay=True)
# model name: (recipe, confidence set, estimation set)
MODELS = {"paper24": ("paper", "conf", "jac"), "paper96": ("paper", "conf96", "jac96"),
          "ours24": ("ours", "conf", "jac"), "ours96": ("ours", "conf96", "jac96"),
          "random24": ("ours", "conf", "jac_random"), "world24": ("ours", "conf", "jac_world")}
CONST_COLS = [0, 1, 4, 5, 6, 9, 10, 11, *range(12, 18)]  # table II's constant columns (both layouts)


def _net(cfg: dict, seed: int, recipe: str = "ours", **over):
    if recipe == "paper":
        p, c, n, e = cfg.get("paper_sched", PAPER_SCHED)
        kw = dict(**WIDTHS[cfg["widths"]], **PAPER)
    else:
        p, c, n, e = cfg["sched"]
        kw = dict(**WIDTHS[cfg["widths"]], **METHOD, batch_size=256 if cfg["n_conf"] < 10000 else 512)
    # torch's own thread count (OMP_NUM_THREADS): on a machine shared by many jobs one thread per job wastes
    # far less CPU time spinning at the threads' barriers than two
    kw.update(pretrain_epochs=p, confidence_epochs=c, n_cycles=n, epochs_per_phase=e, random_state=seed,
              n_threads=None)
    kw.update(over)
    return JacobianNet(**kw)


def _dyna(ds: rm.M3Dataset, seed: int) -> rm.M3Dataset:
    """The same samples in the 96-feature layout (the 72 dynamics distractors drawn with ``seed``)."""
    X = rm.features(ds.params, ds.pose, "dyna", np.random.default_rng(seed))
    return dataclasses.replace(ds, X=X, layout="dyna")


def make_data(cfg: dict, seed: int, extensions: bool = True) -> dict[str, rm.M3Dataset]:
    """Every data set of the run, M3's sampler throughout; ``<name>_te``: its test set (held-out arms).
    ``extensions=False``: only the paper protocol's sets (no other labels, no extra confidence data)."""
    ss = [int(s) for s in np.random.SeedSequence(seed).generate_state(12)]
    mk = rm.make_dataset
    d = {"conf": mk(cfg["n_conf"], jacobians=False, seed=ss[0]),
         "conf_te": mk(cfg["n_test"], jacobians=False, seed=ss[1]),
         "conf_val": mk(cfg["n_test"], jacobians=False, seed=ss[2]),  # held-out arms: for a threshold only
         "conf96": mk(cfg["n_conf96"], layout="dyna", jacobians=False, seed=ss[3]),
         "conf96_te": mk(cfg["n_test_est"], layout="dyna", jacobians=False, seed=ss[4])}
    labels = (("jac", "tip", "ikine6s"), ("jac_world", "world", "ikine6s"), ("jac_random", "tip", "random"))
    for key, frame, branch in labels if extensions else labels[:1]:  # the same poses, other labels
        d[key] = mk(cfg["n_est"], frame=frame, branch=branch, only_reachable=True, seed=ss[5])
        d[key + "_te"] = mk(cfg["n_test_est"], frame=frame, branch=branch, only_reachable=True, seed=ss[6])
    d["jac96"], d["jac96_te"] = _dyna(d["jac"], ss[7]), _dyna(d["jac_te"], ss[8])
    if cfg.get("n_big"):
        d["conf_big"] = mk(cfg["n_big"], jacobians=False, seed=ss[9])
    if cfg.get("conf_extra") and extensions:
        d["conf_extra"] = mk(cfg["conf_extra"], jacobians=False, seed=ss[10])
    return d


def _evaluate(m, conf_te, jac_te) -> dict:
    """Confidence rows at the paper's three thresholds and the estimation metrics of one model."""
    pc = m.predict_confidence(conf_te.X)
    pred = m.predict_jacobian(jac_te.X).reshape(len(jac_te.X), -1)
    return dict(conf={t: conf_metrics(conf_te.reachable, pc >= t) for t in (0.5, 0.25, 0.75)},
                est=est_metrics(jac_te.J, pred), pc=pc)


def run(out: Path, size: Size = "quick", seed: int = 0, progress: Progress | None = None,
        compare_optimisers: bool | None = None, ablation: bool | None = None,
        extensions: bool = True, baselines: bool = True, resume: bool = False) -> ExperimentResult:
    """Tables VI and VII on the paper's protocol, then our extensions, inference speed, input robustness, uses.

    ``extensions=False``: the paper protocol only (the paper-settings models on 24 and 96 features, the
    baselines, inference speed, input robustness and the workspace use of the paper-settings 24-feature model),
    for a machine too busy for the whole full-size run; ``baselines=False``: without the other learners of
    tables VI and VII."""
    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = SIZES[size]
    res = ExperimentResult(name=NAME, title=TITLE, size=size, seed=seed)
    d = make_data(cfg, seed, extensions)
    models, ev, curves = {}, {}, {}
    # every trained model is checkpointed as it is done (out/checkpoints): resume=True reuses those whose
    # key (size, seed, data sizes, hyperparameters) matches, so a full-size run can finish over several sittings
    ck = Checkpoints(out / "checkpoints", reuse=resume)

    def history(m) -> dict:
        h = m.history_
        return {"history": dict(phase=h.phase, train_loss=h.train_loss, val_loss=h.val_loss)}

    for name in cfg["models"] if extensions else ("paper24", "paper96"):
        recipe, cs, es = MODELS[name]
        net = _net(cfg, seed, recipe)
        m, rec = ck.model(name, _key(cfg, size, seed, name, net),
                          lambda: net.fit(d[cs].X, d[cs].reachable, d[es].X, d[es].J, progress=progress),
                          _save, JacobianNet.load, history)
        models[name] = m
        ev[name] = _evaluate(m, d[cs + "_te"], d[es + "_te"])
        curves[name] = dict(**rec["history"], fit_time_s=rec["fit_time_s"])
    final, final_name = (models["ours24"], "ours24") if extensions else (models["paper24"], "paper24")
    # reachability labels are cheap: a last confidence phase on the paper's data + more
    if cfg.get("conf_extra") and extensions:
        def more_confidence():
            import copy

            X_all = np.vstack([d["conf"].X, d["conf_extra"].X])
            y_all = np.concatenate([d["conf"].reachable, d["conf_extra"].reachable])
            m = copy.deepcopy(models["ours24"])
            for epochs in cfg["conf_extra_epochs"]:  # each call: its own cosine learning-rate cycle
                m.fit_confidence(X_all, y_all, epochs=epochs, progress=progress)
            return m

        key = dict(_key(cfg, size, seed, "ours24", models["ours24"]), extra=cfg["conf_extra"],
                   epochs=cfg["conf_extra_epochs"])
        final, _ = ck.model("ours24+", key, more_confidence, _save, JacobianNet.load)
        ev["ours24+"] = _evaluate(final, d["conf_te"], d["jac_te"])
        final_name = "ours24+"
    final.save(out / "jacobian_net_tip.npz")
    big = d.get("conf_big", d["conf_te"])  # the final model's larger test set (the paper's at small sizes)
    p_big = final.predict_confidence(big.X)
    thr_val = best_threshold(d["conf_val"].reachable, final.predict_confidence(d["conf_val"].X))
    ci = {name: mcc_interval(d[MODELS.get(name, MODELS["ours24"])[1] + "_te"].reachable, e["pc"] >= 0.5,
                             seed=seed) for name, e in ev.items()}
    ci["final_big"] = mcc_interval(big.reachable, p_big >= 0.5, seed=seed)
    # --- speed and robustness
    speed = {name: inference_speed(m, big.X, n_single=cfg["n_single"])
             for name, m in {"paper24": models["paper24"], final_name: final}.items()}
    t_num, t_ana = numerical_route_time(d["conf_te"], n=10 if size == "tiny" else 100, seed=seed)
    robust = rounding_robustness(final, big.X, big.reachable, CONST_COLS)
    # --- baselines on the paper's files: conf (24 features), jacob (96)
    conf_base, est_base = {}, {}
    if baselines:
        def run_baselines() -> dict:
            return dict(
                conf={k: (conf_metrics(d["conf_te"].reachable, p), t)
                      for k, (p, t) in conf_baselines(d["conf"], d["conf_te"], cfg["n_sub"], cfg["n_gp"], seed,
                                                      fast=size == "tiny").items()},
                est={k: (est_metrics(d["jac96_te"].J, p), t) for k, (p, t) in
                     est_baselines(d["jac96"], d["jac96_te"], cfg["n_sub"], cfg["n_gp"], seed).items()})

        b = ck.record("baselines", dict(size=size, seed=seed, cfg=_cfg_key(cfg)), run_baselines)
        conf_base = {k: (list(v[0]), v[1]) for k, v in b["conf"].items()}
        est_base = {k: (list(v[0]), v[1]) for k, v in b["est"].items()}
    # --- tables
    sh = {k: float(d[k].reachable.mean()) for k in ("conf", "conf_te", "conf96")}
    # the same arms with one plain uniform pose each: the share M3's keep rule lifts
    sh["uniform"] = float(sw.reachable(d["conf"].params, rm.sample_poses(len(d["conf"].X),
                                                                         np.random.default_rng(seed))).mean())
    res.tables += report.paper_tables(cfg, ev, conf_base, est_base, speed, t_num, t_ana, sh)
    if extensions:
        res.tables.append(report.extension_table(cfg, ev, ci, big, p_big, thr_val, "conf_big" in d))
    res.tables.append(report.speed_table(speed, t_num, t_ana))
    res.tables.append(report.robustness_table(robust, final_name))
    abl = None
    if extensions and (ablation if ablation is not None else size == "full"):
        abl = _ablation(cfg, d, seed, cfg.get("n_abl", cfg["n_conf"]), progress, ck, size)
        res.tables.append(report.ablation_table(abl))
    # --- uses: workspace and resolved-rate control
    ws = uses.workspace(final, "kine", n_grid=10 if size == "tiny" else 40, seed=seed)
    rr = uses.resolved_rate(models["world24"], "kine", steps=20 if size == "tiny" else 400) if extensions else None
    res.tables.append(report.uses_table(ws, rr))
    save_json(out / "workspace.json", ws["data"])
    res.figures.append(uses.plot_workspace(ws, out / "workspace.png"))
    res.data.append("workspace.json")
    if rr is not None:
        save_json(out / "resolved_rate.json", rr)
        res.figures.append(uses.plot_resolved_rate(rr, out / "resolved_rate.png"))
        res.data.append("resolved_rate.json")
    opt_n = None
    if extensions and (compare_optimisers if compare_optimisers is not None else size == "full"):
        opt_n = cfg.get("n_opt", cfg["n_conf"])  # seven trainings: on a subset at the full size
        n_est = opt_n * cfg["n_est"] // cfg["n_conf"]
        opt = ck.record("optimisers", dict(size=size, seed=seed, cfg=_cfg_key(cfg), n=opt_n, n_est=n_est),
                        lambda: uses.compare_optimisers(lambda **o: _net(cfg, seed, **o), _head(d["conf"], opt_n),
                                                        _head(d["jac"], n_est)))
        save_json(out / "optimisers.json", opt)
        res.data.append("optimisers.json")
        res.figures.append(uses.plot_optimisers(opt, out / "optimisers.png"))
    save_json(out / "tables.json", {t.title: {"columns": t.columns, "rows": t.rows} for t in res.tables})
    save_json(out / "training_curves.json", curves)
    save_json(out / "measurements.json", dict(speed=speed, robustness=robust, reachable_share=sh,
                                              mcc_ci=ci, threshold_validation=thr_val, ablation=abl))
    res.data += ["tables.json", "training_curves.json", "measurements.json"]
    res.figures.append(report.plot_curves(curves, out / "training_curves.png"))
    res.claims += report.claims(cfg, ev, ci, sh, speed, robust, p_big, big, t_num, final_name)
    res.notes += report.notes(cfg, d, sh, opt_n, thr_val, robust, models)
    if not extensions:
        res.notes.append("This run: the paper protocol only (extensions=False); our recipe, other labels, more "
                         "confidence data, the ablation and the optimiser comparison were not run.")
    if ck.reused:
        res.notes.append(f"Resumed: {', '.join(ck.reused)} taken from the checkpoints of an earlier, interrupted "
                         f"run of the same size and seed ({out / 'checkpoints'}); fit times are that run's.")
    if not baselines:
        res.notes = [n for n in res.notes if not n.startswith("Baselines:")]
        res.notes.append("This run: without the baseline learners of tables VI and VII (baselines=False).")
    import torch

    res.notes.append(f"Training ran on {torch.get_num_threads()} torch thread(s) (torch's setting, OMP_NUM_THREADS); "
                     "the inference timings on one.")
    res.wall_time_s = time.perf_counter() - t_start
    res.command = f"iklearn reproduce {NAME} --{size} --seed {seed}"
    res.save(out)
    return res


def _head(ds: rm.M3Dataset, n: int) -> rm.M3Dataset:
    return dataclasses.replace(ds, X=ds.X[:n], reachable=ds.reachable[:n], J=ds.J[:n])


# ablation steps: (label, recipe, overrides) -- from the paper's settings to our recipe, one addition at a time
ABLATION = (("paper settings", "paper", {}),
            ("+ our optimisation (smaller batches, lr 2e-3 cosine, no dropout, our epochs)", "ours",
             dict(lift="none", skip=False)),
            ("+ quadratic lift", "ours", dict(skip=False)),
            ("+ confidence skip connection (our recipe)", "ours", {}))


def _ablation(cfg: dict, d: dict, seed: int, n: int, progress, ck: Checkpoints | None = None,
              size: str = "") -> list[dict]:
    """Each step of :data:`ABLATION` trained on the first ``n`` confidence rows (and as many Jacobian rows as
    the paper's ratio gives), scored on the paper's test sets (each row checkpointed in ``ck``)."""
    n_est = n * cfg["n_est"] // cfg["n_conf"]
    conf, jac = _head(d["conf"], n), _head(d["jac"], n_est)
    ck = ck or Checkpoints(None)
    rows = []
    for i, (label, recipe, over) in enumerate(ABLATION):
        sub = dict(cfg, n_conf=n)
        net = _net(sub, seed, recipe, **over)

        def step() -> dict:
            with Timer() as t:
                m = net.fit(conf.X, conf.reachable, jac.X, jac.J, progress=progress)
            e = _evaluate(m, d["conf_te"], d["jac_te"])
            return dict(step=label, n_conf=n, n_est=n_est, mcc=e["conf"][0.5][4], r2=e["est"][3], fit_s=t.s)

        rows.append(ck.record(f"ablation-{i}", _key(sub, size, seed, label, net), step))
    return rows


def _cfg_key(cfg: dict) -> dict:
    """The size's settings a trained model depends on (not which models the size runs)."""
    return {k: v for k, v in cfg.items() if k != "models"}


def _key(cfg: dict, size: str, seed: int, name: str, net: JacobianNet) -> dict:
    """What a checkpointed model depends on: the size's settings, the seed, the model and its hyperparameters."""
    return dict(size=size, seed=seed, name=name, cfg=_cfg_key(cfg),
                params={k: getattr(net, k) for k in JacobianNet._PARAMS})


def _save(m: JacobianNet, path: Path) -> None:
    m.save(path)
