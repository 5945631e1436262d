"""``cppcc-nlp profile INPUT...``: each section's theme profile, or with --shares each group's shares with intervals."""

from __future__ import annotations

import argparse
import sys

from .exits import EXIT_NOTHING_LABELLED, EXIT_SOME_INPUTS_FAILED
from .options import (MEASURE_CHOICES, SHARE_METHOD_CHOICES, add_glob_option, add_jsonl_fields, add_model_option, model_of,
                      report_empty_directories)


def format_parser(commands) -> None:
    """Add ``profile`` to the sub-parsers ``commands``."""
    from ..plots import PLOT_KINDS

    profile = commands.add_parser("profile", help="theme profile of every section of some reports; --plot draws it")
    profile.add_argument("inputs", nargs="+", help="report files, directories (recursive), .jsonl files, or - for stdin")
    add_glob_option(profile)
    add_jsonl_fields(profile)
    profile.add_argument("--plot", help="write the sections x themes heatmap to this image (.png, .svg, .pdf)")
    profile.add_argument("--bars", help="write a bar chart per section to this image")
    profile.add_argument(
        "-o", "--output",
        help="write the section profiles to this file, as label --profiles does (.csv, .parquet, else JSON lines; "
        "- for JSON lines on stdout)",
    )
    profile.add_argument(
        "--measure", choices=MEASURE_CHOICES, default="sentences",
        help="share of sentences (default) or of characters that carry each theme",
    )
    profile.add_argument("--font", help="font file or family for the Chinese labels (default: the bundled one)")
    profile.add_argument("--dpi", type=int, default=150, help="resolution of the images (default: 150)")
    profile.add_argument(
        "--shares", choices=SHARE_METHOD_CHOICES,
        help="estimate each group's theme shares with intervals instead: count (classify and count), probability "
        "(mean score), adjusted (corrected by the model's held-out error rates) or adjusted-probability; "
        "-o then writes group, theme, share, low, high, n_units, method (.csv, else JSON lines)",
    )
    profile.add_argument(
        "--by", metavar="section|document|FIELD",
        help="with --shares: group by section (default), document, or a field of the JSONL records; FIELD:N keeps "
        "its first N characters (date:4: the year of an ISO date)",
    )
    profile.add_argument("--confidence", type=float, help="with --shares: the intervals' level (default: 0.95)")
    profile.add_argument(
        "--plot-kind", choices=PLOT_KINDS,
        help="with --shares: what --plot draws: dot and whisker per group and theme, a heatmap with the interval "
        "in each cell, or shares over time (default: time when every --by FIELD value is a year or date, else dots)",
    )
    add_model_option(profile)
    profile.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Profile the inputs (``profiles.profile_reports``): print the table, write -o, draw --plot and --bars."""
    from ..profiles import check_profile_options, profile_reports

    check_profile_options(args.inputs, output=args.output, plot=args.plot, bars=args.bars, measure=args.measure,
                          shares=args.shares, by=args.by, confidence=args.confidence, plot_kind=args.plot_kind)
    if report_empty_directories(args.inputs, args.glob, "profile"):
        return EXIT_NOTHING_LABELLED
    result = profile_reports(args.inputs, model_of(args), glob=args.glob, text_field=args.text_field,
                             id_field=args.id_field, measure=args.measure, shares=args.shares, by=args.by,
                             confidence=args.confidence)
    to_stdout = args.output == "-"
    if not to_stdout:  # with -o - stdout holds the JSON lines only
        print(result.format())
    if args.output:
        result.write(args.output)
        if not to_stdout:
            print(f"{'shares' if args.shares else 'profile table'} -> {args.output}", file=sys.stderr)
    if args.shares and args.plot:
        kind = result.plot_kind(args.plot_kind)
        result.figure(kind, font=args.font).savefig(args.plot, dpi=args.dpi)
        print(f"shares ({kind}) -> {args.plot}", file=sys.stderr)
    elif not args.shares:
        for kind, path in (("heatmap", args.plot), ("bars", args.bars)):
            if path:
                result.figure(kind, font=args.font).savefig(path, dpi=args.dpi)
                print(f"{kind} -> {path}", file=sys.stderr)
    return EXIT_SOME_INPUTS_FAILED if result.failures else 0
