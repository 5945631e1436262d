"""Shares of texts, records or reports: predicted with a model (or as labelled) and grouped, then estimated."""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from ..context import report_contexts, split_inputs
from ..errors import ModelError
from .estimate import ROUNDS, check_options, shares_from_scores
from .rates import ErrorRates
from .table import ShareTable

GROUPINGS = ("section", "document")  # what ``groups`` may name when the units are reports


def error_rates(model) -> ErrorRates:
    """The held-out error rates of a model (any form ``api.as_engine`` takes).

    Raises ``ModelError`` when the model keeps no held-out predictions (fitted
    with ``threshold_folds`` below 2, or saved before they were kept).
    """
    from ..predictor import as_engine

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
    from ..predictor import as_engine

    estimator = check_options(method, confidence, rounds)
    engine = as_engine(model)
    themes = tuple(str(t) for t in engine.themes)
    thresholds = np.asarray(engine.thresholds, dtype=float)
    rates = None
    if estimator.adjusted:  # before predicting: a model without held-out predictions fails at once
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
    from ..reader import Report

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
