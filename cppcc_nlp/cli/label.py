"""``cppcc-nlp label INPUT... -o FILE``: one record per sentence, streamed, in parallel, resumable."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError, one_line
from .exits import EXIT_NOTHING_LABELLED, EXIT_SOME_INPUTS_FAILED, stopped
from .options import (BATCH_BACKEND_CHOICES, add_glob_option, add_jsonl_fields, add_model_option, jobs_value,
                      report_empty_directories)


def format_parser(commands) -> None:
    """Add ``label`` to the sub-parsers ``commands``."""
    label = commands.add_parser(
        "label",
        help="label reports or whole archives: one record per sentence",
        description="Label reports or whole archives: one record per sentence, streamed in batches, "
        "in parallel, resumable. Exit status 6 when some inputs were skipped (listed in the errors file).",
    )
    label.add_argument("inputs", nargs="+", help="report files, directories (recursive), .jsonl files, or - for stdin")
    label.add_argument(
        "-o", "--output", help="output file: .jsonl, .csv or .parquet (default: JSON lines on stdout)"
    )
    add_glob_option(label)
    label.add_argument("--profiles", help="also write one row per document section with its theme shares")
    label.add_argument("--errors", help="list of skipped inputs with the reason (default: <output>.errors.jsonl)")
    add_jsonl_fields(label)
    label.add_argument("-j", "--jobs", type=jobs_value, default="auto",
                       help="processes: a number, -1 for every core, or auto (the default: one for small inputs, "
                            "every core from 8 MiB of input)")
    label.add_argument(
        "--backend", choices=BATCH_BACKEND_CHOICES, default="local", help="local processes (default) or a Dask cluster"
    )
    label.add_argument("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (with --backend dask)")
    label.add_argument("--resume", action="store_true", help="skip documents already in the output, append the rest")
    label.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary line")
    label.add_argument("--batch-size", type=int, default=32, help="documents per batch at most (default: 32)")
    label.add_argument(
        "--commit-every", type=float, metavar="SECONDS",
        help="make the output durable (fsync) and resumable at most this often (default: 2); "
        "a run killed in between is resumed from its last commit",
    )
    add_model_option(label)
    label.set_defaults(func=run)


def check_options(args: argparse.Namespace) -> None:
    """Usage errors of ``label``'s options, in their words, before any work.

    ``label_files`` checks the inputs and outputs too, but not the outputs'
    suffixes, and an output that is an input is told as such before its suffix.
    """
    from ..batch import check_inputs
    from ..batch.inputs import check_outputs
    from ..outputs import check_output_suffixes
    from ..segment import tokenizer_choice

    if args.resume and args.output in (None, "-"):
        raise UsageError("--resume needs an output file (-o)")
    if args.backend == "dask" and not args.scheduler:
        raise UsageError("--backend dask needs --scheduler ADDRESS")
    check_inputs(args.inputs)
    for flag, value in (("--profiles", args.profiles), ("--errors", args.errors)):
        if value == "-":
            raise UsageError(f"{flag} -: standard output is for the records (-o -); give {flag} a file")
    check_outputs(args.inputs, args.output, args.profiles, args.errors)
    check_output_suffixes((("-o", args.output), ("--profiles", args.profiles)))
    tokenizer_choice()  # a bad CPPCC_NLP_TOKENIZER is a usage error before any work
    if args.commit_every is not None and not (0 <= args.commit_every < float("inf")):
        raise UsageError(f"--commit-every takes a finite number of seconds, 0 or more, got {args.commit_every}")


def run(args: argparse.Namespace) -> int:
    """Label the inputs into the output (``batch.label_files``); exit 6 when some inputs were skipped."""
    from ..batch import COMMIT_SECONDS, keep_freed_memory, label_files

    check_options(args)
    if report_empty_directories(args.inputs, args.glob, "label"):
        return EXIT_NOTHING_LABELLED
    keep_freed_memory()  # this process and its workers are ours: fewer page faults, same peak memory
    try:
        result = label_files(
            args.inputs, args.output,
            model=args.model,  # a directory or None: loaded as its engine only, no scikit-learn in this process
            glob=args.glob, profiles=args.profiles, errors=args.errors, text_field=args.text_field,
            id_field=args.id_field, jobs=args.jobs, backend=args.backend, scheduler=args.scheduler,
            resume=args.resume, progress=False if args.quiet else None, batch_docs=args.batch_size,
            commit_seconds=COMMIT_SECONDS if args.commit_every is None else args.commit_every,
        )
    except KeyboardInterrupt as exc:
        if args.output in (None, "-"):
            raise
        word, code = stopped(exc)
        print(one_line(f"cppcc-nlp label: {word}; rerun with --resume to continue into {args.output}"),
              file=sys.stderr)
        return code
    if not args.quiet:
        print(
            f"labelled {result.documents} document(s), {result.sentences} sentence(s) in {result.seconds:.1f} s"
            + (f"; {result.already_done} already in the output" if result.already_done else "")
            + (f"; skipped {result.failed} input(s), listed in {result.errors_path}" if result.errors_path else "")
            + (f"; skipped {result.failed} input(s)" if result.failed and not result.errors_path else "")
            + (f" -> {args.output}" if args.output and args.output != "-" else "")
            + (f" ({result.jobs} processes)" if result.jobs > 1 and args.backend == "local" else ""),
            file=sys.stderr,
        )
    if not (result.documents or result.failed or result.already_done):
        print("cppcc-nlp label: nothing labelled: the inputs hold no document", file=sys.stderr)
        return EXIT_NOTHING_LABELLED
    return EXIT_SOME_INPUTS_FAILED if result.failed else 0
