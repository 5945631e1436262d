"""What a page says about each theme and sentence: the themes' names and colours, the terms behind a label."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .documents import PageDocument

if TYPE_CHECKING:
    from ..engine import Engine

EXPLAIN_TERMS = 5  # terms kept per predicted theme of a sentence
EXPLAIN_BATCH = 4096  # sentences vectorised at once for their explanations
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_FALLBACK_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                     "#bcbd22", "#17becf")


def theme_styles(themes: Sequence[str], model=None) -> list[dict]:
    """Each theme's id, name and colour, from the model's codebook (the default codebook for a model without one)."""
    from ..codebook import default_codebook

    engine = getattr(model, "engine_", model)
    codebook = getattr(engine, "codebook", None) or default_codebook()
    names, colours = codebook.names, codebook.colours
    styles = []
    for k, theme in enumerate(themes):
        colour = str(colours.get(theme, ""))
        if not _COLOUR.fullmatch(colour):  # a colour is data too: only #rrggbb reaches the page's style
            colour = _FALLBACK_COLOURS[k % len(_FALLBACK_COLOURS)]
        styles.append({"id": theme, "name": str(names.get(theme, theme)), "color": colour.lower()})
    return styles


def explanations(engine: "Engine", documents: Sequence[PageDocument], top: int = EXPLAIN_TERMS
                 ) -> tuple[list[str], list[list[list]]]:
    """The sentence's own terms behind each predicted theme of every sentence, as ``ThemeClassifier.explain``
    finds them (a model that reads context also weighs the title and heading; those are not listed).

    Returns the distinct terms, and per document and sentence a flat list:
    for each predicted theme ``k``, the marker ``-1 - k``, then up to ``top``
    pairs ``term, weight``: the term's index in the distinct terms and its
    contribution to the theme's score ``× 100``, rounded; largest first.
    """
    names = term_names(engine)
    coef = engine.coef
    terms: dict[str, int] = {}
    result: list[list[list]] = [[[] for _ in doc.sentences] for doc in documents]
    wanted = [(d, i) for d, doc in enumerate(documents) for i, mask in enumerate(doc.masks) if mask]
    for begin in range(0, len(wanted), EXPLAIN_BATCH):
        batch = wanted[begin: begin + EXPLAIN_BATCH]
        texts = [documents[d].sentences[i][5] for d, i in batch]
        # the sentence's own terms: a label output holds no context, and a page read from one must match
        features = engine.transform(texts).tocsr()
        indptr, indices, data = features.indptr, features.indices, features.data
        for row, (d, i) in enumerate(batch):
            lo, hi = indptr[row], indptr[row + 1]
            columns = indices[lo:hi]
            mask = documents[d].masks[i]
            out = result[d][i]
            k = 0
            while mask:
                if mask & 1:
                    out.append(-1 - k)
                    contributions = data[lo:hi] * coef[columns, k]
                    order = np.argsort(-contributions)[:top]
                    for j in order:
                        if contributions[j] <= 0:
                            break
                        term = names[columns[j]]
                        out.append(terms.setdefault(term, len(terms)))
                        out.append(int(round(float(contributions[j]) * 100)))
                mask >>= 1
                k += 1
    return list(terms), result


def term_names(engine: "Engine") -> list[str]:
    """The name of every feature column as the page shows it: ``Engine.feature_names``, with character n-grams
    marked ``chars:`` (a word and the same characters as an n-gram are two features)."""
    names = []
    for part, reads in zip(engine.parts, engine.inputs):
        prefix = ("" if reads == "text" else f"{reads}:") + ("chars:" if type(part).__name__ == "CharNgrams" else "")
        names += [prefix + name for name in part.feature_names()]
    return names
