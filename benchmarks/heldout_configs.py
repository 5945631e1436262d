"""Compare model configurations on held-out sources, on the development half only.

    python benchmarks/heldout_configs.py [--jobs 2] [--configs NAME ...] [--out benchmarks/results/heldout_configs.json]

Every configuration is trained with one source left out and scored on that
source's development-half documents (``evaluation.splits.evaluation_half``); the test
half is never looked at here. Needs ``../shared/external`` (or
``$CPPCC_NLP_SOURCES``) for the stand-off labels. Writes JSON and prints a
Markdown table: configuration x held-out source x micro/macro-F1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CPPCC_NLP_SOURCES", str(ROOT.parent / "shared" / "external"))

from cppcc_nlp.corpus import load_corpus  # noqa: E402
from cppcc_nlp.model import ThemeClassifier  # noqa: E402
from cppcc_nlp.evaluation.report import summarise  # noqa: E402
from cppcc_nlp.evaluation.runner import run_protocol  # noqa: E402
from cppcc_nlp.evaluation.splits import evaluation_half  # noqa: E402

BASE = {"features": "both", "C": 10.0, "min_df": 1, "cue_words": True, "threshold_folds": 5}
CONFIGS = {
    "seed default": {},
    "min_df 2": {"min_df": 2},
    "word only": {"features": "word", "min_df": 2},
    "char only": {"features": "char", "min_df": 2},
    "no cue words": {"min_df": 2, "cue_words": False},
    "lexicon": {"min_df": 2, "use_lexicon": True},
    "C 1": {"min_df": 2, "C": 1.0},
    "C 3": {"min_df": 2, "C": 3.0},
    "no class weight": {"min_df": 2, "class_weight": None},
    "svm C 0.3": {"min_df": 2, "classifier": "svm", "C": 0.3},
    "context 0.3": {"min_df": 2, "context_weight": 0.3},
    "context 0.6": {"min_df": 2, "context_weight": 0.6},
    "isotonic": {"min_df": 2, "calibration": "isotonic"},
    "context 0.3 isotonic": {"min_df": 2, "context_weight": 0.3, "calibration": "isotonic"},
    "extended cues": {"min_df": 2, "cue_words": "extended"},
    "char, extended cues, C 3": {"features": "char", "min_df": 2, "C": 3.0, "cue_words": "extended"},
    "extended cues, context 0.3": {"min_df": 2, "cue_words": "extended", "context_weight": 0.3},
    "self-training": {"min_df": 2, "self_training": True},
    "svm C 0.3, extended cues": {"min_df": 2, "classifier": "svm", "C": 0.3, "cue_words": "extended"},
}


class SelfTraining:
    """Self-training: fit, pseudo-label the confident unlabelled sentences of the training sources, refit.

    The training sources are read off the groups ``fit`` is given (``source/doc``),
    so a held-out source's unlabelled text is never used.
    """

    def __init__(self, params: dict, unlabelled: list[tuple[str, str]], confidence: float = 0.9, limit: int = 3000):
        self.params, self.unlabelled, self.confidence, self.limit = params, unlabelled, confidence, limit

    def fit(self, texts, Y, groups=None):
        import numpy as np

        base = ThemeClassifier(**self.params).fit(texts, Y, groups=groups)
        sources = {g.split("/")[0].split("#")[0] for g in groups}
        pool = [t for s, t in self.unlabelled if s in sources]
        rng = np.random.default_rng(0)
        pool = [pool[i] for i in rng.permutation(len(pool))[: 4 * self.limit]]
        p = base.predict_proba(pool)
        sure = ((p >= self.confidence) | (p <= 1 - self.confidence)).all(axis=1)
        chosen = np.flatnonzero(sure)[: self.limit]
        pseudo = (p[chosen] >= self.confidence).astype(int)
        model = ThemeClassifier(**self.params).fit(list(texts) + [pool[i] for i in chosen],
                                                   np.vstack([np.asarray(Y), pseudo]),
                                                   groups=list(groups) + [f"pseudo/{i}" for i in chosen])
        self.thresholds_, self.model_ = model.thresholds_, model
        return self

    def predict_proba(self, texts):
        return self.model_.predict_proba(texts)


def unlabelled_units(records) -> list[tuple[str, str]]:
    from cppcc_nlp.corpus import document_units, iter_documents, read_registry, sources_dir
    from cppcc_nlp.corpus.sources import source_file

    labelled = {r.id for r in records}
    registry = read_registry(ROOT / "corpus")
    out = []
    for name, spec in registry.items():
        for document in iter_documents(spec, source_file(spec, sources_dir())):
            out += [(name, u.text) for u in document_units(document) if u.id not in labelled]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--configs", nargs="*", default=list(CONFIGS))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "heldout_configs.json"))
    args = parser.parse_args()
    records = load_corpus()
    dev = lambda r: evaluation_half(r) == "dev"  # noqa: E731
    results = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    pool = None
    for name in args.configs:
        params = {**BASE, **CONFIGS[name]}
        start = time.time()
        if params.pop("self_training", False):
            pool = pool if pool is not None else unlabelled_units(records)
            make = lambda: SelfTraining(params, pool)  # noqa: E731
        else:
            make = lambda: ThemeClassifier(**params)  # noqa: E731
        held = run_protocol(records, make, "source", only=dev, n_jobs=args.jobs)
        rows = summarise(records, held, by="source", rounds=200)
        results[name] = {"params": params, "seconds": round(time.time() - start, 1),
                         "sources": {s: {"units": r["units"], "micro_f1": r["model"]["micro_f1"],
                                         "macro_f1": r["model"]["macro_f1"],
                                         "per_theme_f1": {t: v["f1"] for t, v in r["model"]["per_theme"].items()},
                                         "keyword_micro_f1": r["keyword"]["micro_f1"]}
                                     for s, r in rows.items()}}
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(results, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: all {rows['all']['model']['micro_f1']:.3f}/{rows['all']['model']['macro_f1']:.3f} "
              f"({results[name]['seconds']} s)", flush=True)
    print(table(results))
    return 0


def table(results: dict) -> str:
    sources = sorted({s for r in results.values() for s in r["sources"] if s != "all"}) + ["all"]
    lines = ["| configuration | " + " | ".join(sources) + " |", "|---|" + "---:|" * len(sources)]
    for name, r in results.items():
        cells = [f"{r['sources'][s]['micro_f1']:.3f} / {r['sources'][s]['macro_f1']:.3f}" if s in r["sources"] else "–"
                 for s in sources]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
