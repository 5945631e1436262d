"""Error analysis: the held-out units a protocol's models got wrong, each explained by the model that erred."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from ..codebook import resolve_codebook
from ..corpus.records import LabelRecord
from ..model import Explanation, ThemeClassifier
from ..optional import require
from .report import Evaluation
from .runner import label_matrix, protocol_splits
from .splits import protocol_of


def merged_terms(terms: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Terms with the same name (a word and the same characters as a char n-gram) summed, largest first."""
    totals: dict[str, float] = {}
    for term, weight in terms:
        totals[term] = totals.get(term, 0.0) + float(weight)
    return sorted(totals.items(), key=lambda item: -item[1])


@dataclass(frozen=True)
class ErrorAnalysis:
    """The misclassified units of an evaluation; per unit, the explanation of its split's model and the themes
    involved (gold or predicted)."""

    rows: tuple[dict, ...]
    explanations: tuple[Explanation, ...] = field(repr=False)
    involved: tuple[tuple[str, ...], ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def to_records(self) -> list[dict]:
        return [dict(row) for row in self.rows]

    def to_dataframe(self):
        """The rows as a pandas DataFrame (requires pandas)."""
        return require("pandas", "to_dataframe()").DataFrame(self.to_records())


def _error_row(error: dict, explanation: Explanation, involved: Sequence[str]) -> dict:
    by_theme = {item.theme: item for item in explanation.themes}
    return {
        "id": error["id"],
        "section": error["section"],
        "text": error["text"],
        "gold": list(error["gold"]),
        "predicted": list(error["predicted"]),
        "missed": [t for t in error["gold"] if t not in error["predicted"]],
        "extra": [t for t in error["predicted"] if t not in error["gold"]],
        "scores": error["scores"],
        "why": "; ".join(
            f"{t} p={by_theme[t].probability:.2f}: "
            + (", ".join(f"{term} {w:+.2f}" for term, w in merged_terms(by_theme[t].terms)) or "-")
            for t in involved
        ),
    }


def misclassified(
    evaluation: Evaluation,
    records: Sequence[LabelRecord] | None = None,
    estimator: ThemeClassifier | None = None,
    top: int = 5,
) -> ErrorAnalysis:
    """The units whose predicted themes differ from the gold ones, with explanations.

    Each explanation comes from a model fitted on the training units of the
    unit's split (the model that made the error in ``evaluate_protocol``),
    rebuilt from ``evaluation.params`` unless ``estimator`` is given. Rows: id,
    section, text, gold, predicted, missed and extra themes, scores, and the
    terms behind them.
    """
    from sklearn.base import clone

    from ..corpus import load_corpus

    records = list(records) if records is not None else load_corpus()
    estimator = estimator if estimator is not None else ThemeClassifier(**evaluation.params)
    errors = [row for row in evaluation.out_of_fold if set(row["gold"]) != set(row["predicted"])]
    splits = {split.name: split for split in
              protocol_splits(records, evaluation.protocol, splits=list(dict.fromkeys(e["split"] for e in errors)))}
    inner_group = protocol_of(evaluation.protocol).inner_group
    Y = label_matrix(records, resolve_codebook(getattr(estimator, "codebook", None)))
    models: dict[str, ThemeClassifier] = {}
    rows, explanations, involved = [], [], []
    for error in errors:
        split = splits[error["split"]]
        if split.name not in models:
            models[split.name] = clone(estimator).fit([records[i] for i in split.train], Y[split.train],
                                                      groups=[inner_group(records[i]) for i in split.train])
        explanation = models[split.name].explain(error["text"], top=top)
        themes = tuple(t for t in models[split.name].codebook_.ids if t in set(error["gold"]) | set(error["predicted"]))
        rows.append(_error_row(error, explanation, themes))
        explanations.append(explanation)
        involved.append(themes)
    return ErrorAnalysis(tuple(rows), tuple(explanations), tuple(involved))
