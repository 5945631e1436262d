"""Local committees' own pages: configurations on held-out hosts, then the chosen one on the test hosts.

    python benchmarks/local_genre.py search [--jobs 2]      # development hosts only: pick a configuration
    python benchmarks/local_genre.py report --config NAME   # the test hosts: figures, intervals, ECE, curve
    python benchmarks/local_genre.py curve --config NAME    # learning curve in this source's units, all hosts out of fold
    python benchmarks/local_genre.py reach                  # the saved curve extended: local units to reach 0.80-0.88

Every split of the ``host`` protocol trains on every other source and on the
other folds of sites and predicts one fold of whole sites of
``local-cppcc-web`` (no site on both sides). ``search`` scores only the units
of the *development* sites (``evaluation.splits.evaluation_half``); which sites are in
the test half was fixed by a hash of the site before any configuration was
tried. ``report`` scores the *test* sites: per-theme P/R/F1 with
document-bootstrap intervals beside the keyword and majority baselines,
per-theme ECE before and after calibration, and a learning curve in this
source's training units. ``curve`` answers "does it still rise at 2,500 local units?":
every fold of the host protocol keeps all other sources and a growing share of
the other folds' sites (the same random order of sites for every fold; 0 to
about 2,540 local units), and the held-out fold's units are scored; the
predictions of the five folds are pooled per share, with document-bootstrap
intervals. No configuration is chosen from it. Results go to
``benchmarks/results/local_genre-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CPPCC_NLP_SOURCES", str(ROOT.parent / "shared" / "external"))

from cppcc_nlp.corpus import load_corpus  # noqa: E402
from cppcc_nlp.model import ThemeClassifier  # noqa: E402
from cppcc_nlp.persist import load_engine  # noqa: E402
from cppcc_nlp.evaluation.curves import calibration_report  # noqa: E402
from cppcc_nlp.evaluation.report import summarise  # noqa: E402
from cppcc_nlp.evaluation.runner import label_matrix, run_protocol  # noqa: E402
from cppcc_nlp.evaluation.splits import evaluation_half  # noqa: E402
from cppcc_nlp.evaluation.metrics import bootstrap_interval, micro_macro  # noqa: E402
from cppcc_nlp.evaluation.splits import make_splits  # noqa: E402

LOCAL = "local-cppcc-web"
SHIPPED = dict(load_engine().params)
CONFIGS = {
    "shipped": {},
    "context 0.3": {"context_weight": 0.3},
    "context 0.6": {"context_weight": 0.6},
    "frame 0.3": {"frame_weight": 0.3},
    "frame 0.6": {"frame_weight": 0.6},
    "frame 1.0": {"frame_weight": 1.0},
    "context 0.3, frame 0.6": {"context_weight": 0.3, "frame_weight": 0.6},
    "C 3": {"C": 3.0},
    "C 30": {"C": 30.0},
    "cue words (plain)": {"cue_words": True},
    "no class weight": {"class_weight": None},
    "svm C 0.3": {"classifier": "svm", "C": 0.3},
    "min_df 1": {"min_df": 1},
    "document 0.3": {"document_weight": 0.3},
    "document 0.6": {"document_weight": 0.6},
    "frame 0.6, document 0.3": {"frame_weight": 0.6, "document_weight": 0.3},
    "context 0.3, frame 0.6, document 0.3": {"context_weight": 0.3, "frame_weight": 0.6, "document_weight": 0.3},
    "stacked": {"stacked": True},
    "stacked, frame 0.6": {"stacked": True, "frame_weight": 0.6},
    "local units x2": {"adapt": {"repeat": 2}},
    "local units x3": {"adapt": {"repeat": 3}},
    "local thresholds": {"adapt": {"local_thresholds": True}},
    "local units x2, local thresholds": {"adapt": {"repeat": 2, "local_thresholds": True}},
    "LR + SVM": {"adapt": {"members": ("logreg", "svm")}},
    "LR + SVM, local thresholds": {"adapt": {"members": ("logreg", "svm"), "local_thresholds": True}},
    "rule cues of rules 21-25": {"more_rule_cues": True},
}

# words of the codebook's rules 21-25 (written from this genre's double annotation), as rule cues of their themes
RULE_CUES_21_25 = {
    "party_building": ("党组会议", "传达学习"),
    "consultation": ("社情民意信息", "信息员", "报送", "编报", "被采用", "立案", "有事来协商"),
    "supervision": ("交办", "交办会", "跟踪办理", "办理协商"),
    "member_management": ("积分", "计分", "加分", "扣分", "履职考核办法"),
}


def with_more_rule_cues():
    """The default codebook with the words of rules 21-25 added to its themes' rule cues."""
    from dataclasses import replace

    from cppcc_nlp.codebook import default_codebook

    codebook = default_codebook()
    return replace(codebook, themes=tuple(replace(theme, rule_cues=theme.rule_cues + RULE_CUES_21_25.get(theme.id, ()))
                                          for theme in codebook.themes))


