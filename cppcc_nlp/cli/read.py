"""``cppcc-nlp read FILE...``: each report's sections and sentence counts."""

from __future__ import annotations

import argparse
from pathlib import Path


def format_parser(commands) -> None:
    """Add ``read`` to the sub-parsers ``commands``."""
    parser = commands.add_parser("read", help="print a report's sections and sentence counts")
    parser.add_argument("files", nargs="+")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the summary of each report (``reader.read_report``)."""
    from ..reader import read_report

    for source in args.files:
        print(read_report(Path(source)).summary())
    return 0
