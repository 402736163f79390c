"""Paper 001, 6-DOF part: the reachability/conditioning classifier on the UR5 and gated IK.

The paper's protocol first: labels from the sampled configuration's inverse condition number (thresholds
from the training rows), quaternion input, unreachable poses filtered by a KD-tree radius plus IK. Beside it:
the Bayes-optimal accuracy for those labels (from every closed-form IK solution), and our extensions (exact
best-solution labels, a continuous rotation input). Reachable-vs-unreachable accuracy and gated-IK savings
are measured on the paper's (easy) unreachable poses and, separately, on hard ones that sit among the
reachable poses (:func:`iklearn.data.labels.hard_unreachable_poses`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from iklearn.estimators.ml_ik.dataset import conditioning_dataset
from iklearn.evaluation.plotting import plt
from iklearn.evaluation.record import ExperimentResult, Table, Timer, save_json
from iklearn.kinematics.pose import pose7_to_matrix
from iklearn.robot import load_robot

# the classifier runs: name -> (labelling, network input); the first is the paper's protocol
PAPER = "paper: sampled configuration, [x,y,z,q]"
PAPER_POSE12 = "sampled configuration, [x,y,z,R] (input ablation)"
BEST_POSE7 = "best of all solutions (exact), [x,y,z,q]"
BEST = "best of all solutions (exact), [x,y,z,R] (ours)"
VARIANTS = ((PAPER, "paper", "pose7"), (PAPER_POSE12, "paper", "pose12"), (BEST_POSE7, "best", "pose7"),
            (BEST, "best", "pose12"))
UNREACHABLE_MARGIN = 0.1  # m, the paper-protocol KD-tree radius for unreachable poses (plus IK failure)
PUBLISHED_ACC = 93.99  # %, slides "Classifier Results"
PUBLISHED_BINARY = (79_988, 80_000)


def _confusion(y: np.ndarray, p: np.ndarray, k: int = 4) -> np.ndarray:
    m = np.zeros((k, k), int)
    np.add.at(m, (y, p), 1)
    return m


def classifier_part(res: ExperimentResult, out: Path, cfg: dict, seed: int) -> dict:
    """Dataset, the four classifier runs, the Bayes ceiling, easy and hard reachability; tables + JSON."""
    from iklearn.data.labels import HARD_KINDS, hard_unreachable_poses, sampled_label_posterior
    from iklearn.data.labels import CLASS_NAMES
    from iklearn.estimators.ml_ik.classifier import ConditioningClassifier

    ur5 = load_robot("ur5")
    n = cfg["cls_reach"] + cfg["cls_unreach"]
    perm = np.random.default_rng(seed + 1).permutation(n)
    n_test = n // 7  # the paper's 80,000 of 560,000
    te, tr = perm[:n_test], perm[n_test:]
    train = np.zeros(n, bool)
    train[tr] = True
    with Timer() as td:
        d = conditioning_dataset(ur5, cfg["cls_reach"], cfg["cls_unreach"], seed=seed, restarts=cfg["restarts"],
                                 unreachable_margin=UNREACHABLE_MARGIN, train=train)
    labels = {"paper": d.label_paper, "best": d.label_best}
    reach_te = te[d.reachable[te]]
    n_easy_un = int(n_test - reach_te.size)
    with Timer() as th:
        H, kind = hard_unreachable_poses(ur5, n_easy_un, d.pose[reach_te], seed=seed, restarts=cfg["restarts"])
    from scipy.spatial import cKDTree

    tree = cKDTree(d.pose[d.reachable, :3])
    gap_easy = tree.query(d.pose[te[~d.reachable[te]], :3])[0]
    gap_hard = tree.query(H[:, :3])[0]
    # Bayes-optimal answer to the paper's labels on the test rows (every closed-form solution of each pose)
    with Timer() as tb:
        post = sampled_label_posterior(ur5, d.pose[te], d.thresholds_paper)
    bayes_pred = post.argmax(1)
    bayes_acc = float((bayes_pred == d.label_paper[te]).mean())
    bayes_expected = float(post.max(1).mean())
    agree = float((d.label_paper == d.label_best)[d.reachable].mean())
    data = dict(n=n, n_test=n_test, dataset_s=td.s, hard_set_s=th.s, bayes_s=tb.s,
                label_agreement_reachable=agree, best_label_method=d.best_method,
                thresholds_paper=d.thresholds_paper, thresholds_best=d.thresholds_best,
                bayes_accuracy=bayes_acc, bayes_expected_accuracy=bayes_expected,
                easy_unreachable_gap_m=dict(min=float(gap_easy.min()), median=float(np.median(gap_easy))),
                hard_unreachable_gap_m={k: dict(min=float(gap_hard[kind == i].min()),
                                                median=float(np.median(gap_hard[kind == i])), n=int((kind == i).sum()))
                                        for i, k in enumerate(HARD_KINDS)})
    rows, brows, models = [], [], {}
    for name, lab_key, feats in VARIANTS:
        lab = labels[lab_key]
        with Timer() as tf:
            clf = ConditioningClassifier(ur5, hidden=cfg["cls_hidden"], max_epochs=cfg["cls_epochs"],
                                         batch_size=cfg["cls_batch"], scheduler="onecycle", features=feats,
                                         patience=cfg["cls_epochs"], random_state=seed).fit(d.pose[tr], lab[tr])
        pred = clf.predict(d.pose[te])
        acc = float((pred == lab[te]).mean())
        easy_ok = int(((pred > 0) == (lab[te] > 0)).sum())
        hard_un = clf.predict(H) == 0
        reach_ok = int((pred[d.reachable[te]] > 0).sum())
        hard_acc = (reach_ok + int(hard_un.sum())) / (reach_te.size + H.shape[0])
        h = clf.history_
        b = h.best_epoch
        rows.append([name, h.train_metric[b], h.train_loss[b], h.val_metric[b], h.val_loss[b], acc,
                     PUBLISHED_ACC / 100 if name == PAPER else None,
                     float((pred == bayes_pred).mean()) if lab_key == "paper" else None])
        brows.append([name, f"{easy_ok} / {n_test}", 100 * easy_ok / n_test, 100 * hard_acc,
                      *(100 * float(hard_un[kind == i].mean()) for i in range(len(HARD_KINDS)))])
        data[name] = dict(test_accuracy=acc, binary_correct_easy=easy_ok, binary_accuracy_hard=hard_acc,
                          hard_detected={k: float(hard_un[kind == i].mean()) for i, k in enumerate(HARD_KINDS)},
                          confusion=_confusion(lab[te], pred), history=h.to_dict(), fit_s=tf.s,
                          epochs=len(h.val_loss),
                          agreement_with_bayes=float((pred == bayes_pred).mean()) if lab_key == "paper" else None)
        models[name] = clf
    rows.insert(1, ["Bayes-optimal rule for the paper's labels (all closed-form solutions, weights 1/|det J|)",
                    None, None, None, None, bayes_acc, None, 1.0])
    res.tables.append(Table(
        title=f"Conditioning classifier on UR5: {n - n_test} training / {n_test} test poses "
              f"({cfg['cls_reach']} reachable + {cfg['cls_unreach']} unreachable); first row: the paper's protocol",
        columns=["labels, network input", "train acc", "train loss (CE)", "val acc", "val loss (CE)", "test acc",
                 "published test acc", "agrees with the Bayes rule"], rows=rows,
        note="The paper's label is the class of the one sampled configuration, but a UR5 pose has up to 8 IK "
             "solutions of different conditioning, so the label is random given the pose. The Bayes row is the "
             "best any classifier can do on these labels: for each test pose every closed-form solution, "
             "drawn with probability proportional to 1/|det J| (uniform joint sampling), predicting the most "
             f"probable class; its expected accuracy is {100 * bayes_expected:.2f} %. The exact labels agree "
             f"with the paper's on {100 * agree:.1f} % of the reachable poses. Class thresholds: percentiles "
             "of the training rows."))
    res.tables.append(Table(
        title=f"Reachable vs unreachable: the paper's (easy) unreachable test poses and {H.shape[0]} hard ones "
              f"with the same {reach_te.size} reachable test poses",
        columns=["classifier", "easy: correct", "easy (%)", "hard (%)",
                 *(f"hard '{k}' detected (%)" for k in HARD_KINDS)], rows=brows,
        note=f"Published: {PUBLISHED_BINARY[0]:,} / {PUBLISHED_BINARY[1]:,} on the paper's own test set. Easy "
             f"unreachable poses lie at least {UNREACHABLE_MARGIN:g} m from every reachable sample (median "
             f"{1e3 * float(np.median(gap_easy)):.0f} mm); hard ones, which no classifier saw in training: "
             "'inside' and 'boundary' inside / across the reach sphere, 'orientation' at a reachable test "
             "position with an orientation it cannot take (median distance to the nearest reachable sample "
             + ", ".join(f"{k} {1e3 * float(np.median(gap_hard[kind == i])):.0f} mm"
                         for i, k in enumerate(HARD_KINDS)) + "), all confirmed by the closed-form IK."))
    save_json(out / "classifier.json", data)
    res.data.append("classifier.json")
    _figures(res, out, data, CLASS_NAMES)
    return dict(models=models, d=d, te=te, H=H, kind=kind, data=data, n_test=n_test, ur5=ur5)


def _figures(res, out: Path, data: dict, names) -> None:
    p = plt()
    keys = [k for k in data if isinstance(data[k], dict) and "confusion" in data[k]]
    fig, axs = p.subplots(1, len(keys), figsize=(5.0 * len(keys), 4.6))
    for ax, k in zip(np.atleast_1d(axs), keys):
        cm = np.asarray(data[k]["confusion"])
        ax.imshow(cm / np.maximum(cm.sum(1, keepdims=True), 1), cmap="Blues", vmin=0, vmax=1)
        for i in range(4):
            for j in range(4):
                ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(4), [s.split()[0] for s in names], rotation=30, fontsize=8)
        ax.set_yticks(range(4), [s.split()[0] for s in names], fontsize=8)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(k, fontsize=7)
    fig.tight_layout()
    fig.savefig(out / "confusion_matrix.png", dpi=110)
    p.close(fig)
    fig, axs = p.subplots(1, 2, figsize=(10, 4))
    for k in keys:
        h = data[k]["history"]
        axs[0].plot(h["train_loss"], label=f"{k} train")
        axs[0].plot(h["val_loss"], "--", label=f"{k} val")
        axs[1].plot(h["train_metric"], label=f"{k} train")
        axs[1].plot(h["val_metric"], "--", label=f"{k} val")
    axs[0].set_ylabel("cross-entropy")
    axs[1].set_ylabel("accuracy")
    for ax in axs:
        ax.set_xlabel("epoch")
        ax.legend(fontsize=6)
    fig.suptitle("classifier training curves")
    fig.tight_layout()
    fig.savefig(out / "classifier_training.png", dpi=110)
    p.close(fig)
    res.figures += ["confusion_matrix.png", "classifier_training.png"]


def gated_part(res: ExperimentResult, out: Path, cfg: dict, seed: int, c: dict) -> dict:
    """Our classifier in front of LM on a stream of test targets: with the easy unreachable poses, and with the
    same reachable targets plus as many hard unreachable ones."""
    from iklearn.estimators.ml_ik.gated import GatedIK
    from iklearn.solvers.lm import LevenbergMarquardt

    d, te, H = c["d"], c["te"], c["H"]
    stream = te[: cfg["stream"]]
    reach = d.label_best[stream] > 0
    n_un = int((~reach).sum())
    hard = H[np.random.default_rng(seed + 2).permutation(H.shape[0])[:n_un]]
    sets = {"easy": (d.pose[stream], reach),
            "hard": (np.concatenate([d.pose[stream][reach], hard]),
                     np.concatenate([np.ones(int(reach.sum()), bool), np.zeros(hard.shape[0], bool)]))}
    out_d, rows = {}, []
    for key, (P, rch) in sets.items():
        T = pose7_to_matrix(P)
        solver = LevenbergMarquardt(c["ur5"], max_iterations=500, seed=seed)
        solver.solve(T[:2])
        with Timer() as t0:
            plain = solver.solve(T)
        gated = GatedIK(LevenbergMarquardt(c["ur5"], max_iterations=500, seed=seed), c["models"][BEST],
                        skip_threshold=0.99)
        with Timer() as t1:
            g = gated.solve(T)
        skip = gated.last_skipped_
        saved = float(skip[~rch].mean()) if (~rch).any() else float("nan")
        out_d[key] = dict(n=len(P), n_unreachable=int((~rch).sum()), saved_fraction_unreachable=saved,
                          reachable_skipped=int((skip & rch).sum()), ik_calls_plain=len(P),
                          ik_calls_gated=int((~skip).sum()), n_skipped=int(skip.sum()), time_plain_s=t0.s,
                          time_gated_s=t1.s, success_plain=float(plain.success[rch].mean()),
                          success_gated=float(g.success[rch].mean()),
                          plain_false_success_on_unreachable=int(plain.success[~rch].sum()))
        o = out_d[key]
        rows += [[key, "LM (500 iterations)", len(P), o["n_unreachable"], "0 %", 0, o["success_plain"], t0.s],
                 [key, "classifier (ours) + LM, skip if P(unreachable) >= 0.99", o["ik_calls_gated"],
                  o["n_unreachable"], f"{100 * saved:.2f} %", o["reachable_skipped"], o["success_gated"], t1.s]]
    res.tables.append(Table(
        title=f"Gated IK on a stream of {len(stream)} held-out UR5 targets: the paper's unreachable poses (easy) "
              "and the same reachable targets with hard unreachable ones",
        columns=["unreachable set", "solver", "IK calls", "unreachable targets", "unreachable targets skipped",
                 "reachable targets skipped", "success on reachable", "wall time (s)"], rows=rows,
        note="Paper: 'could be coupled with IK fallback for 100 % accuracy and ~95 % less IK calls'."))
    save_json(out / "gated.json", out_d)
    res.data.append("gated.json")
    return out_d