STACK_VIEWS = ("before", "after", "heading", "title", "document")


class StackedContext:
    """Two-stage context: a first model's theme log-odds of the unit and of its neighbours, heading, title and
    document opening are the features of a second, small logistic model per theme.

    The first stage's scores of the training units and their contexts are out-of-fold (5 folds by
    document), so the second stage learns from scores like those it will see on new text.
    """

    def __init__(self, params: dict, folds: int = 5):
        self.params, self.folds = params, folds

    def _stage1(self):
        return ThemeClassifier(**{**self.params, "threshold_folds": 0, "calibration": None})

    def _features(self, engine, texts, contexts) -> np.ndarray:
        columns = [engine.decision_function(texts, contexts)]
        for view in STACK_VIEWS:
            strings = [getattr(c, view, "") if c is not None else "" for c in contexts]
            present = np.array([bool(s) for s in strings])[:, None]
            columns.append(np.where(present, engine.decision_function([s or "。" for s in strings]), 0.0))
            columns.append(present.astype(float))
        return np.hstack(columns)

    def fit(self, X, Y, groups=None):
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import GroupKFold, cross_val_predict

        from cppcc_nlp.context import split_inputs
        from cppcc_nlp.model import best_f1_threshold

        texts, contexts = split_inputs(X)
        Y = np.asarray(Y)
        features = np.zeros((len(texts), Y.shape[1] * (1 + len(STACK_VIEWS)) + len(STACK_VIEWS)))
        for train, test in GroupKFold(self.folds).split(texts, groups=groups):
            stage1 = self._stage1().fit([X[i] for i in train], Y[train])
            features[test] = self._features(stage1.engine_, [texts[i] for i in test], [contexts[i] for i in test])
        self.stage1_ = self._stage1().fit(X, Y)
        self.meta_, thresholds = [], []
        for k in range(Y.shape[1]):
            meta = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
            oof = cross_val_predict(meta, features, Y[:, k], groups=groups, cv=GroupKFold(self.folds),
                                    method="predict_proba")[:, 1]
            thresholds.append(best_f1_threshold(Y[:, k], oof))
            self.meta_.append(meta.fit(features, Y[:, k]))
        self.thresholds_ = np.array(thresholds)
        return self

    def predict_proba(self, X) -> np.ndarray:
        from cppcc_nlp.context import split_inputs

        texts, contexts = split_inputs(X)
        features = self._features(self.stage1_.engine_, texts, contexts)
        return np.column_stack([meta.predict_proba(features)[:, 1] for meta in self.meta_])


class GenreAdapted:
    """The shipped model adapted to this genre: its units counted ``repeat`` times in training, each theme's
    threshold picked on the out-of-fold scores of its units only (``local_thresholds``), or the probabilities
    of a small ensemble averaged (``members``: "logreg", and "svm" with C 0.3).

    The out-of-fold scores are those ``fit`` keeps in the engine (``engine_.heldout``); a repeated unit's
    copies share its group, so they never fall on both sides of an inner fold.
    """

    def __init__(self, params: dict, repeat: int = 1, local_thresholds: bool = False, members=("logreg",)):
        self.params, self.repeat, self.local_thresholds, self.members = params, repeat, local_thresholds, members

    def fit(self, X, Y, groups=None):
        from cppcc_nlp.model import best_f1_threshold

        X, Y, groups = list(X), np.asarray(Y), list(groups)
        copies = [i for i, record in enumerate(X) if record.source == LOCAL] * (self.repeat - 1)
        # thresholds from the original units only, and only the local ones with local_thresholds
        scored = np.array([record.source == LOCAL or not self.local_thresholds for record in X] + [False] * len(copies))
        X, Y, groups = X + [X[i] for i in copies], np.vstack([Y, Y[copies]]), groups + [groups[i] for i in copies]
        member_params = {"logreg": {}, "svm": {"classifier": "svm", "C": 0.3}}
        self.models_ = [ThemeClassifier(**{**self.params, **member_params[m]}).fit(X, Y, groups=groups)
                        for m in self.members]
        heldout = np.mean([model.engine_.heldout[0] for model in self.models_], axis=0)
        truth = self.models_[0].engine_.heldout[1]
        self.thresholds_ = np.array([best_f1_threshold(truth[scored, k], heldout[scored, k])
                                     for k in range(truth.shape[1])])
        return self

    def predict_proba(self, X) -> np.ndarray:
        return np.mean([model.predict_proba(X) for model in self.models_], axis=0)


