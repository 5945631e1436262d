"""Theme shares a researcher can cite: per group (a section, a document, a year), with an interval.

A profile's share is classify-and-count: the share of a group's sentences whose
predicted label is on. When the model over-calls a theme on a source (false
positives) or misses it (false negatives), that share is off in a direction
the model's held-out error rates predict, so it can be corrected. Each theme
is one binary problem:

- ``count``: the share of units predicted with the theme (classify and count, CC);
- ``probability``: the mean (calibrated) probability of the theme (PCC);
- ``adjusted``: adjusted classify and count (ACC, Forman 2008):
  ``(count - fpr) / (tpr - fpr)``, clipped to [0, 1], with the theme's true- and
  false-positive rates measured on the model's held-out folds;
- ``adjusted-probability``: its probabilistic form (PACC, Bella et al. 2010):
  ``(probability - m0) / (m1 - m0)``, with ``m1`` and ``m0`` the mean
  probability among the held-out positives and negatives.

The held-out rates are ``Engine.heldout``: the out-of-fold probabilities and
labels of the training units from the cross-validation inside
``ThemeClassifier.fit`` (a model fitted with ``threshold_folds`` of 2 or more).
For one binary problem, these are QuaPy's ``ACC``/``PACC`` with the
``inversion`` method and ``clip`` normalisation (the tests check it against
QuaPy); QuaPy itself is not needed.

Intervals come from ``rounds`` draws, each of which resamples

1. the group's units (a Bayesian bootstrap: exponential weights per unit, with
   half a unit of share 1 and half a unit of share 0 added, so that a group with
   no predicted sentence still gets an interval; for 0/1 predictions its closed
   form, a Beta(c + 1/2, n - c + 1/2) draw of the predicted share), and
2. the held-out predictions that give the error rates (the same, separately
   for the held-out positives and negatives of each theme),

then recomputes the estimate; the interval is the central ``confidence`` part
of the draws, widened to contain the estimate itself. A small group gets the
wide interval it deserves, and so does a theme with few held-out positives.
What the interval does not cover is a source on which the model's error rates
differ from those on its held-out folds.
"""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Hashable, Iterable, Mapping, Sequence

import numpy as np

from .context import report_contexts, split_inputs

from .errors import ModelError
from .records import SCORE_DIGITS, csv_cell

METHODS = ("count", "probability", "adjusted", "adjusted-probability")
ADJUSTED = ("adjusted", "adjusted-probability")
GROUPINGS = ("section", "document")  # what ``groups`` may name when the units are reports
SHARE_FIELDS = ("group", "theme", "share", "low", "high", "n_units", "method")
ROUNDS = 1000
EXACT_BOOTSTRAP_UNITS = 20_000  # above this many units, a mean's draws come from its normal approximation
_MIN_GAP = 1e-9  # tpr - fpr (or m1 - m0) at most this: no correction is possible, the unadjusted share is kept


# -- the estimators --------------------------------------------------------------------------------------


def adjust(observed, positive_rate, negative_rate):
    """``(observed - negative_rate) / (positive_rate - negative_rate)`` clipped to [0, 1] (ACC and PACC).

    ``positive_rate`` is the true-positive rate (ACC) or the mean probability
    among positives (PACC), ``negative_rate`` the false-positive rate or the
    mean probability among negatives. Where the two rates are (almost) equal
    the classifier carries no information to correct with, and the observed
    share is kept (clipped). Works elementwise on arrays that broadcast.
    """
    observed = np.asarray(observed, dtype=float)
    gap = np.asarray(positive_rate, dtype=float) - np.asarray(negative_rate, dtype=float)
    safe = np.where(np.abs(gap) > _MIN_GAP, gap, 1.0)
    corrected = np.where(np.abs(gap) > _MIN_GAP, (observed - negative_rate) / safe, observed)
    return np.clip(corrected, 0.0, 1.0)


