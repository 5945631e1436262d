"""The research workflow: profile tables, rendered explanations, model comparison,
learning curves and error analysis.

Every table is a pandas DataFrame when pandas is installed and a list of dicts
otherwise (``as_table``); pandas stays optional for the core library.
"""

from __future__ import annotations

import html
import json
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np
from sklearn.base import clone

from .api import LabelledReport, default_model
from .batch import label_in_memory, write_documents
from .corpus import LabelRecord, load_corpus
from .evaluate import Evaluation, Scores, evaluate_configurations, score_predictions, section_folds
from .model import Explanation, ThemeClassifier, _label_matrix
from .optional import require
from .plots import MEASURES
from .reader import LEAD_IN
from .records import csv_cell, flatten, record_fields
from .codebook import Codebook, default_codebook

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    Table = pd.DataFrame | list[dict]

def theme_rgb(theme: str, codebook: Codebook | None = None) -> tuple[int, int, int]:
    """A theme's colour in ``codebook`` (default: the CPPCC one) as an RGB triple; grey for an unknown theme."""
    colour = (codebook or default_codebook()).colours.get(theme)
    return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5)) if colour else (120, 120, 120)


# -- tables ------------------------------------------------------------------------------


def as_table(rows: list[dict]) -> Table:
    """``rows`` as a pandas DataFrame when pandas is installed, else unchanged."""
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


