"""The one prediction path: a fitted model's state as plain arrays, and the arithmetic that uses it.

``ThemeClassifier.fit`` learns with scikit-learn, then keeps only an
``Engine``: the vocabularies, IDF weights, cue words, coefficients,
intercepts and thresholds. Every prediction — ``predict_proba``,
``classify``, ``label_report``, evaluation, the batch workers — is
``Engine.predict_proba``. Character n-grams of a whole batch are counted with
numpy (every character of the vocabulary gets a rank, an n-gram is a number
looked up in a table), word n-grams from token ranks, and the TF-IDF
weighting, normalisation and linear model are the floating-point operations
of scikit-learn's transformers in the same order, so the features equal
``TfidfVectorizer.transform``'s (the tests check each feature type).

An engine holds numpy arrays, lists and a ``Segmenter`` (plain data): it is
saved as arrays and JSON (``persist.py``) and predicts without scikit-learn.
"""

from __future__ import annotations

import hashlib
import math
import re
import sys
import threading
from itertools import chain
from typing import Sequence

import numpy as np
from scipy import sparse

from .codebook import Codebook, codebook_of_ids
from .context import CONTEXT_INPUTS, UnitContext, context_strings
from .segment import Segmenter

_WHITE_SPACES = re.compile(r"\s\s+")  # as in scikit-learn's character analyzer
_LAST_SPACE = 0x3000  # the last code point that is white space (\s, str.isspace), U+3000 IDEOGRAPHIC SPACE
_RAW_CACHE_SIZE = 200_000  # raw tokens remembered per word part (cleared when full)
_HAS_SPACE = -2
_MAX_PAIR_CELLS = 8_000_000  # cells of a dense table of pairs at most; a hash table beyond
_MAX_TRIGRAM_CELLS = 8_000_000  # cells of the dense trigram table at most; a hash table beyond
LINKS = ("expit", "sigmoid")
_INPUTS = ("text", *CONTEXT_INPUTS)
_FEW_SCORES = 1024  # at most this many scores take the logistic function one by one (``logistic``)