@dataclass(frozen=True)
class ErrorRates:
    """Each theme's held-out rates: what ``adjusted`` and ``adjusted-probability`` correct with.

    ``tpr``/``fpr``: share of held-out positives/negatives predicted positive;
    ``mean_positive``/``mean_negative``: their mean probability; ``positives``/
    ``negatives``: how many held-out units each figure rests on.
    """

    themes: tuple[str, ...]
    tpr: np.ndarray
    fpr: np.ndarray
    mean_positive: np.ndarray
    mean_negative: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    probabilities: np.ndarray = field(repr=False)
    labels: np.ndarray = field(repr=False)
    thresholds: np.ndarray = field(repr=False)

    @classmethod
    def from_heldout(cls, probabilities, labels, thresholds, themes: Sequence[str]) -> "ErrorRates":
        """The rates of out-of-fold ``probabilities`` (n x themes) against 0/1 ``labels`` at ``thresholds``."""
        p = np.asarray(probabilities, dtype=float)
        y = np.asarray(labels).astype(bool)
        t = np.asarray(thresholds, dtype=float)
        if p.ndim != 2 or p.shape != y.shape or p.shape[1] != len(themes) or t.shape != (len(themes),):
            raise ValueError(f"held-out probabilities {p.shape}, labels {y.shape} and thresholds {t.shape} "
                             f"do not fit {len(themes)} themes")
        predicted = p >= t
        pos, neg = y.sum(axis=0), (~y).sum(axis=0)

        def mean_where(values, mask, count):
            return np.where(count > 0, (values * mask).sum(axis=0) / np.maximum(count, 1), np.nan)

        return cls(tuple(themes), mean_where(predicted, y, pos), mean_where(predicted, ~y, neg),
                   mean_where(p, y, pos), mean_where(p, ~y, neg), pos, neg, p, y, t)

    def rates(self, method: str) -> tuple[np.ndarray, np.ndarray]:
        """``(positive_rate, negative_rate)`` per theme for an adjusted ``method``."""
        if method == "adjusted":
            return self.tpr, self.fpr
        return self.mean_positive, self.mean_negative

    def draws(self, method: str, rounds: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """``rounds`` resampled ``(positive_rate, negative_rate)`` arrays, each ``(rounds, themes)``."""
        crisp = method == "adjusted"
        values = (self.probabilities >= self.thresholds) if crisp else self.probabilities
        pos_draws = np.empty((rounds, len(self.themes)))
        neg_draws = np.empty_like(pos_draws)
        for k in range(len(self.themes)):
            for out, mask, fallback in ((pos_draws, self.labels[:, k], self.rates(method)[0][k]),
                                        (neg_draws, ~self.labels[:, k], self.rates(method)[1][k])):
                column = values[mask, k].astype(float)
                out[:, k] = _mean_draws(column[:, None], rounds, rng, crisp)[:, 0] if len(column) else fallback
        return pos_draws, neg_draws

    def to_dict(self) -> dict:
        """Per theme: tpr, fpr, mean probability among positives and negatives, and their counts."""
        return {theme: {"tpr": _round(self.tpr[k]), "fpr": _round(self.fpr[k]),
                        "mean_positive": _round(self.mean_positive[k]), "mean_negative": _round(self.mean_negative[k]),
                        "positives": int(self.positives[k]), "negatives": int(self.negatives[k])}
                for k, theme in enumerate(self.themes)}


def _mean_draws(values: np.ndarray, rounds: int, rng: np.random.Generator, crisp: bool) -> np.ndarray:
    """``rounds`` bootstrap draws of the column means of ``values`` (units x columns): ``(rounds, columns)``.

    The Bayesian bootstrap (exponential weights per unit) with half a unit of
    value 1 and half a unit of value 0 added (Gamma(1/2) weights), so that a
    column of equal values still gets a spread; for 0/1 values its closed form,
    Beta(c + 1/2, n - c + 1/2). Above ``EXACT_BOOTSTRAP_UNITS`` units, the normal
    approximation of the mean.
    """
    n = values.shape[0]
    if crisp:
        counts = values.sum(axis=0)
        return rng.beta(counts + 0.5, n - counts + 0.5, size=(rounds, values.shape[1]))
    if n <= EXACT_BOOTSTRAP_UNITS:
        weights = rng.standard_exponential((rounds, n))
        at_one = rng.gamma(0.5, size=(rounds, 1))  # half a unit at 1 and half a unit at 0, as for 0/1 values
        total = weights.sum(axis=1, keepdims=True) + at_one + rng.gamma(0.5, size=(rounds, 1))
        return (weights @ values + at_one) / total
    mean = values.mean(axis=0)
    spread = values.std(axis=0, ddof=1) / math.sqrt(n)
    return np.clip(mean + spread * rng.standard_normal((rounds, values.shape[1])), 0.0, 1.0)


def _round(value) -> float | None:
    value = float(value)
    return None if math.isnan(value) else round(value, SCORE_DIGITS)


# -- the result ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShareTable:
    """One row per group and theme: ``group, theme, share, low, high, n_units, method``.

    ``rates`` are the held-out error rates used (None for ``count`` and
    ``probability``). Rows keep the groups in the order they first appear.
    """

    rows: tuple[dict, ...]
    method: str
    confidence: float
    themes: tuple[str, ...]
    rates: ErrorRates | None = field(default=None, repr=False)
    codebook: object = field(default=None, repr=False)  # the model's Codebook: the themes' names and colours

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        """The rows, each a dict of ``SHARE_FIELDS`` (so ``pandas.DataFrame(table)`` is the table)."""
        return iter(self.to_records())

    def __getitem__(self, index):
        """Row ``index`` (a dict), or a list of rows for a slice."""
        if isinstance(index, slice):
            return [dict(row) for row in self.rows[index]]
        return dict(self.rows[index])

    def __repr__(self) -> str:
        groups = self.groups
        shown = ", ".join(map(repr, groups[:4])) + (", ..." if len(groups) > 4 else "")
        head = (f"ShareTable(method={self.method!r}, confidence={self.confidence:g}, {len(groups)} groups "
                f"[{shown}] x {len(self.themes)} themes, {len(self.rows)} rows)")
        return head + "\n" + self.format()

    def _repr_html_(self) -> str:
        """An HTML table for notebooks: one row per group, ``share [low, high]`` per theme."""
        from html import escape

        names = getattr(self.codebook, "names", None) or {}
        head = "".join(f"<th title='{escape(theme)}'>{escape(names.get(theme, theme))}</th>" for theme in self.themes)
        body = []
        for group, cells in self._by_group().items():
            first = next(iter(cells.values()))
            values = "".join(
                f"<td>{c['share']:.2f} <small>[{c['low']:.2f}, {c['high']:.2f}]</small></td>"
                for c in (cells[t] for t in self.themes))
            body.append(f"<tr><th>{escape(str(group))}</th><td>{first['n_units']}</td>{values}</tr>")
        caption = f"theme shares ({escape(self.method)}), {self.confidence:.0%} intervals"
        return (f"<table><caption>{caption}</caption><thead><tr><th>group</th><th>units</th>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")

    def _by_group(self) -> dict:
        by_group: dict[Any, dict[str, dict]] = {}
        for row in self.rows:
            by_group.setdefault(row["group"], {})[row["theme"]] = row
        return by_group

    @property
    def groups(self) -> list:
        return list(dict.fromkeys(row["group"] for row in self.rows))

    def to_records(self) -> list[dict]:
        return [dict(row) for row in self.rows]

    def sorted_groups(self, key=None) -> "ShareTable":
        """The same table with its groups in sorted order (``key`` as for ``sorted``; each group's themes stay
        in order)."""
        order = sorted(self.groups, key=key)
        rank = {group: k for k, group in enumerate(order)}
        return replace(self, rows=tuple(sorted(self.rows, key=lambda row: rank[row["group"]])))

    def to_dataframe(self):
        """The rows as a pandas DataFrame (requires pandas)."""
        from .optional import require

        return require("pandas", "to_dataframe()").DataFrame(self.to_records(), columns=list(SHARE_FIELDS))

    def cell(self, group, theme: str) -> dict:
        """The row of one group and theme."""
        for row in self.rows:
            if row["group"] == group and row["theme"] == theme:
                return row
        raise KeyError((group, theme))

    def format(self, digits: int = 2) -> str:
        """A Markdown table: one line per group, ``share [low, high]`` per theme."""
        lines = ["| group | units | " + " | ".join(self.themes) + " |", "|---|---:|" + "---|" * len(self.themes)]
        for group, cells in self._by_group().items():
            first = next(iter(cells.values()))
            values = [f"{c['share']:.{digits}f} [{c['low']:.{digits}f}, {c['high']:.{digits}f}]"
                      for c in (cells[t] for t in self.themes)]
            label = str(group).replace("|", "\\|")
            lines.append(f"| {label} | {first['n_units']} | " + " | ".join(values) + " |")
        percent = f"{self.confidence:.0%}"
        lines.append(f"\nmethod: {self.method}; intervals: {percent}")
        return "\n".join(lines)

    def write(self, path: str | os.PathLike) -> Path:
        """The rows as CSV (``.csv``) or JSON lines (any other suffix; ``"-"``: standard output), UTF-8."""
        to_stdout = str(path) == "-"
        path = Path(path)
        with nullcontext(sys.stdout) if to_stdout else open(path, "w", encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                writer = csv.DictWriter(handle, fieldnames=list(SHARE_FIELDS))
                writer.writeheader()
                writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in self.rows)
            else:
                for row in self.rows:
                    handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return path


# -- from scores ------------------------------------------------------------------------------------------


def shares_from_scores(
    probabilities,
    groups: Sequence[Hashable] | None,
    *,
    method: str = "adjusted",
    thresholds=None,
    predicted=None,
    rates: ErrorRates | None = None,
    themes: Sequence[str] | None = None,
    confidence: float = 0.95,
    rounds: int = ROUNDS,
    seed: int | None = 0,
    labels: Sequence[str] | None = None,
) -> ShareTable:
    """Shares per group from the units' per-theme probabilities (n x themes).

    ``predicted`` (0/1, n x themes) defaults to ``probabilities >= thresholds``;
    ``rates`` (``ErrorRates``) is needed by the adjusted methods. ``groups``
    gives one key per unit (None: one group, ``"all"``); ``labels`` optionally
    names each distinct key, in order of first appearance, in the ``group``
    column.
    """
    _check_options(method, confidence, rounds)
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or not len(p):
        raise ValueError(f"expected probabilities of shape (units, themes) with at least one unit, got {p.shape}")
    themes = tuple(themes) if themes is not None else (rates.themes if rates is not None else tuple(
        f"theme{k}" for k in range(p.shape[1])))
    if len(themes) != p.shape[1]:
        raise ValueError(f"{p.shape[1]} probability columns but {len(themes)} themes")
    if predicted is None:
        if thresholds is None:
            if method in ("count", "adjusted"):
                raise ValueError(f"method {method!r} needs thresholds (or predicted labels)")
            predicted = np.zeros_like(p, dtype=bool)
        else:
            predicted = p >= np.asarray(thresholds, dtype=float)
    predicted = np.asarray(predicted).astype(bool)
    if predicted.shape != p.shape:
        raise ValueError(f"predicted labels {predicted.shape} do not match probabilities {p.shape}")
    if method in ADJUSTED and rates is None:
        raise ValueError(f"method {method!r} needs the model's held-out error rates (rates=)")
    keys = ["all"] * len(p) if groups is None else list(groups)
    if len(keys) != len(p):
        raise ValueError(f"{len(p)} units but {len(keys)} group keys; give one key per unit")
    order = list(dict.fromkeys(keys))
    if labels is not None and len(labels) != len(order):
        raise ValueError(f"{len(order)} groups but {len(labels)} group labels")
    names = list(labels) if labels is not None else [_group_name(key) for key in order]
    index = {key: g for g, key in enumerate(order)}
    member = np.fromiter((index[key] for key in keys), dtype=np.int64, count=len(keys))

    rng = np.random.default_rng(seed)
    crisp = method in ("count", "adjusted")
    values = predicted.astype(float) if crisp else p
    alpha = (1.0 - confidence) / 2
    if method in ADJUSTED:
        positive_rate, negative_rate = rates.rates(method)
        pos_draws, neg_draws = rates.draws(method, rounds, rng)
    rows = []
    by_group = np.argsort(member, kind="stable")  # each group's units in their order: values[member == g], fast
    bounds = np.searchsorted(member[by_group], np.arange(len(names) + 1))
    for g, name in enumerate(names):
        inside = values[by_group[bounds[g]:bounds[g + 1]]]
        observed = inside.mean(axis=0)
        draws = _mean_draws(inside, rounds, rng, crisp)
        if method in ADJUSTED:
            estimate = adjust(observed, positive_rate, negative_rate)
            draws = adjust(draws, pos_draws, neg_draws)
        else:
            estimate = observed
        low = np.minimum(np.quantile(draws, alpha, axis=0), estimate)
        high = np.maximum(np.quantile(draws, 1.0 - alpha, axis=0), estimate)
        for k, theme in enumerate(themes):
            rows.append({"group": name, "theme": theme, "share": round(float(estimate[k]), SCORE_DIGITS),
                         "low": round(float(low[k]), SCORE_DIGITS), "high": round(float(high[k]), SCORE_DIGITS),
                         "n_units": int(len(inside)), "method": method})
    return ShareTable(tuple(rows), method, confidence, themes, rates if method in ADJUSTED else None)


def _check_options(method: str, confidence: float, rounds: int) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence!r}")
    if not isinstance(rounds, (int, np.integer)) or rounds < 10:
        raise ValueError(f"rounds must be an integer of at least 10, got {rounds!r}")