def table_rows(table) -> list[dict]:
    """A DataFrame or a list of dicts back to a list of dicts."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return table.to_dict("records")
    return [dict(row) for row in table]


def markdown_table(
    table,
    columns: Sequence[str] | None = None,
    digits: int = 3,
    formats: dict[str, str] | None = None,
) -> str:
    """A Markdown table of a DataFrame or list of dicts.

    Floats are rounded to ``digits``; ``formats`` maps a column to a format spec
    (e.g. ``{"C": "g"}``).
    """
    rows = table_rows(table)
    columns = list(columns) if columns is not None else list(dict.fromkeys(k for row in rows for k in row))
    formats = {"C": "g", "seconds": ".1f", **(formats or {})}

    def cell(value, column: str) -> str:
        if value is None or (isinstance(value, (float, np.floating)) and np.isnan(value)):
            return ""
        if column in formats and isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
            return format(value, formats[column])
        if isinstance(value, (float, np.floating)):
            return "" if np.isnan(value) else f"{value:.{digits}f}"
        if isinstance(value, (list, tuple)):
            return ", ".join(str(v) for v in value)
        return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(row.get(c), c) for c in columns) + " |" for row in rows]
    return "\n".join(lines)


def write_table(table, path: str | os.PathLike) -> Path:
    """Write a table as CSV (``.csv``, flattened by ``records.flatten``: lists joined with ``;``,
    ``scores`` as ``score_<theme>`` columns) or JSON lines (other suffixes), UTF-8.

    ``"-"`` writes JSON lines to standard output. Sentence records and profiles
    are best written with ``ReportBatch.write_records``/``write_profiles``, which
    give the bytes of ``cppcc-nlp label`` (Parquet too).
    """
    import csv
    from contextlib import nullcontext

    path = Path(path)
    rows = table_rows(table)
    to_stdout = str(path) == "-"
    with nullcontext(sys.stdout) if to_stdout else open(path, "w", encoding="utf-8", newline="") as handle:
        if path.suffix.lower() == ".csv":
            rows = [flatten(row) for row in rows]
            columns = list(dict.fromkeys(k for row in rows for k in row))
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in rows)
        else:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
    return path


# -- labelling many reports and their profiles -------------------------------------------


@dataclass(frozen=True)
class ReportBatch:
    """Labelled reports of a batch, and the inputs that could not be labelled (source, reason)."""

    labelled: tuple[LabelledReport, ...]
    failures: tuple[tuple[str, str], ...] = ()

    @property
    def themes(self) -> tuple[str, ...]:
        return self.labelled[0].themes if self.labelled else default_codebook().ids

    def to_records(self) -> list[dict]:
        """One record per sentence of every report."""
        return [record for labelled in self.labelled for record in labelled.to_records()]

    def to_dataframe(self):
        """The sentence records as a pandas DataFrame in flat form, as ``LabelledReport.to_dataframe`` (requires pandas)."""
        pd = require("pandas", "to_dataframe()")
        return pd.DataFrame([flatten(r, join_labels=False) for r in self.to_records()], columns=record_fields(self.themes))

    def profiles(self) -> list[dict]:
        """One section profile per section of every report."""
        return [row for labelled in self.labelled for row in labelled.profiles()]

    def write_records(self, path: str | os.PathLike) -> Path:
        """The sentence records into ``path`` (.jsonl, .csv, .parquet; ``"-"``: stdout), as ``cppcc-nlp label -o`` writes them."""
        write_documents(path, "records", self.themes, self._documents())
        return Path(path)

    def write_profiles(self, path: str | os.PathLike) -> Path:
        """The section profiles into ``path``, as ``cppcc-nlp label --profiles`` writes them."""
        write_documents(path, "profiles", self.themes, self._documents())
        return Path(path)

    def _documents(self):
        for labelled in self.labelled:
            yield (labelled.report, *labelled.masks_and_steps())


def label_reports(
    inputs: Iterable[str | os.PathLike] | str | os.PathLike,
    model: ThemeClassifier | None = None,
    glob: str = "*.txt",
    *,
    text_field: str | None = None,
    id_field: str | None = None,
    jobs: int = 1,
) -> ReportBatch:
    """Label report files, directories of reports and JSONL files, keeping them in memory.

    The pipeline of ``cppcc-nlp label`` (``batch.label_in_memory``): the same
    files, document ids (a file's path under its directory without suffix),
    labels and rounding. Inputs that cannot be labelled (missing, binary,
    undecodable, a duplicate id, a bad JSONL line) are skipped and listed in
    ``failures``. For archives too large for memory use ``cppcc-nlp label``.
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    model = model if model is not None else default_model()
    result = label_in_memory(inputs, model, glob, text_field=text_field, id_field=id_field, jobs=jobs)
    labelled = tuple(LabelledReport.of_steps(report, masks, steps, result.themes)
                     for report, masks, steps in result.documents)
    return ReportBatch(labelled, tuple(result.failures))


def profile_rows(labelled: LabelledReport | Iterable[LabelledReport], measure: str = "sentences") -> list[dict]:
    """Per section: doc, section, sentences, characters and the share of each theme.

    ``measure="sentences"`` gives the share of the section's sentences that carry
    the theme; ``"characters"`` weights each sentence by its length.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    reports = [labelled] if isinstance(labelled, LabelledReport) else list(labelled)
    prefix = "share_" if measure == "sentences" else "char_share_"
    rows = []
    for report in reports:
        for profile in report.profiles():
            row = {key: profile[key] for key in ("doc", "section", "sentences", "characters")}
            row.update({theme: profile[prefix + theme] for theme in report.themes})
            rows.append(row)
    return rows


def theme_profile(labelled: LabelledReport | Iterable[LabelledReport], measure: str = "sentences") -> Table:
    """Sections x themes table of theme shares (DataFrame when pandas is installed).

    Columns: ``doc``, ``section``, ``sentences``, ``characters``, then one column
    per theme id with the share (0-1) of the section's sentences (or characters)
    labelled with that theme.
    """
    return as_table(profile_rows(labelled, measure))


# -- explanations ------------------------------------------------------------------------


def merged_terms(terms: Iterable[tuple[str, float]]) -> list[tuple[str, float]]:
    """Terms with the same name (a word and the same characters as a char n-gram) summed, largest first."""
    totals: dict[str, float] = {}
    for term, weight in terms:
        totals[term] = totals.get(term, 0.0) + float(weight)
    return sorted(totals.items(), key=lambda item: -item[1])


def _term_spans(text: str, term: str) -> list[tuple[int, int]]:
    """Where a model term occurs in ``text``: the whole term, else each of its tokens."""
    term = term.removeprefix("cue:")
    pieces = [piece for piece in term.split(" ") if piece]
    joined = "".join(pieces)
    spans = []
    for needle in [joined] if joined and joined in text else pieces:
        start = text.find(needle)
        while start >= 0:
            spans.append((start, start + len(needle)))
            start = text.find(needle, start + 1)
    return spans


def highlight_html(text: str, terms: Sequence[tuple[str, float]], rgb: tuple[int, int, int]) -> str:
    """``text`` as HTML, the characters covered by ``terms`` shaded by the summed term weight."""
    weight = np.zeros(len(text))
    for term, value in terms:
        for start, end in _term_spans(text, term):
            weight[start:end] += max(float(value), 0.0)
    top = weight.max() if len(text) else 0.0
    parts, k = [], 0
    while k < len(text):
        end = k + 1
        while end < len(text) and weight[end] == weight[k]:
            end += 1
        chunk = html.escape(text[k:end])
        if weight[k] > 0 and top > 0:
            alpha = 0.2 + 0.6 * weight[k] / top
            parts.append(
                f'<mark style="background: rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha:.2f}); '
                f'padding: 0 1px; border-radius: 2px">{chunk}</mark>'
            )
        else:
            parts.append(chunk)
        k = end
    return "".join(parts)


def theme_name(theme: str, codebook: Codebook | None = None) -> str:
    """A theme's display name in ``codebook`` (default: the CPPCC one)."""
    return (codebook or default_codebook()).names.get(theme, theme)


def explanation_html(
    explanation: Explanation,
    themes: Iterable[str] | None = None,
    gold: Iterable[str] | None = None,
    codebook: Codebook | None = None,
) -> str:
    """HTML: for each theme, its probability and the sentence with the terms that drove it highlighted.

    ``themes`` defaults to the predicted themes. With ``gold`` labels, each theme
    is marked correct, missed (gold only) or extra (predicted only).
    """
    gold_set = set(gold) if gold is not None else None
    chosen = list(themes) if themes is not None else [t.theme for t in explanation.predicted]
    lines = ['<div class="cppcc-explanation" style="line-height: 1.9; margin: 0.3em 0 0.8em 0">']
    if not chosen:
        lines.append(f"<div>{html.escape(explanation.text)}</div>")
        lines.append('<div style="color: #888">(no theme predicted)</div>')
    for item in explanation.themes:
        if item.theme not in chosen:
            continue
        rgb = theme_rgb(item.theme, codebook)
        verdict = "predicted" if item.predicted else "not predicted"
        if gold_set is not None:
            verdict = {
                (True, True): "correct",
                (True, False): "extra (not in gold)",
                (False, True): "missed (gold)",
                (False, False): "not predicted",
            }[(item.predicted, item.theme in gold_set)]
        terms = (
            " · ".join(f"{html.escape(term)} {weight:+.2f}" for term, weight in merged_terms(item.terms))
            or "no positive term"
        )
        lines.append(
            "<div>"
            f'<span style="color: rgb{rgb}; font-weight: bold">{html.escape(theme_name(item.theme, codebook))} '
            f"{html.escape(item.theme)}</span> "
            f'<span style="color: #555">p={item.probability:.2f} (threshold {item.threshold:.2f}), {verdict}</span><br>'
            f"{highlight_html(explanation.text, item.terms, rgb)}<br>"
            f'<small style="color: #555">{terms}</small>'
            "</div>"
        )
    lines.append("</div>")
    return "\n".join(lines)


@dataclass(frozen=True)
class RenderedExplanation:
    """An ``Explanation`` that shows itself as highlighted HTML in a notebook and as text in a terminal."""

    explanation: Explanation
    themes: tuple[str, ...] | None = None
    gold: tuple[str, ...] | None = None
    codebook: Codebook | None = None

    def html(self) -> str:
        return explanation_html(self.explanation, self.themes, self.gold, self.codebook)

    def _repr_html_(self) -> str:
        return self.html()

    def __str__(self) -> str:
        return self.explanation.format(all_themes=self.themes is not None)


def explain(
    text: str,
    model: ThemeClassifier | None = None,
    top: int = 5,
    all_themes: bool = False,
) -> RenderedExplanation:
    """Explain a sentence: the terms that drove each predicted theme (every theme with ``all_themes``)."""
    model = model if model is not None else default_model()
    explanation = model.explain(text, top=top)
    codebook = model.codebook_
    return RenderedExplanation(explanation, codebook.ids if all_themes else None, codebook=codebook)


def top_terms_table(model: ThemeClassifier | None = None, n: int = 10) -> Table:
    """The ``n`` terms with the largest weight per theme: one row per rank, one column per theme.

    Cells read ``term (weight)``; ``cue:`` marks a codebook cue-word feature.
    """
    model = model if model is not None else default_model()
    terms = model.top_terms(n)
    rows = []
    for rank in range(n):
        row = {"rank": rank + 1}
        for theme in model.classes_:
            ranked = terms[str(theme)]
            row[str(theme)] = f"{ranked[rank][0]} ({ranked[rank][1]:.2f})" if rank < len(ranked) else ""
        rows.append(row)
    return as_table(rows)


# -- comparing configurations ------------------------------------------------------------


def default_configurations() -> dict[str, dict]:
    """One-change-at-a-time variations around the default ``ThemeClassifier``."""
    return {
        "default (word+char, logreg, cue words)": {},
        "word n-grams only": {"features": "word"},
        "word n-grams + lexicon": {"features": "word", "use_lexicon": True},
        "char n-grams only": {"features": "char"},
        "with domain lexicon": {"use_lexicon": True},
        "without cue words": {"cue_words": False},
        "linear SVM": {"classifier": "svm"},
        "isotonic calibration": {"calibration": "isotonic"},
        "C = 1": {"C": 1.0},
    }


COMPARED_PARAMS = ("features", "classifier", "use_lexicon", "cue_words", "C")


def comparison_rows(evaluations: dict[str, Evaluation], seconds: dict[str, float] | None = None) -> list[dict]:
    """One row per evaluated configuration, then the keyword and majority baselines."""
    rows = []
    for name, result in evaluations.items():
        row = {"configuration": name, **{p: result.params.get(p) for p in COMPARED_PARAMS}}
        row.update({"micro_f1": result.model.micro_f1, "macro_f1": result.model.macro_f1})
        row.update({f"f1_{theme}": scores["f1"] for theme, scores in result.model.per_theme.items()})
        if seconds is not None:
            row["seconds"] = round(seconds[name], 1)
        rows.append(row)
    if evaluations:
        first = next(iter(evaluations.values()))
        for name, scores in (("keyword baseline", first.keyword), ("majority baseline", first.majority)):
            row = {"configuration": name, **{p: None for p in COMPARED_PARAMS}}
            row.update({"micro_f1": scores.micro_f1, "macro_f1": scores.macro_f1})
            row.update({f"f1_{theme}": theme_scores["f1"] for theme, theme_scores in scores.per_theme.items()})
            rows.append(row)
    return rows


def compare_models(
    records: Sequence[LabelRecord] | None = None,
    configurations: dict[str, dict] | None = None,
    base_params: dict | None = None,
    keep: dict[str, Evaluation] | None = None,
) -> Table:
    """Leave-one-section-out evaluation of several ``ThemeClassifier`` configurations, one table.

    ``configurations`` maps a name to parameters (``features``, ``classifier``,
    ``use_lexicon``, ``cue_words``, ``C``, ...) laid over ``base_params``; the
    default is ``default_configurations()``. Rows: each configuration's
    micro/macro F1, per-theme F1 and run time, then the two baselines. Pass a
    dict as ``keep`` to receive each configuration's ``Evaluation`` (for
    ``misclassified``).
    """
    records = list(records) if records is not None else load_corpus()
    configurations = configurations if configurations is not None else default_configurations()
    evaluations, seconds = {}, {}
    for name, params in configurations.items():
        start = time.perf_counter()
        merged = {**(base_params or {}), **params}
        evaluations[name] = evaluate_configurations(records, {name: merged})[name]
        seconds[name] = time.perf_counter() - start
    if keep is not None:
        keep.update(evaluations)
    return as_table(comparison_rows(evaluations, seconds))


# -- learning curve ----------------------------------------------------------------------


def learning_curve(
    records: Sequence[LabelRecord] | None = None,
    sizes: Sequence[int] | None = None,
    repeats: int = 3,
    estimator: ThemeClassifier | None = None,
    random_state: int = 0,
) -> Table:
    """Leave-one-section-out score against the number of labelled training sections.

    For each held-out section and each repeat, the other sections are shuffled
    and the model is trained on the first ``k`` of them for every ``k`` in
    ``sizes`` (the lead-in is always in training, as in ``cross_validate``);
    predictions for all held-out sections are pooled and scored. Rows: ``k``,
    mean training units, mean and standard deviation of micro/macro F1 over the
    repeats, and the keyword baseline for reference.
    """
    records = list(records) if records is not None else load_corpus()
    estimator = estimator if estimator is not None else ThemeClassifier()
    folds = section_folds(records)
    sizes = sorted(set(sizes)) if sizes is not None else list(range(1, len(folds)))
    if not sizes or min(sizes) < 1 or max(sizes) > len(folds) - 1:
        raise ValueError(f"sizes must lie between 1 and {len(folds) - 1} (the sections left for training)")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    texts = [r.text for r in records]
    Y, _ = _label_matrix([r.labels for r in records], len(records))
    sections = np.array([r.section for r in records], dtype=object)
    rng = np.random.default_rng(random_state)
    cache: dict[tuple[str, frozenset], np.ndarray] = {}

    def predict(held_out: str, chosen: frozenset) -> np.ndarray:
        key = (held_out, chosen)
        if key not in cache:
            train = np.flatnonzero(np.isin(sections, list(chosen | {LEAD_IN})))
            test = np.flatnonzero(sections == held_out)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # a theme absent from a small training set
                fitted = clone(estimator).fit([texts[i] for i in train], Y[train], groups=list(sections[train]))
                cache[key] = fitted.predict([texts[i] for i in test])
        return cache[key]

    scores: dict[int, list[tuple[float, float, int]]] = {k: [] for k in sizes}
    for _ in range(repeats):
        orders = {held: list(rng.permutation([f for f in folds if f != held])) for held in folds}
        for k in sizes:
            truth, predicted, units = [], [], 0
            for held in folds:
                chosen = frozenset(orders[held][:k])
                truth.append(Y[sections == held])
                predicted.append(predict(held, chosen))
                units += int(np.isin(sections, list(chosen | {LEAD_IN})).sum())
            result = score_predictions(np.vstack(truth), np.vstack(predicted))
            scores[k].append((result.micro_f1, result.macro_f1, units / len(folds)))
    keyword = keyword_scores(records, folds)
    rows = []
    for k in sizes:
        micro, macro, units = (np.array(column) for column in zip(*scores[k]))
        rows.append(
            {
                "sections": k,
                "training_units": round(float(units.mean()), 1),
                "micro_f1": round(float(micro.mean()), 3),
                "micro_f1_std": round(float(micro.std()), 3),
                "macro_f1": round(float(macro.mean()), 3),
                "macro_f1_std": round(float(macro.std()), 3),
                "repeats": len(micro),
                "keyword_micro_f1": keyword.micro_f1,
                "keyword_macro_f1": keyword.macro_f1,
            }
        )
    return as_table(rows)


def keyword_scores(records: Sequence[LabelRecord], folds: Sequence[str] | None = None) -> Scores:
    """Scores of the keyword baseline on the held-out sections (it needs no training)."""
    from .evaluate import keyword_predictions

    folds = list(folds) if folds is not None else section_folds(records)
    chosen = [r for r in records if r.section in set(folds)]
    Y, _ = _label_matrix([r.labels for r in chosen], len(chosen))
    return score_predictions(Y, keyword_predictions([r.text for r in chosen]))


def plot_learning_curve(curve: Table, title: str | None = None) -> Figure:
    """Micro and macro F1 (mean and one standard deviation) against labelled sections, as a ``Figure``."""
    Figure = require("matplotlib.figure", "plot_learning_curve()").Figure

    rows = table_rows(curve)
    k = np.array([row["sections"] for row in rows])
    fig = Figure(figsize=(6.4, 4.0), layout="constrained")
    ax = fig.subplots()
    for name, color in (("micro_f1", "#2874a6"), ("macro_f1", "#c0392b")):
        mean = np.array([row[name] for row in rows])
        std = np.array([row[f"{name}_std"] for row in rows])
        ax.plot(k, mean, marker="o", color=color, label=f"model {name.replace('_', '-')}")
        ax.fill_between(k, mean - std, mean + std, color=color, alpha=0.15)
        ax.axhline(rows[0][f"keyword_{name}"], color=color, linestyle=":", label=f"keyword baseline {name.replace('_', '-')}")
    ax.set_xlabel("labelled training sections")
    ax.set_ylabel("leave-one-section-out F1")
    ax.set_xticks(k)
    ax.set_ylim(0, 1)
    ax.grid(color="#dddddd", linewidth=0.6)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_title(title or "Learning curve")
    return fig


# -- error analysis ----------------------------------------------------------------------


@dataclass(frozen=True)
class ErrorAnalysis:
    """The misclassified units of an evaluation, each with the explanation of the fold's model."""

    rows: tuple[dict, ...]
    explanations: tuple[RenderedExplanation, ...] = field(repr=False)

    def __len__(self) -> int:
        return len(self.rows)

    def to_records(self) -> list[dict]:
        return [dict(row) for row in self.rows]

    def to_dataframe(self):
        """The rows as a pandas DataFrame (requires pandas)."""
        return require("pandas", "to_dataframe()").DataFrame(self.to_records())

    def html(self, limit: int = 10) -> str:
        """The first ``limit`` errors as HTML, gold and predicted themes highlighted."""
        parts = [f"<p><b>{len(self.rows)} misclassified unit(s)</b>; showing {min(limit, len(self.rows))}.</p>"]
        for row, view in list(zip(self.rows, self.explanations))[:limit]:
            parts.append(
                f"<div style='margin-top: 0.6em'><code>{html.escape(row['id'])}</code> "
                f"gold: {html.escape(', '.join(row['gold']) or '(none)')} · "
                f"predicted: {html.escape(', '.join(row['predicted']) or '(none)')}</div>"
            )
            parts.append(view.html())
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.html()


def misclassified(
    evaluation: Evaluation,
    records: Sequence[LabelRecord] | None = None,
    estimator: ThemeClassifier | None = None,
    top: int = 5,
) -> ErrorAnalysis:
    """The units whose predicted themes differ from the gold ones, with explanations.

    Each explanation comes from a model trained without the unit's section (the
    model that made the error in ``cross_validate``), rebuilt from
    ``evaluation.params`` unless ``estimator`` is given. Rows: id, section, text,
    gold, predicted, missed and extra themes, scores, and the terms behind them.
    """
    records = list(records) if records is not None else load_corpus()
    estimator = estimator if estimator is not None else ThemeClassifier(**evaluation.params)
    errors = [row for row in evaluation.out_of_fold if set(row["gold"]) != set(row["predicted"])]
    texts = [r.text for r in records]
    labels = [r.labels for r in records]
    sections = [r.section for r in records]
    models: dict[str, ThemeClassifier] = {}
    rows, views = [], []
    for error in errors:
        held = error["section"]
        if held not in models:
            train = [i for i, section in enumerate(sections) if section != held]
            models[held] = clone(estimator).fit(
                [texts[i] for i in train], [labels[i] for i in train], groups=[sections[i] for i in train]
            )
        explanation = models[held].explain(error["text"], top=top)
        involved = tuple(t for t in models[held].codebook_.ids if t in set(error["gold"]) | set(error["predicted"]))
        by_theme = {item.theme: item for item in explanation.themes}
        rows.append(
            {
                "id": error["id"],
                "section": held,
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
        )
        views.append(RenderedExplanation(explanation, involved, tuple(error["gold"])))
    return ErrorAnalysis(tuple(rows), tuple(views))

