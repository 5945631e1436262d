"""Labelling in a worker: a model as sent to the workers (``ModelSpec``) and the ``Labeller`` that uses it.

A batch of items -> read and split (``inputs.read_item``) -> one prediction for
all its sentences (the engine) -> each document's records and profiles encoded
(``records.RecordEncoder``) or, for the in-memory path, kept as objects.
This module needs neither scikit-learn nor the model module.
"""

from __future__ import annotations

import os
import pickle
import threading
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from ..context import document_lead, paragraph_contexts, report_contexts, title_line
from ..errors import InputError
from ..reader import Report, stream_report
from ..records import RecordEncoder, SectionTally, score_steps, section_profiles
from .inputs import Item, read_item

if TYPE_CHECKING:
    from ..engine import Engine
    from ..model import ThemeClassifier

PREDICT_CHARS = 200_000  # sentences are vectorised in chunks of about this many characters
STREAM_BYTES = 16 << 20  # a file larger than this is read, labelled and written piece by piece
PIECE_CHARS = 1_000_000  # characters of a piece of a streamed file


@dataclass(frozen=True)
class ModelSpec:
    """A model as sent to the workers: its engine, pickled once, and a key for it.

    ``key`` is ``Engine.fingerprint()``, a hash of the fitted state: the same
    model gives the same key in any process, a refit another. The manifest
    keeps it, so that a run is never resumed with another model. ``pickled``
    None: the engine is pickled when the spec is first sent to a worker
    (``--jobs 1`` never sends it).
    """

    key: str
    pickled: bytes | None
    themes: tuple[str, ...]
    engine: "Engine | None" = field(default=None, compare=False, repr=False)  # this process's, not sent

    @classmethod
    def of_engine(cls, engine: "Engine") -> "ModelSpec":
        return cls(engine.fingerprint(), None, engine.themes, engine)

    @cached_property
    def payload(self) -> bytes:
        """The pickled engine that workers unpickle."""
        return self.pickled if self.pickled is not None else pickle.dumps(self.engine, protocol=4)

    def __getstate__(self) -> dict:
        return {"key": self.key, "pickled": self.payload, "themes": self.themes}  # workers unpickle ``pickled``

    def __setstate__(self, state: dict) -> None:
        for name, value in {**state, "engine": None}.items():
            object.__setattr__(self, name, value)


def model_spec(model) -> ModelSpec:
    """``model`` (any form ``api.as_engine`` takes, or a ModelSpec) as the ModelSpec sent to the workers."""
    if isinstance(model, ModelSpec):
        return model
    from ..predictor import as_engine

    return ModelSpec.of_engine(as_engine(model))


@dataclass(frozen=True)
class Options:
    """What a worker produces: the record and profile formats (None: no profiles), and which files stream."""

    records: str = "jsonl"  # "jsonl", "csv", "parquet" (Parquet parts are JSON arrays) or "memory" (objects)
    profiles: str | None = None
    stream_bytes: int = STREAM_BYTES  # files larger than this stream (``Labeller.stream``); not in memory


@dataclass
class Outcome:
    """The result for one input document."""

    doc_id: str
    source: str
    content_hash: str = ""
    records: bytes = b""  # UTF-8, encoded where labelled: a worker's records are written as they arrive
    profiles: bytes = b""
    sentences: int = 0
    characters: int = 0
    error: str | None = None
    already_done: bool = False
    labelled: tuple | None = None  # "memory" records: (report, label masks, score steps)
    streamed: Item | None = None  # a file too large to label whole: the writer streams it (``Labeller.stream``)
    pieces: Iterator[tuple[bytes, bytes]] | None = None  # in the main process: what ``Labeller.stream`` gives


_LABELLERS: dict[str, "Labeller"] = {}  # per process: loaded models by fingerprint (a few)
_LABELLERS_LOCK = threading.Lock()
_MAX_LABELLERS = 4