def _group_name(key):
    """A group key as the ``group`` column shows it: str, int and float as they are, a tuple joined with ' · '."""
    if isinstance(key, (str, int, float, np.integer, np.floating)) and not isinstance(key, bool):
        return key.item() if isinstance(key, np.generic) else key
    if isinstance(key, tuple):
        return " · ".join(str(part) for part in key)
    return str(key)


# -- from a model -------------------------------------------------------------------------------------------


def error_rates(model) -> ErrorRates:
    """The held-out error rates of a model (any form ``api.as_engine`` takes).

    Raises ``ModelError`` when the model keeps no held-out predictions (fitted
    with ``threshold_folds`` below 2, or saved before they were kept).
    """
    from .api import as_engine

    engine = as_engine(model)
    heldout = getattr(engine, "heldout", None)
    if heldout is None:
        raise ModelError(
            "this model keeps no held-out predictions, so its error rates are unknown: retrain it "
            "(ThemeClassifier(threshold_folds=5).fit(...), or cppcc-nlp train), or use the count or probability "
            "method (method='count', --shares count)"
        )
    return ErrorRates.from_heldout(heldout[0], heldout[1], engine.thresholds, engine.themes)


def estimate_shares(
    units,
    groups=None,
    *,
    method: str = "adjusted",
    model=None,
    confidence: float = 0.95,
    rounds: int = ROUNDS,
    seed: int | None = 0,
    heldout=None,
) -> ShareTable:
    """Each group's share of units per theme, with a ``confidence`` interval.

    ``units``: texts, records (objects with ``.text``, and ``.context`` for
    models that read it, e.g. the corpus's ``LabelRecord``; or dicts with a
    ``"text"``, e.g. ``LabelledReport.to_records()``), ``Report`` objects
    or labelled reports (``LabelledReport``, a list of them, or a
    ``research.ReportBatch``). Texts, records and reports are predicted with
    ``model`` (any form ``api.as_engine`` takes; default: the shipped model); a labelled report's own predictions
    are used as they are, so ``model`` must be the one that labelled it (it gives
    the error rates).

    ``groups``: one key per unit (per sentence for reports), e.g. the section,
    the document or the year; for reports also ``"section"`` (the default for
    reports) or ``"document"``; for dict records the name of a field
    (``"section"``, ``"document"`` for ``doc``); None for texts: one group, ``"all"``.

    ``method``: ``"count"``, ``"probability"``, ``"adjusted"`` (default) or
    ``"adjusted-probability"`` (see the module's documentation). The adjusted
    methods take the model's held-out predictions (``model.engine_.heldout``)
    unless ``heldout=(probabilities, labels)`` gives others.

    Returns a ``ShareTable``: one row per group and theme with ``share``,
    ``low``, ``high``, ``n_units`` and ``method``; ``rounds`` draws make the
    interval, and the same ``seed`` gives the same interval.
    """
    from .api import as_engine

    _check_options(method, confidence, rounds)
    engine = as_engine(model)
    themes = tuple(str(t) for t in engine.themes)
    thresholds = np.asarray(engine.thresholds, dtype=float)
    rates = None
    if method in ADJUSTED:  # before predicting: a model without held-out predictions fails at once
        rates = (ErrorRates.from_heldout(heldout[0], heldout[1], thresholds, themes) if heldout is not None
                 else error_rates(engine))
    probabilities, predicted, keys, labels = _predictions(units, groups, engine, themes)
    table = shares_from_scores(probabilities, keys, method=method, predicted=predicted, rates=rates, themes=themes,
                               confidence=confidence, rounds=rounds, seed=seed, labels=labels)
    return replace(table, codebook=getattr(engine, "codebook", None))


