"""The feature parts of the prediction engine, one module per feature type, and the one table of their kinds.

Each part class holds its fitter (``fit_transform``: the part learnt from
training texts and their feature matrix, computed by the part itself), its
transform (calling the part on texts) and its stored data (``to_data``,
``from_data``, and ``check_data``/``size_of``/``expected_arrays`` that
``persist`` checks a model file with). ``FEATURE_KINDS`` maps each kind's
name, as stored in ``model.json``, to its class: fitting a model, loading one
and checking its files all look a kind up here. Nothing here needs
scikit-learn; its transformers are the references the tests compare with.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

import numpy as np

from .characters import CharNgrams
from .csr import CsrRows
from .cues import CueWords
from .weights import TfidfWeights
from .words import WordNgrams

if TYPE_CHECKING:
    from scipy import sparse

# kind name (``model.json``'s "kind" of a part) -> the part's class
FEATURE_KINDS: dict[str, type] = {part.kind: part for part in (WordNgrams, CharNgrams, CueWords)}


def feature_kind(kind) -> type:
    """The class of the feature part ``kind``; a ValueError naming the known kinds for any other."""
    part = FEATURE_KINDS.get(kind) if isinstance(kind, str) else None
    if part is None:
        raise ValueError(f"unknown feature part {kind!r}; known: {sorted(FEATURE_KINDS)}")
    return part


def fit_part(kind: str, texts: Sequence[str], **settings) -> tuple[object, sparse.csr_matrix]:
    """The part of ``kind`` learnt from ``texts`` with ``settings`` (its ``fit_transform``'s), and their features."""
    return feature_kind(kind).fit_transform(texts, **settings)


def part_from_data(meta: dict, arrays: dict[str, np.ndarray], segmenter) -> object:
    """The part a stored ``meta`` (with its ``kind``) and its arrays describe."""
    return feature_kind(meta.get("kind")).from_data(meta, arrays, segmenter)


__all__ = ["FEATURE_KINDS", "CharNgrams", "CsrRows", "CueWords", "TfidfWeights", "WordNgrams", "feature_kind", "fit_part",
           "part_from_data"]
