"""``cppcc-nlp explain TEXT...``: the terms that drove each predicted theme."""

from __future__ import annotations

import argparse

from .options import add_model_option, model_of


def format_parser(commands) -> None:
    """Add ``explain`` to the sub-parsers ``commands``."""
    parser = commands.add_parser("explain", help="the terms that drove each predicted theme")
    parser.add_argument("texts", nargs="+")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--all", action="store_true", help="show every theme, not only predicted ones")
    add_model_option(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the model's explanation of each text (``ThemeClassifier.explain``)."""
    model = model_of(args)
    for text in args.texts:
        print(model.explain(text, top=args.top).format(all_themes=args.all))
    return 0
