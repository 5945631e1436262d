"""Input discovery: files, directories, JSONL records and standard input -> ``Item``s, lazily; reading an item.

Every labelling path (``label_files``, ``research.label_reports``, ``cppcc-nlp
label`` and ``cppcc-nlp profile``) finds its documents here, so they agree on
which files a directory holds and on each document's id (``records.document_id``).
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from ..errors import InputError
from ..reader import Report, decode_bytes, parse_report, read_bytes
from ..records import STDIN_ID, document_id, line_id

JSONL_SUFFIXES = (".jsonl", ".ndjson")
TITLE_FIELD = "title"  # a JSONL record's title, as registered sources give it: the context of a model that reads it


@dataclass(frozen=True)
class Item:
    """One input document, before reading: a file path, raw bytes, or JSONL text."""

    doc_id: str
    source: str  # what messages name: a path, "<stdin>", "file.jsonl:12"
    path: str | None = None  # read by the worker
    data: bytes | None = None  # raw bytes (standard input)
    text: str | None = None  # decoded text (a JSONL record)
    error: str | None = None  # a failure found while listing (bad JSONL line, unreadable directory)
    expected_hash: str | None = None  # resume: the hash prefix this document was labelled with
    size: int = 0  # bytes or characters, for cutting batches
    title: str | None = None  # the document's title where the input gives it apart from the text (a JSONL field)


@dataclass(frozen=True)
class OwnFiles:
    """The files a run writes (outputs, their parts, manifest, journal, lock) and its spool directories.

    A directory walk passes over them, so that with ``--glob '*'`` and the
    output inside an input directory a run never labels its own files.
    """

    paths: frozenset[str] = frozenset()
    spools: frozenset[tuple[str, str]] = frozenset()  # (directory, name prefix)
    written: tuple[Path, ...] = ()  # the output, profiles and errors files, each locked while the run writes

    @classmethod
    def of(cls, output=None, profiles=None, errors=None) -> "OwnFiles":
        written = tuple(Path(p) for p in (output, profiles, errors) if p not in (None, "-"))
        finals = list(written) + [final.with_name(final.name + ".lock") for final in written]
        if output not in (None, "-"):
            output = Path(output)
            finals.append(output.with_name(f"{output.stem}.manifest.jsonl"))
            finals += [output.with_name(output.name + suffix) for suffix in (".journal", ".journal.tmp")]
        paths = set()
        for final in finals:
            paths.update(os.path.abspath(final.with_name(final.name + suffix)) for suffix in ("", ".part", ".tmp"))
        spools = {(os.path.abspath(output.parent), f".{output.name}.spool-")} if isinstance(output, Path) else set()
        return cls(frozenset(paths), frozenset(spools), written)

    def __contains__(self, entry: os.DirEntry) -> bool:
        if os.path.abspath(entry.path) in self.paths:
            return True
        return any(entry.name.startswith(prefix) and os.path.abspath(os.path.dirname(entry.path)) == folder
                   for folder, prefix in self.spools)


def iter_items(
    inputs: Iterable[str | os.PathLike],
    glob: str = "*.txt",
    text_field: str | None = None,
    id_field: str | None = None,
    own: OwnFiles = OwnFiles(),
) -> Iterator[Item]:
    """Every document of ``inputs``, lazily, in a fixed order.

    - A directory: its files matching ``glob`` at any depth, in path order; a
      document's id is its path relative to the directory without suffix.
    - A file: its id is its name without suffix.
    - ``.jsonl``/``.ndjson`` files: one document per line, text in ``text_field``
      (default ``"text"``), id in ``id_field`` (default ``<file id>:<line>``), the
      document's title (a context model reads it) in ``"title"`` when present.
    - ``-``: standard input, one plain-text report (id ``stdin``), or JSONL
      records when ``text_field`` or ``id_field`` is given.

    ``own``: the run's own files, passed over in directories.
    """
    for raw in inputs:
        if str(raw) == "-":
            if text_field is not None or id_field is not None:
                yield from _jsonl_items(sys.stdin.buffer, "<stdin>", STDIN_ID, text_field, id_field)
            else:
                data = sys.stdin.buffer.read()
                yield Item(STDIN_ID, "<stdin>", data=data, size=len(data))
            continue
        path = Path(raw)
        if path.is_dir():
            for file, relative in _walk(path, glob, own=own):
                if isinstance(file, Item):
                    yield file
                else:
                    yield from _file_items(file, document_id(relative), text_field, id_field)
        else:
            yield from _file_items(path, document_id(path.name), text_field, id_field)


def count_items(inputs: Iterable[str | os.PathLike], glob: str = "*.txt", own: OwnFiles = OwnFiles()) -> int | None:
    """The number of documents ``iter_items`` will give (counting JSONL lines), or None for stdin."""
    total = 0
    for raw in inputs:
        if str(raw) == "-":
            return None
        path = Path(raw)
        files = (f for f, _ in _walk(path, glob, own=own) if not isinstance(f, Item)) if path.is_dir() else [path]
        for file in files:
            if file.suffix.lower() in JSONL_SUFFIXES:
                try:
                    with open(file, "rb") as handle:
                        total += sum(1 for line in handle if line.strip())
                except OSError:
                    total += 1
            else:
                total += 1
    return total


def check_inputs(inputs: Iterable[str | os.PathLike]) -> None:
    """Raise InputError naming the first input on the command line that is missing or not a file or directory.

    A FIFO, socket or device is refused before anything opens it (reading a
    FIFO would block for good); a link named here is followed, as the user's
    explicit choice, and a dangling one is an error.
    """
    import stat

    for raw in inputs:
        if str(raw) == "-":
            continue
        if not os.path.lexists(raw):
            raise InputError(f"{raw}: no such file or directory")
        try:
            mode = os.stat(raw).st_mode
        except OSError as exc:
            raise InputError(f"{raw}: a symbolic link to nothing ({exc.strerror})") from None
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise InputError(f"{raw}: {kind}, not a report file or a directory; refusing to read it")


def check_outputs(inputs: Iterable[str | os.PathLike], output=None, profiles=None, errors=None) -> None:
    """Raise UsageError, before any work, for an output that cannot be written or would destroy an input.

    Refused: an output that is a directory, a device, a FIFO, a socket or a
    symbolic link (``outputs.check_output_file``), whose parent is missing, is
    a file or is not writable, that exists read-only, that is one of the
    inputs, or two outputs that name one file.
    """
    from ..errors import UsageError

    def same(a, b) -> bool:
        try:
            return os.path.samefile(a, b)
        except OSError:
            return os.path.abspath(a) == os.path.abspath(b)

    from ..outputs import check_output_file

    named = {"-o": output, "--profiles": profiles, "--errors": errors}
    named = {flag: path for flag, path in named.items() if path not in (None, "-")}
    for flag, path in named.items():
        target = Path(path)
        parent = target.parent
        check_output_file(path, flag)
        if parent.exists() and not parent.is_dir():
            raise UsageError(f"{path}: {flag}'s parent {parent} is a file, not a directory")
        if not parent.exists():
            raise UsageError(f"{path}: {flag}'s directory {parent} does not exist")
        if not os.access(parent, os.W_OK | os.X_OK):
            raise UsageError(f"{path}: {flag}'s directory {parent} is not writable")
        if target.exists() and not os.access(target, os.W_OK):
            raise UsageError(f"{path}: {flag} exists and is read-only")
    if output not in (None, "-"):  # the files written beside the output: never a link or a device either
        stem = Path(output).with_name(Path(output).stem)
        check_output_file(f"{stem}.manifest.jsonl", "the manifest beside -o")
        if errors is None:
            check_output_file(f"{stem}.errors.jsonl", "the errors file beside -o")
    for flag, path in named.items():
        for raw in inputs:
            if str(raw) != "-" and os.path.isfile(raw) and same(raw, path):
                raise UsageError(f"{path}: {flag} is also an input; it would be overwritten by its own labels")
    flags = list(named)
    for i, a in enumerate(flags):
        for b in flags[i + 1:]:
            if same(named[a], named[b]):
                raise UsageError(f"{named[a]}: {a} and {b} name the same file")


def empty_directories(inputs: Iterable[str | os.PathLike], glob: str = "*.txt") -> list[str]:
    """The inputs that are directories without one file matching ``glob`` (stops at the first match)."""
    return [
        str(raw) for raw in inputs
        if str(raw) != "-" and Path(raw).is_dir() and next(_walk(Path(raw), glob), None) is None
    ]


def read_item(item: Item) -> Report:
    """Read and split one item into a Report; InputError names its source."""
    if item.text is not None:
        if not item.text.strip():
            raise InputError(f"{item.source}: text is empty")
        if "\x00" in item.text:
            raise InputError(f"{item.source}: text holds NUL characters (binary data), not a report")
        return parse_report(item.text, item.doc_id, item.source)
    data = item.data if item.data is not None else read_bytes(item.path)
    text, encoding = decode_bytes(data, item.source)
    return parse_report(text, item.doc_id, item.source, encoding)


def _walk(root: Path, pattern: str, relative: str = "", own: OwnFiles = OwnFiles()) -> Iterator[tuple[Path | Item, str]]:
    """Files under ``root`` matching ``pattern``, in path order, but not the run's ``own``.

    Symbolic links are not followed (a link named on the command line is the
    user's choice; one inside a directory may point anywhere, ``/etc/passwd``
    included); a matching link, FIFO, socket or device comes back as an Item
    with an error, so that the batch reports it as skipped.
    """
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError as exc:
        item = Item(relative or root.name, str(root), error=f"{root}: cannot list directory: {exc.strerror or exc}")
        yield item, relative
        return
    for entry in entries:
        if entry in own:
            continue
        rel = f"{relative}/{entry.name}" if relative else entry.name
        try:
            is_link = entry.is_symlink()
            is_dir = not is_link and entry.is_dir(follow_symlinks=False)
            is_file = not is_link and not is_dir and entry.is_file(follow_symlinks=False)
        except OSError:
            is_link, is_dir, is_file = False, False, True  # let the reader report it
        if is_dir:
            yield from _walk(Path(entry.path), pattern, rel, own)
        elif not _matches(entry.name, rel, pattern):
            continue
        elif is_file:
            yield Path(entry.path), rel
        else:  # a link (to a file, a directory or nothing), a FIFO, a socket, a device: reported, not read
            what = "a symbolic link inside a directory, not followed" if is_link else "not a regular file"
            yield Item(document_id(rel), entry.path, error=f"{entry.path}: {what}; skipped"), rel


def _matches(name: str, relative: str, pattern: str) -> bool:
    if "/" in pattern:
        return PurePosixPath(relative).match(pattern)
    return fnmatch.fnmatchcase(name, pattern)


def _file_items(path: Path, doc_id: str, text_field: str | None, id_field: str | None) -> Iterator[Item]:
    if path.suffix.lower() in JSONL_SUFFIXES:
        try:
            handle = open(path, "rb")
        except OSError as exc:
            yield Item(doc_id, str(path), error=f"{path}: cannot read: {exc.strerror or exc}")
            return
        with handle:
            yield from _jsonl_items(handle, str(path), doc_id, text_field, id_field)
        return
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    yield Item(doc_id, str(path), path=str(path), size=size)


def _jsonl_items(handle, name: str, stem: str, text_field: str | None, id_field: str | None) -> Iterator[Item]:
    text_field = text_field or "text"
    for number, raw in enumerate(handle, start=1):
        source = f"{name}:{number}"
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        default_id = line_id(stem, number)
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield Item(default_id, source, error=f"{source}: line is not UTF-8")
            continue
        except json.JSONDecodeError as exc:
            yield Item(default_id, source, error=f"{source}: not a JSON record: {exc.msg}")
            continue
        if not isinstance(record, dict):
            yield Item(default_id, source, error=f"{source}: expected a JSON object, got {type(record).__name__}")
            continue
        doc_id = default_id
        if id_field is not None:
            value = record.get(id_field)
            if not isinstance(value, (str, int)) or isinstance(value, bool) or value == "":
                yield Item(default_id, source, error=f"{source}: no usable id in field {id_field!r}")
                continue
            doc_id = str(value)
        text = record.get(text_field)
        if not isinstance(text, str):
            reason = "missing" if text is None else f"a {type(text).__name__}, not a string"
            yield Item(doc_id, source, error=f"{source}: text field {text_field!r} is {reason}")
            continue
        title = record.get(TITLE_FIELD)
        yield Item(doc_id, source, text=text, size=len(text), title=title if isinstance(title, str) else None)
