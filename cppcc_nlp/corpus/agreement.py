"""Inter-annotator agreement between two label files over their common units, and the disagreements."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ..codebook import Codebook, default_codebook
from ..errors import CorpusError
from ..evaluation.metrics import f1_parts, theme_f1
from .records import read_decision_lines


@dataclass(frozen=True)
class ThemeAgreement:
    theme: str
    positives_a: int
    positives_b: int
    both: int
    f1: float
    kappa: float
    alpha: float


@dataclass(frozen=True)
class Disagreement:
    id: str
    labels_a: tuple[str, ...]
    labels_b: tuple[str, ...]


@dataclass(frozen=True)
class Agreement:
    """Agreement of annotators A and B: micro-F1, exact match, and per theme F1, Cohen's kappa, Krippendorff's alpha."""

    units: int
    only_a: int
    only_b: int
    micro_f1: float
    macro_f1: float
    exact_match: float
    themes: tuple[ThemeAgreement, ...]
    disagreements: tuple[Disagreement, ...]

    def to_dict(self) -> dict:
        return {
            "units": self.units,
            "only_in_a": self.only_a,
            "only_in_b": self.only_b,
            "micro_f1": round(self.micro_f1, 4),
            "macro_f1": round(self.macro_f1, 4),
            "exact_match": round(self.exact_match, 4),
            "themes": {
                t.theme: {"positives_a": t.positives_a, "positives_b": t.positives_b, "both": t.both,
                          "f1": round(t.f1, 4), "kappa": round(t.kappa, 4), "alpha": round(t.alpha, 4)}
                for t in self.themes
            },
            "disagreements": len(self.disagreements),
        }

    def format(self) -> str:
        lines = [
            f"common units: {self.units} (only in A: {self.only_a}, only in B: {self.only_b})",
            f"micro-F1 {self.micro_f1:.3f}   macro-F1 {self.macro_f1:.3f}   exact match {self.exact_match:.3f}",
            "",
            f"  {'theme':<22}{'A':>6}{'B':>6}{'both':>6}{'F1':>8}{'kappa':>8}{'alpha':>8}",
        ]
        for t in self.themes:
            lines.append(f"  {t.theme:<22}{t.positives_a:>6}{t.positives_b:>6}{t.both:>6}{t.f1:>8.3f}{t.kappa:>8.3f}{t.alpha:>8.3f}")
        lines.append("")
        lines.append(f"disagreements: {len(self.disagreements)} units")
        return "\n".join(lines)


def read_decisions(path: str | os.PathLike, codebook: Codebook | None = None) -> dict[str, tuple[str, ...]]:
    """``id -> labels`` of a label or batch file (lines with ``labels: null`` are not decisions)."""
    codebook = codebook or default_codebook()
    decisions: dict[str, tuple[str, ...]] = {}
    for where, obj in read_decision_lines(path):
        if obj["labels"] is None:
            continue
        if obj["id"] in decisions:
            raise CorpusError(f"{where}: {obj['id']!r} is labelled twice")
        decisions[obj["id"]] = codebook.check_labels(obj["labels"], where)
    return decisions


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two binary codings (1.0 when both are constant and equal)."""
    observed = float(np.mean(a == b))
    pa, pb = float(np.mean(a)), float(np.mean(b))
    expected = pa * pb + (1 - pa) * (1 - pb)
    return 1.0 if expected == 1.0 else (observed - expected) / (1 - expected)


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float:
    """Krippendorff's alpha, nominal, for two coders who coded every unit (binary values)."""
    n = 2 * len(a)
    pairs_disagree = 2 * float(np.sum(a != b))  # ordered pairs within units that differ
    ones = float(np.sum(a) + np.sum(b))
    zeros = n - ones
    expected = 2 * ones * zeros / (n - 1)
    return 1.0 if expected == 0 else 1.0 - pairs_disagree / expected


def _f1(a: np.ndarray, b: np.ndarray) -> float:
    """F1 of B against A for one theme (the metrics module's rule: no positive on either side counts 1)."""
    tp, pp, ap = f1_parts(a[:, None], b[:, None])
    return float(theme_f1(tp, pp, ap)[0])


def agreement(a: dict[str, tuple[str, ...]], b: dict[str, tuple[str, ...]], codebook: Codebook | None = None
              ) -> Agreement:
    """Agreement over the units both A and B decided, per theme of ``codebook`` (default: the CPPCC one)."""
    codebook = codebook or default_codebook()
    theme_ids = codebook.ids
    common = sorted(set(a) & set(b))
    if not common:
        raise CorpusError("the two label files have no unit in common")
    A = codebook.label_matrix(a[uid] for uid in common).astype(bool)
    B = codebook.label_matrix(b[uid] for uid in common).astype(bool)
    themes = tuple(
        ThemeAgreement(theme, int(A[:, k].sum()), int(B[:, k].sum()), int((A[:, k] & B[:, k]).sum()),
                       _f1(A[:, k], B[:, k]), cohen_kappa(A[:, k], B[:, k]), krippendorff_alpha(A[:, k], B[:, k]))
        for k, theme in enumerate(theme_ids)
    )
    disagreements = tuple(Disagreement(uid, a[uid], b[uid]) for uid in common if set(a[uid]) != set(b[uid]))
    return Agreement(
        units=len(common),
        only_a=len(set(a) - set(b)),
        only_b=len(set(b) - set(a)),
        micro_f1=_f1(A.ravel(), B.ravel()),
        macro_f1=float(np.mean([t.f1 for t in themes])),
        exact_match=float(np.mean((A == B).all(axis=1))),
        themes=themes,
        disagreements=disagreements,
    )


def agreement_of_files(path_a: str | os.PathLike, path_b: str | os.PathLike, codebook: Codebook | None = None
                       ) -> Agreement:
    """Agreement between two label (or labelled batch) files."""
    return agreement(read_decisions(path_a, codebook), read_decisions(path_b, codebook), codebook)
