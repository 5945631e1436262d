"""Corpus figures: units, documents and positives per source and per theme, agreement, co-occurrence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path

from ..codebook import Codebook, resolve_codebook
from .records import LabelRecord

AGREEMENT_DIR = "agreement"
FIRST_ANNOTATION = "first.jsonl"
SECOND_ANNOTATION = "second.jsonl"


@dataclass(frozen=True)
class SourceStats:
    source: str
    units: int
    documents: int
    positives: dict[str, int]
    empty: int
    selections: dict[str, int]


@dataclass(frozen=True)
class CorpusStats:
    units: int
    units_per_section: dict[str, int]
    units_per_theme: dict[str, int]
    empty_units: int
    cooccurrence: dict[tuple[str, str], int]
    sources: tuple[SourceStats, ...] = ()
    documents: int = 0
    annotators: dict[str, int] = field(default_factory=dict)
    agreement: dict = field(default_factory=dict)  # round name -> agreement of its two annotations

    def format(self) -> str:
        themes = tuple(self.units_per_theme)  # the codebook's themes, in order
        lines = [
            f"units: {self.units}   documents: {self.documents}   empty (no theme): {self.empty_units}",
            "",
            "per source:",
            f"  {'source':<30}{'units':>7}{'docs':>6}{'empty':>7}" + "".join(f"{t[:10]:>12}" for t in themes),
        ]
        for s in self.sources:
            lines.append(
                f"  {s.source:<30}{s.units:>7}{s.documents:>6}{s.empty:>7}"
                + "".join(f"{s.positives[t]:>12}" for t in themes)
            )
        lines.append(
            f"  {'all':<30}{self.units:>7}{self.documents:>6}{self.empty_units:>7}"
            + "".join(f"{self.units_per_theme[t]:>12}" for t in themes)
        )
        lines += ["", "how units were selected:"]
        for s in self.sources:
            lines.append(f"  {s.source:<30}" + ", ".join(f"{k} {v}" for k, v in sorted(s.selections.items())))
        if self.annotators:
            lines += ["", "units per annotator (as merged):"]
            lines += [f"  {name:<30}{count:>7}" for name, count in sorted(self.annotators.items())]
        lines += ["", "units per theme:"]
        lines += [
            f"  {theme:<22}{count:>5}  ({count / self.units:.0%})" for theme, count in self.units_per_theme.items()
        ]
        for name, agreement in self.agreement.items():
            lines += ["", f"inter-annotator agreement, {name} (two independent annotations, before adjudication):"]
            lines += ["  " + line for line in agreement.format().splitlines()]
        lines += ["", "label co-occurrence (units with both):"]
        short = {theme: theme[:6] for theme in themes}
        lines.append("  " + " " * 22 + "".join(f"{short[t]:>8}" for t in themes))
        for a in themes:
            cells = []
            for b in themes:
                key = (a, b) if themes.index(a) <= themes.index(b) else (b, a)
                cells.append(f"{self.cooccurrence.get(key, self.units_per_theme[a] if a == b else 0):>8}")
            lines.append(f"  {a:<22}" + "".join(cells))
        return "\n".join(lines)


def _source_stats(source: str, records: list[LabelRecord], themes: tuple[str, ...]) -> SourceStats:
    return SourceStats(
        source=source,
        units=len(records),
        documents=len({r.group for r in records}),
        positives={theme: sum(theme in r.labels for r in records) for theme in themes},
        empty=sum(not r.labels for r in records),
        selections=dict(Counter(r.selection or "unknown" for r in records)),
    )


def corpus_agreement(corpus_dir: str | Path | None = None, codebook: Codebook | None = None) -> dict:
    """Per round of double annotation, the agreement of its two annotations: ``agreement/<round->first.jsonl``
    with ``<round->second.jsonl`` (the first round has no prefix and is named ``round 1``)."""
    from .agreement import agreement_of_files
    from .load import default_corpus_dir

    root = (Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()) / AGREEMENT_DIR
    rounds = {}
    for first in sorted(root.glob(f"*{FIRST_ANNOTATION}")):
        prefix = first.name[: -len(FIRST_ANNOTATION)]
        second = root / f"{prefix}{SECOND_ANNOTATION}"
        if second.is_file():
            rounds[prefix.rstrip("-") or "round 1"] = agreement_of_files(first, second, codebook)
    return rounds


@dataclass(frozen=True)
class StatsRecords:
    """The records ``corpus stats`` counts: resolved where a source copy is at hand, else as the label files say.

    ``unchecked``: per source without a local copy, how many stand-off records were counted unchecked
    (their labels as written, their text not compared with the source).
    """

    records: list
    unchecked: dict[str, int]
    sources_root: Path | None

    def format_unchecked(self) -> str:
        if not self.unchecked:
            return ""
        where = (f"no copy in {self.sources_root}" if self.sources_root is not None
                 else "no --sources directory and $CPPCC_NLP_SOURCES unset")
        listing = ", ".join(f"{name} ({count} records)" for name, count in sorted(self.unchecked.items()))
        return (f"not checked against their sources ({where}): {listing}; counted from the label files as "
                "written. Pass --sources DIR to check them.")


def load_for_stats(corpus_dir: str | Path | None = None, sources=None, codebook: Codebook | str | Path | None = None,
                   skip_missing_sources: bool = False) -> StatsRecords:
    """Every record of a corpus for counting: stand-off records of sources without a local copy are not
    resolved but counted from their label lines (``skip_missing_sources``: left out instead).

    Everything else is checked as ``load_corpus`` checks it (codebook, inline records, the sources at hand).
    """
    import io

    from .load import default_corpus_dir, load_corpus
    from .records import StandoffLine, read_label_file
    from .sources import read_registry, source_file, sources_dir

    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    codebook = resolve_codebook(codebook, root)
    records = load_corpus(root, sources=sources, skip_missing_sources=True, report=io.StringIO(), codebook=codebook)
    if skip_missing_sources:
        return StatsRecords(records, {}, sources_dir(sources))
    registry = read_registry(root)
    copies = sources_dir(sources)
    missing = {name for name, spec in registry.items() if source_file(spec, copies) is None}
    unchecked: Counter = Counter()
    for path in sorted((root / "labels").glob("*.jsonl")):
        for item in read_label_file(path, codebook):
            if isinstance(item, StandoffLine) and item.source in missing:
                records.append(LabelRecord(item.id, item.doc, "", "", item.labels, item.source, item.span,
                                           item.annotator, item.selection))
                unchecked[item.source] += 1
    return StatsRecords(records, dict(unchecked), copies)


def corpus_stats(records: list[LabelRecord], corpus_dir: str | Path | None = None,
                 codebook: Codebook | str | Path | None = None) -> CorpusStats:
    """Units per source, section and theme, documents, empty units, co-occurrence, and with ``corpus_dir``
    the agreement figures of its double annotations (themes of ``codebook``; None: the corpus directory's)."""
    codebook = resolve_codebook(codebook, corpus_dir)
    themes = codebook.ids
    per_section = Counter(record.section for record in records)
    per_theme = {theme: sum(theme in record.labels for record in records) for theme in themes}
    cooccurrence: Counter = Counter()
    for record in records:
        for a, b in combinations(sorted(record.labels, key=themes.index), 2):
            cooccurrence[(a, b)] += 1
    by_source: dict[str, list[LabelRecord]] = {}
    for record in records:
        by_source.setdefault(record.source, []).append(record)
    return CorpusStats(
        units=len(records),
        units_per_section=dict(per_section),
        units_per_theme=per_theme,
        empty_units=sum(not record.labels for record in records),
        cooccurrence=dict(cooccurrence),
        sources=tuple(_source_stats(source, rs, themes) for source, rs in sorted(by_source.items())),
        documents=len({r.group for r in records}),
        annotators=dict(Counter(r.annotator for r in records if r.annotator)),
        agreement=corpus_agreement(corpus_dir, codebook) if corpus_dir is not None else {},
    )
