"""Choose units to hand-label: all of them, stratified random, model uncertainty, diversity, or a keyword query.

The strategies are a few lines each over the reader's units, so they are kept
here rather than taken from an active-learning library: small-text and modAL
wrap their own dataset and classifier types (small-text's text classifiers
need PyTorch), while here the candidates are stand-off units and the model is
any fitted ``ThemeClassifier``.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

from ..corpus.sources import Unit
from ..codebook import Codebook, default_codebook

if TYPE_CHECKING:
    import numpy as np


# how ``select_units`` chooses ("all": every unlabelled unit, in reading order); the command line offers these
STRATEGIES = ("all", "random", "uncertainty", "diversity", "keyword")


@dataclass(frozen=True)
class Selected:
    """A unit chosen for labelling, how it was chosen, and the model's suggestion if any."""

    unit: Unit
    selection: str
    suggested: dict[str, float] | None = None


def theme_query(theme: str, codebook: Codebook | None = None) -> str:
    """A regular expression matching the cue words of ``theme`` in ``codebook`` (default: the CPPCC one)."""
    cues = (codebook or default_codebook()).theme(theme).cues
    if not cues:
        raise ValueError(f"theme {theme!r} has no cue words to query; give --query")
    return "|".join(re.escape(cue) for cue in sorted(cues, key=len, reverse=True))


def _take_spread(ordered: Sequence[Unit], n: int, max_per_doc: int | None) -> list[Unit]:
    """The first ``n`` of ``ordered`` with at most ``max_per_doc`` from one document."""
    per_doc: dict[tuple[str, str], int] = defaultdict(int)
    chosen = []
    for unit in ordered:
        key = (unit.source, unit.doc)
        if max_per_doc is not None and per_doc[key] >= max_per_doc:
            continue
        per_doc[key] += 1
        chosen.append(unit)
        if len(chosen) == n:
            break
    return chosen


def stratified_random(units: Sequence[Unit], n: int, rng: random.Random, max_per_doc: int | None = None) -> list[Unit]:
    """``n`` units spread evenly over sources, then over documents in random order, then at random within each."""
    by_source: dict[str, dict[str, list[Unit]]] = defaultdict(lambda: defaultdict(list))
    for unit in units:
        by_source[unit.source][unit.doc].append(unit)
    queues = {}
    for source in sorted(by_source):
        docs = list(by_source[source].values())
        rng.shuffle(docs)
        for doc_units in docs:
            rng.shuffle(doc_units)
        # round-robin over this source's documents: one unit of each, then a second of each, ...
        limit = max_per_doc if max_per_doc is not None else max(len(d) for d in docs)
        queues[source] = [d[k] for k in range(limit) for d in docs if k < len(d)]
    chosen: list[Unit] = []
    sources = sorted(queues)
    position = dict.fromkeys(sources, 0)
    while len(chosen) < n and sources:
        for source in list(sources):
            if position[source] >= len(queues[source]):
                sources.remove(source)
                continue
            chosen.append(queues[source][position[source]])
            position[source] += 1
            if len(chosen) == n:
                break
    return chosen


def _texts(units: Sequence[Unit]) -> list[str]:
    return [unit.text for unit in units]


def _probabilities(engine, units: Sequence[Unit]):
    """The engine's probabilities for ``units``, each with its context."""
    return engine.predict_proba(_texts(units), [unit.context for unit in units])


def uncertainty_order(units: Sequence[Unit], engine) -> tuple[list[int], np.ndarray]:
    """Indices of ``units`` from the most to the least uncertain, and the model's probabilities.

    A unit's uncertainty is its smallest distance, over the themes, between the
    log-odds of its probability and of that theme's decision threshold.
    """
    import numpy as np  # here, not at the top: the command line's parser imports this module for every command

    probabilities = _probabilities(engine, units)
    clipped = np.clip(probabilities, 1e-6, 1 - 1e-6)
    thresholds = np.clip(np.asarray(engine.thresholds, dtype=float), 1e-6, 1 - 1e-6)
    margin = np.abs(np.log(clipped / (1 - clipped)) - np.log(thresholds / (1 - thresholds))).min(axis=1)
    return [int(i) for i in np.argsort(margin, kind="stable")], probabilities


def diversity_order(units: Sequence[Unit], n: int, rng: random.Random, pool: int = 5000) -> list[Unit]:
    """Farthest-first traversal in character-bigram TF-IDF space over a random pool of units."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    candidates = list(units)
    rng.shuffle(candidates)
    candidates = candidates[:pool]
    if not candidates:
        return []
    vectors = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), lowercase=False).fit_transform(_texts(candidates))
    chosen = [0]
    # cosine distance to the nearest chosen unit (rows are L2-normalised)
    distance = 1.0 - vectors.dot(vectors[0].T).toarray().ravel()
    while len(chosen) < min(n, len(candidates)):
        nxt = int(np.argmax(distance))
        if distance[nxt] <= 0:
            break
        chosen.append(nxt)
        distance = np.minimum(distance, 1.0 - vectors.dot(vectors[nxt].T).toarray().ravel())
    return [candidates[i] for i in chosen]


def select_units(
    units: Sequence[Unit],
    n: int,
    strategy: str = "random",
    *,
    model=None,
    query: str | None = None,
    exclude: set[str] | frozenset[str] = frozenset(),
    max_per_doc: int | None = None,
    suggest: bool = False,
    random_state: int = 0,
) -> list[Selected]:
    """Choose up to ``n`` units not in ``exclude`` (ids) by ``strategy``.

    ``model`` (any form ``api.as_engine`` takes; None: the shipped model)
    ranks units for ``uncertainty`` and, with ``suggest``, adds its
    probabilities in ``suggested`` (never in ``labels``); ``keyword`` needs
    ``query`` (a regular expression). Units too short to carry a theme are still
    candidates: the sample must represent what the reader produces.
    """
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {strategy!r}; known: {list(STRATEGIES)}")
    if n < 1:
        raise ValueError(f"the number of units to select must be at least 1, got {n}")
    engine = None
    if strategy == "uncertainty" or suggest:
        from ..predictor import as_engine

        engine = as_engine(model)
    rng = random.Random(random_state)
    candidates = [unit for unit in units if unit.id not in exclude]
    if strategy == "all":
        chosen = _take_spread(candidates, n, max_per_doc)
    elif strategy == "random":
        chosen = stratified_random(candidates, n, rng, max_per_doc)
    elif strategy == "keyword":
        if not query:
            raise ValueError("the keyword strategy needs a query (a regular expression) or a theme")
        pattern = re.compile(query)
        matching = [unit for unit in candidates if pattern.search(unit.text)]
        rng.shuffle(matching)
        chosen = _take_spread(matching, n, max_per_doc)
    elif strategy == "uncertainty":
        order, probabilities = uncertainty_order(candidates, engine)
        chosen = _take_spread([candidates[i] for i in order], n, max_per_doc)
    else:
        chosen = _take_spread(diversity_order(candidates, n * 2, rng), n, max_per_doc)
    suggestions: list[dict[str, float] | None] = [None] * len(chosen)
    if suggest and chosen:
        rows = _probabilities(engine, chosen)
        classes = list(engine.themes)
        suggestions = [{theme: round(float(p), 3) for theme, p in zip(classes, row)} for row in rows]
    return [Selected(unit, strategy, suggestion) for unit, suggestion in zip(chosen, suggestions)]