class Engine:
    """Per-theme probabilities from arrays: feature parts, a linear model, a link, calibration, thresholds.

    Each part reads the units' own text, or a view of their context
    (``inputs[k]``: ``"context"``, the neighbouring sentences and heading;
    ``"frame"``, the document's title and the heading; see ``context.py``),
    its features multiplied by ``weights[k]``. ``calibration`` maps each theme's raw
    probability through an increasing piecewise-linear function (isotonic
    regression fitted on held-out folds inside ``fit``), or not at all.

    An engine is not changed once built, and is safe to share between
    threads: the word part's token cache is kept per thread.
    """

    def __init__(self, themes, thresholds, parts, coef, intercept, link: str, inputs=None, weights=None,
                 calibration=None, heldout=None, codebook: Codebook | None = None) -> None:
        if link not in LINKS:
            raise ValueError(f"link must be one of {LINKS}, got {link!r}")
        self.themes = tuple(str(t) for t in themes)
        # the themes' names, colours and cue words: the codebook the model was trained with
        self.codebook = codebook if codebook is not None else codebook_of_ids(self.themes)
        if self.codebook.ids != self.themes:
            raise ValueError(f"the codebook's themes {list(self.codebook.ids)} are not the engine's {list(self.themes)}")
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.parts = list(parts)
        self.inputs = list(inputs) if inputs is not None else ["text"] * len(self.parts)
        self.weights = [float(w) for w in weights] if weights is not None else [1.0] * len(self.parts)
        if any(i not in _INPUTS for i in self.inputs) or len(self.inputs) != len(self.parts):
            raise ValueError(f"each part reads one of {_INPUTS}, got {self.inputs}")
        self.coef = np.ascontiguousarray(coef, dtype=np.float64)  # (n_features, n_themes)
        self.intercept = np.asarray(intercept, dtype=np.float64)  # (n_themes,)
        self.link = link  # "expit" (logistic regression) or "sigmoid" of the SVM's decision function
        # per theme: (x, y) knots of an increasing piecewise-linear map, or None
        self.calibration = list(calibration) if calibration is not None else [None] * len(self.themes)
        # the inner folds' out-of-fold (probabilities, labels) of the training units, for error rates; or None
        self.heldout = None if heldout is None else (np.asarray(heldout[0], dtype=np.float64),
                                                     np.asarray(heldout[1], dtype=np.uint8))
        n_features = sum(part.n_features for part in self.parts)
        if self.coef.shape != (n_features, len(self.themes)) or self.intercept.shape != (len(self.themes),):
            raise ValueError(
                f"coefficients of shape {self.coef.shape} and intercepts {self.intercept.shape} do not fit "
                f"{n_features} features and {len(self.themes)} themes"
            )

    @property
    def n_features(self) -> int:
        return self.coef.shape[0]

    @property
    def reads_context(self) -> bool:
        """Whether any part reads the units' context (then a unit without one scores differently)."""
        return any(reads != "text" for reads in self.inputs)

    def transform(self, texts: Sequence[str], contexts: Sequence[UnitContext | str | None] | None = None
                  ) -> sparse.csr_matrix:
        """The feature matrix for ``texts`` and, for context parts, their ``contexts`` (one per text, or None)."""
        texts = list(texts)
        views = {reads: distinct_rows(context_strings(contexts, len(texts), reads))
                 for reads in set(self.inputs) if reads != "text"}
        blocks = []
        for part, reads, weight in zip(self.parts, self.inputs, self.weights):
            if reads == "text":
                block = part(texts)
            else:  # a heading, a title or a document is shared by many units: its features are computed once
                distinct, rows = views[reads]
                block = part(distinct)[rows]
            if weight != 1.0:
                block = block * weight
            blocks.append(block)
        if len(texts) == 1:
            # one row: the stacked row holds each block's entries one block after another, as hstack stores them
            index_type = np.int32 if self.n_features < 2**31 else np.int64
            indices, offset = [], 0
            for block in blocks:
                indices.append(block.indices.astype(index_type, copy=False) + index_type(offset))
                offset += block.shape[1]
            data = np.concatenate([block.data for block in blocks])
            indptr = np.array([0, len(data)], dtype=index_type)
            return sparse.csr_matrix((data, np.concatenate(indices), indptr), shape=(1, self.n_features))
        return sparse.hstack(blocks, format="csr")

    def decision_function(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Per-theme linear scores, shape ``(len(texts), len(themes))``."""
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.themes)))
        scores = self.transform(texts, contexts) @ self.coef
        scores += self.intercept
        return scores

    def raw_proba(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Per-theme probabilities of the link function, before calibration."""
        return logistic(self.decision_function(texts, contexts))

    def predict_proba(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Per-theme probabilities, shape ``(len(texts), len(themes))``, calibrated when the engine is."""
        return self.calibrate(self.raw_proba(texts, contexts))

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        """Apply each theme's calibration map to raw probabilities (in place where there is one)."""
        for k, knots in enumerate(self.calibration):
            if knots is not None:
                raw[:, k] = np.interp(raw[:, k], knots[0], knots[1])
        return raw

    def feature_names(self) -> list[str]:
        """The name of every feature column, in order (context features prefixed by their view, ``context:``)."""
        return [f"{reads}:{name}" if reads != "text" else name
                for part, reads in zip(self.parts, self.inputs) for name in part.feature_names()]

    # -- plain data --------------------------------------------------------------------------

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_able, arrays)``: everything the engine is, for ``from_data`` and ``persist``."""
        arrays = {"coef": self.coef, "intercept": self.intercept, "thresholds": self.thresholds}
        parts = []
        for i, part in enumerate(self.parts):
            meta, part_arrays = part.to_data()
            parts.append({**meta, "input": self.inputs[i], "weight": self.weights[i]})
            arrays.update({f"part{i}_{name}": value for name, value in part_arrays.items()})
        calibrated = []
        for k, knots in enumerate(self.calibration):
            calibrated.append(knots is not None)
            if knots is not None:
                arrays[f"calibration{k}_x"] = np.asarray(knots[0], dtype=np.float64)
                arrays[f"calibration{k}_y"] = np.asarray(knots[1], dtype=np.float64)
        if self.heldout is not None:
            arrays["heldout_probabilities"], arrays["heldout_labels"] = self.heldout
        return {"themes": list(self.themes), "link": self.link, "parts": parts, "calibrated": calibrated,
                "codebook": self.codebook.to_data()}, arrays

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter: Segmenter | None) -> "Engine":
        """The engine ``to_data`` described; ``segmenter`` serves the word parts."""
        parts = []
        for i, part_meta in enumerate(meta["parts"]):
            prefix = f"part{i}_"
            part_arrays = {name[len(prefix):]: value for name, value in arrays.items() if name.startswith(prefix)}
            kind = _PART_KINDS.get(part_meta.get("kind"))
            if kind is None:
                raise ValueError(f"unknown feature part {part_meta.get('kind')!r}; known: {sorted(_PART_KINDS)}")
            parts.append(kind.from_data(part_meta, part_arrays, segmenter))
        calibration = [
            (arrays[f"calibration{k}_x"], arrays[f"calibration{k}_y"]) if flag else None
            for k, flag in enumerate(meta.get("calibrated", [False] * len(meta["themes"])))
        ]
        _check_shapes(len(meta["themes"]), arrays, parts, calibration)
        return cls(meta["themes"], arrays["thresholds"], parts, arrays["coef"], arrays["intercept"], meta["link"],
                   inputs=[p.get("input", "text") for p in meta["parts"]],
                   weights=[p.get("weight", 1.0) for p in meta["parts"]], calibration=calibration,
                   heldout=(arrays["heldout_probabilities"], arrays["heldout_labels"])
                   if "heldout_probabilities" in arrays else None,
                   codebook=Codebook.from_data(meta["codebook"], "the model's codebook") if "codebook" in meta else None)

    def fingerprint(self) -> str:
        """SHA-256 of the engine's data: the same fitted state gives the same key, another fit another.

        The codebook's names, colours and definitions change no score, so they are not part of it.
        """
        import json

        meta, arrays = self.to_data()
        meta = {key: value for key, value in meta.items() if key != "codebook"}
        segmenters = [
            {"lexicon": part.segmenter.lexicon, "stopwords": sorted(part.segmenter.stopwords), "backend": part.segmenter.backend}
            for part in self.parts if getattr(part, "segmenter", None) is not None
        ]
        text = json.dumps([meta, segmenters], ensure_ascii=False, sort_keys=True)
        digest = hashlib.sha256(text.encode("utf-8"))
        for name in sorted(arrays):
            value = np.ascontiguousarray(arrays[name])
            digest.update(name.encode() + str(value.dtype).encode() + str(value.shape).encode())
            digest.update(value.tobytes())
        return digest.hexdigest()


def _check_shapes(n_themes: int, arrays: dict[str, np.ndarray], parts: list, calibration: list) -> None:
    """ValueError when the arrays ``from_data`` was given do not fit together (``persist`` also checks values)."""
    for name in ("thresholds", "intercept"):
        if np.shape(arrays[name]) != (n_themes,):
            raise ValueError(f"{name} of shape {np.shape(arrays[name])} for {n_themes} themes")
    if len(calibration) != n_themes:
        raise ValueError(f"calibration flags for {len(calibration)} of {n_themes} themes")
    for k, knots in enumerate(calibration):
        if knots is not None and (np.ndim(knots[0]) != 1 or np.shape(knots[0]) != np.shape(knots[1])
                                  or not len(knots[0])):
            raise ValueError(f"calibration of theme {k}: knots of shapes {np.shape(knots[0])} and {np.shape(knots[1])}")
    if "heldout_probabilities" in arrays:
        shape = np.shape(arrays["heldout_probabilities"])
        if len(shape) != 2 or shape[1] != n_themes or np.shape(arrays.get("heldout_labels")) != shape:
            raise ValueError(f"held-out predictions of shape {shape} and labels "
                             f"{np.shape(arrays.get('heldout_labels'))} for {n_themes} themes")
    for number, part in enumerate(parts):
        idf = getattr(getattr(part, "weights", None), "idf", None)
        if idf is not None and idf.shape != (part.n_features,):
            raise ValueError(f"feature part {number}: IDF weights of shape {idf.shape} for {part.n_features} terms")


def distinct_rows(strings: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct strings, in first-seen order, and the row of each input in them."""
    index: dict[str, int] = {}
    rows = np.fromiter((index.setdefault(s, len(index)) for s in strings), dtype=np.int64, count=len(strings))
    return list(index), rows


def logistic(scores: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-scores))`` in place, to the bit as scipy's ``expit`` (and so scikit-learn) computes it.

    A few moderate values are computed with ``math.exp``, the C library's
    ``exp`` that ``expit`` calls, which spares importing ``scipy.special`` for
    one sentence or one paragraph; many values, or any below -700 (where
    ``math.exp`` overflows) or not a number, are computed by ``expit``.
    """
    if scores.size <= _FEW_SCORES:
        values = scores.ravel().tolist()
        if all(x > -700.0 for x in values):
            scores[...] = np.reshape([1.0 / (1.0 + math.exp(-x)) for x in values], scores.shape)
            return scores
    from scipy.special import expit

    return expit(scores, out=scores)


def engine_from_fitted(vectorizer, coef, intercept, link: str, codebook: Codebook, thresholds, context_unions=(),
                       calibration=None, heldout=None) -> Engine:
    """The engine of a fitted ``FeatureUnion`` and the linear models' coefficients (needs scikit-learn).

    ``context_unions``: ``(FeatureUnion, view, weight)`` of each context view's fitted features.

    A feature type that the engine cannot compute exactly is a ``ValueError``
    here, at fit time, never a slower path later.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    from .features import CueWordFeatures

    parts, inputs, weights = [], [], []
    unions = [(vectorizer, "text", 1.0), *context_unions]
    for union, reads, weight in unions:
        for name, part in union.transformer_list:
            if type(part) is CueWordFeatures:
                parts.append(CueWords(list(part.cues_), float(part.weight)))
            elif isinstance(part, TfidfVectorizer):
                parts.append(_tfidf_part(name, part))
            else:
                raise ValueError(f"feature part {name!r} ({type(part).__name__}) is not one the engine computes")
            inputs.append(reads)
            weights.append(weight)
    return Engine(codebook.ids, thresholds, parts, coef, intercept, link, inputs, weights, calibration, heldout,
                  codebook)


