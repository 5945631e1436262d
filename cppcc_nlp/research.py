"""Notebook rendering: profile tables, Markdown and CSV tables, highlighted explanations, error pages and the
learning-curve figure.

The figures themselves come from ``cppcc_nlp.evaluation`` (comparisons, curves,
error analysis). Every table is a pandas DataFrame when pandas is installed and
a list of dicts otherwise (``optional.as_table``); pandas stays optional.
"""

from __future__ import annotations

import html
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence

import numpy as np

from .api import LabelledReport, default_model
from .batch import label_in_memory, write_documents
from .codebook import Codebook, default_codebook
from .evaluation.errors import ErrorAnalysis, merged_terms
from .model import Explanation, ThemeClassifier
from .optional import as_table, require, table_rows
from .records import csv_cell, flatten, profile_rows, record_fields

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    Table = pd.DataFrame | list[dict]

def theme_rgb(theme: str, codebook: Codebook | None = None) -> tuple[int, int, int]:
    """A theme's colour in ``codebook`` (default: the CPPCC one) as an RGB triple; grey for an unknown theme."""
    colour = (codebook or default_codebook()).colours.get(theme)
    return tuple(int(colour[k : k + 2], 16) for k in (1, 3, 5)) if colour else (120, 120, 120)


# -- tables ------------------------------------------------------------------------------


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


def theme_profile(labelled: LabelledReport | Iterable[LabelledReport], measure: str = "sentences") -> Table:
    """Sections x themes table of theme shares (DataFrame when pandas is installed).

    Columns: ``doc``, ``section``, ``sentences``, ``characters``, then one column
    per theme id with the share (0-1) of the section's sentences (or characters)
    labelled with that theme.
    """
    return as_table(profile_rows(labelled, measure))


# -- explanations ------------------------------------------------------------------------


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


def errors_html(analysis: ErrorAnalysis, limit: int = 10) -> str:
    """The first ``limit`` errors of ``evaluation.errors.misclassified`` as HTML, gold and predicted themes
    highlighted."""
    parts = [f"<p><b>{len(analysis.rows)} misclassified unit(s)</b>; showing {min(limit, len(analysis.rows))}.</p>"]
    for row, explanation, involved in list(zip(analysis.rows, analysis.explanations, analysis.involved))[:limit]:
        parts.append(
            f"<div style='margin-top: 0.6em'><code>{html.escape(row['id'])}</code> "
            f"gold: {html.escape(', '.join(row['gold']) or '(none)')} · "
            f"predicted: {html.escape(', '.join(row['predicted']) or '(none)')}</div>"
        )
        parts.append(explanation_html(explanation, involved, row["gold"]))
    return "\n".join(parts)
