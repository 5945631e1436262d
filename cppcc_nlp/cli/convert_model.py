"""``cppcc-nlp convert-model DIR -o NEW --trust-model``: an old pickled model directory in the pure-data format."""

from __future__ import annotations

import argparse

from ..errors import UsageError


def format_parser(commands) -> None:
    """Add ``convert-model`` to the sub-parsers ``commands``."""
    parser = commands.add_parser("convert-model",
                                 help="convert an old pickled model directory to the pure-data format")
    parser.add_argument("directory", help="model directory with model.joblib and its card")
    parser.add_argument("-o", "--output", required=True, help="directory for the converted model")
    parser.add_argument("--trust-model", action="store_true",
                        help="you trust the old file (unpickling runs its code)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Convert the model (``persist.convert_pickled_model``), only when the user trusts the file."""
    from ..evaluation.card import card_markdown
    from ..persist import convert_pickled_model

    if not args.trust_model:
        raise UsageError("converting unpickles the old model file, which runs code from it; "
                         "pass --trust-model if you trust where it came from")
    card = convert_pickled_model(args.directory, args.output, card_markdown)
    print(f"converted {args.directory} -> {args.output} ({', '.join(card['files'])})")
    return 0
