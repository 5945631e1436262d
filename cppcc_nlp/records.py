"""The record schema: the sentence record and the section profile that every writer uses.

One place for what the outputs hold, so that JSON lines, CSV, Parquet, the
DataFrames, ``label --profiles`` and ``profile -o`` cannot drift apart:

- **Sentence record**, one per sentence: ``doc, section, section_index,
  paragraph, sentence, start, end, text, labels, scores``. In JSON, ``labels``
  is a list of theme ids and ``scores`` an object ``{theme: probability}``.
- **Flat form** (CSV, Parquet, ``to_dataframe``): the same columns up to
  ``labels``, then one ``score_<theme>`` column per theme; CSV joins the labels
  with ``;``, Parquet and DataFrames keep them a list.
- **Section profile**, one per section: ``doc, section_index, section,
  sentences, characters``, then ``share_<theme>`` (share of the section's
  sentences with the theme) and ``char_share_<theme>`` (share of its
  characters) for each theme.
- **Rounding**: scores and shares to 4 decimal places (``round(p, 4)``).
- **Document ids**: a file found in an input directory is its path under that
  directory without suffix (``2019/report``); a file named directly is its name
  without suffix; standard input is ``stdin``; a JSONL line is ``<file id>:<line>``
  unless an id field names it.

A new field is one line in ``_SENTENCE_FIELDS`` (or ``PROFILE_FIELDS``): the
fast encoders below are generated from that table.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import PurePosixPath
from typing import Iterable, Sequence

import numpy as np

SCORE_DIGITS = 4  # scores and shares are rounded to this many decimal places
_SCALE = 10**SCORE_DIGITS

# The fields of a sentence record before labels and scores, in order:
# (name, its value for a Sentence ``s`` of a document ``doc`` with section names ``section``, kind).
# kind: "int", "str", or "encoded" (the encoders receive the document id and section names JSON-encoded).
_SENTENCE_FIELDS = (
    ("doc", "doc", "encoded"),
    ("section", "section[s.section_index]", "encoded"),
    ("section_index", "s.section_index", "int"),
    ("paragraph", "s.paragraph_index", "int"),
    ("sentence", "s.index", "int"),
    ("start", "s.start", "int"),
    ("end", "s.end", "int"),
    ("text", "s.text", "str"),
)
RECORD_FIELDS = (*(name for name, _, _ in _SENTENCE_FIELDS), "labels", "scores")
PROFILE_FIELDS = ("doc", "section_index", "section", "sentences", "characters")
MEASURES = ("sentences", "characters")  # what a profile's shares count: share_<theme> and char_share_<theme>
_PROFILE_TYPES = {"section_index": "int", "sentences": "int", "characters": "int"}

STDIN_ID = "stdin"


# output files by suffix (label -o and --profiles, profile -o); any other suffix is refused, never guessed
OUTPUT_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def check_output_suffix(path, flag: str = "-o", allowed=tuple(OUTPUT_SUFFIXES)) -> str:
    """The format an output file's suffix names ("jsonl", "csv" or "parquet"); a ``ValueError`` for any other
    suffix, saying which ones are written."""
    from pathlib import PurePath

    suffix = PurePath(str(path)).suffix.lower()
    if suffix not in allowed:
        what = f"suffix {suffix!r}" if suffix else "no suffix"
        raise ValueError(f"{path}: {flag} has {what}; the suffix names the format: "
                         + ", ".join(f"{s} ({OUTPUT_SUFFIXES[s]})" for s in allowed)
                         + ("; - writes JSON lines to standard output" if flag == "-o" else ""))
    return OUTPUT_SUFFIXES[suffix]


# -- document ids ----------------------------------------------------------------------------


def document_id(relative: str) -> str:
    """The id of a file: its path (``/``-separated, relative to its input directory, or its name) without suffix."""
    return str(PurePosixPath(relative).with_suffix(""))


def line_id(file_id: str, number: int) -> str:
    """The default id of line ``number`` of a JSONL file whose own id is ``file_id``."""
    return f"{file_id}:{number}"


# -- fields and columns ----------------------------------------------------------------------


def score_column(theme: str) -> str:
    return f"score_{theme}"


def record_fields(themes: Sequence[str]) -> list[str]:
    """Columns of the flat sentence records (CSV, Parquet, DataFrame)."""
    return [*RECORD_FIELDS[:-1], *(score_column(t) for t in themes)]


def profile_fields(themes: Sequence[str]) -> list[str]:
    """Columns of the section profiles."""
    return [*PROFILE_FIELDS, *(name for t in themes for name in (f"share_{t}", f"char_share_{t}"))]


def column_types(themes: Sequence[str], kind: str) -> dict[str, str]:
    """The type of each column of ``kind`` ("records" or "profiles"): "int", "float", "str" or "list"."""
    if kind == "records":
        types = {name: ("str" if k in ("str", "encoded") else k) for name, _, k in _SENTENCE_FIELDS}
        types["labels"] = "list"
        types.update({score_column(t): "float" for t in themes})
        return types
    if kind == "profiles":
        return {name: _PROFILE_TYPES.get(name, "str" if i < len(PROFILE_FIELDS) else "float")
                for i, name in enumerate(profile_fields(themes))}
    raise ValueError(f"kind must be 'records' or 'profiles', got {kind!r}")


def flatten(record: dict, join_labels: bool = True) -> dict:
    """A record (or any row) in flat form: ``scores`` spread into ``score_<theme>``, other dicts into
    ``<key>_<subkey>``; lists joined with ``;`` (``join_labels=False`` keeps ``labels`` a list)."""
    flat = {}
    for key, value in record.items():
        if isinstance(value, dict):
            prefix = "score_" if key == "scores" else f"{key}_"
            flat.update({f"{prefix}{sub}": subvalue for sub, subvalue in value.items()})
        elif isinstance(value, (list, tuple)) and (join_labels or key != "labels"):
            flat[key] = ";".join(str(v) for v in value)
        else:
            flat[key] = list(value) if isinstance(value, tuple) else value
    return flat


# -- rounding --------------------------------------------------------------------------------

SCORE_TEXT = [repr(k / _SCALE) for k in range(_SCALE + 1)]  # how json and csv write round(p, 4), by its step


def score_steps(probabilities: np.ndarray) -> np.ndarray:
    """``round(p, 4) * 10000`` as integers, for probabilities in [0, 1].

    ``np.rint`` of ``p * 10000`` agrees with Python's correctly rounded
    ``round(p, 4)`` except within rounding error of a half step; those few
    values are rounded by Python.
    """
    scaled = probabilities * float(_SCALE)
    steps = np.rint(scaled)
    unsure = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    for i, k in zip(*np.nonzero(unsure)):
        steps[i, k] = round(round(float(probabilities[i, k]), SCORE_DIGITS) * _SCALE)
    return steps.astype(np.int64)


def score_value(step: int) -> float:
    """The rounded score of a step of ``score_steps``: equal to ``round(p, 4)``."""
    return step / _SCALE


def share(part: float, whole: float) -> float:
    return round(part / whole, SCORE_DIGITS) if whole else 0.0


# -- section profiles ------------------------------------------------------------------------


def section_profiles(doc_id: str, sections, sentences, masks: Sequence[int], n_themes: int) -> list[list]:
    """One row per section (values in ``profile_fields`` order); ``masks``: each sentence's themes as bits."""
    tallies = [SectionTally(n_themes) for _ in sections]
    for sentence, mask in zip(sentences, masks):
        tallies[sentence.section_index].add(len(sentence.text), mask)
    return [tally.row(doc_id, section.index, section.name) for section, tally in zip(sections, tallies)]


