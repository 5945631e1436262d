"""What a report is read into: its sections, paragraphs and sentences, with offsets into its normalised text."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Union

LEAD_IN = "导语"


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
