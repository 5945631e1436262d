"""Read a report into sections, paragraphs and sentences with offsets.

path/bytes (read_report) -> decode -> text (parse_report) -> normalise -> paragraphs (page breaks repaired)
-> sections (city or numbered headings) -> sentences (offsets into ``Report.text``).
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from itertools import filterfalse
from pathlib import Path
from typing import Iterator, Union

from .errors import InputError

LEAD_IN = "导语"

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_TERMINATORS = "。！？；!?;"
_CLOSERS = "”’」』）》】〕)\"'"
_HAS_TERMINATOR = re.compile(f"[{_TERMINATORS}]")
_HAS_TERMINATOR_OR_COMMA = re.compile(f"[{_TERMINATORS}，,、…]")
# A sentence without the whitespace around it (\s is str.isspace): text up to and with a run of
# terminators and the closers after them, or the rest of the paragraph after the last terminator.
_SENTENCE = re.compile(
    f"(?:[^{_TERMINATORS}\\s][^{_TERMINATORS}]*)?[{_TERMINATORS}]+[{_CLOSERS}]*"
    f"|[^{_TERMINATORS}\\s](?:[^{_TERMINATORS}]*[^{_TERMINATORS}\\s])?"
)
_SENTENCE_END_MARKS = tuple(_TERMINATORS + "…")

_CITY_HEADING = re.compile(
    f"^(?P<name>[{_CJK}]{{1,8}}?(?:自治州|自治县|自治区|市|县|区|州|盟|旗|省))政协[ \u3000]+\\S"
)
_NUMBERED_HEADING = re.compile(
    "^(?:[一二三四五六七八九十百]+、"
    "|[（(][一二三四五六七八九十]+[)）]"
    "|第[一二三四五六七八九十百0-9]+(?:部分|章|节|篇))"
)
_MAX_TITLE_CHARS = 40

_ASCII_TO_CHINESE = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
# normalise_line: full-width digits and Latin letters -> ASCII; odd spaces -> " "; zero-width -> removed
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_ODD_SPACES = "\u3000\u00a0\u2002\u2003\u2009\t\ufeff"
_ZERO_WIDTHS = "\u200b\u200c\u200d"
_ASCII_PUNCTUATION = re.compile(r"[,;:?!()]")
_CHINESE_CONTEXT = re.compile(f"[{_CJK}，。；：！？、“”《》（）]")
_CHINESE_CONTEXT_RUN = re.compile(f"[{_CJK}，。；：！？、“”《》（）]+")
# a space between Chinese punctuation and a Chinese character; the pattern starts with the space
# (the mark is looked behind at from after it), so that the regex engine jumps from space to space
_LAYOUT_SPACE = re.compile(f" (?<=[，。；：！？、] )(?=[{_CJK}])")
_LINE_BREAK = re.compile("\r\n|\r|\n|\u2028|\u2029|\f")
# _reject_binary_looking: the whitespace characters that are control characters, other than \n\r\t\f
_CONTROL_SPACES = "\x0b\x1c\x1d\x1e\x1f\x85"


@dataclass(frozen=True)
class Sentence:
    """One labelling unit; ``text == report.text[start:end]``."""

    text: str
    start: int
    end: int
    section_index: int
    paragraph_index: int
    index: int

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "section_index": self.section_index,
            "paragraph_index": self.paragraph_index,
            "index": self.index,
        }


@dataclass(frozen=True)
class Paragraph:
    """A paragraph after page-break repair, with its sentences."""

    text: str
    start: int
    end: int
    index: int
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True)
class Section:
    """A city's section (named for the city), a numbered part, or the lead-in."""

    index: int
    name: str
    title: str
    paragraphs: tuple[Paragraph, ...]

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for p in self.paragraphs for s in p.sentences)

    @property
    def text(self) -> str:
        return "\n".join(p.text for p in self.paragraphs)


@dataclass(frozen=True)
class Report:
    """A whole report: normalised text and its sections."""

    doc_id: str
    text: str
    sections: tuple[Section, ...]
    source: str | None = None
    encoding: str | None = None
    content_hash: str = field(default="")

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(s for sec in self.sections for s in sec.sentences)

    def summary(self) -> str:
        """One line per section: index, name, paragraph and sentence counts."""
        lines = [f"{self.doc_id}: {len(self.sections)} sections, {len(self.sentences)} sentences"]
        for sec in self.sections:
            lines.append(
                f"  {sec.index:>2}  {sec.name:<8}  {len(sec.paragraphs):>3} paragraphs"
                f"  {len(sec.sentences):>4} sentences  {sec.title[:30]}"
            )
        return "\n".join(lines)


