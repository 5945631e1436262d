"""The one out-of-fold runner: fit on each split's training units, predict its test units, pool the predictions.

Every held-out figure goes through ``run_splits``: the protocols (``run_protocol``),
the audit's out-of-fold probabilities and the learning curves. Units go in as
records, so a model that reads their context gets it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..codebook import Codebook, default_codebook
from ..context import split_inputs
from ..corpus.records import LabelRecord
from .baselines import keyword_predictions, majority_predictions
from .splits import Split, protocol_of


@dataclass
class HeldOut:
    """Out-of-split predictions: every test unit of every split, in split order, with its probabilities."""

    protocol: str
    index: np.ndarray  # positions in the records
    probabilities: np.ndarray
    raw: np.ndarray  # the link function's probabilities, before any calibration
    predicted: np.ndarray
    keyword: np.ndarray
    majority: np.ndarray
    split_of: list[str]
    codebook: Codebook = field(default_factory=default_codebook)

    @property
    def splits(self) -> list[str]:
        """The names of the splits that were run, in order."""
        return list(dict.fromkeys(self.split_of))


def label_matrix(records: Sequence[LabelRecord], codebook: Codebook | None = None) -> np.ndarray:
    """The records' hand labels, one column per theme of ``codebook`` (default: the CPPCC one)."""
    return (codebook or default_codebook()).label_matrix(r.labels for r in records)


def _fit_predict(records: Sequence[LabelRecord], Y: np.ndarray, groups: Sequence[str], make_model, split: Split):
    model = make_model()
    model.fit([records[i] for i in split.train], Y[split.train], groups=[groups[i] for i in split.train])
    test = [records[i] for i in split.test]
    probabilities = model.predict_proba(test)
    predicted = (probabilities >= model.thresholds_).astype(int)
    engine = getattr(model, "engine_", None)
    raw = engine.raw_proba(*split_inputs(test)) if engine is not None else probabilities
    return probabilities, raw, predicted


def run_splits(
    records: Sequence[LabelRecord],
    make_model: Callable[[], object],
    splits: Sequence[Split],
    groups: Sequence[str] | None = None,
    n_jobs: int = 1,
    progress: Callable[[], object] | None = None,
    codebook: Codebook | None = None,
) -> HeldOut:
    """Fit ``make_model()`` on each split's training units and predict its test units; pool them in split order.

    ``groups`` (default: each record's ``fold_group``) go to ``fit``, whose own
    folds keep them together. ``progress`` is called after each split.
    Labels are read by ``codebook``'s themes (default: the CPPCC ones), the models' column order.
    """
    from joblib import Parallel, delayed

    codebook = codebook or default_codebook()
    splits = [split for split in splits if len(split.test)]
    protocol = splits[0].protocol if splits else ""
    if not splits:  # the corpus has nothing this protocol holds out (e.g. no single committed report: no cities)
        empty = np.zeros((0, len(codebook.ids)))
        return HeldOut(protocol, np.zeros(0, dtype=int), empty, empty, empty.astype(int), empty.astype(int),
                       empty.astype(int), [], codebook)
    Y = label_matrix(records, codebook)
    groups = list(groups) if groups is not None else [r.fold_group for r in records]
    results = []
    jobs = (delayed(_fit_predict)(records, Y, groups, make_model, split) for split in splits)
    for result in Parallel(n_jobs=n_jobs, return_as="generator")(jobs):
        results.append(result)
        if progress is not None:
            progress()
    index = np.concatenate([split.test for split in splits])
    return HeldOut(
        protocol=protocol,
        index=index,
        probabilities=np.vstack([probabilities for probabilities, _, _ in results]),
        raw=np.vstack([raw for _, raw, _ in results]),
        predicted=np.vstack([predicted for _, _, predicted in results]),
        keyword=keyword_predictions([records[i].text for i in index], codebook),
        majority=np.vstack([majority_predictions(Y[split.train], len(split.test)) for split in splits]),
        split_of=[split.name for split in splits for _ in split.test],
        codebook=codebook,
    )


def protocol_splits(
    records: Sequence[LabelRecord],
    protocol: str,
    only: Callable[[LabelRecord], bool] | None = None,
    splits: Sequence[str] | None = None,
) -> list[Split]:
    """One protocol's splits over ``records``; test units are those passing ``only``, splits without any dropped.

    ``splits``: only the splits of these names (ValueError for a name the protocol does not make).
    """
    made = protocol_of(protocol).make_splits(records)
    if splits is not None:
        names = {split.name for split in made}
        unknown = [name for name in splits if name not in names]
        if unknown:
            raise ValueError(f"protocol {protocol!r} holds out no split named {unknown[0]!r}")
        made = [split for split in made if split.name in set(splits)]
    if only is not None:
        made = [Split(split.protocol, split.name, split.train,
                      np.array([i for i in split.test if only(records[i])], dtype=int)) for split in made]
    return [split for split in made if len(split.test)]


def run_protocol(
    records: Sequence[LabelRecord],
    make_model: Callable[[], object],
    protocol: str,
    only: Callable[[LabelRecord], bool] | None = None,
    n_jobs: int = 1,
    progress: Callable[[], object] | None = None,
    codebook: Codebook | None = None,
    splits: Sequence[str] | None = None,
) -> HeldOut:
    """``protocol_splits`` through ``run_splits``; fit's own folds keep the protocol's ``inner_group`` together."""
    inner_group = protocol_of(protocol).inner_group
    held = run_splits(records, make_model, protocol_splits(records, protocol, only, splits),
                      [inner_group(r) for r in records], n_jobs, progress, codebook)
    held.protocol = protocol
    return held
