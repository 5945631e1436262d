"""How a command of ``cppcc-nlp`` ends: its exit code, and the one line on stderr that says why.

Exit codes: 0 success; 1 unexpected error; 2 usage error; 3 unreadable input;
4 malformed corpus; 5 refused model; 6 a batch finished but some inputs were skipped;
7 no font that can draw the Chinese labels of a plot; 8 no unit left to select;
9 a needed optional dependency is missing (the message names the extra to install);
10 nothing labelled: no input document (an empty directory, a --glob that matches nothing,
an empty JSONL file); 11 another run is writing the same output; 12 an output could not be
written (a full disk, an I/O error); 130 interrupted (Ctrl-C); 141 the reader of standard
output went away (a pipe into head); 143 terminated (SIGTERM), cleaned up as after Ctrl-C.

The library's errors carry their code (``errors.CppccNlpError.exit_code``);
a ``UsageError`` is told as ``cppcc-nlp COMMAND: error: ...``, as argparse
tells its own; any other error as ``cppcc-nlp: error: ...``.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from ..errors import CppccNlpError, UsageError, one_line

EXIT_USAGE = 2
EXIT_SOME_INPUTS_FAILED = 6
EXIT_NOTHING_SELECTED = 8
EXIT_NOTHING_LABELLED = 10
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141
EXIT_TERMINATED = 143  # 128 + SIGTERM

EXIT_CODES = (  # what --help's epilog says of each code
    (0, "success"), (1, "unexpected error"), (EXIT_USAGE, "usage error"), (3, "unreadable input"),
    (4, "malformed corpus"), (5, "refused model"), (EXIT_SOME_INPUTS_FAILED, "some inputs skipped"),
    (7, "no Chinese font"), (EXIT_NOTHING_SELECTED, "no unit to select"), (9, "optional dependency missing"),
    (EXIT_NOTHING_LABELLED, "nothing labelled"), (11, "output busy (another run)"),
    (12, "output not writable (disk full)"), (EXIT_INTERRUPTED, "interrupted"), (EXIT_BROKEN_PIPE, "output pipe closed"),
    (EXIT_TERMINATED, "terminated (SIGTERM)"),
)
EPILOG = ("Start with: cppcc-nlp label REPORT.txt -o labels.csv. Exit codes: "
          + ", ".join(f"{code} {meaning}" for code, meaning in EXIT_CODES) + ".")


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C is: a run stops its workers and cleans up, then says so."""


def stopped(exc: BaseException) -> tuple[str, int]:
    """How an interrupted command ended: ("interrupted", 130) for Ctrl-C, ("terminated", 143) for SIGTERM."""
    return ("terminated", EXIT_TERMINATED) if isinstance(exc, Terminated) else ("interrupted", EXIT_INTERRUPTED)


def interrupted(exc: BaseException) -> int:
    """Say on stderr that the command was interrupted (or terminated); its exit code."""
    word, code = stopped(exc)
    print(f"cppcc-nlp: {word}", file=sys.stderr)
    return code


def _raise_terminated(signum, frame) -> None:
    """The console's SIGTERM handler: stop as Ctrl-C does (``interrupts.interrupts_held`` may hold it back)."""
    raise Terminated()


@contextmanager
def console_signals(console: bool) -> Iterator[None]:
    """As the console script (``console``), SIGTERM stops a command as Ctrl-C does (cleanly, exit 143), and once
    the command has its exit code, Ctrl-C and SIGTERM are ignored: the interpreter's shutdown (joining loky's
    threads) cannot turn a finished run into a killed one."""
    if console and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # not if the caller chose to ignore it
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        if console:
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, signal.SIG_IGN)


def import_holding_interrupts(module: str) -> None:
    """Import ``module`` with SIGINT held back until it is done.

    A Ctrl-C inside numpy's C initialisation surfaces as numpy's "your
    installation is broken" ImportError; held back, it arrives after the
    import as an ordinary interrupt.
    """
    import importlib

    from ..interrupts import interrupts_held

    with interrupts_held():
        importlib.import_module(module)


def exit_code_of(command: str, run: Callable[[], int], *, numpy: bool = True) -> int:
    """Run a parsed command and turn how it ended into its exit code, with one line on stderr.

    ``numpy``: the command computes with numpy, imported first with Ctrl-C held back.
    """
    try:
        if numpy:
            import_holding_interrupts("numpy")
        return run()
    except UsageError as exc:
        print(one_line(f"cppcc-nlp {command}: error: {exc}"), file=sys.stderr)
        return EXIT_USAGE
    except CppccNlpError as exc:
        print(one_line(f"cppcc-nlp: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        return interrupted(exc)
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
