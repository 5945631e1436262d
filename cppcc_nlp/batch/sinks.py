"""Where outcomes go: part files (JSONL, CSV, Parquet), standard output, memory, the failure list.

Every file is written to ``<path>.part`` and renamed, or converted to Parquet,
when the run ends, so a final file never holds a half-written record. The
columns and their types come from ``records``. The output files of a run with
its journal and resume are ``journal.FileOutput``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from ..errors import InputError, OutputError, one_line
from ..optional import require
from ..outputs import check_output_file, check_still_writable
from ..records import (
    RecordEncoder,
    column_types,
    csv_header,
    encode_json,
    profile_fields,
    record_fields,
    section_profiles,
)
from .labeller import Outcome

PARQUET_ROWS = 20_000  # rows per Parquet row group
STDERR_FAILURES = 20  # failures printed on stderr; all of them go to the errors file
KEPT_FAILURES = 1000  # failures kept in BatchResult.failures; all of them go to the errors file


def output_format(path: str | os.PathLike) -> str:
    """"csv", "parquet" or "jsonl" (the default), from the file's extension."""
    suffix = Path(path).suffix.lower()
    return {".csv": "csv", ".parquet": "parquet"}.get(suffix, "jsonl")


def sidecar_path(output: str | os.PathLike, kind: str) -> Path:
    """``out.jsonl`` -> ``out.manifest.jsonl`` / ``out.errors.jsonl``."""
    output = Path(output)
    return output.with_name(f"{output.stem}.{kind}.jsonl")


class PartFile:
    """One output file, written to ``<path>.part`` and renamed (or converted to Parquet) at the end."""

    def __init__(self, path: Path, fmt: str, fields: list[str], arrow_types: dict | None = None) -> None:
        self.path = path
        self.fmt = fmt
        self.fields = fields
        self.arrow_types = arrow_types or {}
        self.part = path.with_name(path.name + ".part")
        self.handle = None

    @classmethod
    def of(cls, path: str | os.PathLike, kind: str, themes: Sequence[str]) -> "PartFile":
        """The file of ``kind`` ("records" or "profiles") of ``themes``, in the format its extension names."""
        fmt = output_format(path)
        fields = record_fields(themes) if kind == "records" else profile_fields(themes)
        return cls(Path(path), fmt, fields, arrow_types(themes, kind) if fmt == "parquet" else None)

    @property
    def header(self) -> bytes:
        return csv_header(self.fields).encode("utf-8") if self.fmt == "csv" else b""

    def start_fresh(self) -> int:
        try:
            self.handle = open(self.part, "wb")
            self.handle.write(self.header)
        except OSError as exc:
            raise OutputError.of(self.part, exc) from None
        return self.commit()

    def start_at(self, size: int) -> None:
        """Reopen the part file of an interrupted run, cutting what was written after the last commit."""
        if not self.part.exists() and self.path.exists():
            self.adopt_final()
        if not self.part.exists() or self.part.stat().st_size < size:
            raise InputError(f"{self.part}: shorter than its journal says; cannot resume, rerun without --resume")
        self.handle = open(self.part, "r+b")
        self.handle.truncate(size)
        self.handle.seek(size)
        if self.header and not self._starts_with_header():
            raise InputError(f"{self.part}: columns differ from this model's; cannot resume into it")

    def _starts_with_header(self) -> bool:
        with open(self.part, "rb") as handle:
            return handle.read(len(self.header)) == self.header

    def adopt_final(self) -> int:
        """Make the finished file of an earlier run the part to append to; return its size."""
        if self.fmt == "parquet":
            _parquet_to_part(self.path, self.part, self.fields)
        else:
            os.replace(self.path, self.part)
        return self.part.stat().st_size

    def write(self, data: str | bytes) -> None:
        if data:
            try:
                self.handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            except OSError as exc:
                raise OutputError.of(self.part, exc) from None

    def cut(self, size: int) -> None:
        """Drop what was written after the first ``size`` bytes."""
        try:
            self.handle.seek(size)
            self.handle.truncate()
        except OSError as exc:
            raise OutputError.of(self.part, exc) from None

    def commit(self) -> int:
        try:
            self.handle.flush()
            os.fsync(self.handle.fileno())
        except OSError as exc:
            raise OutputError.of(self.part, exc) from None
        return self.handle.tell()

    def close(self) -> None:
        if self.handle is not None:
            try:
                self.handle.close()
            except OSError:
                pass  # only after a failed write, whose error is the one reported
            self.handle = None

    def abandon(self, keep: int | None, final_was_adopted: bool) -> None:
        """Undo this run's writing after a failure: keep the first ``keep`` bytes of the part (None: remove it).

        ``final_was_adopted``: the part was the finished file of an earlier run;
        it gets its name back (a Parquet file was never moved: its part goes).
        """
        self.close()
        if not self.part.exists():
            return
        if keep is None or (final_was_adopted and self.fmt == "parquet"):
            self.part.unlink()
            return
        os.truncate(self.part, keep)
        if final_was_adopted:
            os.replace(self.part, self.path)

    def finish(self) -> None:
        self.close()
        check_still_writable(self.path)
        try:
            if self.fmt == "parquet":
                _part_to_parquet(self.part, self.path, self.fields, self.arrow_types)
                self.part.unlink()
            else:
                os.replace(self.part, self.path)
        except OSError as exc:
            self.path.with_name(self.path.name + ".tmp").unlink(missing_ok=True)
            raise OutputError.of(self.path, exc) from None


