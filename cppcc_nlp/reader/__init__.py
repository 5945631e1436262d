"""Read a report into sections, paragraphs and sentences with offsets.

path/bytes (read_report) -> decode (``decoding``) -> text (parse_report) -> normalise (``normalising``)
-> paragraphs (page breaks repaired) -> sections (city or numbered headings) -> sentences (offsets into
``Report.text``) (``splitting``); a large file piece by piece (``streaming``). The records are in ``units``.
"""

from __future__ import annotations

from .decoding import decode_bytes, read_bytes, read_report
from .normalising import normalise_line
from .splitting import ends_sentence, parse_report, split_paragraphs, split_sentences
from .streaming import Piece, stream_report
from .units import LEAD_IN, Paragraph, Report, Section, Sentence, Source

__all__ = [
    "LEAD_IN", "Paragraph", "Piece", "Report", "Section", "Sentence", "Source", "decode_bytes",
    "ends_sentence", "normalise_line", "parse_report", "read_bytes", "read_report", "split_paragraphs",
    "split_sentences", "stream_report",
]
