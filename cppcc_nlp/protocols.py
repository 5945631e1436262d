"""Evaluation a reviewer believes: held-out sources, held-out cities, held-out documents; never a random split.

Four protocols, each a list of splits (train on ``train``, predict ``test``):

- ``source``: leave one source out — train on every other source, test on it;
- ``city``: leave one section of the single committed report (the seed's
  cities) out — train on everything else;
- ``document``: inside each large source, 5 folds of whole documents —
  train on the other sources and the other folds;
- ``host``: inside each source whose documents name their site (the local
  committees' pages), 5 folds of whole sites — no site on both sides.

Which units are reported was fixed before any tuning: every document (for
the seed, every city; for a source with sites, every site) falls by a hash
of its id into a *development* or a *test* half. Configurations are compared on the development half; headline
figures are measured on the test half, on units selected at random (so they
represent the source) unless said otherwise. Intervals are 95 % bootstrap
intervals that resample documents, not sentences.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
from sklearn.model_selection import GroupKFold

from .corpus import LabelRecord
from .evaluate import keyword_predictions, majority_predictions
from .evaluation.metrics import bootstrap_interval, f1_parts, micro_macro, per_theme, reliability  # noqa: F401
from .model import split_inputs
from .reader import LEAD_IN
from .codebook import Codebook, default_codebook

PROTOCOLS = ("source", "city", "document", "host")
HALVES = ("dev", "test")
LARGE_SOURCE_DOCS = 100  # a source with at least this many documents gets the document protocol
DOCUMENT_FOLDS = 5
HOST_FOLDS = 5


@dataclass(frozen=True)
class Split:
    protocol: str
    name: str
    train: np.ndarray
    test: np.ndarray


def evaluation_half(record: LabelRecord) -> str:
    """``dev`` or ``test``: fixed by a hash of the document (the section, for the committed report; the site,
    where the source names one)."""
    key = record.fold_group if record.span is None else f"{record.source}@{record.site}" if record.site else record.group
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


def make_splits(records: Sequence[LabelRecord], protocol: str) -> list[Split]:
    """The splits of one protocol over ``records``."""
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {protocol!r}")
    index = np.arange(len(records))
    sources = np.array([r.source for r in records], dtype=object)
    splits = []
    if protocol == "source":
        for source in sorted(set(sources)) if len(set(sources)) > 1 else ():  # one source: nothing to train on
            splits.append(Split(protocol, source, index[sources != source], index[sources == source]))
    elif protocol == "city":
        single = [s for s in sorted(set(sources)) if all(r.span is None for r in records if r.source == s)]
        for source in single:
            sections = [r.section for r in records if r.source == source]
            for section in dict.fromkeys(sections):
                if section == LEAD_IN:
                    continue
                held = np.array([r.source == source and r.section == section for r in records])
                splits.append(Split(protocol, f"{source}#{section}", index[~held], index[held]))
    elif protocol == "host":
        sites = np.array([r.site for r in records], dtype=object)
        for source in sorted({r.source for r in records if r.site}):
            inside = index[(sources == source) & (sites != "")]
            for k, (_, test) in enumerate(GroupKFold(HOST_FOLDS).split(inside, groups=sites[inside])):
                held = inside[test]
                splits.append(Split(protocol, f"{source}/hosts{k}", np.setdiff1d(index, held), held))
    else:
        groups = np.array([r.group for r in records], dtype=object)
        for source in sorted(set(sources)):
            inside = index[sources == source]
            if len(set(groups[inside])) < LARGE_SOURCE_DOCS:
                continue
            for k, (_, test) in enumerate(GroupKFold(DOCUMENT_FOLDS).split(inside, groups=groups[inside])):
                held = inside[test]
                train = np.setdiff1d(index, held)
                splits.append(Split(protocol, f"{source}/fold{k}", train, held))
    return splits


def label_matrix(records: Sequence[LabelRecord], codebook: Codebook | None = None) -> np.ndarray:
    """The records' hand labels, one column per theme of ``codebook`` (default: the CPPCC one)."""
    return (codebook or default_codebook()).label_matrix(r.labels for r in records)


@dataclass
class HeldOut:
    """Out-of-split predictions of one protocol: every test unit once, with its probabilities."""

    protocol: str
    index: np.ndarray  # positions in the records
    probabilities: np.ndarray
    raw: np.ndarray  # the link function's probabilities, before any calibration
    predicted: np.ndarray
    keyword: np.ndarray
    majority: np.ndarray
    split_of: list[str]
    codebook: Codebook = field(default_factory=default_codebook)