Source = Union[str, os.PathLike, bytes]


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


def normalise_line(line: str) -> str:
    """Normalise one line: width forms, whitespace, ASCII punctuation inside Chinese text."""
    return _normalise(line).strip()


def _normalise(text: str) -> str:
    """``normalise_line`` without the final strip; also right for many lines at once.

    Every step looks only at characters of one line: width forms, zero-width
    and odd spaces are per character; runs of spaces, the ASCII marks' context
    (a neighbour that ``strip`` removes, or a line break, is never Chinese
    context nor a digit) and layout spaces (between a mark and a Chinese
    character, so never at a line's end) never reach across a line break. So
    normalising a whole text, then splitting it into lines and stripping each,
    gives the lines ``normalise_line`` gives (the tests check it).
    """
    # str.replace per character present is much faster than re.sub or str.translate on long texts
    line = text
    for ch in set(_FULL_WIDTH.findall(line)):
        line = line.replace(ch, chr(ord(ch) - 0xFEE0))
    for ch in _ZERO_WIDTHS:
        if ch in line:
            line = line.replace(ch, "")
    for ch in _ODD_SPACES:
        if ch in line:
            line = line.replace(ch, " ")
    while "  " in line:  # runs of spaces -> one space
        line = line.replace("  ", " ")
    if _ASCII_PUNCTUATION.search(line):
        line = _convert_ascii_punctuation(line)
    # A space between Chinese punctuation and text is layout, not content.
    return _LAYOUT_SPACE.sub("", line)


def _convert_ascii_punctuation(line: str) -> str:
    """ASCII marks next to Chinese context -> Chinese marks (not a comma between digits)."""
    pieces = []
    done = 0  # line[:done] is in pieces, the last mark converted at done - 1
    n = len(line)
    # left to right, so that a mark converted just before counts as Chinese context
    for match in _ASCII_PUNCTUATION.finditer(line):
        i = match.start()
        ch = line[i]
        prev_converted = 0 < done == i
        prev_cjk = i > 0 and (prev_converted or _CHINESE_CONTEXT.match(line, i - 1) is not None)
        next_cjk = _CHINESE_CONTEXT.match(line, i + 1) is not None
        if ch in _ASCII_TO_CHINESE and (prev_cjk or next_cjk):
            if ch == "," and i > 0 and i + 1 < n and line[i - 1].isdigit() and line[i + 1].isdigit():
                continue  # thousands separator
            converted = _ASCII_TO_CHINESE[ch]
        elif ch == "(" and next_cjk:
            converted = "（"
        elif ch == ")" and prev_cjk:
            converted = "）"
        else:
            continue
        pieces += (line[done:i], converted)
        done = i + 1
    if not pieces:
        return line
    pieces.append(line[done:])
    return "".join(pieces)


def _is_heading(line: str) -> bool:
    if _CITY_HEADING.match(line) and not _HAS_TERMINATOR.search(line):
        return True
    if _NUMBERED_HEADING.match(line):
        return True
    return len(line) <= _MAX_TITLE_CHARS and not _HAS_TERMINATOR_OR_COMMA.search(line)


def _section_start(line: str) -> str | None:
    """The section name if ``line`` opens a section, else None."""
    city = _CITY_HEADING.match(line)
    if city and not _HAS_TERMINATOR.search(line):
        return city.group("name")
    numbered = _NUMBERED_HEADING.match(line)
    if numbered:
        first = _HAS_TERMINATOR.split(line, maxsplit=1)[0]
        return first[:_MAX_TITLE_CHARS].strip()
    return None


def split_paragraphs(text: str) -> list[str]:
    """Normalised paragraphs, with paragraphs cut mid-sentence (page breaks, hard wraps) rejoined."""
    joiner = _ParagraphJoiner()
    paragraphs = list(joiner.add(_LINE_BREAK.split(_normalise(text))))
    return paragraphs + joiner.finish()


class _Part(str):
    """The start (``first``) or a middle part of a paragraph that goes on: given out by ``_ParagraphJoiner.drain``."""

    first = True


class _Rest(str):
    """The rest of a paragraph whose start was given out in parts (``_Part``)."""


