"""Holding Ctrl-C (and SIGTERM) back while something must not be cut in the middle.

Two layers. The thread's signal mask holds the signal back from this thread
(and from processes and threads started meanwhile, which inherit the mask).
But a signal sent to the process may be taken by another thread that does not
block it (loky's manager thread, say); Python then runs the main thread's
handler at its next chance, wherever that is, even inside a weakref callback
or ``__del__``, where the exception is printed and lost. So in the main
thread the handler is also replaced, for the time of the block, by one that
only notes the signal; the original handler gets it when the block ends.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def interrupts_held(terminate: bool = False) -> Iterator[None]:
    """Hold SIGINT (with ``terminate``, SIGTERM too) back; one that arrives meanwhile is delivered when the
    block ends, to the handler there was before.

    Processes and threads started meanwhile inherit the thread's mask (so hold
    SIGTERM only where none is started). Where the system has no signal
    masks, the handler alone holds the signal.
    """
    numbers = [signal.SIGINT] + ([signal.SIGTERM] if terminate else [])
    masked = None
    if hasattr(signal, "pthread_sigmask"):
        masked = signal.pthread_sigmask(signal.SIG_BLOCK, set(numbers))
    kept: list[int] = []
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for number in numbers:
            handler = signal.getsignal(number)
            if handler not in (signal.SIG_IGN, None):  # None: a handler set outside Python, left alone
                previous[number] = handler
                signal.signal(number, lambda signum, frame: kept.append(signum))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        if masked is not None:
            signal.pthread_sigmask(signal.SIG_SETMASK, masked)  # one held back by the mask arrives now
        if kept:
            handler = previous[kept[0]]
            if callable(handler):
                handler(kept[0], None)  # default_int_handler raises KeyboardInterrupt
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), kept[0])  # the signal's own action, now that nothing holds it