def arrow_types(themes: Sequence[str], kind: str) -> dict:
    """The pyarrow type of each column of ``kind`` ("records" or "profiles"), from ``records.column_types``."""
    import pyarrow as pa

    arrow = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "list": pa.list_(pa.string())}
    return {name: arrow[kind] for name, kind in column_types(themes, kind).items()}


def _part_to_parquet(part: Path, path: Path, fields: list[str], types: dict) -> None:
    """JSON-array lines -> a Parquet file with row groups of PARQUET_ROWS rows, written atomically."""
    pa = require("pyarrow", f"writing {path.name} (Parquet)")
    import pyarrow.parquet as pq

    schema = pa.schema([(name, types.get(name, pa.string())) for name in fields])
    tmp = path.with_name(path.name + ".tmp")
    with open(part, "rb") as handle, pq.ParquetWriter(tmp, schema) as writer:
        rows: list = []
        for line in handle:
            rows.append(json.loads(line))
            if len(rows) == PARQUET_ROWS:
                writer.write_table(_arrow_table(rows, schema), row_group_size=PARQUET_ROWS)
                rows = []
        if rows:
            writer.write_table(_arrow_table(rows, schema), row_group_size=PARQUET_ROWS)
    os.replace(tmp, path)


def _arrow_table(rows: list, schema):
    import pyarrow as pa

    columns = list(zip(*rows)) if rows else [[] for _ in schema]
    return pa.table([pa.array(list(column), type=f.type) for column, f in zip(columns, schema)], schema=schema)


def _parquet_to_part(path: Path, part: Path, fields: list[str]) -> None:
    import pyarrow.parquet as pq

    tmp = part.with_name(part.name + ".tmp")
    with open(tmp, "wb") as out:
        for batch in pq.ParquetFile(path).iter_batches(batch_size=PARQUET_ROWS, columns=fields):
            columns = [batch.column(name).to_pylist() for name in fields]
            out.write("".join(encode_json(list(row)) + "\n" for row in zip(*columns)).encode("utf-8"))
    os.replace(tmp, part)


# -- standard output -----------------------------------------------------------------------------


def write_stdout(data: bytes) -> None:
    """UTF-8 records on standard output: as bytes when it writes UTF-8, else as text in its own encoding."""
    import codecs

    buffer = getattr(sys.stdout, "buffer", None)
    try:
        utf8 = codecs.lookup(getattr(sys.stdout, "encoding", None) or "").name == "utf-8"
    except LookupError:
        utf8 = False
    try:
        if buffer is None or not utf8:
            sys.stdout.write(data.decode("utf-8"))
        else:
            sys.stdout.flush()
            buffer.write(data)
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise OutputError.of("standard output", exc) from None