def run_protocol(
    records: Sequence[LabelRecord],
    make_model: Callable[[], object],
    protocol: str,
    only: Callable[[LabelRecord], bool] | None = None,
    n_jobs: int = 1,
    progress=None,
    codebook: Codebook | None = None,
) -> HeldOut:
    """Fit on each split's training units, predict its test units (those passing ``only``); pool them.

    Labels are read by ``codebook``'s themes (default: the CPPCC ones), the models' column order.
    """
    from joblib import Parallel, delayed

    codebook = codebook or default_codebook()
    Y = label_matrix(records, codebook)
    texts = [r.text for r in records]
    groups = [r.fold_group for r in records]
    splits = []
    for split in make_splits(records, protocol):
        test = split.test if only is None else np.array([i for i in split.test if only(records[i])], dtype=int)
        if len(test):
            splits.append(Split(split.protocol, split.name, split.train, test))

    def fit_predict(split: Split):
        model = make_model()  # units go in as records: the model reads their context when it uses it
        model.fit([records[i] for i in split.train], Y[split.train], groups=[groups[i] for i in split.train])
        probabilities = model.predict_proba([records[i] for i in split.test])
        predicted = (probabilities >= model.thresholds_).astype(int)
        engine = getattr(model, "engine_", None)
        raw = engine.raw_proba(*split_inputs([records[i] for i in split.test])) if engine is not None else probabilities
        return split, (probabilities, raw), predicted

    if not splits:  # the corpus has nothing this protocol holds out (e.g. no single committed report: no cities)
        empty = np.zeros((0, len(codebook.ids)))
        return HeldOut(protocol, np.zeros(0, dtype=int), empty, empty, empty.astype(int), empty.astype(int),
                       empty.astype(int), [], codebook)
    results = []
    for result in Parallel(n_jobs=n_jobs, return_as="generator")(delayed(fit_predict)(s) for s in splits):
        results.append(result)
        if progress is not None:
            progress()
    index = np.concatenate([s.test for s, _, _ in results])
    return HeldOut(
        protocol=protocol,
        index=index,
        probabilities=np.vstack([p for _, (p, _), _ in results]),
        raw=np.vstack([r for _, (_, r), _ in results]),
        predicted=np.vstack([p for _, _, p in results]),
        keyword=keyword_predictions([texts[i] for i in index], codebook),
        majority=np.vstack([majority_predictions(Y[s.train], len(s.test)) for s, _, _ in results]),
        split_of=[s.name for s, _, _ in results for _ in s.test],
        codebook=codebook,
    )


# -- figures -------------------------------------------------------------------------------


def summarise(records: Sequence[LabelRecord], held: HeldOut, select: Callable[[LabelRecord], bool] | None = None,
              by: str = "source", rounds: int = 1000) -> dict:
    """Per group (source, or split) and pooled: model, keyword and majority figures with intervals."""
    Y = label_matrix(records, held.codebook)
    keep = np.array([select is None or select(records[i]) for i in held.index])
    rows = {}
    keys = [records[i].source if by == "source" else name for i, name in zip(held.index, held.split_of)]
    keys = np.array(keys, dtype=object)
    for group in sorted(set(keys[keep])) + ["all"]:
        mask = keep & (keys == group) if group != "all" else keep
        if not mask.any():
            continue
        truth = Y[held.index[mask]]
        docs = [records[i].fold_group for i in held.index[mask]]
        row = {"units": int(mask.sum()), "documents": len(set(docs))}
        for name, predicted in (("model", held.predicted), ("keyword", held.keyword), ("majority", held.majority)):
            micro, macro = micro_macro(truth, predicted[mask])
            entry = {"micro_f1": round(micro, 3), "macro_f1": round(macro, 3),
                     "per_theme": per_theme(truth, predicted[mask], held.codebook.ids)}
            if name == "model":
                entry["interval"] = bootstrap_interval(truth, predicted[mask], docs, rounds=rounds)
            row[name] = entry
        rows[group] = row
    return rows


# -- the evaluation `cppcc-nlp evaluate` runs ----------------------------------------------------------------


def is_reported(record: LabelRecord) -> bool:
    """A unit of the headline figures: in the test half, and selected at random (or the fully labelled report)."""
    return evaluation_half(record) == "test" and record.selection in ("random", "all")


def quick_subset(records: Sequence[LabelRecord], per_source: int = 60, seed: int = 0) -> list[LabelRecord]:
    """A small corpus for a fast run: up to ``per_source`` whole documents' units from each source, in order."""
    rng = np.random.default_rng(seed)
    keep: set[str] = set()
    for source in sorted({r.source for r in records}):
        groups = sorted({r.fold_group for r in records if r.source == source})
        rng.shuffle(groups)
        total = 0
        for group in groups:
            if total >= per_source:
                break
            keep.add(group)
            total += sum(1 for r in records if r.fold_group == group)
    return [r for r in records if r.fold_group in keep]