def _labelled_reports(units) -> list | None:
    """The labelled reports among ``units`` (one, a list of them, or a ReportBatch), or None for other units."""
    if hasattr(units, "labelled") and not hasattr(units, "predictions"):
        return list(units.labelled)
    if hasattr(units, "predictions") and hasattr(units, "report"):
        return [units]
    if isinstance(units, (list, tuple)) and units and all(hasattr(u, "predictions") and hasattr(u, "report")
                                                            for u in units):
        return list(units)
    return None


def _reports(units) -> list | None:
    from .reader import Report

    if isinstance(units, Report):
        return [units]
    if isinstance(units, (list, tuple)) and units and all(isinstance(u, Report) for u in units):
        return list(units)
    return None


def _predictions(units, groups, model, themes):
    """``(probabilities, predicted, keys, labels)`` of the units, whatever form they come in."""
    labelled = _labelled_reports(units)
    reports = [item.report for item in labelled] if labelled is not None else _reports(units)
    if reports is not None:
        sentences = [(report, s) for report in reports for s in report.sentences]
        if not sentences:
            raise ValueError("the reports hold no sentence")
        if labelled is not None:
            probabilities = np.array([[p.scores[t] for t in themes] for item in labelled for p in item.predictions])
            predicted = np.array([[t in p.labels for t in themes] for item in labelled for p in item.predictions])
        else:
            probabilities = _predict(model, [s.text for _, s in sentences],
                                     [c for report in reports for c in report_contexts(report)])
            predicted = probabilities >= np.asarray(model.thresholds)
        keys, labels = report_groups(reports, sentences, "section" if groups is None else groups)
        return probabilities, predicted, keys, labels
    if isinstance(units, str):
        raise ValueError("expected a sequence of units, got a single string; wrap it in a list")
    items = list(units)
    if not items:
        raise ValueError("no unit to estimate shares from")
    records = all(isinstance(item, Mapping) for item in items)
    if records:  # sentence records (LabelledReport.to_records(), a label output's JSON lines): their text
        groups = _record_groups(items, groups)
        items = _record_texts(items)
    elif isinstance(groups, str):
        raise ValueError(f"groups={groups!r} names a grouping of reports or records; for texts give one key per unit")
    probabilities = _predict(model, items)
    predicted = probabilities >= np.asarray(model.thresholds)
    return probabilities, predicted, None if groups is None else list(groups), None


