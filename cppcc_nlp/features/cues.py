"""Cue words of the codebook, one 0/1 column each: the fitter, the engine part and its stored data."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..codebook import Codebook
from .csr import CsrRows
from .lookup import Lookup
from .weights import check_strings, count_matrix

if TYPE_CHECKING:
    from scipy import sparse


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

    @classmethod
    def fit_transform(cls, texts: Sequence[str], codebook: Codebook, extended: bool = False, weight: float = 1.0
                      ) -> tuple["CueWords", sparse.csr_matrix]:
        """The part of ``codebook``'s cue words and the features of ``texts`` (which teach it nothing).

        ``extended`` adds the cue words of the codebook's decision rules.
        """
        part = cls(codebook.cue_list(extended), weight)
        return part, part(list(texts))

    @property
    def n_features(self) -> int:
        return len(self.cues)

    def feature_names(self) -> list[str]:
        """``cue:<word>`` for each column."""
        return [f"cue:{cue}" for cue in self.cues]

    def to_data(self) -> tuple[dict, dict[str, np.ndarray]]:
        """``(json_able, arrays)`` for ``from_data``."""
        return {"kind": self.kind, "cues": self.cues, "weight": self.weight}, {}

    @classmethod
    def from_data(cls, meta: dict, arrays: dict[str, np.ndarray], segmenter=None) -> "CueWords":
        """The part ``to_data`` described."""
        return cls(meta["cues"], meta["weight"])

    @staticmethod
    def check_data(meta: dict, number: int) -> None:
        """ValueError when stored part ``number`` does not list its cue words as strings."""
        cues = meta.get("cues")
        check_strings(cues, number)

    @staticmethod
    def size_of(meta: dict) -> int:
        """The number of columns of the stored part ``meta``."""
        return len(meta["cues"])

    @staticmethod
    def expected_arrays(meta: dict) -> dict[str, tuple[str, tuple]]:
        """The part stores no array."""
        return {}

    def __getstate__(self) -> dict:
        return {"cues": self.cues, "weight": self.weight}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._build()

    def _build(self) -> None:
        chars = sorted({ch for cue in self.cues for ch in cue})
        # code point -> rank among the cues' characters + 1 (0: none): zeros, pages never used are never written
        self._rank = np.zeros(sys.maxunicode + 1, dtype=np.int32)
        self._rank[[ord(ch) for ch in chars]] = np.arange(1, len(chars) + 1)
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
        keys = [node * self._width + int(self._rank[ord(ch)]) - 1 for node, edges in enumerate(children) for ch in edges]
        nodes = [child for edges in children for child in edges.values()]
        self._next = Lookup(keys, nodes, len(children) * self._width, np.int32)
        self._ends_len = np.array([len(e) for e in ends], dtype=np.int64)
        self._ends_start = np.cumsum(self._ends_len) - self._ends_len
        self._ends_flat = np.array([i for e in ends for i in e], dtype=np.int64)
        self._depth = max(map(len, self.cues), default=0)

    def __call__(self, texts: list[str]) -> sparse.csr_matrix:
        return self.rows(texts).tocsr()

    def rows(self, texts: list[str]) -> CsrRows:
        """The features of ``texts`` as CSR arrays (what calling the part gives, without scipy)."""
        n_cues = len(self.cues)
        none = np.zeros(0, np.int64)
        if not n_cues or not texts:
            return count_matrix(none, none, len(texts), n_cues, self.weight)
        joined = "\x00".join(texts) + "\x00"  # a walk stops at the NUL after the last text too
        ranks = self._rank[np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)]
        ranks -= 1  # -1: a character of no cue
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
            return count_matrix(none, none, len(texts), n_cues, self.weight)
        at, node = np.concatenate(at_all), np.concatenate(node_all)
        lens = self._ends_len[node]
        at = np.repeat(at, lens)
        offsets = np.arange(len(at), dtype=np.int64) - np.repeat(np.cumsum(lens) - lens, lens)
        cols = self._ends_flat[np.repeat(self._ends_start[node], lens) + offsets]
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts)) + 1  # with the NUL after each
        rows = np.searchsorted(np.cumsum(sizes) - sizes, at, side="right") - 1
        return count_matrix(rows, cols, len(texts), n_cues, self.weight)
