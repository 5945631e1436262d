"""Theme shares on held-out sources: error and interval coverage of count, probability and the adjusted methods.

    python benchmarks/share_estimates.py [--jobs 2] [--params JSON] [--min-units 5] [--rounds 1000]

For each source of the corpus, a model is trained on every other source
(``evaluation.splits.make_splits(records, "source")``) and predicts the held-out
source's units. Those units are grouped as a researcher would group them: the
committed report by city (section), the news sources by year of the item's
date, the government reports by document. For every group with at least
``--min-units`` hand-labelled units selected at random (``evaluation.splits.is_reported``
for the test half; the development half is reported beside it), each method's
estimated share of every theme is compared with the group's hand-labelled
share: mean absolute error per theme, and how often the 95 % interval contains
the hand-labelled share (coverage).

The adjusted methods take their error rates, in turn, from

- ``all training units``: the model's own held-out folds (``Engine.heldout``,
  what ``estimate_shares`` uses by default);
- ``random training units``: the same, only the training units selected at
  random (keyword- and uncertainty-selected units are not representative);
- ``new source's dev half``: the held-out source's own development-half random
  units, predicted by the same model — what hand-labelling a small sample of a
  new source buys (reported on the test half only);
- ``the groups' own units (oracle)``: the rates on the very units scored — not
  available in practice; the floor that a perfect knowledge of the rates gives
  at these group sizes.

A last table makes each held-out source's test-half random units one group
(80 to 308 units), where a systematic bias weighs more than the noise of a
handful of units.

Needs ``../shared/external`` (or ``$CPPCC_NLP_SOURCES``). The fitted splits are
cached in ``--cache`` (default: the system's temp directory) so that a second
run only recomputes the figures. Writes ``benchmarks/results/share_estimates.json``
and ``.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CPPCC_NLP_SOURCES", str(ROOT.parent / "shared" / "external"))

import numpy as np  # noqa: E402

from cppcc_nlp.corpus import load_corpus, read_registry, sources_dir  # noqa: E402
from cppcc_nlp.corpus.sources import source_file  # noqa: E402
from cppcc_nlp.evaluation.runner import label_matrix  # noqa: E402
from cppcc_nlp.evaluation.splits import evaluation_half, make_splits  # noqa: E402
from cppcc_nlp.shares import METHODS, ErrorRates, shares_from_scores  # noqa: E402
from cppcc_nlp.themes import THEME_IDS  # noqa: E402

PARAMS = {"min_df": 2, "calibration": "isotonic", "threshold_folds": 5}
ORACLE = "the groups' own units (oracle)"
RATE_SOURCES = ("all training units", "random training units", "new source's dev half", ORACLE)
RANDOM = ("random", "all")


def fit_split(records, split, params):
    """Fit on the split's training units; the model's held-out arrays, thresholds and the test units' probabilities."""
    from cppcc_nlp.model import ThemeClassifier

    Y = label_matrix(records)
    train = [records[i] for i in split.train]
    model = ThemeClassifier(**params).fit(train, Y[split.train], groups=[r.fold_group for r in train])
    probabilities = model.predict_proba([records[i] for i in split.test])
    heldout_p, heldout_y = model.engine_.heldout
    return {"name": split.name, "train": split.train, "test": split.test, "thresholds": model.thresholds_,
            "heldout_p": heldout_p, "heldout_y": heldout_y, "test_p": probabilities}


