"""Label records: the codebook's record format, inline (with text) or stand-off (span + hash).

An *inline* record carries its sentence's text, for reports committed in
``corpus/raw/``. A *stand-off* record names a registered source, a document
and the character span of the sentence in the document's text as the reader
normalises it, with the SHA-256 of the sentence's text instead of the text;
it is resolved against a local copy of the source (see ``sources.py``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from ..context import UnitContext
from ..errors import CorpusError
from ..codebook import Codebook, default_codebook

INLINE_KEYS = ("id", "doc", "section", "text", "labels")
STANDOFF_KEYS = ("id", "source", "doc", "span", "sha256", "labels")
# how a unit came to be labelled (the codebook's "how the unit was selected")
# how a unit came to be selected for labelling (a record's ``selection``): the strategies of
# ``annotate.select.STRATEGIES``, the values the record format accepts
SELECTIONS = ("all", "random", "uncertainty", "diversity", "keyword")


def unit_id(doc_id: str, section_index: int, sentence_index: int, source: str | None = None) -> str:
    """The stable id of a sentence: [source/]document, section number, sentence number in the section."""
    base = f"{doc_id}-s{section_index:02d}-{sentence_index:03d}"
    return f"{source}/{base}" if source else base


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a unit's UTF-8 text: what a stand-off record stores instead of the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class LabelRecord:
    """One hand-labelled unit (a sentence) with its text, resolved if the record is stand-off.

    ``source`` is the registered source of a stand-off record, or the document
    id of an inline record (a committed raw report is a source of its own).
    """

    id: str
    doc: str
    section: str
    text: str
    labels: tuple[str, ...]
    source: str = ""
    span: tuple[int, int] | None = None
    annotator: str = ""
    selection: str = ""
    context: UnitContext = field(default_factory=UnitContext, compare=False, repr=False)
    site: str = field(default="", compare=False)  # the document's site or host, where the source names one

    @property
    def group(self) -> str:
        """``source/doc``: the document a unit belongs to, unique across sources."""
        return f"{self.source}/{self.doc}" if self.span is not None else self.doc

    @property
    def fold_group(self) -> str:
        """What cross-validation keeps together: the document, or the section of a single committed report."""
        return self.group if self.span is not None else f"{self.doc}#{self.section}"

    def to_dict(self) -> dict:
        """The record as the codebook writes it (inline records) with the text resolved."""
        return {"id": self.id, "doc": self.doc, "section": self.section, "text": self.text, "labels": list(self.labels)}

    def to_standoff(self) -> dict:
        """The stand-off line of this record: no text, only span and hash."""
        if self.span is None:
            raise ValueError(f"{self.id}: an inline record has no stand-off form")
        line = {
            "id": self.id,
            "source": self.source,
            "doc": self.doc,
            "span": list(self.span),
            "sha256": text_hash(self.text),
            "labels": list(self.labels),
        }
        if self.annotator:
            line["annotator"] = self.annotator
        if self.selection:
            line["selection"] = self.selection
        return line


@dataclass(frozen=True)
class StandoffLine:
    """A parsed, not yet resolved stand-off record."""

    id: str
    source: str
    doc: str
    span: tuple[int, int]
    sha256: str
    labels: tuple[str, ...]
    annotator: str
    selection: str
    where: str


def load_json_line(line: str, where: str):
    """One JSON value of a label or batch line; CorpusError naming ``where`` if it is not valid JSON."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise CorpusError(f"{where}: JSON nested too deeply to be a label line") from None


def check_text(value, key: str, where: str) -> str:
    """A string field of a line that must be writable as UTF-8 (a lone surrogate, ``"\\ud800"``, is not)."""
    if not isinstance(value, str):
        raise CorpusError(f"{where}: {key!r} must be a string")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CorpusError(f"{where}: {key!r} holds a lone surrogate ({value[exc.start]!r} at character "
                          f"{exc.start}), which is not text") from None
    return value


