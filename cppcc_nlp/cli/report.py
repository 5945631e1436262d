"""``cppcc-nlp report INPUT... -o PAGE.html``: one self-contained HTML page of labelled reports."""

from __future__ import annotations

import argparse
import sys

from ..errors import one_line
from .exits import EXIT_NOTHING_LABELLED, EXIT_SOME_INPUTS_FAILED
from .options import (SHARE_METHOD_CHOICES, add_glob_option, add_jsonl_fields, add_model_option,
                      report_empty_directories)


def format_parser(commands) -> None:
    """Add ``report`` to the sub-parsers ``commands``."""
    report = commands.add_parser(
        "report", help="one self-contained HTML page of labelled reports: overview, documents, filters, export",
        description="Label reports (or read a finished label output) into one HTML file that opens offline in any "
        "browser: documents (or --by groups) x themes, each document's sentences in theme colours with scores and "
        "the terms behind each label, filters and search, and an export of the sentences marked as wrong as a "
        "batch for annotate merge.",
    )
    report.add_argument("inputs", nargs="+",
                        help="report files, directories (recursive), .jsonl files, a finished label output, or - for stdin")
    report.add_argument("-o", "--output", required=True, help="the HTML file to write")
    add_glob_option(report)
    add_jsonl_fields(report)
    report.add_argument(
        "--shares", choices=SHARE_METHOD_CHOICES,
        help="show each group's theme shares with intervals in the overview (as profile --shares)",
    )
    report.add_argument("--by", metavar="section|document|FIELD",
                        help="with --shares: group by section (default), document, or a JSONL field (FIELD:N: its "
                        "first N characters)")
    report.add_argument("--confidence", type=float, help="with --shares: the intervals' level (default: 0.95)")
    report.add_argument("--title", help="the page's title (default: from the documents)")
    report.add_argument("--source", help="the registered source (corpus/sources.json) the documents come from: "
                        "exported corrections name their units by it")
    report.add_argument("--no-explain", action="store_true",
                        help="leave out the terms behind each label (a smaller page, built faster)")
    report.add_argument("-j", "--jobs", type=int, default=1, help="labelling processes (default: 1)")
    report.add_argument("-q", "--quiet", action="store_true", help="no summary line")
    add_model_option(report)
    report.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the page (``html_report.write_report``); exit 6 when some inputs were skipped."""
    from ..html_report import write_report

    if report_empty_directories(args.inputs, args.glob, "report"):
        return EXIT_NOTHING_LABELLED
    result = write_report(
        args.inputs, args.output, args.model, glob=args.glob, text_field=args.text_field, id_field=args.id_field,
        shares=args.shares, by=args.by, confidence=args.confidence, title=args.title, source=args.source or "",
        explain=not args.no_explain, jobs=args.jobs, progress=False if args.quiet else None,
    )
    for _, reason in result.failures:
        print(one_line(f"skipped: {reason}"), file=sys.stderr)
    for note in result.notes:
        print(one_line(f"cppcc-nlp report: {note}"), file=sys.stderr)
    if not args.quiet:
        print(f"{result.documents} document(s), {result.sentences} sentence(s) -> {args.output} "
              f"({result.bytes / 1e6:.1f} MB, {result.seconds:.1f} s)", file=sys.stderr)
    return EXIT_SOME_INPUTS_FAILED if result.failures else 0