# where a paragraph may be cut and split into sentences in two pieces as it is whole: after a terminator,
# before a Chinese character (which no normalisation step changes, nor looks across)
_SAFE_CUT = re.compile(f"[{_TERMINATORS}](?=[\u4e00-\u9fff])")
_RAW_SAFE_CUT = re.compile("[。！？；](?=[\u4e00-\u9fff])")  # the same in text not yet normalised


def _last_cut(text: str, pattern: re.Pattern) -> int:
    """The position after the last match of ``pattern`` in ``text`` (0: none)."""
    last = 0
    for match in pattern.finditer(text):
        last = match.end()
    return last


class _ParagraphJoiner:
    """Lines -> paragraphs, fed line by line: a paragraph is given out once the next one has begun.

    A paragraph that grows long (a line without a break, for a streamed file)
    can be given out in parts at sentence ends (``drain``): a ``_Part`` now, the
    ``_Rest`` when it ends. ``extend`` continues the last line with a part of it.
    """

    def __init__(self) -> None:
        self.current: str | None = None
        self.can_continue = False
        self.heading = False  # the current paragraph opened with a heading
        self.given = ""  # the end of what ``drain`` gave out of the current paragraph (None given: "")
        self.drained = False

    def add(self, lines) -> Iterator[str]:
        """The paragraphs that ``lines`` (normalised, not stripped) complete."""
        for line in lines:
            line = line.strip()
            if not line:
                continue
            heading = _is_heading(line)
            if self.current is not None and self.can_continue and not heading:
                previous = self.given + self.current
                glue = " " if previous[-1].isascii() and line[0].isascii() and previous[-1].isalnum() and line[0].isalnum() else ""
                self.current = self.current + glue + line
            else:
                if self.current is not None:
                    yield self._given_out()
                self.current = line
                self.heading = heading
            # ends a sentence: a terminator or "…", then only closers (a paragraph holds no line break)
            self.can_continue = not heading and not ends_sentence(self.given + self.current)

    def extend(self, text: str, end: bool = False) -> None:
        """``text`` continues the last line added (a long line given in parts); ``end``: its last part."""
        self.current += text.rstrip() if end else text
        self.can_continue = not self.heading and not ends_sentence(self.given + self.current)

    def drain(self, keep: int = 0) -> "_Part | None":
        """Give out the current paragraph up to its last sentence end (if ``keep`` characters or more come before
        it): a ``_Part``; the rest stays current."""
        if self.current is None:
            return None
        cut = _last_cut(self.current, _SAFE_CUT)
        if cut == 0 or cut < keep:
            return None
        part = _Part(self.current[:cut])
        part.first = not self.drained
        self.current = self.current[cut:]
        self.given = part[-8:]
        self.drained = True
        return part

    def _given_out(self) -> str:
        paragraph = _Rest(self.current) if self.drained else self.current
        self.given, self.drained = "", False
        return paragraph

    def finish(self) -> list[str]:
        """The last paragraph, if any."""
        if self.current is None:
            return []
        last = self._given_out()
        self.current = None
        return [last]


def ends_sentence(text: str) -> bool:
    """Whether ``text`` ends as a sentence does: a terminator or "…", then only closing marks."""
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END_MARKS)


def split_sentences(paragraph: str) -> list[tuple[int, int]]:
    """``(start, end)`` spans of the sentences of one paragraph; never empty, never whitespace-padded."""
    return [match.span() for match in _SENTENCE.finditer(paragraph)]


_new_object = object.__new__


def _sentences(paragraph: str, offset: int, section_index: int, paragraph_index: int, index: int) -> tuple[Sentence, ...]:
    """The Sentences of ``paragraph``, which starts at ``offset``; the first is numbered ``index``.

    Built as ``Sentence(...)`` builds them (same fields, in order, in ``__dict__``) but without
    the frozen dataclass's ``__init__``, whose six ``object.__setattr__`` calls cost twice as much.
    """
    sentences = []
    for match in _SENTENCE.finditer(paragraph):
        start, end = match.span()
        sentence = _new_object(Sentence)
        attributes = sentence.__dict__
        attributes["text"] = paragraph[start:end]
        attributes["start"] = offset + start
        attributes["end"] = offset + end
        attributes["section_index"] = section_index
        attributes["paragraph_index"] = paragraph_index
        attributes["index"] = index
        index += 1
        sentences.append(sentence)
    return tuple(sentences)


