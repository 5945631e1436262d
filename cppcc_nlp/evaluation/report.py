"""Figures of a protocol's held-out predictions, as a result object, a dict (JSON) and Markdown tables.

``evaluate_protocol`` scores every held-out unit of one protocol beside both
baselines (``Evaluation``: the comparison of configurations, the notebooks);
``heldout_evaluation`` is what ``cppcc-nlp evaluate`` runs: every chosen
protocol's figures on the units it reports, with 95 % bootstrap intervals
that resample documents, not sentences (``format_evaluation``: its tables).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..codebook import Codebook, default_codebook, resolve_codebook
from ..corpus.records import LabelRecord
from ..model import ThemeClassifier
from ..progress import progress_bar
from .metrics import Scores, bootstrap_interval, micro_macro, per_theme, score_predictions
from .runner import HeldOut, label_matrix, protocol_splits, run_protocol, run_splits
from .splits import DEFAULT_PROTOCOLS, PROTOCOL_REGISTRY, protocol_of, quick_subset


@dataclass
class Evaluation:
    """Every held-out unit of one protocol scored: the model and both baselines, and each unit's prediction."""

    model: Scores
    keyword: Scores
    majority: Scores
    folds: list[str]
    n_units: int
    params: dict
    out_of_fold: list[dict] = field(default_factory=list, repr=False)
    protocol: str = "section"

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            "folds": self.folds,
            "n_units": self.n_units,
            "params": self.params,
            "model": self.model.to_dict(),
            "keyword_baseline": self.keyword.to_dict(),
            "majority_baseline": self.majority.to_dict(),
        }

    def table(self) -> str:
        """Markdown table: per-theme F1 (P/R) for the model and both baselines, then micro/macro F1."""
        rows = [
            "| theme | support | model P / R / F1 | keyword P / R / F1 | majority F1 |",
            "|---|---:|---|---|---:|",
        ]
        for theme in self.model.per_theme:
            m, k, j = (s.per_theme[theme] for s in (self.model, self.keyword, self.majority))
            rows.append(
                f"| {theme} | {m['support']} | {m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}** "
                f"| {k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.2f} | {j['f1']:.2f} |"
            )
        rows.append(
            f"| **micro-F1** | | **{self.model.micro_f1:.3f}** | {self.keyword.micro_f1:.3f} | {self.majority.micro_f1:.3f} |"
        )
        rows.append(
            f"| **macro-F1** | | **{self.model.macro_f1:.3f}** | {self.keyword.macro_f1:.3f} | {self.majority.macro_f1:.3f} |"
        )
        return "\n".join(rows)


def out_of_fold_rows(records: Sequence[LabelRecord], held: HeldOut) -> list[dict]:
    """Per held-out unit: id, section, split, text, gold and predicted themes, and the probability of each theme."""
    ids = held.codebook.ids
    return [{"id": records[i].id, "section": records[i].section, "split": held.split_of[row], "text": records[i].text,
             "gold": list(records[i].labels), "predicted": [ids[k] for k in np.flatnonzero(held.predicted[row])],
             "scores": {ids[k]: round(float(held.probabilities[row, k]), 3) for k in range(len(ids))}}
            for row, i in enumerate(held.index)]


def evaluate_protocol(
    records: Sequence[LabelRecord],
    estimator: ThemeClassifier | None = None,
    protocol: str = "section",
    splits: Sequence[str] | None = None,
    only: Callable[[LabelRecord], bool] | None = None,
    progress: bool | None = False,
    n_jobs: int = 1,
) -> Evaluation:
    """Every held-out unit (passing ``only``) of ``protocol``, scored beside both baselines.

    A clone of ``estimator`` (default: ``ThemeClassifier()``) is fitted per
    split; ``splits`` runs only the splits of these names (for ``section``: the
    section names). ``progress``: a bar over the splits on stderr (None: when
    stderr is a terminal).
    """
    from sklearn.base import clone

    estimator = estimator if estimator is not None else ThemeClassifier()
    codebook = resolve_codebook(getattr(estimator, "codebook", None))
    records = list(records)
    chosen = protocol_splits(records, protocol, only, splits)
    inner_group = protocol_of(protocol).inner_group
    bar = progress_bar(total=len(chosen), desc="folds", unit="fold", show=progress)
    try:
        held = run_splits(records, lambda: clone(estimator), chosen, [inner_group(r) for r in records], n_jobs,
                          progress=lambda: bar.update(1), codebook=codebook)
    finally:
        bar.close()
    held.protocol = protocol
    truth = label_matrix([records[i] for i in held.index], codebook)
    return Evaluation(
        model=score_predictions(truth, held.predicted, codebook.ids),
        keyword=score_predictions(truth, held.keyword, codebook.ids),
        majority=score_predictions(truth, held.majority, codebook.ids),
        folds=held.splits,
        n_units=int(truth.shape[0]),
        params={k: v for k, v in estimator.get_params().items() if k != "codebook"},
        out_of_fold=out_of_fold_rows(records, held),
        protocol=protocol,
    )


# -- the evaluation `cppcc-nlp evaluate` runs ----------------------------------------------------------------


