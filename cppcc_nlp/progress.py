"""The one progress-bar helper: a tqdm bar on stderr when stderr is a terminal, else nothing."""

from __future__ import annotations

import sys
from typing import Iterable


class NoBar:
    """What ``progress_bar`` gives when no bar is shown: the same methods, doing nothing."""

    def __init__(self, iterable: Iterable | None = None) -> None:
        self.iterable = iterable

    def __iter__(self):
        return iter(self.iterable if self.iterable is not None else ())

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def update(self, n: int = 1) -> None: ...
    def set_postfix_str(self, text: str = "", refresh: bool = True) -> None: ...
    def set_description(self, text: str | None = None, refresh: bool = True) -> None: ...
    def close(self) -> None: ...

    def write(self, message: str) -> None:
        print(message, file=sys.stderr)


def show_progress(show: bool | None = None) -> bool:
    """``show``, or when it is None: whether stderr is a terminal."""
    if show is not None:
        return show
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(iterable: Iterable | None = None, *, total: int | None = None, desc: str | None = None,
                 unit: str = "it", show: bool | None = None, **options):
    """A tqdm bar on stderr when ``show`` (default: when stderr is a terminal), else a ``NoBar``.

    The bar's ``write`` prints a line above the bar, on stderr; ``options`` go to tqdm.
    """
    if not show_progress(show):
        return NoBar(iterable)
    from tqdm import tqdm

    width = _terminal_width()
    if width:  # a terminal that knows its size: the bar follows it
        options = {"dynamic_ncols": True, **options}
    else:  # a pseudo-terminal that reports 0 x 0 (script -q -c, some CI runners): tqdm would draw nothing
        options = {"ncols": _fallback_width(), "nrows": 24, **options}
    bar = tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, **options)
    bar.write = lambda message: tqdm.write(message, file=sys.stderr)  # type: ignore[method-assign]
    return bar


def _terminal_width() -> int:
    """The width stderr's terminal reports (0 when it reports none or is no terminal)."""
    import os

    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, OSError, ValueError):
        return 0


def _fallback_width() -> int:
    """``$COLUMNS`` when it is a positive number, else 80."""
    import os

    value = os.environ.get("COLUMNS", "")
    return int(value) if value.isdigit() and int(value) > 0 else 80