def _record_texts(records: list) -> list[str]:
    texts = []
    for k, record in enumerate(records):
        text = record.get("text")
        if not isinstance(text, str):
            raise ValueError(f"record {k} has no 'text' string (keys: {', '.join(map(str, record))})")
        texts.append(text)
    return texts


def _record_groups(records: list, groups):
    """One key per record: ``groups`` as given, or a field of each record it names ("section", "document" for
    ``doc``, any other key)."""
    if not isinstance(groups, str):
        return groups
    key = "doc" if groups == "document" else groups
    missing = next((k for k, record in enumerate(records) if key not in record), None)
    if missing is not None:
        raise ValueError(f"groups={groups!r}: record {missing} has no {key!r} field "
                         f"(keys: {', '.join(map(str, records[missing]))})")
    return [record[key] for record in records]


def _predict(engine, items, contexts=None) -> np.ndarray:
    """Probabilities of texts or units (``items``) by an engine, each with its context (``contexts``, else its own)."""
    texts, own = split_inputs(items)
    return np.asarray(engine.predict_proba(texts, contexts if contexts is not None else own), dtype=float)


def report_groups(reports, sentences, groups) -> tuple[list, list | None]:
    """One key per sentence of ``reports`` for ``groups`` ("section", "document" or one key per sentence)."""
    if isinstance(groups, str):
        if groups not in GROUPINGS:
            raise ValueError(f"groups for reports must be one of {GROUPINGS} or one key per sentence, got {groups!r}")
        if groups == "document":
            return [report.doc_id for report, _ in sentences], None
        several = len({report.doc_id for report in reports}) > 1
        keys = [(report.doc_id, s.section_index) for report, s in sentences]
        names = {}
        for report in reports:
            for section in report.sections:
                names[(report.doc_id, section.index)] = (f"{report.doc_id} · {section.name}" if several
                                                         else section.name)
        order = list(dict.fromkeys(keys))
        return keys, [names[key] for key in order]
    keys = list(groups)
    if len(keys) != len(sentences):
        raise ValueError(f"{len(sentences)} sentences but {len(keys)} group keys; give one key per sentence")
    return keys, None


