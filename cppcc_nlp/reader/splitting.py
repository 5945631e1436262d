"""Splitting normalised text: paragraphs (page breaks and hard wraps repaired), sections (city or numbered
headings) and sentences, with offsets into the report's text."""

from __future__ import annotations

import hashlib
import re
from typing import Iterator

from ..errors import InputError
from .normalising import _CJK, _LINE_BREAK, _normalise
from .units import LEAD_IN, Paragraph, Report, Section, Sentence

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
