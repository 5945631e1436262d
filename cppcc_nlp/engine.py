"""The one prediction path: a fitted model's state as plain arrays, and the arithmetic that uses it.

``ThemeClassifier.fit`` learns the feature parts (``features/``: word and
character n-grams, cue words) and a linear model per theme with
scikit-learn, and keeps only an ``Engine``: the parts, coefficients,
intercepts, thresholds and calibration. Every prediction — ``predict_proba``,
``classify``, ``label_report``, evaluation, the batch workers — is
``Engine.predict_proba``: the parts' features side by side, the linear
scores, the link function (``logistic``, to the bit as scipy's ``expit``)
and the calibration.

An engine holds numpy arrays, lists and a ``Segmenter`` (plain data): it is
saved as arrays and JSON (``persist.py``) and predicts without scikit-learn.
"""

from __future__ import annotations

import hashlib
import math
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .codebook import Codebook, codebook_of_ids
from .context import CONTEXT_INPUTS, UnitContext, context_strings
from .features import CsrRows, part_from_data
from .segment import Segmenter

if TYPE_CHECKING:
    from scipy import sparse

LINKS = ("expit", "sigmoid")
_INPUTS = ("text", *CONTEXT_INPUTS)
_FEW_SCORES = 65_536  # at most this many scores may take ``math.exp`` one by one (``logistic``)
_FEW_ENTRIES = 50_000  # features of at most this many entries are multiplied with numpy, more with scipy.sparse


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
        return self.features(texts, contexts).tocsr()

    def features(self, texts: Sequence[str], contexts: Sequence[UnitContext | str | None] | None = None) -> CsrRows:
        """``transform``'s matrix as CSR arrays, computed without scipy: each part's block, side by side."""
        texts = list(texts)
        views = {reads: distinct_rows(context_strings(contexts, len(texts), reads))
                 for reads in set(self.inputs) if reads != "text"}
        blocks = []
        for part, reads, weight in zip(self.parts, self.inputs, self.weights):
            if reads == "text":
                block = part.rows(texts)
            else:  # a heading, a title or a document is shared by many units: its features are computed once
                distinct, rows = views[reads]
                block = part.rows(distinct).take(rows)
            blocks.append(block.scaled(weight) if weight != 1.0 else block)
        return CsrRows.stack(blocks)

    def decision_function(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """Per-theme linear scores, shape ``(len(texts), len(themes))``.

        Few features are multiplied with numpy (``CsrRows.dot``), many with
        scipy's sparse product, which is faster but costs an import: both add
        up each score in the same order, so the scores are the same to the bit.
        """
        texts = list(texts)
        if not texts:
            return np.zeros((0, len(self.themes)))
        features = self.features(texts, contexts)
        scores = features.dot(self.coef) if features.nnz <= _FEW_ENTRIES else features.tocsr() @ self.coef
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
        return calibrate(raw, self.calibration)

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
            parts.append(part_from_data(part_meta, part_arrays, segmenter))
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


def calibrate(raw: np.ndarray, calibration: Sequence) -> np.ndarray:
    """Map column ``k`` of raw probabilities through ``calibration[k]``'s knots, in place (None: left as it is)."""
    for k, knots in enumerate(calibration):
        if knots is not None:
            raw[:, k] = np.interp(raw[:, k], knots[0], knots[1])
    return raw


def distinct_rows(strings: list[str]) -> tuple[list[str], np.ndarray]:
    """The distinct strings, in first-seen order, and the row of each input in them."""
    index: dict[str, int] = {}
    rows = np.fromiter((index.setdefault(s, len(index)) for s in strings), dtype=np.int64, count=len(strings))
    return list(index), rows


def logistic(scores: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-scores))`` in place, to the bit as scipy's ``expit`` (and so scikit-learn) computes it.

    Up to ``_FEW_SCORES`` values, all above -700 (where ``math.exp`` cannot
    overflow), take ``math.exp``, the C library's ``exp`` that ``expit``
    calls, then numpy's addition and division, correctly rounded as C's: a
    one-paragraph report or a chunk of small documents spares importing
    ``scipy.special``. More values, or any below -700 or not a number, take ``expit``.
    """
    if scores.size <= _FEW_SCORES and bool((scores > -700.0).all()):
        exps = np.fromiter(map(math.exp, np.negative(scores).ravel().tolist()), dtype=np.float64, count=scores.size)
        exps += 1.0
        np.divide(1.0, exps.reshape(scores.shape), out=scores)
        return scores
    from scipy.special import expit

    return expit(scores, out=scores)


__all__ = ["Engine", "calibrate", "distinct_rows", "logistic"]