def make_model(name: str):
    params = {**SHIPPED, **CONFIGS[name]}
    if params.pop("stacked", False):
        return lambda: StackedContext(params)
    if params.pop("more_rule_cues", False):
        params["codebook"] = with_more_rule_cues()
    adapt = params.pop("adapt", None)
    if adapt is not None:
        return lambda: GenreAdapted(params, **adapt)
    return lambda: ThemeClassifier(**params)


def local_in(half: str):
    return lambda record: record.source == LOCAL and evaluation_half(record) == half


def search(records, names, jobs: int) -> dict:
    results = {}
    for name in names:
        params = {**SHIPPED, **CONFIGS[name]}
        start = time.perf_counter()
        held = run_protocol(records, make_model(name), "host", only=local_in("dev"), n_jobs=jobs)
        row = summarise(records, held, rounds=200)["all"]
        results[name] = {"params": params, "units": row["units"], "documents": row["documents"],
                         "micro_f1": row["model"]["micro_f1"], "macro_f1": row["model"]["macro_f1"],
                         "per_theme_f1": {t: v["f1"] for t, v in row["model"]["per_theme"].items()},
                         "keyword_micro_f1": row["keyword"]["micro_f1"], "seconds": round(time.perf_counter() - start, 1)}
        print(f"| {name} | {results[name]['micro_f1']:.3f} | {results[name]['macro_f1']:.3f} | "
              + " | ".join(f"{f:.2f}" for f in results[name]["per_theme_f1"].values()) + " |", flush=True)
    return results


def report(records, name: str, jobs: int) -> dict:
    params = {**SHIPPED, **CONFIGS[name]}
    held = run_protocol(records, make_model(name), "host", only=local_in("test"), n_jobs=jobs)
    summary = summarise(records, held, rounds=1000)["all"]
    calibration = calibration_report(records, held)
    # per-theme document-bootstrap intervals of F1
    Y = label_matrix(records)
    truth, predicted = Y[held.index], held.predicted
    docs = np.array([records[i].group for i in held.index], dtype=object)
    unique, inverse = np.unique(docs, return_inverse=True)
    rng = np.random.default_rng(0)
    f1s = []
    for _ in range(1000):
        pick = np.bincount(rng.integers(0, len(unique), len(unique)), minlength=len(unique))[inverse]
        tp = (pick[:, None] * (truth & predicted)).sum(axis=0)
        pp = (pick[:, None] * predicted).sum(axis=0)
        ap = (pick[:, None] * truth).sum(axis=0)
        f1s.append(np.where(pp + ap > 0, 2 * tp / np.maximum(pp + ap, 1), 1.0))
    f1s = np.array(f1s)
    intervals = {t: [round(float(np.percentile(f1s[:, k], 2.5)), 3), round(float(np.percentile(f1s[:, k], 97.5)), 3)]
                 for k, t in enumerate(load_engine().engine.themes)}
    test_sites = sorted({records[i].site for i in held.index})
    curve = []
    local_train_sites = sorted({r.site for r in records if r.source == LOCAL and evaluation_half(r) == "dev"})
    order = np.random.default_rng(0).permutation(len(local_train_sites))
    for fraction in (0.0, 0.25, 0.5, 0.75, 1.0):
        kept_sites = {local_train_sites[i] for i in order[: int(round(fraction * len(local_train_sites)))]}
        kept = [r for r in records if r.source != LOCAL or evaluation_half(r) == "test" or r.site in kept_sites]
        # train on the other sources and the kept development sites; score every test site
        train = [r for r in kept if not (r.source == LOCAL and evaluation_half(r) == "test")]
        test = [r for r in kept if r.source == LOCAL and evaluation_half(r) == "test"]
        model = make_model(name)().fit(train, label_matrix(train), groups=[r.fold_group for r in train])
        predicted_curve = (model.predict_proba(test) >= model.thresholds_).astype(int)
        truth_curve = label_matrix(test)
        tp = (truth_curve & predicted_curve).sum()
        micro = 2 * tp / (truth_curve.sum() + predicted_curve.sum())
        curve.append({"fraction": fraction, "local_training_units": sum(r.source == LOCAL for r in train),
                      "micro_f1": round(float(micro), 3)})
        print("curve", curve[-1], flush=True)
    where = f"the test hosts of local-cppcc-web ({len(test_sites)} sites, host protocol)"
    (ROOT / "benchmarks" / "results" / "calibration-local.json").write_text(
        json.dumps({"where": where, "themes": calibration}, indent=1) + "\n", encoding="utf-8")
    return {"config": name, "params": params, "summary": summary, "per_theme_f1_interval": intervals,
            "calibration": calibration, "test_sites": len(test_sites), "learning_curve": curve}