def _tfidf_part(name: str, part):
    plain = (
        part.input == "content"
        and not part.lowercase
        and part.strip_accents is None
        and not part.binary
        and np.dtype(part.dtype) == np.float64
        and part.norm in ("l2", "l1", None)
        and part.stop_words is None
    )
    weights = TfidfWeights(len(part.vocabulary_), part.idf_ if part.use_idf else None, part.sublinear_tf, part.norm)
    if plain and part.analyzer == "char" and part.preprocessor is None and 1 <= part.ngram_range[0] <= part.ngram_range[1] <= 3:
        if any("\x00" in term for term in part.vocabulary_):
            raise ValueError(f"feature part {name!r}: a character n-gram holds NUL")
        return CharNgrams(_terms_in_order(part.vocabulary_), part.ngram_range, weights)
    if (
        plain
        and part.analyzer == "word"
        and isinstance(part.tokenizer, Segmenter)
        and part.ngram_range in ((1, 1), (1, 2))
        and (part.preprocessor is None or getattr(part.preprocessor, "__name__", "") == "_no_preprocessing")
    ):
        return WordNgrams(_terms_in_order(part.vocabulary_), part.ngram_range[1], part.tokenizer, weights)
    raise ValueError(f"feature part {name!r}: a TfidfVectorizer configuration the engine does not compute")


