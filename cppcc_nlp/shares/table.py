"""``ShareTable``: one row per group and theme, with its interval; printed, drawn in notebooks, written."""

from __future__ import annotations

import csv
import json
import os
import sys
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..records import csv_cell
from .rates import ErrorRates

SHARE_FIELDS = ("group", "theme", "share", "low", "high", "n_units", "method")


@dataclass(frozen=True)
class ShareTable:
    """One row per group and theme: ``group, theme, share, low, high, n_units, method``.

    ``rates`` are the held-out error rates used (None for ``count`` and
    ``probability``). Rows keep the groups in the order they first appear.
    """

    rows: tuple[dict, ...]
    method: str
    confidence: float
    themes: tuple[str, ...]
    rates: ErrorRates | None = field(default=None, repr=False)
    codebook: object = field(default=None, repr=False)  # the model's Codebook: the themes' names and colours

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        """The rows, each a dict of ``SHARE_FIELDS`` (so ``pandas.DataFrame(table)`` is the table)."""
        return iter(self.to_records())

    def __getitem__(self, index):
        """Row ``index`` (a dict), or a list of rows for a slice."""
        if isinstance(index, slice):
            return [dict(row) for row in self.rows[index]]
        return dict(self.rows[index])

    def __repr__(self) -> str:
        groups = self.groups
        shown = ", ".join(map(repr, groups[:4])) + (", ..." if len(groups) > 4 else "")
        head = (f"ShareTable(method={self.method!r}, confidence={self.confidence:g}, {len(groups)} groups "
                f"[{shown}] x {len(self.themes)} themes, {len(self.rows)} rows)")
        return head + "\n" + self.format()

    def _repr_html_(self) -> str:
        """An HTML table for notebooks: one row per group, ``share [low, high]`` per theme."""
        from html import escape

        names = getattr(self.codebook, "names", None) or {}
        head = "".join(f"<th title='{escape(theme)}'>{escape(names.get(theme, theme))}</th>" for theme in self.themes)
        body = []
        for group, cells in self._by_group().items():
            first = next(iter(cells.values()))
            values = "".join(
                f"<td>{c['share']:.2f} <small>[{c['low']:.2f}, {c['high']:.2f}]</small></td>"
                for c in (cells[t] for t in self.themes))
            body.append(f"<tr><th>{escape(str(group))}</th><td>{first['n_units']}</td>{values}</tr>")
        caption = f"theme shares ({escape(self.method)}), {self.confidence:.0%} intervals"
        return (f"<table><caption>{caption}</caption><thead><tr><th>group</th><th>units</th>{head}</tr></thead>"
                f"<tbody>{''.join(body)}</tbody></table>")

    def _by_group(self) -> dict:
        by_group: dict[Any, dict[str, dict]] = {}
        for row in self.rows:
            by_group.setdefault(row["group"], {})[row["theme"]] = row
        return by_group

    @property
    def groups(self) -> list:
        return list(dict.fromkeys(row["group"] for row in self.rows))

    def to_records(self) -> list[dict]:
        return [dict(row) for row in self.rows]

    def sorted_groups(self, key=None) -> "ShareTable":
        """The same table with its groups in sorted order (``key`` as for ``sorted``; each group's themes stay
        in order)."""
        order = sorted(self.groups, key=key)
        rank = {group: k for k, group in enumerate(order)}
        return replace(self, rows=tuple(sorted(self.rows, key=lambda row: rank[row["group"]])))

    def to_dataframe(self):
        """The rows as a pandas DataFrame (requires pandas)."""
        from ..optional import require

        return require("pandas", "to_dataframe()").DataFrame(self.to_records(), columns=list(SHARE_FIELDS))

    def cell(self, group, theme: str) -> dict:
        """The row of one group and theme."""
        for row in self.rows:
            if row["group"] == group and row["theme"] == theme:
                return row
        raise KeyError((group, theme))

    def format(self, digits: int = 2) -> str:
        """A Markdown table: one line per group, ``share [low, high]`` per theme."""
        lines = ["| group | units | " + " | ".join(self.themes) + " |", "|---|---:|" + "---|" * len(self.themes)]
        for group, cells in self._by_group().items():
            first = next(iter(cells.values()))
            values = [f"{c['share']:.{digits}f} [{c['low']:.{digits}f}, {c['high']:.{digits}f}]"
                      for c in (cells[t] for t in self.themes)]
            label = str(group).replace("|", "\\|")
            lines.append(f"| {label} | {first['n_units']} | " + " | ".join(values) + " |")
        percent = f"{self.confidence:.0%}"
        lines.append(f"\nmethod: {self.method}; intervals: {percent}")
        return "\n".join(lines)

    def write(self, path: str | os.PathLike) -> Path:
        """The rows as CSV (``.csv``) or JSON lines (any other suffix; ``"-"``: standard output), UTF-8."""
        to_stdout = str(path) == "-"
        path = Path(path)
        with nullcontext(sys.stdout) if to_stdout else open(path, "w", encoding="utf-8", newline="") as handle:
            if path.suffix.lower() == ".csv":
                writer = csv.DictWriter(handle, fieldnames=list(SHARE_FIELDS))
                writer.writeheader()
                writer.writerows({key: csv_cell(value) for key, value in row.items()} for row in self.rows)
            else:
                for row in self.rows:
                    handle.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return path
