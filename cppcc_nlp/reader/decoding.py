"""Decoding a report's bytes: byte-order marks, UTF-16 without one, UTF-8, else GB18030 and what
charset-normalizer finds; binary data refused. Reading a file into a Report."""

from __future__ import annotations

import os
import re
import unicodedata
from itertools import filterfalse
from pathlib import Path

from ..errors import InputError
from .normalising import _CHINESE_CONTEXT_RUN
from .splitting import parse_report
from .units import Report, Source

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# _reject_binary_looking: the whitespace characters that are control characters, other than \n\r\t\f
_CONTROL_SPACES = "\x0b\x1c\x1d\x1e\x1f\x85"


def decode_bytes(data: bytes, name: str = "<bytes>") -> tuple[str, str]:
    """Decode report bytes; return ``(text, encoding)`` or raise InputError naming ``name``."""
    if not data.strip():
        raise InputError(f"{name}: file is empty")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: starts with a {encoding} byte-order mark but does not decode: {exc}") from None
            if "\x00" in text:
                raise InputError(f"{name}: holds NUL characters (binary data), not a text report")
            return text, encoding
    if b"\x00" in data:
        unmarked = _utf16_without_bom(data)
        if unmarked is None:
            raise InputError(f"{name}: binary file (contains NUL bytes), not a text report")
        text, encoding = unmarked
        if "\x00" in text:
            raise InputError(f"{name}: holds NUL characters (binary data), not a text report")
        _reject_binary_looking(text, name)
        return text, encoding
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        text, encoding = _detect(data, name, exc.start)
    _reject_binary_looking(text, name)
    return text, encoding


_PLAUSIBLE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2000-\u206f\x20-\x7e]")


def _utf16_without_bom(data: bytes, final: bool = True) -> tuple[str, str] | None:
    """``(text, encoding)`` when NUL-holding bytes are UTF-16 (LE or BE) text without a byte-order mark, else None.

    ASCII characters (line breaks, digits) put their NUL in the high byte: odd
    offsets in LE, even in BE; where that settles it, half the text must be
    characters of Chinese text (CJK ideographs, their punctuation, ASCII). A text without ASCII (a CJK character U+xx00, 一 above all, puts
    a NUL on the other side) is read in the byte order in which nine in ten of
    its characters or more are such; the other order gives about a third. ``final=False``: ``data``
    is the first block of a longer file (a character may go on after it).
    """
    import codecs

    if (final and len(data) % 2) or len(data) < 4:
        return None
    head = data[:8192]
    odd = head[1::2].count(0)
    even = head[0::2].count(0)
    decoded = []
    for encoding, right, wrong in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        try:
            text = codecs.getincrementaldecoder(encoding)("strict").decode(data, final=final)
        except UnicodeDecodeError:
            continue
        visible = "".join(text.split())
        if not visible or not visible.isprintable():
            continue
        settled = right > 0 and right >= 3 * wrong
        decoded.append((settled, len(_PLAUSIBLE.findall(visible)) / len(visible), encoding, text))
    if not decoded:
        return None
    settled, plausible, encoding, text = max(decoded, key=lambda found: found[:2])
    if plausible < (0.5 if settled else 0.9):  # settled or not, text of a report, not "ÿÿÿ" from NUL, 0xFF bytes
        return None
    return text, encoding


def _detect(data: bytes, name: str, utf8_error_at: int | None = None) -> tuple[str, str]:
    """Detect a non-UTF-8 encoding with charset-normalizer, checked against GB18030.

    charset-normalizer alone misreads some short GBK lines as Korean (cp949);
    of the candidates that decode strictly, keep the one giving the most Chinese.
    """
    from charset_normalizer import from_bytes

    candidates = []
    best = from_bytes(data).best()
    if best is not None:
        candidates.append(best.encoding)
    candidates.append("gb18030")
    decoded = []
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        decoded.append((_chinese_share(text), encoding, text))
    if not decoded:
        where = f" (the first byte that is not UTF-8 is at offset {utf8_error_at})" if utf8_error_at is not None else ""
        raise InputError(f"{name}: cannot decode as UTF-8, UTF-16 or GB18030{where}; not a text report or an unknown encoding")
    share, encoding, text = max(decoded, key=lambda item: item[0])
    if share < 0.05:
        raise InputError(f"{name}: decodes as {encoding} but holds almost no Chinese text; wrong encoding or not a report")
    return text, encoding


def _chinese_share(text: str) -> float:
    visible = len("".join(text.split()))  # split() drops exactly the str.isspace characters
    if not visible:
        return 0.0
    return len("".join(_CHINESE_CONTEXT_RUN.findall(text))) / visible


def _reject_binary_looking(text: str, name: str) -> None:
    sample = text[:20000]
    # Line breaks and spaces are not evidence of a binary file. split() drops all whitespace,
    # so the few control characters among it are looked for apart.
    if "".join(sample.split()).isprintable() and not any(ch in sample for ch in _CONTROL_SPACES):
        return  # no control, private-use, surrogate or unassigned character at all (the usual case, fast)
    bad = sum(
        1
        for ch in filterfalse(str.isprintable, sample)  # no printable character is in these categories
        if unicodedata.category(ch) in {"Cc", "Co", "Cs", "Cn"} and ch not in "\n\r\t\f"
    )
    if bad > max(3, len(sample) // 100):
        raise InputError(f"{name}: looks binary ({bad} control or unassigned characters in the first {len(sample)})")


def _stream_encoding(first: bytes, name: str) -> str:
    """The encoding of a report streamed from its first block: UTF-8 (BOM or not) or one ``_detect`` finds."""
    if not first.strip():
        raise InputError(f"{name}: file is empty")
    for bom, encoding in _BOMS:  # the codec reads (and drops) its byte-order mark
        if first.startswith(bom):
            return encoding
    if b"\x00" in first:
        unmarked = _utf16_without_bom(first, final=False)
        if unmarked is None:
            raise InputError(f"{name}: binary file (contains NUL bytes), not a text report")
        return unmarked[1]
    import codecs

    try:
        codecs.getincrementaldecoder("utf-8")().decode(first, final=False)  # a character may go on in the next block
        return "utf-8"
    except UnicodeDecodeError as exc:
        return _detect(first, name, exc.start)[1]


def read_bytes(path: str | os.PathLike) -> bytes:
    """Read a file, turning OS errors into InputError naming the file."""
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a report file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None


def read_report(source: Source, doc_id: str | None = None) -> Report:
    """Read a report from a path (``str`` or ``os.PathLike``) or from raw bytes.

    A ``str`` is always a path: one that names no existing file is an
    InputError naming it, never read as the report's text. To split text you
    already have, use ``parse_report(text)``.
    """
    if isinstance(source, bytes):
        text, encoding = decode_bytes(source, doc_id or "<bytes>")
        return parse_report(text, doc_id or "report", None, encoding)
    if isinstance(source, str) and not os.path.exists(source):
        shown = repr(source if len(source) <= 60 else source[:60] + "…")
        raise InputError(
            f"{shown}: no such file; read_report takes a path or bytes (to split a report's text, use parse_report)"
        )
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"read_report takes a path or bytes, not {type(source).__name__}")
    path = Path(source)
    text, encoding = decode_bytes(read_bytes(path), str(path))
    return parse_report(text, doc_id or path.stem, str(path), encoding)