def check_raw_doc(doc: str, where: str) -> str:
    """An inline record's ``doc``: a name under ``corpus/raw/`` (``<doc>.txt``), never an absolute path or ``..``."""
    from pathlib import PurePosixPath, PureWindowsPath

    parts = PurePosixPath(doc).parts
    if (doc.startswith(("/", "\\")) or PureWindowsPath(doc).drive or "\\" in doc or ".." in parts
            or "\x00" in doc):
        raise CorpusError(f"{where}: doc {doc!r} is not a report under corpus/raw/ (no absolute path, no '..')")
    return doc


def _load_json_object(line: str, where: str, keys: tuple[str, ...]) -> dict:
    obj = load_json_line(line, where)
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected a JSON object with keys {', '.join(keys)}")
    return obj


def _optional_string(obj: dict, key: str, where: str) -> str:
    value = obj.get(key, "")
    if not isinstance(value, str):
        raise CorpusError(f"{where}: {key!r} must be a string")
    return value


def parse_label_line(line: str, path: str, line_number: int, codebook: Codebook | None = None
                     ) -> LabelRecord | StandoffLine:
    """Parse and validate one JSONL label line against ``codebook`` (default: the CPPCC one); errors name the
    file and line.

    A line with a ``span`` is a stand-off record (``STANDOFF_KEYS``), any other
    an inline record (``INLINE_KEYS``).
    """
    where = f"{path}:{line_number}"
    obj = _load_json_object(line, where, INLINE_KEYS)
    standoff = "span" in obj
    keys = STANDOFF_KEYS if standoff else INLINE_KEYS
    missing = [key for key in keys if key not in obj]
    if missing:
        raise CorpusError(f"{where}: missing key(s) {', '.join(missing)}")
    text_keys = ("id", "source", "doc", "sha256") if standoff else ("id", "doc", "section", "text")
    for key in text_keys:
        if not isinstance(obj[key], str) or not obj[key]:
            raise CorpusError(f"{where}: {key!r} must be a non-empty string")
    labels = (codebook or default_codebook()).check_labels(obj["labels"], where)
    annotator = _optional_string(obj, "annotator", where)
    selection = _optional_string(obj, "selection", where)
    if selection and selection not in SELECTIONS:
        raise CorpusError(f"{where}: unknown selection {selection!r}; known: {list(SELECTIONS)}")
    if not standoff:
        check_raw_doc(obj["doc"], where)
        return LabelRecord(obj["id"], obj["doc"], obj["section"], obj["text"], labels, obj["doc"], None, annotator, selection)
    span = obj["span"]
    if not (
        isinstance(span, list)
        and len(span) == 2
        and all(isinstance(x, int) and not isinstance(x, bool) for x in span)
        and 0 <= span[0] < span[1]
    ):
        raise CorpusError(f"{where}: 'span' must be [start, end] with 0 <= start < end, got {span!r}")
    digest = obj["sha256"]
    if len(digest) != 64 or any(ch not in "0123456789abcdef" for ch in digest):
        raise CorpusError(f"{where}: 'sha256' must be 64 lower-case hex digits")
    return StandoffLine(obj["id"], obj["source"], obj["doc"], (span[0], span[1]), digest, labels, annotator, selection, where)


def read_label_lines(path) -> list[tuple[int, str]]:
    """``(line number, line)`` of the non-blank lines of a UTF-8 label file.

    Only a regular file is read: a FIFO or a device is refused, never waited on.
    """
    from pathlib import Path

    from ..outputs import read_regular_file

    path = Path(path)
    data = read_regular_file(path, error=CorpusError)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: label files must be UTF-8 ({exc.reason} at byte {exc.start})") from None
    return [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]


def read_decision_lines(path) -> list[tuple[str, dict]]:
    """``(where, object)`` of each line of a label or batch file that has an ``id`` and a ``labels`` key.

    ``labels`` may be ``null`` (not yet decided) here; callers check the rest.
    """
    lines = []
    for number, text in read_label_lines(path):
        where = f"{path}:{number}"
        obj = load_json_line(text, where)
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or "labels" not in obj:
            raise CorpusError(f"{where}: a label line needs an 'id' string and 'labels'")
        lines.append((where, obj))
    return lines


def read_label_file(path, codebook: Codebook | None = None) -> list[LabelRecord | StandoffLine]:
    """Records of one label file, each line validated on its own (stand-off lines unresolved)."""
    return [parse_label_line(line, str(path), number, codebook) for number, line in read_label_lines(path)]
