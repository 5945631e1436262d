"""Each group's theme shares with intervals, in the form the page's overview draws them."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import InputError
from .documents import SCORE_SCALE, PageDocument


def group_shares(documents: Sequence[PageDocument], themes: Sequence[str], method: str, by="section", *,
                 model=None, confidence: float = 0.95) -> dict:
    """Each group's theme shares with intervals (``shares.shares_from_scores``), and which sentences it holds.

    ``by``: ``"section"``, ``"document"``, or ``{doc_id: group}`` (a field of
    the documents, e.g. their year; documents without one are left out).
    """
    from ..shares import ADJUSTED, error_rates, shares_from_scores

    names: list[str] = []
    members: list[list[list[int]]] = []
    keys: list[int] = []  # the group of every sentence of the kept documents, in order
    kept: list[int] = []
    index: dict = {}
    several = len(documents) > 1
    for d, doc in enumerate(documents):
        if isinstance(by, str):
            if by not in ("section", "document"):
                raise ValueError(f"by must be 'section', 'document' or a {{doc_id: group}} mapping, got {by!r}")
        elif doc.doc_id not in by:
            continue
        kept.append(d)
        for sentence in doc.sentences:
            if by == "section":
                section = sentence[0]
                key, member = (d, section), [d, section]
                name = f"{doc.doc_id} · {doc.sections[section]}" if several else doc.sections[section]
            elif by == "document":
                key, name, member = d, doc.doc_id, [d, -1]
            else:
                key, name, member = ("field", by[doc.doc_id]), str(by[doc.doc_id]), [d, -1]
            g = index.get(key)
            if g is None:
                g = index[key] = len(names)
                names.append(name)
                members.append([])
            if not members[g] or members[g][-1] != member:
                members[g].append(member)
            keys.append(g)
    if not keys:
        raise InputError("no sentence to estimate shares from: no document is in a group")
    steps = np.array([row for d in kept for row in documents[d].steps], dtype=np.float64).reshape(-1, len(themes))
    masks = np.array([mask for d in kept for mask in documents[d].masks], dtype=np.int64)
    predicted = (masks[:, None] >> np.arange(len(themes))) & 1
    rates = error_rates(model) if method in ADJUSTED else None  # error_rates takes any form of model
    table = shares_from_scores(steps / SCORE_SCALE, keys, method=method, predicted=predicted, rates=rates, themes=themes,
                               confidence=confidence, labels=names)
    cells = [[] for _ in names]
    for n, row in enumerate(table.rows):
        cells[n // len(themes)].extend((row["share"], row["low"], row["high"]))
    counts = np.bincount(np.asarray(keys), minlength=len(names))
    return {
        "method": method,
        "by": by if isinstance(by, str) else "field",
        "confidence": confidence,
        "rows": [[names[g], int(counts[g]), cells[g], members[g]] for g in range(len(names))],
    }
