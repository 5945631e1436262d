"""Units whose hand label a cross-validated model contradicts most confidently, for a second reading.

Confident learning, per theme as one binary problem (as cleanlab treats
multi-label data): out-of-fold probabilities from folds that keep whole
documents together; a theme's threshold is the mean out-of-fold probability
of its hand-labelled positives (for "on") and of its negatives (for "off"); a
unit is flagged when its probability lies beyond the threshold of the other
class, ranked by the probability the model gives to its hand label
(self-confidence, lowest first). The audit never relabels: it lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..codebook import Codebook, default_codebook
from ..corpus.records import LabelRecord
from ..evaluation.runner import run_splits
from ..evaluation.splits import document_folds, document_groups


@dataclass(frozen=True)
class AuditFinding:
    """A unit and theme where the model disagrees with the hand label, and how sure it is."""

    id: str
    theme: str
    hand_label: bool
    probability: float
    self_confidence: float
    text: str

    def to_dict(self) -> dict:
        return {"id": self.id, "theme": self.theme, "hand_label": self.hand_label,
                "probability": round(self.probability, 4), "self_confidence": round(self.self_confidence, 4)}


def out_of_fold_probabilities(
    records: Sequence[LabelRecord], make_model: Callable[[], object], folds: int = 5, progress=None,
    codebook: Codebook | None = None,
) -> np.ndarray:
    """Probabilities for each record from a model that never saw its document (``evaluation.splits.document_folds``).

    Units go in as records, with their context. With fewer documents than
    folds, the folds keep whole sections together.
    """
    held = run_splits(records, make_model, document_folds(records, folds), document_groups(records, folds),
                      progress=progress, codebook=codebook)
    scores = np.zeros((len(records), len((codebook or default_codebook()).ids)), dtype=float)
    scores[held.index] = held.probabilities
    return scores


def find_label_issues(records: Sequence[LabelRecord], probabilities: np.ndarray, limit: int | None = None,
                      codebook: Codebook | None = None) -> list[AuditFinding]:
    """The confident-learning findings, most confident contradiction first."""
    themes = (codebook or default_codebook()).ids
    Y = (codebook or default_codebook()).label_matrix(r.labels for r in records).astype(bool)
    findings = []
    for k, theme in enumerate(themes):
        p = probabilities[:, k]
        positives, negatives = p[Y[:, k]], p[~Y[:, k]]
        if not len(positives) or not len(negatives):
            continue
        on, off = float(positives.mean()), float(negatives.mean())
        for i in np.flatnonzero(Y[:, k] & (p <= off)):
            findings.append(AuditFinding(records[i].id, theme, True, float(p[i]), float(p[i]), records[i].text))
        for i in np.flatnonzero(~Y[:, k] & (p >= on)):
            findings.append(AuditFinding(records[i].id, theme, False, float(p[i]), float(1 - p[i]), records[i].text))
    findings.sort(key=lambda f: (f.self_confidence, f.id, f.theme))
    return findings[:limit] if limit is not None else findings

