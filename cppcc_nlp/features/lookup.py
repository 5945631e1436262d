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
            placed = self._place(keys, 1 << bits)
            if placed is not None:
                break
        else:  # pragma: no cover - 64 failures in a row at a quarter load do not happen
            raise RuntimeError("no cuckoo hash placement found")
        self.keys = [np.full(len(items), -1, dtype=np.int64) for items in placed]
        self.values = [np.full(len(items), -1, dtype=value_type) for items in placed]
        for side, items in enumerate(placed):  # slot -> item (index into ``keys``), -1: empty
            taken = np.flatnonzero(items >= 0)
            self.keys[side][taken] = keys[items[taken]]
            self.values[side][taken] = values[items[taken]]

    def _slots(self, keys: np.ndarray, side: int) -> np.ndarray:
        return ((keys.astype(np.uint64) * self.multipliers[side]) >> self.shift).astype(np.int64)

    def _place(self, keys: np.ndarray, size: int) -> list[np.ndarray] | None:
        """Slot -> item (index into ``keys``, -1: empty) for each array, or None when these multipliers cannot place
        every key.

        Each key takes its slot in array 0 if no other key does, else its slot
        in array 1 if no other key left over does (array operations); the few
        keys left then go in by cuckoo insertion, one by one.
        """
        items = np.arange(len(keys), dtype=np.int64)
        slot_of = [self._slots(keys, 0), self._slots(keys, 1)]
        placed = [np.full(size, -1, dtype=np.int64) for _ in range(2)]
        placed[0][slot_of[0]] = items  # of the keys sharing a slot, one (whichever numpy writes last) takes it
        rest = items[placed[0][slot_of[0]] != items]
        placed[1][slot_of[1][rest]] = rest
        left = rest[placed[1][slot_of[1][rest]] != rest]
        for item in left.tolist():  # cuckoo insertion: take a slot, move its key to its other array, ...
            side = 1
            for _ in range(100):
                slot = int(slot_of[side][item])
                item, placed[side][slot] = int(placed[side][slot]), item
                if item < 0:
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