def _terms_in_order(vocabulary: dict[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


class TfidfWeights:
    """TF-IDF weighting of a count matrix, as ``TfidfTransformer.transform`` computes it."""

    def __init__(self, n_features: int, idf: np.ndarray | None, sublinear: bool, norm: str | None) -> None:
        self.n_features = n_features
        self.idf = None if idf is None else np.asarray(idf, dtype=np.float64)
        self.sublinear = sublinear
        self.norm = norm

    def __call__(self, rows: np.ndarray, cols: np.ndarray, n_texts: int) -> sparse.csr_matrix:
        X = _counts(rows, cols, n_texts, self.n_features)
        if self.sublinear:
            np.log(X.data, X.data)
            X.data += 1.0
        if self.idf is not None:
            X.data *= self.idf[X.indices]
        if self.norm is not None:
            # row sums added up in storage order, as scikit-learn's inplace row normalisation
            values = X.data * X.data if self.norm == "l2" else np.abs(X.data)
            row_of = np.repeat(np.arange(n_texts), np.diff(X.indptr))
            totals = np.bincount(row_of, weights=values, minlength=n_texts)
            if self.norm == "l2":
                totals = np.sqrt(totals)
            totals[totals == 0.0] = 1.0  # empty rows stay as they are
            X.data /= totals[row_of]
        return X


    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        meta = {"n_features": self.n_features, "sublinear": self.sublinear, "norm": self.norm}
        return meta, ({} if self.idf is None else {"idf": self.idf})

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray]) -> "TfidfWeights":
        return cls(int(meta["n_features"]), arrays.get("idf"), bool(meta["sublinear"]), meta["norm"])


def _counts(rows: np.ndarray, cols: np.ndarray, n_rows: int, n_cols: int, value: float | None = None) -> sparse.csr_matrix:
    """The count matrix of (row, col) pairs: what ``csr_matrix((ones, (rows, cols))).sum_duplicates()`` gives.

    One sort of ``row * n_cols + col`` puts each row's columns in order and
    duplicates side by side; counting runs is then array arithmetic. With
    ``value``, every pair present holds ``value`` instead of its count.
    """
    key_type = np.int32 if n_rows * n_cols < 2**31 else np.int64  # a smaller key sorts faster
    keys = rows.astype(key_type, copy=False) * key_type(n_cols)
    keys += cols.astype(key_type, copy=False)
    keys.sort()
    if len(keys):
        first = np.empty(len(keys), dtype=bool)
        first[0] = True
        np.not_equal(keys[1:], keys[:-1], out=first[1:])
        starts = np.flatnonzero(first)
        keys = keys[starts]
        counts = np.diff(starts, append=len(first)).astype(np.float64)
        if value is not None:
            counts[:] = value
    else:
        counts = np.zeros(0, dtype=np.float64)
    index_dtype = np.int32 if max(len(keys), n_cols, n_rows) < 2**31 - 1 else np.int64  # as scipy chooses
    # where each row's keys start in the sorted keys: a binary search per row, not a pass over the keys
    indptr = np.searchsorted(keys, np.arange(n_rows + 1, dtype=key_type) * key_type(n_cols)).astype(index_dtype)
    X = sparse.csr_matrix((counts, (keys % key_type(n_cols)).astype(index_dtype, copy=False), indptr),
                          shape=(n_rows, n_cols))
    X.has_sorted_indices = True
    return X