class SectionTally:
    """A section's sentence and character counts, in all and per theme, for its profile row."""

    def __init__(self, n_themes: int) -> None:
        self.sentences = self.chars = 0
        self.theme_sentences = [0] * n_themes
        self.theme_chars = [0] * n_themes

    def add(self, length: int, mask: int) -> None:
        self.sentences += 1
        self.chars += length
        k = 0
        while mask:
            if mask & 1:
                self.theme_sentences[k] += 1
                self.theme_chars[k] += length
            mask >>= 1
            k += 1

    def row(self, doc_id: str, index: int, name: str) -> list:
        """The section's row of ``profile_fields``."""
        row = [doc_id, index, name, self.sentences, self.chars]
        for count, chars in zip(self.theme_sentences, self.theme_chars):
            row.append(share(count, self.sentences))
            row.append(share(chars, self.chars))
        return row


def label_mask(labels: Iterable[str], themes: Sequence[str]) -> int:
    """Theme ids as the bit mask ``section_profiles`` and the encoders take (bit k: ``themes[k]``)."""
    chosen = set(labels)
    return sum(1 << k for k, theme in enumerate(themes) if theme in chosen)


# -- encoders ---------------------------------------------------------------------------------

encode_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(value, ensure_ascii=False), faster
_encode_str = json.encoder.encode_basestring  # what encode_json does with a str, without the method call


def _compile(source: str, name: str):
    namespace = {"SCORE_TEXT": SCORE_TEXT, "_encode_str": _encode_str}
    exec(source, namespace)  # the source is built from the constant tables above only
    return namespace[name]


def _json_lines_function(n_themes: int):
    """``json.dumps(record, ensure_ascii=False) + "\\n"`` of a document's records, one f-string per record.

    An f-string is about a third faster than ``str.format`` here; its fields come
    from ``_SENTENCE_FIELDS``, and only the number of themes (an int) goes into
    the generated code: the theme names are arguments.
    """
    fields = ", ".join(
        f'"{name}": {{encode({expr})}}' if kind == "str" else f'"{name}": {{{expr}}}'
        for name, expr, kind in _SENTENCE_FIELDS
    )
    scores = ", ".join(f"{{theme[{k}]}}: {{score[row[{k}]]}}" for k in range(n_themes))
    line = "{{" + fields + ', "labels": {label[m]}, "scores": {{' + scores + "}}}}\\n"
    source = f"""
def json_lines(doc, section, sentences, masks, steps, label, theme, score=SCORE_TEXT, encode=_encode_str):
    return "".join([f'{line}' for s, m, row in zip(sentences, masks, steps)])
"""
    return _compile(source, "json_lines")


