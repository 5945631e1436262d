"""The Dask backend: batches on a cluster, results in input order."""

from __future__ import annotations

from collections import deque
from dataclasses import replace
from typing import Iterable, Iterator

from ..errors import InputError
from ..reader import read_bytes
from .inputs import Item
from .labeller import ModelSpec, Options, Outcome, label_batch


def run_dask(
    batches: Iterable[list[Item]], spec: ModelSpec, options: Options, scheduler, jobs: int | None
) -> Iterator[list[Outcome]]:
    """Batches on a Dask cluster (``scheduler``: an address or a ``distributed.Client``), results in input order.

    File contents are read here and sent with the task, so the workers need no
    access to the files; each worker process loads the model once.
    """
    from distributed import Client

    client = scheduler if isinstance(scheduler, Client) else Client(scheduler, set_as_default=False)
    try:
        in_flight = 2 * (jobs or max(1, sum(client.nthreads().values())))
        spec_future = client.scatter(spec, broadcast=True, hash=False)
        window: deque = deque()
        for batch in batches:
            batch = [_with_data(item) for item in batch]
            window.append(client.submit(label_batch, spec_future, batch, options, pure=False))
            if len(window) >= in_flight:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        if client is not scheduler:
            client.close()


def _with_data(item: Item) -> Item:
    if item.path is None or item.error is not None:
        return item
    try:
        return replace(item, data=read_bytes(item.path), path=None)
    except InputError as exc:
        return replace(item, error=str(exc))
