"""``cppcc-nlp evaluate``: held-out sources, cities, documents and hosts, beside baselines, with intervals."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import UsageError
from .options import PROTOCOL_CHOICES, add_corpus_options, add_model_option, codebook_of, corpus_of, params_of


def format_parser(commands) -> None:
    """Add ``evaluate`` to the sub-parsers ``commands``."""
    evaluate = commands.add_parser(
        "evaluate", help="held-out sources, cities and documents, beside baselines, with intervals",
        description="Train without a source (a city, a fold of documents), test on it; report the test-half units "
        "chosen at random, with 95%% bootstrap intervals over documents, beside the keyword and majority baselines.",
    )
    add_corpus_options(evaluate)
    evaluate.add_argument("--json", help="also write the figures as JSON to this file")
    evaluate.add_argument("--quick", action="store_true", help="a small run: a sample of documents, no threshold search")
    evaluate.add_argument("--protocol", action="append", choices=PROTOCOL_CHOICES,
                          help="only this protocol (repeatable; default: all but section, which fits once per "
                          "section name and reports every held-out unit)")
    evaluate.add_argument("--params", help="model parameters as JSON (default: the shipped model's)")
    evaluate.add_argument("-j", "--jobs", type=int, default=1, help="folds fitted in parallel (default: 1)")
    add_model_option(evaluate)
    evaluate.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the held-out evaluation (``evaluation.report.heldout_evaluation``); write it as JSON with --json."""
    from ..progress import progress_bar
    from ..evaluation.report import format_evaluation, heldout_evaluation
    from ..evaluation.splits import DEFAULT_PROTOCOLS
    from ..training import training_params

    params = training_params(params_of(args.params), args.model)
    records = corpus_of(args)
    protocols = args.protocol or list(DEFAULT_PROTOCOLS)
    bar = progress_bar(total=None, unit="fold", show=None)
    try:
        result = heldout_evaluation(records, params, protocols, quick=args.quick, n_jobs=args.jobs,
                                    progress=lambda: bar.update(1), codebook=codebook_of(args))
    finally:
        bar.close()
    if result.get("protocols") == {}:
        raise UsageError(
            f"no protocol applies to this corpus ({', '.join(protocols)}{' with --quick' if args.quick else ''}): "
            "source needs two sources or more, document a source of at least 100 labelled documents (and no "
            "--quick), city a committed report (raw/), host a source with a group_field"
        )
    print(format_evaluation(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"\nwritten to {args.json}", file=sys.stderr)
    return 0