def labeller_for(spec: ModelSpec) -> "Labeller":
    """The process's labeller for ``spec``, built on first use (model, segmenter, vocabularies)."""
    labeller = _LABELLERS.get(spec.key)
    if labeller is None:
        with _LABELLERS_LOCK:
            labeller = _LABELLERS.get(spec.key)
            if labeller is None:
                while len(_LABELLERS) >= _MAX_LABELLERS:
                    _LABELLERS.pop(next(iter(_LABELLERS)))
                # in the process that loaded the model its engine is used as it is (no second build of its tables)
                engine = spec.engine if spec.engine is not None else pickle.loads(spec.pickled)
                labeller = _LABELLERS[spec.key] = Labeller(engine)
    return labeller


def loaded_labeller(key: str) -> "Labeller":
    """The labeller a worker process built for ``key`` at its start (``labeller_for``)."""
    return _LABELLERS[key]


def label_batch(spec: ModelSpec, items: Sequence[Item], options: Options) -> list[Outcome]:
    """Label one batch of items. Never raises for a bad document."""
    return labeller_for(spec).label(items, options)


class Labeller:
    """Reads, labels and serialises documents with one engine, predicting a whole batch at once."""

    def __init__(self, compiled: "Engine") -> None:
        self.predictor = compiled
        self.themes = compiled.themes
        self.thresholds = compiled.thresholds
        self.encoder = RecordEncoder(self.themes)

    def predict(self, texts: list[str], contexts: list | None = None) -> np.ndarray:
        """Probabilities for ``texts`` (with their ``contexts``), vectorised in chunks of about PREDICT_CHARS characters."""
        blocks, start, size = [], 0, 0
        for end, text in enumerate(texts, start=1):
            size += len(text)
            if size >= PREDICT_CHARS or end == len(texts):
                blocks.append(self.predictor.predict_proba(texts[start:end],
                                                           contexts[start:end] if contexts is not None else None))
                start, size = end, 0
        if not blocks:
            return np.zeros((0, len(self.themes)))
        return np.vstack(blocks)

    def label(self, items: Sequence[Item], options: Options) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(items)
        reports: list[tuple[int, Report, tuple]] = []
        for i, item in enumerate(items):
            outcome = Outcome(item.doc_id, item.source)
            if item.error is not None:
                outcome.error = item.error
                outcomes[i] = outcome
                continue
            if item.path is not None and item.size > options.stream_bytes and options.records != "memory":
                outcome.streamed = item
                outcomes[i] = outcome
                continue
            try:
                report = read_item(item)
            except InputError as exc:
                outcome.error = str(exc)
            except Exception as exc:  # a reader bug on one document must not stop the batch
                outcome.error = f"{item.source}: unexpected error while reading: {type(exc).__name__}: {exc}"
            else:
                outcome.content_hash = report.content_hash
                if item.expected_hash is not None:
                    if report.content_hash.startswith(item.expected_hash):
                        outcome.already_done = True
                    else:
                        outcome.error = _changed_since(item)
                else:
                    reports.append((i, report, report.sentences))
            outcomes[i] = outcome
        try:
            probabilities = self.predict([s.text for _, _, sentences in reports for s in sentences],
                                         self._contexts((report, items[i].title) for i, report, _ in reports))
            masks, steps = self._labels_and_steps(probabilities)
        except Exception:
            masks = steps = None  # find the document that fails: predict one document at a time
        offset = 0
        for i, report, sentences in reports:
            try:
                if masks is not None:
                    end = offset + len(sentences)
                    mine = masks[offset:end], steps[offset:end]
                    offset = end
                else:
                    mine = self._labels_and_steps(self.predict([s.text for s in sentences],
                                                               self._contexts([(report, items[i].title)])))
                self._serialise(outcomes[i], report, sentences, *mine, options)
            except Exception as exc:
                outcomes[i].error = f"{items[i].source}: unexpected error while labelling: {type(exc).__name__}: {exc}"
                outcomes[i].records = outcomes[i].profiles = b""
                outcomes[i].labelled = None
        return outcomes  # type: ignore[return-value]

    def stream(self, outcome: Outcome, options: Options, piece_chars: int | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Label the file of a streamed outcome piece by piece: its records and profiles bytes, piece by piece.

        Memory stays bounded by the piece size whatever the file's size. When
        the generator ends, ``outcome`` has its hash and counts, or its error
        (the writer then drops the bytes given so far).
        """
        item = outcome.streamed
        try:
            if item.expected_hash is not None:
                digest = list(stream_report(item.path, item.source, digest_only=True))[-1]
                if digest.startswith(item.expected_hash):
                    outcome.content_hash, outcome.already_done = digest, True
                else:
                    outcome.error = _changed_since(item)
                return
            tallies: dict[int, SectionTally] = {}
            title = lead = None
            for piece in stream_report(item.path, item.source, piece_chars or PIECE_CHARS):
                if isinstance(piece, str):
                    outcome.content_hash = piece
                    break
                sentences = piece.sentences
                contexts = None
                if self.predictor.reads_context:
                    if title is None:  # the first piece (about a million characters) holds the title and the opening
                        title = title_line(piece.paragraphs[0][1]) if piece.paragraphs else ""
                        lead = document_lead("\n".join(p.text for _, p in piece.paragraphs))
                    contexts = paragraph_contexts(((piece.section_titles[k], p) for k, p in piece.paragraphs), title,
                                                  lead)
                masks, steps = self._labels_and_steps(self.predict([s.text for s in sentences], contexts))
                outcome.sentences += len(sentences)
                outcome.characters += sum(len(s.text) for s in sentences)
                records = self.encoder.records(item.doc_id, piece.section_names, sentences, masks, steps,
                                               options.records).encode("utf-8")
                profiles = b""
                if options.profiles is not None:
                    for sentence, mask in zip(sentences, masks):
                        tally = tallies.get(sentence.section_index)
                        if tally is None:
                            tally = tallies[sentence.section_index] = SectionTally(len(self.themes))
                        tally.add(len(sentence.text), mask)
                    rows = [(tallies.pop(index, None) or SectionTally(len(self.themes))).row(
                        item.doc_id, index, piece.section_names[index]) for index in piece.closed]
                    profiles = self.encoder.profiles(rows, options.profiles).encode("utf-8")
                yield records, profiles
        except InputError as exc:
            outcome.error = str(exc)
        except Exception as exc:  # a reader bug on one document must not stop the batch
            outcome.error = f"{item.source}: unexpected error while labelling: {type(exc).__name__}: {exc}"

    def _contexts(self, reports) -> list | None:
        """The context of every sentence of ``reports`` (``(report, title)`` pairs; a title of None: the report's own
        first line when it reads as one), in order, when the model reads context (else None)."""
        if not self.predictor.reads_context:
            return None
        return [context for report, title in reports for context in report_contexts(report, title)]

    def _labels_and_steps(self, probabilities: np.ndarray) -> tuple[list[int], list[list[int]]]:
        """Per sentence: the predicted themes as a bit mask, and each score as ``round(p, 4) * 10000``."""
        masks = (probabilities >= self.thresholds) @ (1 << np.arange(len(self.themes)))
        return masks.tolist(), score_steps(probabilities).tolist()

    def _serialise(self, outcome: Outcome, report: Report, sentences, masks, steps, options: Options) -> None:
        outcome.sentences = len(sentences)
        outcome.characters = sum(len(s.text) for s in sentences)
        if options.records == "memory":
            outcome.labelled = (report, masks, steps)
            return
        names = [section.name for section in report.sections]
        outcome.records = self.encoder.records(report.doc_id, names, sentences, masks, steps,
                                               options.records).encode("utf-8")
        if options.profiles is not None:
            rows = section_profiles(report.doc_id, report.sections, sentences, masks, len(self.themes))
            outcome.profiles = self.encoder.profiles(rows, options.profiles).encode("utf-8")


def _changed_since(item: Item) -> str:
    """The error of a document that resume finds in the output with another content hash."""
    return (f"{item.source}: document {item.doc_id!r} is already in the output with other content "
            "(its text changed since); label it into a new output")