class CharNgrams:
    """Character n-grams (1 to 3) counted with numpy, weighted as TF-IDF.

    Every character of the vocabulary gets a rank r < R (-1 for any other
    character, in a table over all of Unicode). The texts of a batch are joined
    with NUL, which is never in the vocabulary, so no n-gram counted crosses
    two texts. A bigram is the cell r0*R + r1 of a dense table (or, when R*R
    is too large, found in a hash table); a trigram is looked up, only where
    its first two characters start a trigram of the vocabulary, in a dense
    table of (prefix, third rank) or a hash table.
    """

    kind = "char_ngrams"

    def __init__(self, terms: list[str], ngram_range: tuple[int, int], weights: TfidfWeights) -> None:
        self.terms = list(terms)
        self.min_n, self.max_n = (int(n) for n in ngram_range)
        self.weights = weights
        self._build_tables()

    @property
    def n_features(self) -> int:
        return len(self.terms)

    def feature_names(self) -> list[str]:
        return list(self.terms)

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        weights_meta, arrays = self.weights.to_data()
        return {"kind": self.kind, "terms": self.terms, "ngram_range": [self.min_n, self.max_n], **weights_meta}, arrays

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter=None) -> "CharNgrams":
        return cls(meta["terms"], tuple(meta["ngram_range"]), TfidfWeights.from_data(meta, arrays))

    def __getstate__(self) -> dict:  # the tables are rebuilt on unpickling: a smaller pickle
        return {"terms": self.terms, "min_n": self.min_n, "max_n": self.max_n, "weights": self.weights}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_tables()

    def _build_tables(self) -> None:
        lengths = np.fromiter(map(len, self.terms), dtype=np.int64, count=len(self.terms))
        codes = np.frombuffer("".join(self.terms).encode("utf-32-le"), dtype=np.uint32)
        chars = np.unique(codes)  # in code point order
        size = self.size = len(chars)
        rank_type = np.int16 if size < 2**15 else np.int32
        self.rank = np.full(sys.maxunicode + 1, -1, dtype=rank_type)
        self.rank[chars] = np.arange(size)
        ranks = self.rank[codes].astype(np.int64)
        starts = np.cumsum(lengths) - lengths  # of each term in ``codes``
        # feature indices in the smallest type that holds them: smaller tables stay in the CPU cache
        index_type = np.int16 if len(self.terms) < 2**15 else np.int32
        self.unigram = np.full(size, -1, dtype=index_type)
        one = np.flatnonzero(lengths == 1)
        self.unigram[ranks[starts[one]]] = one
        two = np.flatnonzero(lengths == 2)
        self.bigram = _Lookup(ranks[starts[two]] * size + ranks[starts[two] + 1], two, size * size, index_type)
        three = np.flatnonzero(lengths == 3)
        first = starts[three]
        prefix_of = ranks[first] * size + ranks[first + 1]
        pairs = np.unique(prefix_of)  # a trigram's prefix id: the rank of its first two characters' pair among these
        self.prefix = _Lookup(pairs, np.arange(len(pairs)), size * size, np.int16 if len(pairs) < 2**15 else np.int32)
        self.trigram = _Lookup(np.searchsorted(pairs, prefix_of) * size + ranks[first + 2], three, len(pairs) * size,
                               index_type, max_cells=_MAX_TRIGRAM_CELLS)
        self.space = np.zeros(_LAST_SPACE + 2, dtype=bool)  # code point (the last cell: any above) -> white space?
        self.space[[c for c in range(_LAST_SPACE + 1) if chr(c).isspace()]] = True

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        joined = "\x00".join(texts) + "\x00"
        codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        space = self.space[np.minimum(codes, len(self.space) - 1)]
        if (space[:-1] & space[1:]).any():  # a run of white space (none crosses the NULs): one space, as scikit-learn
            texts = [_WHITE_SPACES.sub(" ", t) for t in texts]
            joined = "\x00".join(texts) + "\x00"
            codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
        ranks = self.rank[codes].astype(np.int64)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1
        row_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        all_rows, all_cols = [], []

        def add(start: np.ndarray, ids: np.ndarray) -> None:
            hit = ids >= 0
            all_rows.append(row_of[start[hit]])
            all_cols.append(ids[hit])

        known = np.flatnonzero(ranks >= 0)
        if self.min_n == 1:
            add(known, self.unigram[ranks[known]])
        if self.max_n >= 2:
            start = known[:-1][np.diff(known) == 1]  # both characters known; the last character is the NUL
            pair = ranks[start] * self.size + ranks[start + 1]
            if self.min_n <= 2:
                add(start, self.bigram(pair))
            if self.max_n >= 3:
                prefix = self.prefix(pair)
                third = ranks[start + 2]  # in range: the joined text ends with a NUL, never the second character
                found = (prefix >= 0) & (third >= 0)
                start, key = start[found], prefix[found].astype(np.int64) * self.size + third[found]
                add(start, self.trigram(key))
        if not all_rows:
            return self.weights(np.zeros(0, np.int64), np.zeros(0, np.int64), len(texts))
        return self.weights(np.concatenate(all_rows), np.concatenate(all_cols), len(texts))


