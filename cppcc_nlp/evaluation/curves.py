"""Curves: held-out F1 against the amount of training data, and calibration (reliability) per theme.

Both learning curves run their fits through the one out-of-fold runner.
"""

from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np

from ..codebook import resolve_codebook
from ..corpus.records import LabelRecord
from ..model import ThemeClassifier
from ..optional import as_table
from ..reader import LEAD_IN
from .baselines import keyword_scores
from .metrics import reliability, score_predictions
from .report import summarise
from .runner import HeldOut, label_matrix, run_protocol, run_splits
from .splits import Split, section_of, section_splits


def _section_orders(folds: list[str], sizes: list[int], repeats: int, random_state: int):
    """Per repeat and size, per held-out section: the training sections chosen (the first ``k`` of a shuffle)."""
    rng = np.random.default_rng(random_state)
    plans = []
    for _ in range(repeats):
        orders = {held: list(rng.permutation([f for f in folds if f != held])) for held in folds}
        plans.append({k: {held: frozenset(orders[held][:k]) for held in folds} for k in sizes})
    return plans


def _curve_splits(records: Sequence[LabelRecord], plans: list[dict]) -> list[Split]:
    """One split per distinct (held-out section, training sections): trained on those and the lead-in."""
    sections = np.array([r.section for r in records], dtype=object)
    splits = {}
    for plan in plans:
        for chosen_by_held in plan.values():
            for held, chosen in chosen_by_held.items():
                name = _split_name(held, chosen)
                if name not in splits:
                    train = np.flatnonzero(np.isin(sections, list(chosen | {LEAD_IN})))
                    splits[name] = Split("section", name, train, np.flatnonzero(sections == held))
    return list(splits.values())


def _split_name(held: str, chosen: frozenset) -> str:
    return "\x1f".join([held, *sorted(chosen)])


def learning_curve(
    records: Sequence[LabelRecord] | None = None,
    sizes: Sequence[int] | None = None,
    repeats: int = 3,
    estimator: ThemeClassifier | None = None,
    random_state: int = 0,
):
    """Leave-one-section-out score against the number of labelled training sections.

    For each held-out section and each repeat, the other sections are shuffled
    and the model is trained on the first ``k`` of them for every ``k`` in
    ``sizes`` (the lead-in is always in training, as in the ``section``
    protocol); predictions for all held-out sections are pooled and scored.
    Rows (a DataFrame when pandas is installed): ``k``, mean training units,
    mean and standard deviation of micro/macro F1 over the repeats, and the
    keyword baseline for reference.
    """
    from sklearn.base import clone

    from ..corpus import load_corpus

    records = list(records) if records is not None else load_corpus()
    estimator = estimator if estimator is not None else ThemeClassifier()
    folds = [split.name for split in section_splits(records)]
    sizes = sorted(set(sizes)) if sizes is not None else list(range(1, len(folds)))
    if not sizes or min(sizes) < 1 or max(sizes) > len(folds) - 1:
        raise ValueError(f"sizes must lie between 1 and {len(folds) - 1} (the sections left for training)")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    codebook = resolve_codebook(getattr(estimator, "codebook", None))
    plans = _section_orders(folds, sizes, repeats, random_state)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # a theme absent from a small training set
        held = run_splits(records, lambda: clone(estimator), _curve_splits(records, plans),
                          [section_of(r) for r in records], codebook=codebook)
    Y = label_matrix(records, codebook)
    sections = np.array([r.section for r in records], dtype=object)
    rows_of = {name: np.flatnonzero(np.array(held.split_of, dtype=object) == name) for name in held.splits}
    keyword = keyword_scores(records, folds, codebook)
    rows = []
    for k in sizes:
        micro, macro, units = [], [], []
        for plan in plans:
            names = [_split_name(section, plan[k][section]) for section in folds]
            picked = np.concatenate([rows_of[name] for name in names])
            result = score_predictions(Y[held.index[picked]], held.predicted[picked], codebook.ids)
            micro.append(result.micro_f1)
            macro.append(result.macro_f1)
            trained = sum(int(np.isin(sections, list(plan[k][s] | {LEAD_IN})).sum()) for s in folds)
            units.append(trained / len(folds))
        micro, macro, units = np.array(micro), np.array(macro), np.array(units)
        rows.append({"sections": k, "training_units": round(float(units.mean()), 1),
                     "micro_f1": round(float(micro.mean()), 3), "micro_f1_std": round(float(micro.std()), 3),
                     "macro_f1": round(float(macro.mean()), 3), "macro_f1_std": round(float(macro.std()), 3),
                     "repeats": len(micro), "keyword_micro_f1": keyword.micro_f1,
                     "keyword_macro_f1": keyword.macro_f1})
    return as_table(rows)


def source_learning_curve(
    records: Sequence[LabelRecord], params: dict, fractions: Sequence[float] = (0.25, 0.5, 0.75, 1.0),
    select: Callable[[LabelRecord], bool] | None = None, n_jobs: int = 1, seed: int = 0,
) -> list[dict]:
    """Held-out-source micro/macro-F1 when training on a fraction of the training documents, per source.

    For each fraction, every split trains on that share of its training
    documents (chosen at random, the same for every split), all their units.
    """
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


def calibration_report(records: Sequence[LabelRecord], held: HeldOut, select=None) -> dict:
    """Per theme, before (the link's probabilities) and after calibration, on the selected held-out units."""
    Y = label_matrix(records, held.codebook)
    keep = np.array([select is None or select(records[i]) for i in held.index], dtype=bool)
    truth = Y[held.index[keep]]
    return {
        theme: {"before": reliability(truth[:, k], held.raw[keep, k]),
                "after": reliability(truth[:, k], held.probabilities[keep, k]), "units": int(keep.sum())}
        for k, theme in enumerate(held.codebook.ids)
    }