def _rows_function():
    """The flat rows (a list of values in ``record_fields`` order) of a document's records."""
    values = ", ".join(expr for _, expr, _ in _SENTENCE_FIELDS)
    source = f"""
def rows(doc, section, sentences, masks, scores, labels):
    return [[{values}, labels[m], *row] for s, m, row in zip(sentences, masks, scores)]
"""
    return _compile(source, "rows")


def _record_function():
    """The record dict of one sentence."""
    values = ", ".join(f'"{name}": {expr}' for name, expr, _ in _SENTENCE_FIELDS)
    source = f"""
def record(doc, section, s, labels, scores):
    return {{{values}, "labels": labels, "scores": scores}}
"""
    return _compile(source, "record")


_flat_rows = _rows_function()
_record = _record_function()


def sentence_record(doc_id: str, section_names: Sequence[str], sentence, labels: Sequence[str],
                    scores: dict[str, float]) -> dict:
    """The record of one sentence (``section_names``: the names of its report's sections, by index)."""
    return _record(doc_id, section_names, sentence, list(labels), dict(scores))


class RecordEncoder:
    """Writes the records of documents labelled with ``themes`` as text, fast: JSON lines, CSV or Parquet parts.

    Labels come as bit masks (bit k: ``themes[k]``), scores as the steps of
    ``score_steps``; the text equals encoding ``sentence_record`` dicts one by one.
    """

    def __init__(self, themes: Sequence[str]) -> None:
        self.themes = tuple(themes)
        self.label_lists = [
            [theme for k, theme in enumerate(self.themes) if mask >> k & 1] for mask in range(1 << len(self.themes))
        ]
        self.label_json = [encode_json(labels) for labels in self.label_lists]
        self.label_joined = [";".join(labels) for labels in self.label_lists]
        self.theme_json = [encode_json(theme) for theme in self.themes]
        self.json_lines = _json_lines_function(len(self.themes))
        self.record_fields = record_fields(self.themes)
        self.profile_fields = profile_fields(self.themes)

    def records(self, doc_id: str, section_names: Sequence[str], sentences, masks, steps, fmt: str) -> str:
        """A document's records in ``fmt``: "jsonl", "csv" or "parquet" (JSON arrays, one per row)."""
        if fmt == "jsonl":
            section_json = [encode_json(name) for name in section_names]
            return self.json_lines(encode_json(doc_id), section_json, sentences, masks, steps, self.label_json,
                                   self.theme_json)
        if fmt == "csv":
            text = SCORE_TEXT
            rows = _flat_rows(doc_id, section_names, sentences, masks, [[text[k] for k in row] for row in steps],
                              self.label_joined)
        else:
            rows = _flat_rows(doc_id, section_names, sentences, masks, [[k / _SCALE for k in row] for row in steps],
                              self.label_lists)
        return encode_rows(rows, None, fmt)

    def profiles(self, rows: list[list], fmt: str) -> str:
        """Section profile rows (from ``section_profiles``) in ``fmt``."""
        return encode_rows(rows, self.profile_fields, fmt)


# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection); OWASP's remedy
# is a leading apostrophe, which spreadsheets show as text. JSON lines and Parquet keep the text exact.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value):
    """A CSV cell a spreadsheet will not run: text starting like a formula gets a leading apostrophe."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_STARTS) else value


def encode_rows(rows: Iterable[list], names: Sequence[str] | None, fmt: str) -> str:
    """Rows as CSV lines, JSON objects (``jsonl``, keys ``names``) or JSON arrays (``parquet`` parts)."""
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows([csv_cell(value) for value in row] for row in rows)
        return buffer.getvalue()
    if fmt == "jsonl":
        return "".join(encode_json(dict(zip(names, row))) + "\n" for row in rows)
    return "".join(encode_json(row) + "\n" for row in rows)


def csv_header(names: Sequence[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(names)
    return buffer.getvalue()


__all__ = [
    "csv_cell",
    "PROFILE_FIELDS",
    "RECORD_FIELDS",
    "RecordEncoder",
    "SCORE_DIGITS",
    "SCORE_TEXT",
    "column_types",
    "document_id",
    "encode_rows",
    "flatten",
    "label_mask",
    "line_id",
    "profile_fields",
    "record_fields",
    "score_column",
    "score_steps",
    "score_value",
    "section_profiles",
    "SectionTally",
    "sentence_record",
]


def profile_rows(labelled, measure: str = "sentences") -> list[dict]:
    """Per section of a labelled report (or of each of several): doc, section, sentences, characters and the share
    of each theme.

    ``measure="sentences"`` gives the share of the section's sentences that carry
    the theme; ``"characters"`` weights each sentence by its length.
    """
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    reports = [labelled] if hasattr(labelled, "profiles") else list(labelled)
    prefix = "share_" if measure == "sentences" else "char_share_"
    rows = []
    for report in reports:
        for profile in report.profiles():
            row = {key: profile[key] for key in ("doc", "section", "sentences", "characters")}
            row.update({theme: profile[prefix + theme] for theme in report.themes})
            rows.append(row)
    return rows
