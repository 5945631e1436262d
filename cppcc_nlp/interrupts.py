"""Holding Ctrl-C back while something must not be cut in the middle."""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def interrupts_held() -> Iterator[None]:
    """Hold SIGINT back in this thread; one that arrives meanwhile is delivered when the block ends.

    Processes and threads started meanwhile inherit the block. Where the
    system has no signal masks, nothing is held.
    """
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