def fitted_splits(records, params, jobs: int, cache: Path) -> list[dict]:
    from joblib import Parallel, delayed

    key = hashlib.sha256(json.dumps([params, [r.id for r in records], [r.labels for r in records]],
                                    sort_keys=True).encode()).hexdigest()[:16]
    path = cache / f"cppcc_share_splits_{key}.npz"
    splits = make_splits(records, "source")
    if path.exists():
        data = np.load(path, allow_pickle=False)
        return [{field: data[f"{k}_{field}"] for field in ("train", "test", "thresholds", "heldout_p", "heldout_y",
                                                            "test_p")} | {"name": s.name}
                for k, s in enumerate(splits)]
    results = Parallel(n_jobs=jobs)(delayed(fit_split)(records, s, params) for s in splits)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **{f"{k}_{field}": np.asarray(r[field]) for k, r in enumerate(results)
                                 for field in ("train", "test", "thresholds", "heldout_p", "heldout_y", "test_p")})
    return results


def document_dates(records) -> dict[str, str]:
    """``source/doc`` -> the year of the document's date, for the sources whose documents carry one."""
    registry = read_registry(ROOT / "corpus")
    years = {}
    for name in sorted({r.source for r in records if r.span is not None}):
        spec = registry[name]
        path = source_file(spec, sources_dir())
        if path is None or path.suffix != ".jsonl":
            continue
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                item = json.loads(line)
                if "date" in item:
                    years[f"{name}/{item[spec.doc_id]}"] = str(item["date"])[:4]
    return years


def group_of(record, years: dict[str, str]) -> str:
    """How a researcher groups a source's units: city of the committed report, year of a news item, else document."""
    if record.span is None:
        return f"{record.source}#{record.section}"
    if record.group in years:
        return f"{record.source}@{years[record.group]}"
    return record.group


def evaluate(records, fitted, years, half: str, min_units: int, rounds: int, confidence: float,
             whole_sources: bool = False) -> dict:
    """Per method and source of error rates: MAE per theme, coverage, interval width, over the groups of ``half``.

    ``whole_sources``: each held-out source's chosen units are one group (large groups: bias against noise).
    """
    Y = label_matrix(records)
    results: dict[str, dict] = {}
    cells: dict[str, list] = {}
    n_groups = 0
    per_source = {}
    for split in fitted:
        test = np.asarray(split["test"])
        chosen = np.array([evaluation_half(records[i]) == half and records[i].selection in RANDOM for i in test])
        if not chosen.any():
            continue
        keys = np.array([records[i].source if whole_sources else group_of(records[i], years) for i in test],
                        dtype=object)
        sizes = {g: int(((keys == g) & chosen).sum()) for g in set(keys[chosen])}
        keep = chosen & np.array([sizes.get(g, 0) >= min_units for g in keys])
        if not keep.any():
            continue
        probabilities, truth, groups = split["test_p"][keep], Y[test[keep]], list(keys[keep])
        order = list(dict.fromkeys(groups))
        n_groups += len(order)
        true_share = np.array([truth[[g == key for g in groups]].mean(axis=0) for key in order])
        train = np.asarray(split["train"])
        random_train = np.array([records[i].selection in RANDOM for i in train])
        rate_sets = {
            "all training units": (split["heldout_p"], split["heldout_y"]),
            "random training units": (split["heldout_p"][random_train], split["heldout_y"][random_train]),
        }
        if half == "test":
            dev = np.array([evaluation_half(records[i]) == "dev" and records[i].selection in RANDOM for i in test])
            if dev.sum() >= 20:
                rate_sets["new source's dev half"] = (split["test_p"][dev], Y[test[dev]])
        rate_sets[ORACLE] = (probabilities, truth)
        per_source[split["name"]] = {"groups": len(order), "units": int(keep.sum())}
        for method in METHODS:
            for rate_name, (hp, hy) in (rate_sets.items() if method.startswith("adjusted") else [("", (None, None))]):
                rates = ErrorRates.from_heldout(hp, hy, split["thresholds"], THEME_IDS) if hp is not None else None
                table = shares_from_scores(probabilities, groups, method=method, thresholds=split["thresholds"],
                                           rates=rates, themes=THEME_IDS, rounds=rounds, confidence=confidence)
                label = f"{method} ({rate_name})" if rate_name else method
                for g, key in enumerate(order):
                    for k, theme in enumerate(THEME_IDS):
                        row = table.cell(key, theme)
                        cells.setdefault(label, []).append(
                            (split["name"], k, true_share[g, k], row["share"], row["low"], row["high"]))
    for label, rows in cells.items():
        source, theme, truth, share, low, high = (np.array(column) for column in zip(*rows))
        error = np.abs(share - truth)
        inside = (truth >= low - 1e-9) & (truth <= high + 1e-9)
        results[label] = {
            "mae": round(float(error.mean()), 4),
            "coverage": round(float(inside.mean()), 3),
            "mean_width": round(float((high - low).mean()), 4),
            "cells": int(len(rows)),
            "mae_per_theme": {t: round(float(error[theme == k].mean()), 4) for k, t in enumerate(THEME_IDS)},
            "coverage_per_theme": {t: round(float(inside[theme == k].mean()), 3) for k, t in enumerate(THEME_IDS)},
            "mae_per_source": {s: round(float(error[source == s].mean()), 4) for s in sorted(set(source))},
        }
    return {"groups": n_groups, "sources": per_source, "methods": results}


