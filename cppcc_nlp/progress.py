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

    bar = tqdm(iterable, total=total, desc=desc, unit=unit, file=sys.stderr, dynamic_ncols=True, **options)
    bar.write = lambda message: tqdm.write(message, file=sys.stderr)  # type: ignore[method-assign]
    return bar