def _figures(truth: np.ndarray, predicted: np.ndarray, themes: Sequence[str]) -> dict:
    micro, macro = micro_macro(truth, predicted)
    return {"micro_f1": round(micro, 3), "macro_f1": round(macro, 3), "per_theme": per_theme(truth, predicted, themes)}


def summarise(records: Sequence[LabelRecord], held: HeldOut, select: Callable[[LabelRecord], bool] | None = None,
              by: str = "source", rounds: int = 1000) -> dict:
    """Per group (source, or split) and pooled: model, keyword and majority figures with intervals."""
    Y = label_matrix(records, held.codebook)
    keep = np.array([select is None or select(records[i]) for i in held.index], dtype=bool)
    keys = [records[i].source if by == "source" else name for i, name in zip(held.index, held.split_of)]
    keys = np.array(keys, dtype=object)
    rows = {}
    for group in sorted(set(keys[keep])) + ["all"]:
        mask = keep & (keys == group) if group != "all" else keep
        if not mask.any():
            continue
        truth = Y[held.index[mask]]
        docs = [records[i].fold_group for i in held.index[mask]]
        row = {"units": int(mask.sum()), "documents": len(set(docs))}
        for name, predicted in (("model", held.predicted), ("keyword", held.keyword), ("majority", held.majority)):
            row[name] = _figures(truth, predicted[mask], held.codebook.ids)
            if name == "model":
                row[name]["interval"] = bootstrap_interval(truth, predicted[mask], docs, rounds=rounds)
        rows[group] = row
    return rows


def heldout_evaluation(
    records: Sequence[LabelRecord],
    params: dict,
    protocols: Sequence[str] = DEFAULT_PROTOCOLS,
    quick: bool = False,
    n_jobs: int = 1,
    rounds: int = 1000,
    progress=None,
    codebook: Codebook | None = None,
) -> dict:
    """Every protocol's figures on the units it reports (``Protocol.reports``), beside the baselines, as a dict.

    ``codebook``: the themes the models learn and are scored on (default: the CPPCC ones).
    ``quick``: a small subset of whole documents, no threshold search, only the protocols marked quick.
    """
    codebook = codebook or default_codebook()
    params = {k: v for k, v in params.items() if k != "codebook"}
    if quick:
        records = quick_subset(records)
        params = {**params, "threshold_folds": 0}
        protocols = [p for p in protocols if protocol_of(p).quick]
        rounds = min(rounds, 100)
    result = {"params": params, "codebook": codebook.name, "quick": quick, "units": len(records), "protocols": {},
              "reported_units": "test half, selected at random (the committed report: all its units)"}
    for protocol in protocols:
        held = run_protocol(records, lambda: ThemeClassifier(**params, codebook=codebook), protocol,
                            only=protocol_of(protocol).reports, n_jobs=n_jobs, progress=progress, codebook=codebook)
        if not len(held.index):
            continue
        result["protocols"][protocol] = summarise(records, held, by="source", rounds=rounds)
    return result


def _group_rows(rows: dict) -> list[str]:
    lines = ["| held out | units | docs | model micro-F1 [95 % CI] | model macro-F1 [95 % CI] | keyword micro / macro "
             "| majority micro / macro |", "|---|---:|---:|---|---|---|---|"]
    for group, row in rows.items():
        m, k, j = row["model"], row["keyword"], row["majority"]
        ci = m["interval"]
        lines.append(
            f"| {group} | {row['units']} | {row['documents']} | **{m['micro_f1']:.3f}** [{ci['micro_f1'][0]:.3f}, "
            f"{ci['micro_f1'][1]:.3f}] | {m['macro_f1']:.3f} [{ci['macro_f1'][0]:.3f}, {ci['macro_f1'][1]:.3f}] "
            f"| {k['micro_f1']:.3f} / {k['macro_f1']:.3f} | {j['micro_f1']:.3f} / {j['macro_f1']:.3f} |"
        )
    return lines


def _theme_rows(pooled: dict) -> list[str]:
    lines = ["| theme | support | model P / R / F1 [95 % CI of F1] | keyword P / R / F1 | majority F1 |",
             "|---|---:|---|---|---:|"]
    theme_intervals = pooled["model"]["interval"].get("per_theme_f1")
    for index, theme in enumerate(pooled["model"]["per_theme"]):
        m, k = pooled["model"]["per_theme"][theme], pooled["keyword"]["per_theme"][theme]
        j = pooled["majority"]["per_theme"][theme]
        ci = f" [{theme_intervals[index][0]:.2f}, {theme_intervals[index][1]:.2f}]" if theme_intervals else ""
        lines.append(f"| {theme} | {m['support']} | {m['precision']:.2f} / {m['recall']:.2f} / **{m['f1']:.2f}**{ci} "
                     f"| {k['precision']:.2f} / {k['recall']:.2f} / {k['f1']:.2f} | {j['f1']:.2f} |")
    return lines


def format_evaluation(result: dict) -> str:
    """The evaluation as Markdown tables: per held-out group, then per theme pooled."""
    lines = [f"Reported units: {result['reported_units']}. Intervals: 95 % bootstrap over documents."]
    for protocol, rows in result["protocols"].items():
        lines += ["", f"### {PROTOCOL_REGISTRY[protocol].title}", "", *_group_rows(rows), "", *_theme_rows(rows["all"])]
    return "\n".join(lines)