class _Sectioner:
    """Paragraphs -> numbered sections, paragraphs and sentences with offsets into the normalised text.

    Fed paragraph by paragraph, so that a report can be split as it is read;
    ``digest`` is the sha256 of the normalised text so far.
    """

    def __init__(self) -> None:
        self.sections: list[tuple[str, str]] = []  # (name, title) of every section so far
        self.paragraph_index = self.sentence_index = self.offset = 0
        self.digest = hashlib.sha256()

    def add(self, para: str) -> tuple[int, Paragraph]:
        """The section index of ``para`` (a new section when it opens one) and the Paragraph it makes.

        A paragraph given in parts (``_Part`` then ``_Rest``, from a streamed
        file) makes one Paragraph per part, with the paragraph's index and the
        offsets, sentences and digest of the whole; the section's title is its
        first part.
        """
        opens = not isinstance(para, _Rest) and (not isinstance(para, _Part) or para.first)
        if opens:
            name = _section_start(para)
            if name is not None or not self.sections:
                self.sections.append((name, str(para)) if name is not None else (LEAD_IN, ""))
                self.paragraph_index = self.sentence_index = 0
        section_index = len(self.sections) - 1
        sentences = _sentences(para, self.offset, section_index, self.paragraph_index, self.sentence_index)
        paragraph = Paragraph(str(para), self.offset, self.offset + len(para), self.paragraph_index, sentences)
        self.digest.update((para if not (opens and self.offset) else "\n" + para).encode("utf-8"))
        self.sentence_index += len(sentences)
        self.offset += len(para)
        if not isinstance(para, _Part):  # the paragraph ends here
            self.paragraph_index += 1
            self.offset += 1
        return section_index, paragraph


def parse_report(text: str, doc_id: str = "report", source: str | None = None, encoding: str | None = None) -> Report:
    """Split already-decoded text into a Report (``read_report`` reads files and bytes)."""
    if not isinstance(text, str):
        raise TypeError(f"parse_report takes the report's text as a str, not {type(text).__name__} (bytes: read_report)")
    paragraphs = split_paragraphs(text)
    sectioner = _Sectioner()
    members: list[list[Paragraph]] = []
    for para in paragraphs:
        section_index, paragraph = sectioner.add(para)
        if section_index == len(members):
            members.append([])
        members[section_index].append(paragraph)
    if not members:
        raise InputError(f"{source or doc_id}: no text after normalisation")
    sections = tuple(Section(index, name, title, tuple(members[index]))
                     for index, (name, title) in enumerate(sectioner.sections))
    return Report(doc_id, "\n".join(paragraphs), sections, source, encoding, sectioner.digest.hexdigest())


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
    import codecs

    name = source or str(path)
    joiner, sectioner = _ParagraphJoiner(), _Sectioner()
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
        first = handle.read(STREAM_BLOCK)
        long_line = max(piece_chars, 4096)  # a paragraph longer than this is given out in parts at sentence ends
        line_open = False  # the last line given to the joiner goes on in ``carry`` (a long line given in parts)
        encoding = _stream_encoding(first, name)
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        carry = ""
        block, consumed = first, 0
        checked = False
        while True:
            last_block = len(block) < STREAM_BLOCK
            held = len(decoder.getstate()[0])  # bytes of a character the previous block cut
            try:
                text = carry + decoder.decode(block, final=last_block)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: cannot decode as {encoding} at byte offset {consumed - held + exc.start}") from None
            read_digest.update(block)
            if "\x00" in text:
                nul = consumed + block.find(bytes(1))
                where = (f"a NUL byte at offset {nul}" if encoding.startswith("utf-8")
                         else f"a NUL character in the block at byte {consumed}")
                raise InputError(f"{name}: binary data ({where}), not a text report")
            consumed += len(block)
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
            paragraphs = list(joiner.add(normalised))
            if head is not None:
                if line_open:
                    joiner.extend(_normalise(head))
                else:
                    paragraphs += joiner.add([_normalise(head)])
                    line_open = True
            part = joiner.drain(keep=long_line) if not last_block else None
            if part:  # one paragraph too long to keep whole: its start (or a middle part) goes now
                paragraphs.append(part)
            if last_block:
                paragraphs += joiner.finish()
            for para in paragraphs:
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
            if last_block:
                break
            block = handle.read(STREAM_BLOCK)
        _check_unchanged(handle, path, name, opened, consumed, read_digest)
    if not sectioner.sections:
        raise InputError(f"{name}: no text after normalisation")
    if not digest_only:
        yield Piece(tuple(pending), tuple(n for n, _ in sectioner.sections),
                    range(closed_until, len(sectioner.sections)), True, tuple(t for _, t in sectioner.sections))
    yield sectioner.digest.hexdigest()


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
