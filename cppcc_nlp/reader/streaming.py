"""Reading a report file as a stream: pieces of paragraphs and sentences, never the whole text in memory."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Iterator

from ..errors import InputError
from .decoding import _reject_binary_looking, _stream_encoding
from .normalising import _LINE_BREAK, _normalise
from .splitting import _RAW_SAFE_CUT, _last_cut, _ParagraphJoiner, _Sectioner
from .units import Paragraph, Sentence

@dataclass(frozen=True)
class Piece:
    """Consecutive paragraphs of a report read as a stream (``stream_report``), with their sections.

    ``paragraphs``: ``(section index, Paragraph)`` each; ``section_names``: the
    names of every section opened so far, by index; ``closed``: the sections
    that end before this piece's last one (all of them in the last piece);
    ``section_titles``: the heading lines of those sections, by index.
    """

    paragraphs: tuple[tuple[int, Paragraph], ...]
    section_names: tuple[str, ...]
    closed: range
    last: bool
    section_titles: tuple[str, ...] = ()

    @property
    def sentences(self) -> list[Sentence]:
        return [s for _, p in self.paragraphs for s in p.sentences]


STREAM_BLOCK = 1 << 20  # bytes read and decoded at a time by stream_report


def stream_report(path: str | os.PathLike, source: str | None = None, piece_chars: int = 1_000_000,
                  digest_only: bool = False) -> Iterator[Piece | str]:
    """Read a report file piece by piece: ``Piece``s of about ``piece_chars`` characters, then its sha256.

    The pieces hold the paragraphs, sentences and offsets ``read_report``
    gives, without the whole text in memory. A paragraph longer than
    ``piece_chars`` (at least 4,096 characters; a file of one line, say) is
    given in parts cut at sentence ends before a Chinese character: one
    ``Paragraph`` per part, each with the paragraph's index, and sentences,
    offsets and digest as read whole (a section's title is then its heading
    paragraph's first part). The encoding is found on the
    first block (a byte-order mark, UTF-16 without one, UTF-8, or what
    ``_detect`` finds there); a later byte that does not decode is an
    InputError naming its offset.
    ``digest_only``: no pieces, only the sha256 (to compare with a manifest).
    """
    name = source or str(path)
    sectioner = _Sectioner()
    pending: list[tuple[int, Paragraph]] = []
    size = 0
    closed_until = 0
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    with handle:
        opened = os.fstat(handle.fileno())
        read_digest = hashlib.sha256()  # of the bytes as read: the file is hashed again at the end to compare
        consumed = [0]
        for para in _paragraphs(handle, name, max(piece_chars, 4096), read_digest, consumed):
            section_index, paragraph = sectioner.add(para)
            if digest_only:
                continue
            if not para:
                continue  # the empty rest of a paragraph given in parts
            pending.append((section_index, paragraph))
            size += len(para)
            if size >= piece_chars:
                yield Piece(tuple(pending), tuple(n for n, _ in sectioner.sections), range(closed_until, section_index),
                            False, tuple(t for _, t in sectioner.sections))
                closed_until, pending, size = section_index, [], 0
        _check_unchanged(handle, path, name, opened, consumed[0], read_digest)
    if not sectioner.sections:
        raise InputError(f"{name}: no text after normalisation")
    if not digest_only:
        yield Piece(tuple(pending), tuple(n for n, _ in sectioner.sections),
                    range(closed_until, len(sectioner.sections)), True, tuple(t for _, t in sectioner.sections))
    yield sectioner.digest.hexdigest()


def _paragraphs(handle, name: str, long_line: int, read_digest, consumed: list[int]) -> Iterator[str]:
    """The paragraphs of the file ``handle`` reads, block by block (``_ParagraphJoiner``: a paragraph longer
    than ``long_line`` comes in parts); the bytes read go into ``read_digest`` and their count into
    ``consumed[0]``."""
    import codecs

    joiner = _ParagraphJoiner()
    first = handle.read(STREAM_BLOCK)
    line_open = False  # the last line given to the joiner goes on in ``carry`` (a long line given in parts)
    encoding = _stream_encoding(first, name)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    carry = ""
    block = first
    checked = False
    while True:
        last_block = len(block) < STREAM_BLOCK
        held = len(decoder.getstate()[0])  # bytes of a character the previous block cut
        try:
            text = carry + decoder.decode(block, final=last_block)
        except UnicodeDecodeError as exc:
            raise InputError(f"{name}: cannot decode as {encoding} at byte offset {consumed[0] - held + exc.start}") from None
        read_digest.update(block)
        if "\x00" in text:
            nul = consumed[0] + block.find(bytes(1))
            where = (f"a NUL byte at offset {nul}" if encoding.startswith("utf-8")
                     else f"a NUL character in the block at byte {consumed[0]}")
            raise InputError(f"{name}: binary data ({where}), not a text report")
        consumed[0] += len(block)
        if not checked:
            _reject_binary_looking(text, name)
            checked = True
        lines = _LINE_BREAK.split(text)
        carry = "" if last_block else lines.pop()  # a line may go on in the next block
        # (a \r\n cut between two blocks gives one more empty line, which is skipped like any other)
        head = None
        if len(carry) > long_line:  # a line without a break for so long: its sentences so far go on now
            cut = _last_cut(carry, _RAW_SAFE_CUT)
            if cut:
                head, carry = carry[:cut], carry[cut:]
        normalised = _LINE_BREAK.split(_normalise("\n".join(lines))) if lines else []
        if line_open and lines:  # the long line ends in this block
            joiner.extend(normalised.pop(0), end=True)
            line_open = False
        yield from joiner.add(normalised)
        if head is not None:
            if line_open:
                joiner.extend(_normalise(head))
            else:
                yield from joiner.add([_normalise(head)])
                line_open = True
        part = joiner.drain(keep=long_line) if not last_block else None
        if part:  # one paragraph too long to keep whole: its start (or a middle part) goes now
            yield part
        if last_block:
            yield from joiner.finish()
            return
        block = handle.read(STREAM_BLOCK)


def _check_unchanged(handle, path, name: str, opened: os.stat_result, consumed: int, read_digest) -> None:
    """InputError when the file streamed through ``handle`` changed while it was read.

    Changed: its size is not what was read, its modification time moved, its
    name leads to another file now, or its bytes, hashed again, are not the ones
    read (an edit of the same size within the clock's resolution).
    """
    now = os.fstat(handle.fileno())
    try:
        named = os.stat(path)
    except OSError:
        named = None
    if now.st_size != consumed or now.st_size != opened.st_size:
        what = f"{opened.st_size:,} bytes when opened, {now.st_size:,} now"
    elif now.st_mtime_ns != opened.st_mtime_ns:
        what = "modified meanwhile"
    elif named is None or (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
        what = "replaced by another file meanwhile"
    else:
        handle.seek(0)
        again = hashlib.sha256()
        for block in iter(lambda: handle.read(STREAM_BLOCK), b""):
            again.update(block)
        if again.digest() == read_digest.digest():
            return
        what = "its bytes differ from those read"
    raise InputError(f"{name}: changed while it was read ({what}); none of it is kept, label it again")