CURVE_FRACTIONS = (0.0, 0.25, 0.5, 0.75, 1.0)


def curve(records, name: str, jobs: int) -> dict:
    """Pooled out-of-fold scores of the local units when training on a share of the other folds' local sites."""
    from joblib import Parallel, delayed

    splits = [s for s in make_splits(records, "host") if s.name.startswith(LOCAL)]
    local_sites = sorted({r.site for r in records if r.source == LOCAL})
    rank = {site: k for k, site in enumerate(np.random.default_rng(0).permutation(local_sites))}

    def fit_predict(split, fraction):
        held_sites = {records[i].site for i in split.test}
        training_sites = sorted((s for s in local_sites if s not in held_sites), key=rank.get)
        kept = set(training_sites[: int(round(fraction * len(training_sites)))])
        train = [records[i] for i in split.train if records[i].source != LOCAL or records[i].site in kept]
        test = [records[i] for i in split.test]
        model = make_model(name)().fit(train, label_matrix(train), groups=[r.fold_group for r in train])
        predicted = (model.predict_proba(test) >= model.thresholds_).astype(int)
        return split.test, predicted, sum(r.source == LOCAL for r in train)

    Y = label_matrix(records)
    rows = []
    for fraction in CURVE_FRACTIONS:
        parts = Parallel(n_jobs=jobs)(delayed(fit_predict)(split, fraction) for split in splits)
        index = np.concatenate([p[0] for p in parts])
        predicted = np.vstack([p[1] for p in parts])
        truth = Y[index]
        micro, macro = micro_macro(truth, predicted)
        interval = bootstrap_interval(truth, predicted, [records[i].group for i in index])
        rows.append({"fraction": fraction, "local_training_units_per_fold": [p[2] for p in parts],
                     "mean_local_training_units": round(float(np.mean([p[2] for p in parts])), 1),
                     "scored_units": int(len(index)), "micro_f1": round(micro, 3),
                     "micro_f1_interval": interval["micro_f1"], "macro_f1": round(macro, 3)})
        print("curve", rows[-1], flush=True)
    return {"config": name, "params": {**SHIPPED, **CONFIGS[name]}, "protocol": "host (5 folds of whole sites)",
            "learning_curve": rows}


def reach(saved: dict, targets=(0.80, 0.85, 0.88)) -> dict:
    """Local training units at which the learning curve, extended as micro-F1 = a + b * ln(units), would reach
    each target: fitted on every point with local units, and on the last three only."""
    rows = [row for row in saved["learning_curve"] if row["mean_local_training_units"] > 0]
    units = np.array([row["mean_local_training_units"] for row in rows])
    micro = np.array([row["micro_f1"] for row in rows])
    fits = {}
    for name, keep in (("all points", slice(None)), ("last three points", slice(-3, None))):
        slope, intercept = np.polyfit(np.log(units[keep]), micro[keep], 1)
        fits[name] = {"intercept": round(float(intercept), 4), "slope_per_ln_unit": round(float(slope), 4),
                      "units_to_reach": {f"{t:.2f}": int(round(float(np.exp((t - intercept) / slope)), -2))
                                         for t in targets}}
        print(name, fits[name], flush=True)
    return {"config": saved["config"], "from": "local_genre-curve.json", "model": "micro-F1 = a + b ln(units)",
            "largest_measured": int(units[-1]), "fits": fits}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("search", "report", "curve", "reach"))
    parser.add_argument("--config", action="append", choices=sorted(CONFIGS))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    out = ROOT / "benchmarks" / "results" / f"local_genre-{args.mode}.json"
    records = load_corpus(ROOT / "corpus") if args.mode != "reach" else []  # reach reads the saved curve only
    if args.mode == "search":
        print("| configuration | micro-F1 | macro-F1 | " + " | ".join(load_engine().engine.themes) + " |")
        earlier = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        result = {**earlier, **search(records, args.config or list(CONFIGS), args.jobs)}  # other runs' rows stay
    elif args.mode == "reach":
        result = reach(json.loads((out.parent / "local_genre-curve.json").read_text(encoding="utf-8")))
    elif args.mode == "curve":
        result = curve(records, (args.config or ["frame 0.6"])[0], args.jobs)
    else:
        result = report(records, (args.config or ["shipped"])[0], args.jobs)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
