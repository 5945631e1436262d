"""Integer key -> value tables that the feature parts look n-grams and trie edges up in."""

from __future__ import annotations

import numpy as np

MAX_DENSE_CELLS = 8_000_000  # cells of a dense table at most (unless a part asks for another bound); a hash table beyond


class Lookup:
    """key -> value for integer keys below ``cells``: a dense table when small enough, else a hash table; -1 if absent.

    The hash table is cuckoo hashing: two arrays of slots, each key in one of
    its two slots (multiply-shift hashes), so a lookup is a fixed handful of
    array operations, several times faster than a binary search over the keys.
    """

    def __init__(self, keys: np.ndarray, values: np.ndarray, cells: int, value_type, max_cells: int | None = None) -> None:
        keys, values = np.asarray(keys, dtype=np.int64), np.asarray(values, dtype=np.int64)
        if cells <= (MAX_DENSE_CELLS if max_cells is None else max_cells):
            self.table = np.full(max(cells, 1), -1, dtype=value_type)
            self.table[keys] = values
            self.hashed = None
        else:
            self.table = None
            self.hashed = CuckooTable(keys, values, value_type)

    def __call__(self, keys: np.ndarray) -> np.ndarray:
        if self.table is not None:
            return self.table[keys]
        return self.hashed(keys)


class CuckooTable:
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