class _Lookup:
    """key -> value for integer keys below ``cells``: a dense table when small enough, else a hash table; -1 if absent.

    The hash table is cuckoo hashing: two arrays of slots, each key in one of
    its two slots (multiply-shift hashes), so a lookup is a fixed handful of
    array operations, several times faster than a binary search over the keys.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray, cells: int, value_type, max_cells: int | None = None) -> None:
        keys, values = np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)
        if cells <= (_MAX_PAIR_CELLS if max_cells is None else max_cells):
            self.table = np.full(max(cells, 1), -1, dtype=value_type)
            self.table[keys] = values
            self.hashed = None
        else:
            self.table = None
            self.hashed = _CuckooTable(keys, values, value_type)

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        if self.table is not None:
            return self.table[keys]
        return self.hashed(keys)


class _CuckooTable:
    """Distinct non-negative int64 keys -> values: each key is in slot h0(key) of array 0 or h1(key) of array 1."""

    def __init__(self, keys: np.ndarray, values: np.ndarray, value_type) -> None:
        bits = max(4, (2 * len(keys) - 1).bit_length())  # each array has 2n slots or more: a quarter full
        self.shift = np.uint64(64 - bits)
        for attempt in range(64):
            self.multipliers = np.random.default_rng(attempt).integers(1, 2**63, size=2, dtype=np.uint64) * 2 + 1
            placed = self._place(keys)
            if placed is not None:
                break
        else:  # pragma: no cover - 64 failures in a row at a quarter load do not happen
            raise RuntimeError("no cuckoo hash placement found")
        size = 1 << bits
        self.keys = [np.full(size, -1, dtype=np.int64) for _ in range(2)]
        self.values = [np.full(size, -1, dtype=value_type) for _ in range(2)]
        for side in range(2):
            slots = np.fromiter(placed[side].keys(), dtype=np.int64, count=len(placed[side]))
            items = np.fromiter(placed[side].values(), dtype=np.int64, count=len(placed[side]))
            self.keys[side][slots] = keys[items]
            self.values[side][slots] = values[items]

    def _slots(self, keys: np.ndarray, side: int) -> np.ndarray:
        return ((keys.astype(np.uint64) * self.multipliers[side]) >> self.shift).astype(np.int64)

    def _place(self, keys: np.ndarray) -> list[dict[int, int]] | None:
        """Slot -> item (index into ``keys``) for each array, or None when these multipliers cannot place every key."""
        first = self._slots(keys, 0)
        _, once = np.unique(first, return_index=True)  # the first key of each slot of array 0 takes it
        placed: list[dict[int, int]] = [dict(zip(first[once].tolist(), once.tolist())), {}]
        rest = np.setdiff1d(np.arange(len(keys)), once)
        slot_of = [first.tolist(), self._slots(keys, 1).tolist()]
        for item in rest.tolist():  # cuckoo insertion: take a slot, move its key to its other array, ...
            side = 1
            for _ in range(100):
                slot = slot_of[side][item]
                item, placed[side][slot] = placed[side].get(slot), item
                if item is None:
                    break
                side = 1 - side
            else:
                return None
        return placed

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        keys = np.ascontiguousarray(keys, dtype=np.int64)
        unsigned = keys.view(np.uint64)
        first = unsigned * self.multipliers[0]
        first >>= self.shift
        second = unsigned * self.multipliers[1]
        second >>= self.shift
        found = np.where(self.keys[1][second] == keys, self.values[1][second], -1)
        return np.where(self.keys[0][first] == keys, self.values[0][first], found)


class WordNgrams:
    """Word uni- and bigrams of ``Segmenter.tokens``, counted from token ranks, weighted as TF-IDF."""

    kind = "word_ngrams"

    def __init__(self, terms: list[str], max_n: int, segmenter: Segmenter, weights: TfidfWeights) -> None:
        self.terms = list(terms)
        self.max_n = int(max_n)
        self.segmenter = segmenter
        self.weights = weights
        self._build_tables()

    @property
    def n_features(self) -> int:
        return len(self.terms)

    def feature_names(self) -> list[str]:
        return list(self.terms)

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        weights_meta, arrays = self.weights.to_data()
        return {"kind": self.kind, "terms": self.terms, "max_n": self.max_n, **weights_meta}, arrays

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter: Segmenter | None) -> "WordNgrams":
        if segmenter is None:
            raise ValueError("a word n-gram part needs a segmenter")
        return cls(meta["terms"], meta["max_n"], segmenter, TfidfWeights.from_data(meta, arrays))

    def _build_tables(self) -> None:
        self.vocabulary = {term: index for index, term in enumerate(self.terms)}
        unigrams = [(term, index) for index, term in enumerate(self.terms) if " " not in term]
        self.rank = {term: r for r, (term, _) in enumerate(unigrams)}  # unigram term -> its rank
        self.unigram_ids = np.array([index for _, index in unigrams], dtype=np.int64)  # rank -> feature index
        keys, ids = [], []
        self.exact = True  # every bigram term is a pair of unigram terms: counted from ranks
        for index, term in enumerate(self.terms):
            if " " in term:
                first, _, second = term.partition(" ")
                if first not in self.rank or second not in self.rank or " " in second:
                    self.exact = False
                    continue
                keys.append(self.rank[first] * len(self.rank) + self.rank[second])
                ids.append(index)
        self.n_bigrams = len(keys)
        # rank pair -> bigram feature index
        self.bigram = _Lookup(keys, ids, len(self.rank) ** 2, np.int32 if len(self.terms) < 2**31 else np.int64)
        self._local = threading.local()  # each thread's _TokenCache

    def __getstate__(self) -> dict:
        return {"terms": self.terms, "max_n": self.max_n, "segmenter": self.segmenter, "weights": self.weights}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build_tables()

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        if not self.exact:
            return self._count_slowly(texts)
        try:
            ranks, lengths = self._ranks(texts)
        except _Unsupported:
            return self._count_slowly(texts)
        rows_of = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        known = ranks >= 0
        rows = [rows_of[known]]
        cols = [self.unigram_ids[ranks[known]]]
        if self.max_n >= 2 and len(ranks) > 1 and self.n_bigrams:
            ends = np.repeat(np.cumsum(lengths), lengths)
            first = np.arange(len(ranks) - 1)
            first = first[(first + 2 <= ends[:-1]) & known[:-1] & known[1:]]
            found = self.bigram(ranks[first] * len(self.rank) + ranks[first + 1])
            hit = found >= 0
            rows.append(rows_of[first[hit]])
            cols.append(found[hit])
        return self.weights(np.concatenate(rows), np.concatenate(cols), len(texts))

    def _count_slowly(self, texts: list[str]) -> sparse.csr_matrix:
        """One n-gram at a time, as scikit-learn's CountVectorizer does (tokens holding a space)."""
        rows, cols = [], []
        for row, text in enumerate(texts):
            tokens = self.segmenter.tokens(text)
            grams = tokens + [" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)] if self.max_n >= 2 else tokens
            for gram in grams:
                index = self.vocabulary.get(gram)
                if index is not None:
                    rows.append(row)
                    cols.append(index)
        return self.weights(np.array(rows, dtype=np.int64), np.array(cols, dtype=np.int64), len(texts))

    def _ranks(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Unigram ranks (-1: not in the vocabulary) of ``Segmenter.tokens`` of each text, and their counts.

        The texts are cut as one, joined by line breaks: jieba never joins a
        line break to another token, nor a word across one, so the tokens are
        those of each text with a "\\n" token between two texts (checked by
        counting them; texts holding a line break are cut one by one). Each
        distinct raw token gets an id once; what ``Segmenter.keep`` keeps of
        it is stored as a run in ``kept_flat``; expanding ids to runs is then
        array arithmetic.
        """
        cache = self._cache()
        if len(cache.raw_ids) > _RAW_CACHE_SIZE:
            cache = self._cache(reset=True)
        cut = self.segmenter.raw_cut
        joined = "\n".join(texts)
        row_of = None
        if joined.count("\n") == len(texts) - 1 and "\r" not in joined:
            tokens = cut(joined)
            # a new raw token gets its id in raw_ids.__missing__, its kept ranks in cache.new_kept
            ids = np.fromiter(map(cache.raw_ids.__getitem__, tokens), dtype=np.int64, count=len(tokens))
            is_break = ids == cache.raw_ids["\n"]
            if np.count_nonzero(is_break) == len(texts) - 1:
                row_of = np.cumsum(is_break)  # a break keeps no token: which row it counts in does not matter
        if row_of is None:
            token_lists = [cut(text) for text in texts]
            raw_counts = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
            ids = np.fromiter(map(cache.raw_ids.__getitem__, chain.from_iterable(token_lists)), dtype=np.int64,
                              count=int(raw_counts.sum()))
            row_of = np.repeat(np.arange(len(texts)), raw_counts)
        if cache.new_kept:
            cache.store_new()
        lens = cache.kept_len[ids]
        offsets = np.arange(int(lens.sum()), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        ranks = cache.kept_flat[np.repeat(cache.kept_start[ids], lens) + offsets]
        if (ranks == _HAS_SPACE).any():
            raise _Unsupported("a token holds a space")
        lengths = np.bincount(row_of, weights=lens, minlength=len(texts))
        return ranks, lengths.astype(np.int64)

    def _cache(self, reset: bool = False) -> "_TokenCache":
        """This thread's token cache: each thread has its own, so the part itself is never written by a call."""
        cache = getattr(self._local, "cache", None)
        if cache is None or reset:
            cache = self._local.cache = _TokenCache(self.rank, self.segmenter)
        return cache


class _TokenCache:
    """Raw token -> id, and per id the unigram ranks of what ``Segmenter.keep`` keeps of it, as flat arrays."""

    def __init__(self, rank: dict[str, int], segmenter: Segmenter) -> None:
        self.rank, self.segmenter = rank, segmenter
        self.new_kept: list[list[int]] = []  # kept ranks of the raw tokens met since the last store_new
        self.raw_ids = _RawIds(self._new_id)
        self.kept_len = self.kept_start = self.kept_flat = np.zeros(0, dtype=np.int64)

    def _new_id(self, raw: str) -> int:
        # a token with a space is not in the unigram table but could spell a bigram term
        self.new_kept.append([_HAS_SPACE if " " in part else self.rank.get(part, -1) for part in self.segmenter.keep(raw)])
        return len(self.kept_len) + len(self.new_kept) - 1

    def store_new(self) -> None:
        """Append the kept ranks of the new raw tokens to the arrays that ``WordNgrams._ranks`` indexes."""
        lengths = np.fromiter(map(len, self.new_kept), dtype=np.int64, count=len(self.new_kept))
        starts = len(self.kept_flat) + np.cumsum(lengths) - lengths
        flat = np.fromiter(chain.from_iterable(self.new_kept), dtype=np.int64, count=int(lengths.sum()))
        self.kept_len = np.concatenate([self.kept_len, lengths])
        self.kept_start = np.concatenate([self.kept_start, starts])
        self.kept_flat = np.concatenate([self.kept_flat, flat])
        self.new_kept = []


class _RawIds(dict):
    """Raw token -> its id; a token not seen yet gets one from ``new_id`` on first lookup."""

    def __init__(self, new_id) -> None:
        super().__init__()
        self.new_id = new_id

    def __missing__(self, raw: str) -> int:
        raw_id = self[raw] = self.new_id(raw)
        return raw_id


class _Unsupported(Exception):
    """Input that the rank arithmetic cannot count exactly; the part counts it one n-gram at a time."""


class CueWords:
    """One column per codebook cue word: does the text contain it (``weight``, else 0)?

    The cues are a trie whose transitions are a table (node, character rank).
    The texts of a batch are joined with NUL, which no cue holds, and every
    position whose character starts a cue walks the trie, all positions at
    once, one character deeper per step (array arithmetic); each cue node
    reached is a cue found at that position.
    """

    kind = "cue_words"

    def __init__(self, cues: list[str], weight: float) -> None:
        if any(not cue or "\x00" in cue for cue in cues):
            raise ValueError("cue words must be non-empty and hold no NUL")
        self.cues = list(cues)
        self.weight = float(weight)
        self._build()

    @property
    def n_features(self) -> int:
        return len(self.cues)

    def feature_names(self) -> list[str]:
        return [f"cue:{cue}" for cue in self.cues]

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        return {"kind": self.kind, "cues": self.cues, "weight": self.weight}, {}

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter=None) -> "CueWords":
        return cls(meta["cues"], meta["weight"])

    def __getstate__(self) -> dict:
        return {"cues": self.cues, "weight": self.weight}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build()

    def _build(self) -> None:
        chars = sorted({ch for cue in self.cues for ch in cue})
        self._rank = np.full(sys.maxunicode + 1, -1, dtype=np.int32)  # code point -> rank among the cues' characters
        self._rank[[ord(ch) for ch in chars]] = np.arange(len(chars))
        children: list[dict[str, int]] = [{}]  # node -> next character -> node; node 0 is the root
        ends: list[list[int]] = [[]]  # node -> the cues (indices) spelt by the path to it
        for index, cue in enumerate(self.cues):
            node = 0
            for ch in cue:
                if ch not in children[node]:
                    children[node][ch] = len(children)
                    children.append({})
                    ends.append([])
                node = children[node][ch]
            ends[node].append(index)
        # (node, character rank) -> next node: a dense table while nodes x characters is small, else a hash
        # table, so that long cue words (many nodes, many characters) take memory in proportion to their length
        self._width = max(len(chars), 1)
        keys = [node * self._width + int(self._rank[ord(ch)]) for node, edges in enumerate(children) for ch in edges]
        nodes = [child for edges in children for child in edges.values()]
        self._next = _Lookup(keys, nodes, len(children) * self._width, np.int32)
        self._ends_len = np.array([len(e) for e in ends], dtype=np.int64)
        self._ends_start = np.cumsum(self._ends_len) - self._ends_len
        self._ends_flat = np.array([i for e in ends for i in e], dtype=np.int64)
        self._depth = max(map(len, self.cues), default=0)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        n_cues = len(self.cues)
        none = np.zeros(0, np.int64)
        if not n_cues or not texts:
            return _counts(none, none, len(texts), n_cues, self.weight)
        joined = "\x00".join(texts) + "\x00"  # a walk stops at the NUL after the last text too
        ranks = self._rank[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
        at = np.flatnonzero(ranks >= 0)
        node = self._next(ranks[at])
        at_all, node_all = [], []
        for depth in range(1, self._depth + 1):
            going = node >= 0
            at, node = at[going], node[going]
            if not len(at):
                break
            at_all.append(at)
            node_all.append(node)
            if depth < self._depth:
                following = ranks[at + depth]  # in range: the last character is the NUL
                going = following >= 0
                at, node = at[going], self._next(node[going].astype(np.int64) * self._width + following[going])
        if not at_all:
            return _counts(none, none, len(texts), n_cues, self.weight)
        at, node = np.concatenate(at_all), np.concatenate(node_all)
        lens = self._ends_len[node]
        at = np.repeat(at, lens)
        offsets = np.arange(len(at), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        cols = self._ends_flat[np.repeat(self._ends_start[node], lens) + offsets]
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1  # with the NUL after each
        rows = np.searchsorted(np.cumsum(sizes) - sizes, at, side="right") - 1
        return _counts(rows, cols, len(texts), n_cues, self.weight)


_PART_KINDS = {kind.kind: kind for kind in (CharNgrams, WordNgrams, CueWords)}

__all__ = ["CharNgrams", "CueWords", "Engine", "TfidfWeights", "WordNgrams", "engine_from_fitted"]