def document_groups(reports, values: dict) -> list:
    """One key per sentence: ``values[doc_id]`` of its document (e.g. a year read from a JSONL field)."""
    return [values.get(report.doc_id) for report in reports for _ in report.sentences]


def field_values(inputs: Iterable[str | os.PathLike], field: str, glob: str = "*.txt", text_field: str | None = None,
                 id_field: str | None = None) -> dict[str, str]:
    """``{document id: value}`` of a field of the JSONL records among ``inputs`` (ids as ``cppcc-nlp label`` gives them).

    ``field`` may end in ``:N`` to keep the value's first N characters
    (``date:4``: the year of an ISO date). A record without the field gets no
    entry. Standard input cannot be read twice, so it is refused here.
    """
    from .batch.inputs import iter_items
    from .errors import InputError

    name, keep = parse_field(field)
    lines: dict[str, dict[int, str]] = {}
    for item in iter_items(inputs, glob, text_field, id_field):
        if item.text is None or item.source.startswith("<stdin>"):
            if item.source.startswith("<stdin>"):
                raise InputError(f"grouping by the field {name!r} needs JSONL files, not standard input")
            continue
        path, _, number = item.source.rpartition(":")
        lines.setdefault(path, {})[int(number)] = item.doc_id
    values: dict[str, str] = {}
    for path, wanted in lines.items():
        with open(path, "rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if number not in wanted:
                    continue
                record = json.loads(raw.decode("utf-8-sig"))
                value = record.get(name)
                text = "" if value is None else str(value).strip()
                if keep:
                    text = text[:keep]
                if text:  # a missing, null or empty value: the document has no group, and is counted apart
                    values[wanted[number]] = text
    return values


def parse_field(field: str) -> tuple[str, int | None]:
    """``--by FIELD[:N]`` -> ``(FIELD, N)``; UsageError unless FIELD is a name and N a number of 1 or more."""
    from .errors import UsageError

    name, colon, width = field.partition(":")
    if not name:
        raise UsageError(f"--by {field!r}: name a field of the JSONL records, e.g. date or date:4")
    if colon and not (width.isascii() and width.isdigit() and int(width) >= 1):
        raise UsageError(f"--by {field!r}: after ':' comes the number of characters to keep (1 or more), e.g. date:4")
    return name, int(width) if colon else None