def markdown(result: dict) -> str:
    lines = []
    for half in ("test", "dev", "test, whole sources"):
        part = result[half]
        counts = ", ".join(f"{s}: {v['groups']}" for s, v in part["sources"].items())
        units = ", ".join(f"{s}: {v['units']}" for s, v in part["sources"].items())
        what = (f"each held-out source's test-half random units as one group ({units} units)"
                if half.endswith("whole sources") else
                f"{part['groups']} groups of at least {result['min_units']} randomly selected units ({counts})")
        lines += ["", f"### {half.split(',')[0]} half: {what}", "",
                  "| method (error rates from) | MAE | " + " | ".join(THEME_IDS) + " | coverage | mean width |",
                  "|---|---:|" + "---:|" * len(THEME_IDS) + "---:|---:|"]
        count = part["methods"]["count"]["mae"]
        for label, row in part["methods"].items():
            ratio = f" ({row['mae'] / count:.2f}× count)" if label != "count" and count else ""
            lines.append(f"| {label} | {row['mae']:.3f}{ratio} | "
                         + " | ".join(f"{row['mae_per_theme'][t]:.3f}" for t in THEME_IDS)
                         + f" | {row['coverage']:.2f} | {row['mean_width']:.2f} |")
    return "\n".join(lines).strip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--params", help=f"model parameters as JSON (default: {json.dumps(PARAMS)})")
    parser.add_argument("--min-units", type=int, default=5, help="smallest group reported (default: 5)")
    parser.add_argument("--rounds", type=int, default=1000)
    parser.add_argument("--cache", default=tempfile.gettempdir())
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "share_estimates.json"))
    args = parser.parse_args()
    params = json.loads(args.params) if args.params else PARAMS
    start = time.time()
    records = load_corpus()
    fitted = fitted_splits(records, params, args.jobs, Path(args.cache))
    fit_seconds = time.time() - start
    years = document_dates(records)
    result = {"params": params, "min_units": args.min_units, "rounds": args.rounds, "confidence": 0.95,
              "units": len(records), "fit_seconds": round(fit_seconds, 1)}
    for half in ("test", "dev"):
        result[half] = evaluate(records, fitted, years, half, args.min_units, args.rounds, 0.95)
    result["test, whole sources"] = evaluate(records, fitted, years, "test", args.min_units, args.rounds, 0.95,
                                             whole_sources=True)
    result["seconds"] = round(time.time() - start, 1)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    text = markdown(result)
    out.with_suffix(".md").write_text(
        f"Measured with `python benchmarks/share_estimates.py` (params {json.dumps(params)}; "
        f"{result['seconds']:.0f} s, of which {result['fit_seconds']:.0f} s fitting the {len(fitted)} splits (one per "
        "source) or reading them from the cache).\n\n" + text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