class StdoutOutput:
    """Records as JSON lines on standard output (no journal, no resume), profiles to a file."""

    def __init__(self, profiles: PartFile | None) -> None:
        self.profiles = profiles

    def start(self, resume: bool) -> None:
        if self.profiles is not None:
            self.profiles.start_fresh()
        return None

    def write(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            if outcome.error is None:
                start = self.profiles.handle.tell() if self.profiles is not None else 0
                for records, profiles in outcome.pieces or [(outcome.records, outcome.profiles)]:
                    write_stdout(records)  # a streamed document that fails later keeps what went out: said below
                    if self.profiles is not None:
                        self.profiles.write(profiles)
                if outcome.error is not None:
                    if self.profiles is not None:
                        self.profiles.cut(start)
                    outcome.error += "; its records up to there went to standard output"

    def checkpoint(self) -> None:
        """After every batch: a reader of the pipe gets each batch as soon as it is labelled."""
        sys.stdout.flush()
        if self.profiles is not None:
            self.profiles.commit()

    def finish(self) -> None:
        if self.profiles is not None:
            self.profiles.finish()

    def close(self) -> None:
        if self.profiles is not None:
            self.profiles.close()


def write_documents(path: str | os.PathLike, kind: str, themes: Sequence[str], documents: Iterable[tuple]) -> None:
    """The records or section profiles (``kind``) of labelled documents into ``path``, as a labelling run writes them.

    ``documents``: ``(report, label masks, score steps)`` each, the masks and
    steps as the labeller makes them. The format follows the extension
    (.jsonl, .csv, .parquet); ``"-"`` writes JSON lines to standard output.
    The bytes are those ``label_files`` writes for the same documents.
    """
    if kind not in ("records", "profiles"):
        raise ValueError(f"kind must be 'records' or 'profiles', got {kind!r}")
    encoder = RecordEncoder(themes)

    def encoded(fmt: str) -> Iterator[str]:
        for report, masks, steps in documents:
            sentences = report.sentences
            if kind == "records":
                names = [section.name for section in report.sections]
                yield encoder.records(report.doc_id, names, sentences, masks, steps, fmt)
            else:
                yield encoder.profiles(section_profiles(report.doc_id, report.sections, sentences, masks,
                                                        len(encoder.themes)), fmt)

    if str(path) == "-":
        for text in encoded("jsonl"):
            write_stdout(text.encode("utf-8"))
        sys.stdout.flush()
        return
    check_output_file(path)
    file = PartFile.of(path, kind, themes)
    if file.fmt == "parquet":
        require("pyarrow", f"writing {file.path.name} (Parquet)")
    file.path.parent.mkdir(parents=True, exist_ok=True)
    file.start_fresh()
    try:
        for text in encoded(file.fmt):
            file.write(text)
    except BaseException:
        file.close()
        file.part.unlink(missing_ok=True)
        raise
    file.finish()


class MemoryOutput:
    """Labelled documents kept in memory, in input order: ``(report, label masks, score steps)`` each."""

    def __init__(self) -> None:
        self.labelled: list[tuple] = []

    def start(self, resume: bool) -> None:
        return None

    def write(self, outcomes: Iterable[Outcome]) -> None:
        self.labelled.extend(o.labelled for o in outcomes if o.error is None and o.labelled is not None)

    def checkpoint(self) -> None: ...
    def finish(self) -> None: ...
    def close(self) -> None: ...


# -- failures ------------------------------------------------------------------------------------


class FailureLog:
    """Failures: printed (the first few, with ``echo``) and written to the errors file.

    The list goes to ``<errors>.part`` and replaces the errors file only when
    the run finishes (``close(finished=True)``): a run that is killed or stops
    early leaves the previous run's complete list in place, and no part file.
    """

    def __init__(self, path: Path | None, echo, keep: int | None = KEPT_FAILURES) -> None:
        self.path = path
        self.part = path.with_name(path.name + ".part") if path is not None else None
        self.echo = echo  # None: print nothing
        self.keep = keep  # failures kept in memory (None: all)
        self.handle = None
        self.count = 0
        self.kept: list[tuple[str, str]] = []

    def add(self, source: str, reason: str) -> None:
        self.count += 1
        if self.keep is None or len(self.kept) < self.keep:
            self.kept.append((source, reason))
        if self.echo is not None:
            if self.count <= STDERR_FAILURES:
                self.echo(one_line(f"skipped: {reason}"))
            elif self.count == STDERR_FAILURES + 1:
                self.echo(f"skipped: more inputs; all are listed in {self.path or 'the errors file'}")
        if self.part is not None:
            try:
                if self.handle is None:
                    self.handle = open(self.part, "w", encoding="utf-8")
                self.handle.write(encode_json({"source": source, "reason": reason}) + "\n")
            except OSError as exc:
                raise OutputError.of(self.part, exc) from None

    def flush(self) -> None:
        if self.handle is not None:
            try:
                self.handle.flush()
            except OSError as exc:
                raise OutputError.of(self.part, exc) from None

    def close(self, finished: bool = True) -> None:
        """End the list: a finished run's replaces the errors file (or removes a stale one); else it is dropped."""
        handle, self.handle = self.handle, None
        try:
            if handle is not None:
                handle.close()
        except OSError as exc:
            if finished:
                raise OutputError.of(self.part, exc) from None
        if self.path is None:
            return
        if not finished:
            self.part.unlink(missing_ok=True)
        elif self.part.exists():
            try:
                check_still_writable(self.path)
                os.replace(self.part, self.path)
            except OutputError:
                self.part.unlink(missing_ok=True)
                raise
            except OSError as exc:
                self.part.unlink(missing_ok=True)
                raise OutputError.of(self.path, exc) from None
        elif self.path.exists():
            self.path.unlink()  # this run skipped nothing: the earlier list would mislead
