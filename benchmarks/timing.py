"""Paired timing helpers shared by jobs_crossover.py and speed.py.

Two commands A and B are run back to back in each round, the order alternating
between rounds, so that a change of load on the shared machine hits both; the
ratio is taken per round and its median reported.
"""

from __future__ import annotations

import os
import statistics
from typing import Sequence


def round_order(names: Sequence[str], round_index: int) -> list[str]:
    """``names`` in this round's order: as given in even rounds, reversed in odd ones."""
    return list(names) if round_index % 2 == 0 else list(reversed(names))


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Per-round ratios ``numerators[i] / denominators[i]``; the two lists come from the same rounds."""
    if len(numerators) != len(denominators):
        raise ValueError(f"unpaired runs: {len(numerators)} against {len(denominators)}")
    return [a / b for a, b in zip(numerators, denominators)]


def summarise(values: Sequence[float]) -> dict:
    """Median, minimum, maximum and number of ``values`` (the runs are kept too)."""
    if not values:
        raise ValueError("no runs to summarise")
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "runs": [round(v, 4) for v in values]}


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(v, 2) for v in os.getloadavg()]
