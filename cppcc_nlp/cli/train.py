"""``cppcc-nlp train``: train on the corpus and save the model with its card (where: ``training.model_output_dir``)."""

from __future__ import annotations

import argparse
import sys

from .options import add_corpus_options, json_file, params_of


def format_parser(commands) -> None:
    """Add ``train`` to the sub-parsers ``commands``."""
    train = commands.add_parser("train", help="train on the corpus and save the model with its card")
    add_corpus_options(train)
    train.add_argument(
        "--output", help="model directory (default: a new directory under $XDG_DATA_HOME/cppcc_nlp/models/)"
    )
    train.add_argument("--overwrite", action="store_true",
                       help="replace the model already in --output (default: refuse a directory holding one)")
    train.add_argument(
        "--update-shipped-model", action="store_true",
        help="maintainers: replace the shipped model (models/default of the clone) and its pinned hash",
    )
    train.add_argument("--params", help="model parameters as JSON (default: the shipped model's, so that the shipped "
                       "model is rebuilt byte for byte from the corpus and the sources, under the library versions "
                       "its card records)")
    train.add_argument("--evaluation", help="held-out evaluation to put in the card (JSON of `cppcc-nlp evaluate --json`)")
    train.add_argument("--calibration", help="calibration figures to put in the card (benchmarks/results/calibration.json)")
    train.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Train and save (``training.train_and_save``); say where the model went."""
    from ..training import train_and_save

    trained = train_and_save(
        args.corpus, args.output, params=params_of(args.params), sources=args.sources,
        skip_missing_sources=args.skip_missing_sources, codebook=args.codebook,
        evaluation=json_file(args.evaluation), calibration=json_file(args.calibration), overwrite=args.overwrite,
        update_shipped_model=args.update_shipped_model,
    )
    print(f"trained on {trained.units} units; saved to {trained.directory} "
          f"(model.npz sha256 {trained.card['files']['model.npz'][:12]}…)")
    if trained.pin is not None:
        print(f"replaced the shipped model and its pin {trained.pin}; commit both", file=sys.stderr)
    return 0
