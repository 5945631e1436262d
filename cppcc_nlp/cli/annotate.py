"""``cppcc-nlp annotate ...``: grow the hand-labelled corpus: select, merge, agreement, audit, Label Studio."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import one_line
from .exits import EXIT_NOTHING_SELECTED
from .options import add_codebook_option, add_corpus_options, add_model_option, codebook_of, corpus_of


def format_parser(commands) -> None:
    """Add ``annotate`` and its sub-commands to the sub-parsers ``commands``."""
    from ..annotate.select import STRATEGIES
    from ..corpus.records import SELECTIONS

    annotate = commands.add_parser("annotate", help="grow the hand-labelled corpus: select, merge, agreement, audit")
    sub = annotate.add_subparsers(dest="annotate_command", required=True)

    select = sub.add_parser("select", help="choose units to label and write a batch file for annotators")
    select.add_argument("sources_names", nargs="+", metavar="SOURCE", help="registered source names (or: all)")
    select.add_argument("-o", "--output", required=True, help="batch file to write (JSON lines; keep it outside the repository)")
    select.add_argument("-n", type=int, default=100, help="number of units (default: 100)")
    select.add_argument("--strategy", choices=STRATEGIES, default="random", help="how to choose (default: random)")
    select.add_argument("--query", help="keyword strategy: a regular expression the unit must match")
    select.add_argument("--theme", help="keyword strategy: the cue words of a theme of the codebook")
    select.add_argument("--max-per-doc", type=int, help="at most this many units of one document")
    select.add_argument("--suggest", action="store_true", help="add the model's probabilities as 'suggested'")
    select.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    add_corpus_options(select)
    add_model_option(select)
    select.set_defaults(func=run_select)

    merge = sub.add_parser("merge", help="validate labelled batches and add them to corpus/labels/")
    merge.add_argument("batches", nargs="+")
    merge.add_argument("--annotator", help="who labelled the batch (if its lines do not say)")
    merge.add_argument("--selection", choices=SELECTIONS, help="how its units were chosen (if its lines do not say)")
    merge.add_argument("--replace", action="store_true", help="replace units already in the corpus (adjudication)")
    add_corpus_options(merge)
    merge.set_defaults(func=run_merge)

    agree = sub.add_parser("agreement", help="agreement of two annotators over their common units")
    agree.add_argument("first")
    agree.add_argument("second")
    agree.add_argument("--disagreements", help="write the units they disagree on, for adjudication")
    agree.add_argument("--json", help="also write the figures as JSON")
    add_codebook_option(agree, corpus=True)
    agree.set_defaults(func=run_agreement)

    audit = sub.add_parser("audit", help="hand labels a cross-validated model contradicts most confidently")
    audit.add_argument("--folds", type=int, default=5, help="folds by document (default: 5)")
    audit.add_argument("--top", type=int, default=50, help="findings to print (default: 50)")
    audit.add_argument("-o", "--output", help="write every finding as JSON lines")
    add_corpus_options(audit)
    audit.set_defaults(func=run_audit)

    progress = sub.add_parser("progress", help="units decided so far in batch files, per theme and source")
    progress.add_argument("batches", nargs="+")
    add_codebook_option(progress, corpus=True)
    progress.set_defaults(func=run_progress)

    export = sub.add_parser("export-labelstudio", help="a batch as Label Studio tasks (suggestions as pre-annotations)")
    export.add_argument("batch")
    export.add_argument("-o", "--output", required=True, help="task file (JSON)")
    export.add_argument("--config", help="also write the Label Studio labelling interface (XML)")
    add_codebook_option(export, corpus=True)
    export.set_defaults(func=run_export)

    imp = sub.add_parser("import-labelstudio", help="a Label Studio export (JSON or JSON-MIN) as a batch for merge")
    imp.add_argument("export")
    imp.add_argument("-o", "--output", required=True, help="batch file to write")
    add_codebook_option(imp, corpus=True)
    imp.set_defaults(func=run_import)


def run_select(args: argparse.Namespace) -> int:
    """Write a batch of units to label (``annotate.workflow.select_batch``); exit 8 when none is left."""
    from ..annotate.workflow import select_batch

    written = select_batch(
        args.sources_names, args.output, strategy=args.strategy, n=args.n, model=args.model, query=args.query,
        theme=args.theme, max_per_doc=args.max_per_doc, suggest=args.suggest, seed=args.seed,
        corpus_dir=args.corpus, sources=args.sources, progress=None, codebook=codebook_of(args),
    )
    if not written:
        if args.strategy == "keyword" and (args.query or args.theme):
            why = (f"no unlabelled unit matches --query {args.query!r}" if args.query
                   else f"no unlabelled unit holds a cue word of theme {args.theme!r}")
        else:
            why = "every unit of these sources is labelled already, or they hold none"
        print(one_line(f"cppcc-nlp annotate select: nothing selected: {why}; {args.output} holds no unit"),
              file=sys.stderr)
        return EXIT_NOTHING_SELECTED
    print(f"selected {written} units ({args.strategy}) -> {args.output}", file=sys.stderr)
    return 0


def run_merge(args: argparse.Namespace) -> int:
    """Add labelled batches to the corpus (``annotate.merge.merge_batch``)."""
    from ..annotate.merge import merge_batch
    from ..corpus.user import check_writable

    check_writable(args.corpus)  # the shipped corpus of an installed package: refused before any reading
    for batch in args.batches:
        result = merge_batch(batch, args.corpus, args.sources, annotator=args.annotator or "",
                             selection=args.selection or "", replace=args.replace, codebook=codebook_of(args))
        print(f"{batch}: {result.format()}")
        for path in result.files:
            print(f"  -> {path}")
    return 0


def run_agreement(args: argparse.Namespace) -> int:
    """Print two annotators' agreement (``corpus.agreement.agreement_of_files``); write their disagreements."""
    from ..corpus.agreement import agreement_of_files

    result = agreement_of_files(args.first, args.second, codebook_of(args))
    print(result.format())
    if args.disagreements:
        with open(args.disagreements, "w", encoding="utf-8") as handle:
            for item in result.disagreements:
                handle.write(json.dumps({"id": item.id, "first": list(item.labels_a), "second": list(item.labels_b),
                                         "labels": None}, ensure_ascii=False) + "\n")
        print(f"disagreements for adjudication -> {args.disagreements}", file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


def run_audit(args: argparse.Namespace) -> int:
    """Print the hand labels a cross-validated model contradicts most (``annotate.workflow.audit_corpus``)."""
    from ..annotate.workflow import audit_corpus

    findings = audit_corpus(corpus_of(args), folds=args.folds, codebook=codebook_of(args))
    shown = findings[: args.top]
    for finding in shown:
        mark = "on " if finding.hand_label else "off"
        print(f"{finding.self_confidence:.3f}  {finding.theme:<20} hand {mark}  p={finding.probability:.2f}  "
              f"{finding.id}  {finding.text[:60]}")
    print(f"{len(findings)} unit-theme pairs where the cross-validated model contradicts the hand label; "
          f"{len(shown)} shown", file=sys.stderr)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            for finding in findings:
                handle.write(json.dumps(finding.to_dict(), ensure_ascii=False) + "\n")
    return 0


def run_progress(args: argparse.Namespace) -> int:
    """Print the units decided so far in batch files (``annotate.workflow.batch_progress``)."""
    from ..annotate.workflow import batch_progress

    print(batch_progress(args.batches, codebook_of(args)))
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write a batch as Label Studio tasks (``annotate.labelstudio.write_tasks``), and the interface with --config."""
    from ..annotate.labelstudio import label_config, write_tasks
    from ..annotate.workflow import read_batch
    from ..outputs import check_output_path, write_atomically

    check_output_path(args.output, "-o", inputs=[args.batch])
    if args.config:
        check_output_path(args.config, "--config", inputs=[args.batch, args.output])
    codebook = codebook_of(args)
    count = write_tasks(read_batch(args.batch, codebook), args.output, codebook=codebook)
    print(f"{count} Label Studio tasks -> {args.output}", file=sys.stderr)
    if args.config:
        write_atomically(args.config, label_config(codebook).encode("utf-8"))
        print(f"labelling interface -> {args.config}", file=sys.stderr)
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Write a Label Studio export as a batch for merge (``annotate.labelstudio.read_export``)."""
    from ..annotate.labelstudio import read_export, write_batch_lines
    from ..outputs import check_output_path

    check_output_path(args.output, "-o", inputs=[args.export])  # before reading: never over the export itself
    lines, unannotated = read_export(args.export, codebook_of(args))
    write_batch_lines(lines, args.output)
    print(f"{len(lines)} annotated tasks -> {args.output}"
          + (f"; {unannotated} tasks without an annotation left out" if unannotated else ""), file=sys.stderr)
    return 0
