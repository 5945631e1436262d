"""The two baselines every model figure stands beside: cue words (no training) and the majority theme."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..codebook import Codebook, default_codebook
from ..corpus.records import LabelRecord
from .metrics import Scores, score_predictions
from .splits import section_splits


def keyword_predictions(texts: Sequence[str], codebook: Codebook | None = None) -> np.ndarray:
    """Keyword-lexicon baseline: a unit gets a theme when it contains one of the theme's cue words."""
    cue_words = (codebook or default_codebook()).cue_words()
    return np.array(
        [[int(any(cue in text for cue in cues)) for cues in cue_words.values()] for text in texts], dtype=int
    ).reshape(len(texts), len(cue_words))


def majority_predictions(train_Y: np.ndarray, n_test: int) -> np.ndarray:
    """Majority baseline: every unit gets the theme most frequent in the training fold."""
    predicted = np.zeros((n_test, train_Y.shape[1]), dtype=int)
    predicted[:, int(np.argmax(train_Y.sum(axis=0)))] = 1
    return predicted


def keyword_scores(records: Sequence[LabelRecord], folds: Sequence[str] | None = None,
                   codebook: Codebook | None = None) -> Scores:
    """Scores of the keyword baseline on the held-out sections (every section but the lead-in; it needs no training)."""
    codebook = codebook or default_codebook()
    folds = set(folds) if folds is not None else {split.name for split in section_splits(records)}
    chosen = [r for r in records if r.section in folds]
    truth = codebook.label_matrix(r.labels for r in chosen)
    return score_predictions(truth, keyword_predictions([r.text for r in chosen], codebook), codebook.ids)
