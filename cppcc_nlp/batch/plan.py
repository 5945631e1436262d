"""Planning: duplicate ids and documents already done are marked, items are cut into bounded batches.

Batches are cut from the item stream alone (never from timing or the number of
workers), so every backend and every ``jobs`` gets the same batches and the
same output.
"""

from __future__ import annotations

import hashlib
import os
from collections import deque
from dataclasses import replace
from typing import Iterable, Iterator, Protocol

from .inputs import Item

BATCH_DOCS = 32  # documents per batch at most
BATCH_BYTES = 1_500_000  # input bytes per batch at most (a single larger document is its own batch)


class Done(Protocol):
    """Documents already labelled (``journal.DoneSet``): id digest -> prefix of their content hash."""

    def get(self, digest: int) -> str | None: ...


def id_digest(doc_id: str) -> int:
    """A 64-bit digest of a document id: what the duplicate check and the resume set keep."""
    return int.from_bytes(hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest(), "little")


def plan(items: Iterable[Item], done: Done | None) -> Iterator[Item]:
    """Mark duplicate ids as failures and, when resuming, documents already labelled."""
    seen: set[int] = set()
    for item in items:
        if item.error is None:
            digest = id_digest(item.doc_id)
            if digest in seen:
                item = replace(
                    item,
                    error=f"{item.source}: duplicate document id {item.doc_id!r}; ids must be unique "
                    "(a file's path under its directory, or --id-field)",
                )
            else:
                seen.add(digest)
                expected = done.get(digest) if done else None
                if expected is not None:
                    item = replace(item, expected_hash=expected)
        yield item


def batches(items: Iterable[Item], max_docs: int = BATCH_DOCS, max_bytes: int = BATCH_BYTES) -> Iterator[list[Item]]:
    """``items`` in batches of at most ``max_docs`` documents and about ``max_bytes`` bytes."""
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += item.size
        if len(batch) >= max_docs or size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def finer_at_the_end(batches: Iterable[list[Item]], last: int, pieces: int) -> Iterator[list[Item]]:
    """``batches``, with the ``last`` ones each cut into ``pieces`` smaller batches.

    Every process finishes its last batch at about the same time: no core waits
    long for the last large batch of another.
    """
    ahead: deque = deque()
    for batch in batches:
        ahead.append(batch)
        if len(ahead) > last:
            yield ahead.popleft()
    for batch in ahead:
        size = -(-len(batch) // pieces)
        for start in range(0, len(batch), size):
            yield batch[start : start + size]


# -- how many processes ----------------------------------------------------------------------------

# ``jobs="auto"``: more than one process from this much input. On 2 idle cores (benchmarks/bench_label.py)
# --jobs 2 against --jobs 1 was 0.84x at 2 MiB, 1.34x at 12.5 MiB and 1.77x at 50 MiB. (On cores busy with
# other work it lost at every size, benchmarks/results/jobs_crossover.md; the load average lags too much to
# tell, so auto does not look at it.)
AUTO_JOBS_BYTES = 8 << 20


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def auto_jobs(items: Iterable[Item], cpus: int, stream_bytes: int, threshold: int | None = None) -> int:
    """``jobs="auto"``: one process for small inputs, ``cpus`` once the input holds ``threshold`` bytes
    (default ``AUTO_JOBS_BYTES``).

    Worker processes cost a start-up (the model, the tokenizer) and shared
    cores; below the measured crossover one process is faster. Files larger
    than ``stream_bytes`` are streamed by the main process and do not count.
    Reads ``items`` only until the threshold is reached.
    """
    if cpus < 2:
        return 1
    threshold = AUTO_JOBS_BYTES if threshold is None else threshold
    total = 0
    for item in items:
        if item.size <= stream_bytes or item.path is None:
            total += item.size
        if total >= threshold:
            return cpus
    return 1
