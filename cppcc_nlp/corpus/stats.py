"""Corpus figures: units, documents and positives per source and per theme, co-occurrence."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations

from ..themes import THEME_IDS
from .records import LabelRecord


@dataclass(frozen=True)
class CorpusStats:
    units: int
    units_per_section: dict[str, int]
    units_per_theme: dict[str, int]
    empty_units: int
    cooccurrence: dict[tuple[str, str], int]

    def format(self) -> str:
        lines = [f"units: {self.units}   empty (no theme): {self.empty_units}", "", "units per section:"]
        lines += [f"  {name:<12}{count:>5}" for name, count in self.units_per_section.items()]
        lines += ["", "units per theme:"]
        lines += [
            f"  {theme:<22}{count:>5}  ({count / self.units:.0%})" for theme, count in self.units_per_theme.items()
        ]
        lines += ["", "label co-occurrence (units with both):"]
        short = {theme: theme[:6] for theme in THEME_IDS}
        lines.append("  " + " " * 22 + "".join(f"{short[t]:>8}" for t in THEME_IDS))
        for a in THEME_IDS:
            cells = []
            for b in THEME_IDS:
                key = (a, b) if THEME_IDS.index(a) <= THEME_IDS.index(b) else (b, a)
                cells.append(f"{self.cooccurrence.get(key, self.units_per_theme[a] if a == b else 0):>8}")
            lines.append(f"  {a:<22}" + "".join(cells))
        return "\n".join(lines)


def corpus_stats(records: list[LabelRecord]) -> CorpusStats:
    """Units per section and per theme, empty units and label co-occurrence."""
    per_section = Counter(record.section for record in records)
    per_theme = {theme: sum(theme in record.labels for record in records) for theme in THEME_IDS}
    cooccurrence: Counter = Counter()
    for record in records:
        for a, b in combinations(sorted(record.labels, key=THEME_IDS.index), 2):
            cooccurrence[(a, b)] += 1
    return CorpusStats(
        units=len(records),
        units_per_section=dict(per_section),
        units_per_theme=per_theme,
        empty_units=sum(not record.labels for record in records),
        cooccurrence=dict(cooccurrence),
    )
