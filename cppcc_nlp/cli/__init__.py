"""The command line ``cppcc-nlp``: argument parsing only; the work is done by the library.

``main`` builds the parser from ``COMMANDS``, one module per command: each
adds its sub-parser (``format_parser``) and turns the parsed options into a
call of the library (``run``). How a command ends, its exit code and the
line on stderr (the table is in ``exits``), is decided in ``exits`` alone.
"""

from __future__ import annotations

import argparse
import os
from typing import Sequence

from . import annotate, convert_model, corpus, evaluate, explain, label, profile, read, report, train
from .exits import EPILOG, console_signals, exit_code_of, interrupted

DESCRIPTION = (
    "Label the sentences of Chinese CPPCC (政协) work reports with five themes: party building, "
    "consultation, supervision, poverty alleviation and member management."
)
COMMANDS = (read, corpus, annotate, label, train, evaluate, convert_model, explain, profile, report)  # --help's order
LIGHT_COMMANDS = ("read", "corpus")  # the others compute with numpy


class _VersionAction(argparse.Action):
    """``--version``: computed only when asked for, so other commands never read the model card."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..about import version_text

        print(version_text())
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``cppcc-nlp``: the top-level options and each command of ``COMMANDS``."""
    parser = argparse.ArgumentParser(prog="cppcc-nlp", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "-V", "--version", action=_VersionAction, help="print the version, the shipped model's sha256 and the tokenizer"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.format_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (``argv`` None: ``sys.argv``, as the console script calls it); the exit code.

    As the console script, SIGTERM stops a command as Ctrl-C does (``exits.console_signals``).
    """
    with console_signals(console=argv is None):
        try:
            args = build_parser().parse_args(argv)
        except KeyboardInterrupt as exc:
            return interrupted(exc)
        if getattr(args, "corpus", None) is None and "corpus" in vars(args):  # --corpus DIR, else $CPPCC_NLP_CORPUS
            args.corpus = os.environ.get("CPPCC_NLP_CORPUS") or None
        return exit_code_of(args.command, lambda: args.func(args), numpy=args.command not in LIGHT_COMMANDS)


__all__ = ["COMMANDS", "DESCRIPTION", "build_parser", "main"]