def heldout_evaluation(
    records: Sequence[LabelRecord],
    params: dict,
    protocols: Sequence[str] = PROTOCOLS,
    quick: bool = False,
    n_jobs: int = 1,
    rounds: int = 1000,
    progress=None,
    codebook: Codebook | None = None,
) -> dict:
    """Every protocol's figures on the reported units (``is_reported``), beside the baselines, as a dict.

    ``codebook``: the themes the models learn and are scored on (default: the CPPCC ones).
    """
    codebook = codebook or default_codebook()
    params = {k: v for k, v in params.items() if k != "codebook"}
    from .model import ThemeClassifier

    if quick:
        records = quick_subset(records)
        params = {**params, "threshold_folds": 0}
        protocols = [p for p in protocols if p != "document"]
        rounds = min(rounds, 100)
    result = {"params": params, "codebook": codebook.name, "quick": quick, "units": len(records), "protocols": {},
              "reported_units": "test half, selected at random (the committed report: all its units)"}
    for protocol in protocols:
        held = run_protocol(records, lambda: ThemeClassifier(**params, codebook=codebook), protocol, only=is_reported,
                            n_jobs=n_jobs, progress=progress, codebook=codebook)
        if not len(held.index):
            continue
        result["protocols"][protocol] = summarise(records, held, by="source", rounds=rounds)
    return result


def format_evaluation(result: dict) -> str:
    """The evaluation as Markdown tables: per held-out group, then per theme pooled."""
    names = {"source": "Leave one source out", "city": "Leave one city out (the committed report)",
             "document": "Held-out documents inside the large sources (5 folds)",
             "host": "Held-out sites inside the local committees' pages (5 folds of whole hosts)"}
    lines = [f"Reported units: {result['reported_units']}. Intervals: 95 % bootstrap over documents."]
    for protocol, rows in result["protocols"].items():
        lines += ["", f"### {names[protocol]}", "",
                  "| held out | units | docs | model micro-F1 [95 % CI] | model macro-F1 [95 % CI] | keyword micro / macro | majority micro / macro |",
                  "|---|---:|---:|---|---|---|---|"]
        for group, row in rows.items():
            m, k, j = row["model"], row["keyword"], row["majority"]
            ci = m["interval"]
            lines.append(
                f"| {group} | {row['units']} | {row['documents']} | **{m['micro_f1']:.3f}** [{ci['micro_f1'][0]:.3f}, "
                f"{ci['micro_f1'][1]:.3f}] | {m['macro_f1']:.3f} [{ci['macro_f1'][0]:.3f}, {ci['macro_f1'][1]:.3f}] "
                f"| {k['micro_f1']:.3f} / {k['macro_f1']:.3f} | {j['micro_f1']:.3f} / {j['macro_f1']:.3f} |"
            )
        pooled = rows["all"]
        lines += ["", "| theme | support | model P / R / F1 [95 % CI of F1] | keyword P / R / F1 | majority F1 |",
                  "|---|---:|---|---|---:|"]
        theme_intervals = pooled["model"]["interval"].get("per_theme_f1")
        for index, theme in enumerate(pooled["model"]["per_theme"]):
            m, k = pooled["model"]["per_theme"][theme], pooled["keyword"]["per_theme"][theme]
            j = pooled["majority"]["per_theme"][theme]
            ci = f" [{theme_intervals[index][0]:.2f}, {theme_intervals[index][1]:.2f}]" if theme_intervals else ""
            lines.append(f"| {theme} | {m['support']} | {m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}**{ci} "
                         f"| {k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.2f} | {j['f1']:.2f} |")
    return "\n".join(lines)


# -- calibration and learning curves ---------------------------------------------------------------


def calibration_report(records: Sequence[LabelRecord], held: HeldOut, select=None) -> dict:
    """Per theme, before (the link's probabilities) and after calibration, on the selected held-out units."""
    Y = label_matrix(records, held.codebook)
    keep = np.array([select is None or select(records[i]) for i in held.index])
    truth = Y[held.index[keep]]
    return {
        theme: {"before": reliability(truth[:, k], held.raw[keep, k]),
                "after": reliability(truth[:, k], held.probabilities[keep, k]), "units": int(keep.sum())}
        for k, theme in enumerate(held.codebook.ids)
    }


def learning_curve(
    records: Sequence[LabelRecord], params: dict, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
    select=None, n_jobs: int = 1, seed: int = 0,
) -> list[dict]:
    """Held-out-source micro/macro-F1 when training on a fraction of the training documents, per source.

    For each fraction, every split trains on that share of its training
    documents (chosen at random, the same for every split), all their units.
    """
    from .model import ThemeClassifier

    rng = np.random.default_rng(seed)
    groups = sorted({r.fold_group for r in records})
    order = {g: rank for rank, g in enumerate(rng.permutation(len(groups)))}
    rank_of = {g: order[i] for i, g in enumerate(groups)}
    rows = []
    for fraction in fractions:
        limit = fraction * len(groups)
        kept = [r for r in records if rank_of[r.fold_group] < limit or (select is not None and select(r))]
        # test units are never dropped: only training documents are subsampled
        held = run_protocol(kept, lambda: ThemeClassifier(**params), "source", only=select, n_jobs=n_jobs)
        summary = summarise(kept, held, rounds=50)
        for source, row in summary.items():
            trained = [r for r in kept if source == "all" or r.source != source]
            rows.append({"fraction": fraction, "source": source, "training_units": len(trained),
                         "training_documents": len({r.fold_group for r in trained}),
                         "micro_f1": row["model"]["micro_f1"], "macro_f1": row["model"]["macro_f1"]})
    return rows
