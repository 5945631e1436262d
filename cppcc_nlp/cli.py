"""Command line: argument parsing only; the work is done by the library modules.

Exit codes: 0 success; 1 unexpected error; 2 usage error; 3 unreadable input;
4 malformed corpus; 5 refused model; 6 a batch finished but some inputs were skipped;
7 no font that can draw the Chinese labels of a plot; 8 no unit left to select;
9 a needed optional dependency is missing (the message names the extra to install);
10 nothing labelled: no input document (an empty directory, a --glob that matches nothing,
an empty JSONL file); 11 another run is writing the same output; 12 an output could not be
written (a full disk, an I/O error); 130 interrupted (Ctrl-C); 141 the reader of standard
output went away (a pipe into head); 143 terminated (SIGTERM), cleaned up as after Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from .errors import CppccNlpError, one_line

# Registries of modules that import numpy or scikit-learn, named here so that parsing the command line
# imports neither (tests/test_cli.py keeps each equal to its owner's)
PROTOCOL_CHOICES = ("source", "city", "document", "host", "section")  # evaluation.splits.PROTOCOLS
SHARE_METHOD_CHOICES = ("count", "probability", "adjusted", "adjusted-probability")  # shares.METHODS
BATCH_BACKEND_CHOICES = ("local", "dask")  # batch.BACKENDS

EXIT_SOME_INPUTS_FAILED = 6
EXIT_NOTHING_SELECTED = 8
EXIT_NOTHING_LABELLED = 10
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM
EXIT_BROKEN_PIPE = 141

DESCRIPTION = (
    "Label the sentences of Chinese CPPCC (政协) work reports with five themes: party building, "
    "consultation, supervision, poverty alleviation and member management."
)
EPILOG = (
    "Start with: cppcc-nlp label REPORT.txt -o labels.csv. Exit codes: 0 success, 1 unexpected error, "
    "2 usage error, 3 unreadable input, 4 malformed corpus, 5 refused model, 6 some inputs skipped, "
    "7 no Chinese font, 8 no unit to select, 9 optional dependency missing, 10 nothing labelled, "
    "11 output busy (another run), 12 output not writable (disk full), 130 interrupted, 141 output pipe closed, "
    "143 terminated (SIGTERM)."
)


class UsageError(Exception):
    """A combination of options that the parser cannot refuse by itself (exit code 2)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as Ctrl-C is: a run stops its workers and cleans up, then says so."""


def _stopped(exc: BaseException) -> tuple[str, int]:
    """How an interrupted command ended: ("interrupted", 130) for Ctrl-C, ("terminated", 143) for SIGTERM."""
    return ("terminated", EXIT_TERMINATED) if isinstance(exc, Terminated) else ("interrupted", EXIT_INTERRUPTED)


def _raise_terminated(signum, frame) -> None:
    """The console's SIGTERM handler: stop as Ctrl-C does (``interrupts.interrupts_held`` may hold it back)."""
    raise Terminated()


def _load_model_arg(args: argparse.Namespace):
    from .persist import load_model

    return load_model(args.model) if args.model else load_model()


def _add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", help="model directory (default: the shipped model)")


def cmd_read(args: argparse.Namespace) -> int:
    from .reader import read_report

    for source in args.files:
        print(read_report(Path(source)).summary())
    return 0


def _load_corpus_arg(args: argparse.Namespace):
    from .corpus import load_corpus

    return load_corpus(args.corpus, sources=args.sources, skip_missing_sources=args.skip_missing_sources,
                       codebook=_codebook_arg(args))


def _codebook_arg(args: argparse.Namespace):
    """The Codebook of ``--codebook FILE``, else of the corpus directory (its codebook.toml), else the default."""
    from .codebook import resolve_codebook
    from .corpus.load import default_corpus_dir

    corpus = getattr(args, "corpus", None)
    return resolve_codebook(args.codebook, corpus if corpus is not None else default_corpus_dir())


def _add_codebook_option(parser: argparse.ArgumentParser, corpus: bool = False) -> None:
    parser.add_argument("--codebook", help="the themes (a codebook TOML file; default: the corpus's codebook.toml, "
                                           "else the five CPPCC themes)")
    if corpus:
        parser.add_argument("--corpus", help="corpus directory whose codebook.toml names the themes "
                                             "(default: $CPPCC_NLP_CORPUS)")


def _add_corpus_options(parser: argparse.ArgumentParser) -> None:
    _add_codebook_option(parser)
    parser.add_argument("--corpus", help="corpus directory, made by `corpus init` (default: $CPPCC_NLP_CORPUS, "
                                         "else the corpus shipped with the package)")
    parser.add_argument(
        "--sources", help="directory of source copies that stand-off labels point into (default: $CPPCC_NLP_SOURCES)"
    )
    parser.add_argument(
        "--skip-missing-sources", action="store_true",
        help="leave out, and count, stand-off records whose source has no local copy (default: refuse)",
    )


def cmd_corpus_stats(args: argparse.Namespace) -> int:
    from .corpus import corpus_stats
    from .corpus.load import default_corpus_dir
    from .corpus.stats import load_for_stats

    corpus_dir = args.corpus if args.corpus is not None else default_corpus_dir()
    codebook = _codebook_arg(args)
    loaded = load_for_stats(corpus_dir, args.sources, codebook, skip_missing_sources=args.skip_missing_sources)
    print(corpus_stats(loaded.records, corpus_dir=corpus_dir, codebook=codebook).format())
    if loaded.unchecked:
        print(one_line(loaded.format_unchecked()), file=sys.stderr)
    return 0


def cmd_corpus_init(args: argparse.Namespace) -> int:
    from .corpus.user import init_corpus

    print(init_corpus(args.directory, codebook=args.codebook).format())
    return 0


def cmd_corpus_add_source(args: argparse.Namespace) -> int:
    from .corpus.user import add_source

    if args.corpus is None:
        raise UsageError("which corpus? pass --corpus DIR or set CPPCC_NLP_CORPUS (make one with `corpus init DIR`)")
    added = add_source(args.corpus, args.name, args.path, text_field=args.text_field, id_field=args.id_field,
                       genre=args.genre, description=args.description, group_field=args.group_field,
                       truncated=args.truncated, sources=args.sources)
    print(added.format())
    return 0


def cmd_annotate_select(args: argparse.Namespace) -> int:
    from .annotate.workflow import select_batch

    written = select_batch(
        args.sources_names, args.output, strategy=args.strategy, n=args.n, model=args.model, query=args.query,
        theme=args.theme, max_per_doc=args.max_per_doc, suggest=args.suggest, seed=args.seed,
        corpus_dir=args.corpus, sources=args.sources, progress=None, codebook=_codebook_arg(args),
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


def cmd_annotate_merge(args: argparse.Namespace) -> int:
    from .annotate.merge import merge_batch
    from .corpus.user import check_writable

    check_writable(args.corpus)  # the shipped corpus of an installed package: refused before any reading
    for batch in args.batches:
        result = merge_batch(batch, args.corpus, args.sources, annotator=args.annotator or "",
                             selection=args.selection or "", replace=args.replace, codebook=_codebook_arg(args))
        print(f"{batch}: {result.format()}")
        for path in result.files:
            print(f"  -> {path}")
    return 0


def cmd_annotate_agreement(args: argparse.Namespace) -> int:
    from .corpus.agreement import agreement_of_files

    result = agreement_of_files(args.first, args.second, _codebook_arg(args))
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


def cmd_annotate_audit(args: argparse.Namespace) -> int:
    from .annotate.workflow import audit_corpus

    findings = audit_corpus(_load_corpus_arg(args), folds=args.folds, codebook=_codebook_arg(args))
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


def cmd_annotate_progress(args: argparse.Namespace) -> int:
    from .annotate.workflow import batch_progress

    print(batch_progress(args.batches, _codebook_arg(args)))
    return 0


def cmd_annotate_export(args: argparse.Namespace) -> int:
    from .annotate.labelstudio import label_config, write_tasks
    from .annotate.workflow import read_batch
    from .outputs import check_output_path, write_atomically

    check_output_path(args.output, "-o", inputs=[args.batch])
    if args.config:
        check_output_path(args.config, "--config", inputs=[args.batch, args.output])
    codebook = _codebook_arg(args)
    count = write_tasks(read_batch(args.batch, codebook), args.output, codebook=codebook)
    print(f"{count} Label Studio tasks -> {args.output}", file=sys.stderr)
    if args.config:
        write_atomically(args.config, label_config(codebook).encode("utf-8"))
        print(f"labelling interface -> {args.config}", file=sys.stderr)
    return 0


def cmd_annotate_import(args: argparse.Namespace) -> int:
    from .annotate.labelstudio import read_export, write_batch_lines
    from .outputs import check_output_path

    check_output_path(args.output, "-o", inputs=[args.export])  # before reading: never over the export itself
    lines, unannotated = read_export(args.export, _codebook_arg(args))
    write_batch_lines(lines, args.output)
    print(f"{len(lines)} annotated tasks -> {args.output}"
          + (f"; {unannotated} tasks without an annotation left out" if unannotated else ""), file=sys.stderr)
    return 0


def cmd_label(args: argparse.Namespace) -> int:
    from .batch import COMMIT_SECONDS, check_inputs, keep_freed_memory, label_files

    if args.resume and args.output in (None, "-"):
        print("cppcc-nlp label: error: --resume needs an output file (-o)", file=sys.stderr)
        return 2
    if args.backend == "dask" and not args.scheduler:
        print("cppcc-nlp label: error: --backend dask needs --scheduler ADDRESS", file=sys.stderr)
        return 2
    from .batch.inputs import check_outputs

    check_inputs(args.inputs)
    for flag, value in (("--profiles", args.profiles), ("--errors", args.errors)):
        if value == "-":
            raise UsageError(f"{flag} -: standard output is for the records (-o -); give {flag} a file")
    check_outputs(args.inputs, args.output, args.profiles, args.errors)
    _check_suffixes((("-o", args.output), ("--profiles", args.profiles)))
    from .segment import tokenizer_choice

    tokenizer_choice()  # a bad CPPCC_NLP_TOKENIZER is a usage error before any work
    if args.commit_every is not None and not (0 <= args.commit_every < float("inf")):
        print(f"cppcc-nlp label: error: --commit-every takes a finite number of seconds, 0 or more, "
              f"got {args.commit_every}", file=sys.stderr)
        return 2
    if _report_empty_directories(args.inputs, args.glob, "label"):
        return EXIT_NOTHING_LABELLED
    keep_freed_memory()  # this process and its workers are ours: fewer page faults, same peak memory
    try:
        result = label_files(
            args.inputs,
            args.output,
            model=args.model,  # a directory or None: loaded as its engine only, no scikit-learn in this process
            glob=args.glob,
            profiles=args.profiles,
            errors=args.errors,
            text_field=args.text_field,
            id_field=args.id_field,
            jobs=args.jobs,
            backend=args.backend,
            scheduler=args.scheduler,
            resume=args.resume,
            progress=False if args.quiet else None,
            batch_docs=args.batch_size,
            commit_seconds=COMMIT_SECONDS if args.commit_every is None else args.commit_every,
        )
    except KeyboardInterrupt as exc:
        if args.output in (None, "-"):
            raise
        word, code = _stopped(exc)
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


def _check_suffixes(outputs, allowed=None) -> None:
    """Refuse (exit 2) an output file whose suffix names no format we write: never JSON lines in ``out.txt``."""
    from .records import OUTPUT_SUFFIXES, check_output_suffix

    for flag, path in outputs:
        if path not in (None, "-"):
            try:
                check_output_suffix(path, flag, allowed or tuple(OUTPUT_SUFFIXES))
            except ValueError as exc:
                raise UsageError(str(exc)) from None


def _report_empty_directories(inputs: Sequence[str], glob: str, command: str) -> bool:
    """Say on stderr which input directories hold no file matching ``glob``; True when every input is one."""
    from .batch import empty_directories

    empty = empty_directories(inputs, glob)
    for directory in empty:
        print(one_line(f"cppcc-nlp {command}: {directory}: no file matches {glob!r} (see --glob)"), file=sys.stderr)
    if empty and len(empty) == len(inputs):
        print(f"cppcc-nlp {command}: nothing labelled: no input file", file=sys.stderr)
        return True
    return False


def user_data_dir() -> Path:
    """Per-user data directory (``$XDG_DATA_HOME/cppcc_nlp``, default ``~/.local/share/cppcc_nlp``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "cppcc_nlp"


def checkout_model_dir() -> Path | None:
    """``models/default`` of the repository clone this package runs from, or None in an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    return root / "models" / "default" if (root / "pyproject.toml").is_file() else None


def _train_output(args: argparse.Namespace) -> Path:
    """Where ``train`` writes: --output, the shipped model (--update-shipped-model), or a new user directory."""
    import datetime

    shipped = checkout_model_dir()
    if args.update_shipped_model:
        if args.output:
            raise UsageError("--update-shipped-model writes the shipped model; leave out --output")
        if shipped is None:
            raise UsageError("--update-shipped-model works in a clone of the repository only")
        return shipped
    if args.output:
        output = Path(args.output)
        if shipped is not None and output.resolve() == shipped.resolve():
            raise UsageError(f"{args.output} is the shipped model; replace it with --update-shipped-model")
        return output
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return user_data_dir() / "models" / f"model-{stamp}"


def _pin_shipped_model(directory: Path) -> Path:
    """Pin the card hash of a new shipped model (``models/default``) in its clone's ``cppcc_nlp/data``."""
    import hashlib

    from .persist import CARD_FILE

    pin = directory.parent.parent / "cppcc_nlp" / "data" / "default_model.sha256"
    pin.write_text(hashlib.sha256((directory / CARD_FILE).read_bytes()).hexdigest() + "\n", encoding="ascii")
    return pin


def _params_arg(text: str | None, model: str | None = None) -> dict:
    """``--params`` as checked model parameters (a usage error names what is wrong); else the model's own."""
    from .persist import check_params, load_engine

    if not text:
        return load_engine(model).params
    try:
        params = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--params is not JSON: {exc}") from None
    return check_params(params)


def cmd_train(args: argparse.Namespace) -> int:
    args.output = _train_output(args)  # before the imports and the long fit: a bad option fails at once
    from .evaluation.card import card_sections, save_model
    from .persist import check_model_output, train_model

    from .progress import progress_bar

    overwrite = args.overwrite or args.update_shipped_model
    check_model_output(args.output, overwrite)  # a file, another model, a read-only place: before the fit
    params = _params_arg(args.params)
    records = _load_corpus_arg(args)
    params = {**params, "codebook": _codebook_arg(args)}
    folds = params.get("threshold_folds", 5) or 0
    bar = progress_bar(total=(folds if folds >= 2 else 0) + 1, unit="fit", show=None)
    try:
        model = train_model(records, params, progress=lambda: bar.update(1))
    finally:
        bar.close()
    extra = card_sections(records, evaluation=_read_json_arg(args.evaluation), calibration=_read_json_arg(args.calibration),
                          codebook=params["codebook"])
    card = save_model(model, args.output, records, extra.pop("evaluation"), card_extra=extra, overwrite=overwrite)
    print(f"trained on {len(records)} units; saved to {args.output} (model.npz sha256 {card['files']['model.npz'][:12]}…)")
    if args.update_shipped_model:
        pin = _pin_shipped_model(args.output)
        print(f"replaced the shipped model and its pin {pin}; commit both", file=sys.stderr)
    return 0


def _read_json_arg(path: str | None):
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        from .errors import InputError

        raise InputError(f"{path}: cannot read JSON: {exc}") from None


def cmd_evaluate(args: argparse.Namespace) -> int:
    from .progress import progress_bar
    from .evaluation.report import format_evaluation, heldout_evaluation
    from .evaluation.splits import DEFAULT_PROTOCOLS

    params = _params_arg(args.params, args.model)
    records = _load_corpus_arg(args)
    protocols = args.protocol or list(DEFAULT_PROTOCOLS)
    bar = progress_bar(total=None, unit="fold", show=None)
    try:
        result = heldout_evaluation(records, params, protocols, quick=args.quick, n_jobs=args.jobs,
                                    progress=lambda: bar.update(1), codebook=_codebook_arg(args))
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


def cmd_convert_model(args: argparse.Namespace) -> int:
    from .evaluation.card import card_markdown
    from .persist import convert_pickled_model

    if not args.trust_model:
        print("cppcc-nlp convert-model: error: converting unpickles the old model file, which runs code from it; "
              "pass --trust-model if you trust where it came from", file=sys.stderr)
        return 2
    card = convert_pickled_model(args.directory, args.output, card_markdown)
    print(f"converted {args.directory} -> {args.output} ({', '.join(card['files'])})")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    model = _load_model_arg(args)
    for text in args.texts:
        print(model.explain(text, top=args.top).format(all_themes=args.all))
    return 0


def cmd_profile(args: argparse.Namespace) -> int:
    from .batch import check_inputs, output_format
    from .errors import InputError
    from .optional import require

    check_inputs(args.inputs)
    _check_share_options(args)
    _check_suffixes((("-o", args.output),), (".csv", ".jsonl", ".ndjson") if args.shares else None)
    from .outputs import check_output_file

    for flag, path in (("-o", args.output), ("--plot", args.plot), ("--bars", args.bars)):
        if path not in (None, "-"):
            check_output_file(path, flag)  # a device, a FIFO or a link is refused before the labelling
    if args.plot or args.bars:  # before the labelling, and before research imports scikit-learn
        require("matplotlib", "--plot" if args.plot else "--bars")
    if not args.shares and args.output not in (None, "-") and output_format(args.output) == "parquet":
        require("pyarrow", "writing Parquet (.parquet output)")
    if _report_empty_directories(args.inputs, args.glob, "profile"):
        return EXIT_NOTHING_LABELLED
    from .research import label_reports, markdown_table, profile_rows

    model = _load_model_arg(args)
    if args.shares in ("adjusted", "adjusted-probability"):  # a model without held-out predictions fails before labelling
        from .shares import error_rates

        error_rates(model)
    batch = label_reports(args.inputs, model=model, glob=args.glob, text_field=args.text_field,
                          id_field=args.id_field)
    for path, reason in batch.failures:
        print(f"skipped: {reason}", file=sys.stderr)
    if not batch.labelled:
        raise InputError(f"no readable report among {len(batch.failures)} input(s)")
    if args.shares:
        _profile_shares(args, batch, model)
        return EXIT_SOME_INPUTS_FAILED if batch.failures else 0
    rows = profile_rows(batch.labelled, measure=args.measure)
    to_stdout = args.output == "-"
    if not to_stdout:  # with -o - stdout holds the JSON lines only
        print(markdown_table(rows, digits=2))
    if args.output:
        batch.write_profiles(args.output)  # the section profiles, as label --profiles writes them
        if not to_stdout:
            print(f"profile table -> {args.output}", file=sys.stderr)
    if args.plot or args.bars:
        from .plots import plot_profiles

        for kind, path in (("heatmap", args.plot), ("bars", args.bars)):
            if path:
                figure = plot_profiles(rows, kind=kind, measure=args.measure, font=args.font)
                figure.savefig(path, dpi=args.dpi)
                print(f"{kind} -> {path}", file=sys.stderr)
    return EXIT_SOME_INPUTS_FAILED if batch.failures else 0


def cmd_report(args: argparse.Namespace) -> int:
    from .html_report import write_report

    if _report_empty_directories(args.inputs, args.glob, "report"):
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


def _check_share_options(args: argparse.Namespace) -> None:
    """Options of ``profile`` that only go with ``--shares``, or never with it (usage errors, exit 2)."""
    if not args.shares:
        for option, value in (("--by", args.by), ("--plot-kind", args.plot_kind), ("--confidence", args.confidence)):
            if value is not None:
                raise UsageError(f"{option} goes with --shares METHOD")
        return
    if args.bars:
        raise UsageError("--bars draws the sentence profiles; with --shares use --plot (and --plot-kind)")
    if args.measure != "sentences":
        raise UsageError("--shares estimates shares of sentences; leave out --measure")
    if args.output not in (None, "-") and Path(args.output).suffix.lower() == ".parquet":
        raise UsageError("with --shares, -o writes .csv or JSON lines")
    if args.confidence is not None and not 0 < args.confidence < 1:
        raise UsageError(f"--confidence must lie between 0 and 1, got {args.confidence}")
    if args.by not in (None, "section", "document") and "-" in args.inputs:
        raise UsageError(f"--by {args.by} reads a field of JSONL files; standard input cannot be read twice")
    if args.by not in (None, "section", "document"):
        from .shares import parse_field

        parse_field(args.by)  # date:abc, date:0: refused before the labelling


def _profile_shares(args: argparse.Namespace, batch, model) -> None:
    """``profile --shares``: each group's theme shares with intervals; the table, -o and --plot."""
    from .errors import InputError
    from .shares import estimate_shares, field_values

    labelled = list(batch.labelled)
    by = args.by or "section"
    groups = by
    if by not in ("section", "document"):
        values = field_values(args.inputs, by, args.glob, args.text_field, args.id_field)
        kept = [item for item in labelled if item.report.doc_id in values]
        if not kept:
            raise InputError(f"no document has the field {by.partition(':')[0]!r} that --by {by} groups by")
        if len(kept) < len(labelled):
            print(f"left out {len(labelled) - len(kept)} document(s) without the field {by.partition(':')[0]!r} "
                  "or with it empty", file=sys.stderr)
        labelled = kept
        groups = [values[item.report.doc_id] for item in labelled for _ in item.report.sentences]
    table = estimate_shares(labelled, groups, method=args.shares, model=model,
                            confidence=0.95 if args.confidence is None else args.confidence)
    if by not in ("section", "document"):
        from .plots import period_value

        if all(period_value(group) is not None for group in table.groups):  # years or dates: in time order
            table = table.sorted_groups(key=period_value)
    to_stdout = args.output == "-"
    if not to_stdout:
        print(table.format())
    if args.output:
        table.write(args.output)
        if not to_stdout:
            print(f"shares -> {args.output}", file=sys.stderr)
    if args.plot:
        from .plots import period_value, plot_shares, plot_shares_over_time

        kind = args.plot_kind
        if kind is None:
            periods = by not in ("section", "document") and all(period_value(g) is not None for g in table.groups)
            kind = "time" if periods else "dots"
        figure = (plot_shares_over_time(table, font=args.font) if kind == "time"
                  else plot_shares(table, kind=kind, font=args.font))
        figure.savefig(args.plot, dpi=args.dpi)
        print(f"shares ({kind}) -> {args.plot}", file=sys.stderr)


def _add_corpus_user_parsers(corpus_commands) -> None:
    """``corpus init`` and ``corpus add-source``: a corpus of one's own (``corpus/user.py``)."""
    init = corpus_commands.add_parser(
        "init", help="make a corpus of your own: DIR/codebook.toml, DIR/sources.json, DIR/labels/",
        description="Make an empty corpus in DIR: codebook.toml (a copy of --codebook FILE, else of the five CPPCC "
        "themes, to edit), an empty sources.json and labels/. Use it with --corpus DIR or CPPCC_NLP_CORPUS=DIR.",
    )
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--codebook", help="the themes: a codebook TOML file to copy (default: the CPPCC codebook)")
    init.set_defaults(func=cmd_corpus_init)

    add = corpus_commands.add_parser(
        "add-source", help="register an archive (a JSONL file or a directory of .txt reports) as a source",
        description="Read an archive through and register it in the corpus's sources.json as NAME: a JSONL file "
        "(one document per line, its id and text in two fields) or a directory of .txt reports (ids: the paths). "
        "PATH is stored relative to --sources (or CPPCC_NLP_SOURCES) when it lies inside it, else absolute.",
    )
    add.add_argument("name", metavar="NAME", help="the source's name: the first part of every unit id")
    add.add_argument("path", metavar="PATH", help="a JSONL file or a directory of .txt reports")
    add.add_argument("--text-field", default="text", help="JSONL: the field holding the text (default: text)")
    add.add_argument("--id-field", default="id", help="JSONL: the field holding the document id (default: id)")
    add.add_argument("--group-field", default="", help="JSONL: the field naming a document's site (a URL: its host), "
                                                       "held out whole by evaluate --protocol host")
    add.add_argument("--truncated", action="store_true",
                     help="the texts are excerpts that may stop mid-sentence (an unfinished last sentence is no unit)")
    add.add_argument("--genre", default="", help="a word for the kind of text (shown in the model card)")
    add.add_argument("--description", default="", help="one line about the source")
    add.add_argument("--corpus", help="the corpus directory (default: $CPPCC_NLP_CORPUS)")
    add.add_argument("--sources", help="directory of source copies that relative paths start from "
                                       "(default: $CPPCC_NLP_SOURCES)")
    add.set_defaults(func=cmd_corpus_add_source)


def _add_annotate_parser(commands) -> None:
    from .annotate.select import STRATEGIES
    from .corpus.records import SELECTIONS

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
    _add_corpus_options(select)
    _add_model_options(select)
    select.set_defaults(func=cmd_annotate_select)

    merge = sub.add_parser("merge", help="validate labelled batches and add them to corpus/labels/")
    merge.add_argument("batches", nargs="+")
    merge.add_argument("--annotator", help="who labelled the batch (if its lines do not say)")
    merge.add_argument("--selection", choices=SELECTIONS, help="how its units were chosen (if its lines do not say)")
    merge.add_argument("--replace", action="store_true", help="replace units already in the corpus (adjudication)")
    _add_corpus_options(merge)
    merge.set_defaults(func=cmd_annotate_merge)

    agree = sub.add_parser("agreement", help="agreement of two annotators over their common units")
    agree.add_argument("first")
    agree.add_argument("second")
    agree.add_argument("--disagreements", help="write the units they disagree on, for adjudication")
    agree.add_argument("--json", help="also write the figures as JSON")
    _add_codebook_option(agree, corpus=True)
    agree.set_defaults(func=cmd_annotate_agreement)

    audit = sub.add_parser("audit", help="hand labels a cross-validated model contradicts most confidently")
    audit.add_argument("--folds", type=int, default=5, help="folds by document (default: 5)")
    audit.add_argument("--top", type=int, default=50, help="findings to print (default: 50)")
    audit.add_argument("-o", "--output", help="write every finding as JSON lines")
    _add_corpus_options(audit)
    audit.set_defaults(func=cmd_annotate_audit)

    progress = sub.add_parser("progress", help="units decided so far in batch files, per theme and source")
    progress.add_argument("batches", nargs="+")
    _add_codebook_option(progress, corpus=True)
    progress.set_defaults(func=cmd_annotate_progress)

    export = sub.add_parser("export-labelstudio", help="a batch as Label Studio tasks (suggestions as pre-annotations)")
    export.add_argument("batch")
    export.add_argument("-o", "--output", required=True, help="task file (JSON)")
    export.add_argument("--config", help="also write the Label Studio labelling interface (XML)")
    _add_codebook_option(export, corpus=True)
    export.set_defaults(func=cmd_annotate_export)

    imp = sub.add_parser("import-labelstudio", help="a Label Studio export (JSON or JSON-MIN) as a batch for merge")
    imp.add_argument("export")
    imp.add_argument("-o", "--output", required=True, help="batch file to write")
    _add_codebook_option(imp, corpus=True)
    imp.set_defaults(func=cmd_annotate_import)


def build_parser() -> argparse.ArgumentParser:
    from .plots import MEASURES, PLOT_KINDS

    parser = argparse.ArgumentParser(prog="cppcc-nlp", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument(
        "-V", "--version", action=_VersionAction, help="print the version, the shipped model's sha256 and the tokenizer"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    read = commands.add_parser("read", help="print a report's sections and sentence counts")
    read.add_argument("files", nargs="+")
    read.set_defaults(func=cmd_read)

    corpus = commands.add_parser("corpus", help="the hand-labelled corpus")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", required=True)
    stats = corpus_commands.add_parser(
        "stats", help="units, documents and positives per source and theme, agreement, co-occurrence"
    )
    _add_corpus_options(stats)
    stats.set_defaults(func=cmd_corpus_stats)
    _add_corpus_user_parsers(corpus_commands)

    _add_annotate_parser(commands)

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
    label.add_argument("--glob", default="*.txt", help="file pattern inside directories (default: *.txt)")
    label.add_argument("--profiles", help="also write one row per document section with its theme shares")
    label.add_argument("--errors", help="list of skipped inputs with the reason (default: <output>.errors.jsonl)")
    label.add_argument("--text-field", help="JSONL inputs: field holding the text (default: text)")
    label.add_argument("--id-field", help="JSONL inputs: field holding the document id (default: <file>:<line>)")
    label.add_argument("-j", "--jobs", type=_jobs_value, default="auto",
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
    _add_model_options(label)
    label.set_defaults(func=cmd_label)

    train = commands.add_parser("train", help="train on the corpus and save the model with its card")
    _add_corpus_options(train)
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
    train.set_defaults(func=cmd_train)

    evaluate = commands.add_parser(
        "evaluate", help="held-out sources, cities and documents, beside baselines, with intervals",
        description="Train without a source (a city, a fold of documents), test on it; report the test-half units "
        "chosen at random, with 95%% bootstrap intervals over documents, beside the keyword and majority baselines.",
    )
    _add_corpus_options(evaluate)
    evaluate.add_argument("--json", help="also write the figures as JSON to this file")
    evaluate.add_argument("--quick", action="store_true", help="a small run: a sample of documents, no threshold search")
    evaluate.add_argument("--protocol", action="append", choices=PROTOCOL_CHOICES,
                          help="only this protocol (repeatable; default: all but section, which fits once per "
                          "section name and reports every held-out unit)")
    evaluate.add_argument("--params", help="model parameters as JSON (default: the shipped model's)")
    evaluate.add_argument("-j", "--jobs", type=int, default=1, help="folds fitted in parallel (default: 1)")
    _add_model_options(evaluate)
    evaluate.set_defaults(func=cmd_evaluate)

    convert = commands.add_parser("convert-model", help="convert an old pickled model directory to the pure-data format")
    convert.add_argument("directory", help="model directory with model.joblib and its card")
    convert.add_argument("-o", "--output", required=True, help="directory for the converted model")
    convert.add_argument("--trust-model", action="store_true", help="you trust the old file (unpickling runs its code)")
    convert.set_defaults(func=cmd_convert_model)

    explain = commands.add_parser("explain", help="the terms that drove each predicted theme")
    explain.add_argument("texts", nargs="+")
    explain.add_argument("--top", type=int, default=5)
    explain.add_argument("--all", action="store_true", help="show every theme, not only predicted ones")
    _add_model_options(explain)
    explain.set_defaults(func=cmd_explain)

    profile = commands.add_parser("profile", help="theme profile of every section of some reports; --plot draws it")
    profile.add_argument("inputs", nargs="+", help="report files, directories (recursive), .jsonl files, or - for stdin")
    profile.add_argument("--glob", default="*.txt", help="file pattern inside directories (default: *.txt)")
    profile.add_argument("--text-field", help="JSONL inputs: field holding the text (default: text)")
    profile.add_argument("--id-field", help="JSONL inputs: field holding the document id (default: <file>:<line>)")
    profile.add_argument("--plot", help="write the sections x themes heatmap to this image (.png, .svg, .pdf)")
    profile.add_argument("--bars", help="write a bar chart per section to this image")
    profile.add_argument(
        "-o", "--output",
        help="write the section profiles to this file, as label --profiles does (.csv, .parquet, else JSON lines; "
        "- for JSON lines on stdout)",
    )
    profile.add_argument(
        "--measure", choices=MEASURES, default="sentences",
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
    _add_model_options(profile)
    profile.set_defaults(func=cmd_profile)

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
    report.add_argument("--glob", default="*.txt", help="file pattern inside directories (default: *.txt)")
    report.add_argument("--text-field", help="JSONL inputs: field holding the text (default: text)")
    report.add_argument("--id-field", help="JSONL inputs: field holding the document id (default: <file>:<line>)")
    report.add_argument(
        "--shares", choices=("count", "probability", "adjusted", "adjusted-probability"),
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
    _add_model_options(report)
    report.set_defaults(func=cmd_report)
    return parser


class _VersionAction(argparse.Action):
    """``--version``: computed only when asked for, so other commands never read the model card."""

    def __init__(self, option_strings, dest, **kwargs):
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        from .about import version_text

        print(version_text())
        parser.exit(0)


def _jobs_value(text: str) -> int | str:
    """``--jobs``: "auto", -1 or a positive number."""
    if text == "auto":
        return text
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of processes, -1 or auto, got {text!r}") from None
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"expected a number of processes (1 or more), -1 or auto, got {value}")
    return value


def _import_holding_interrupts(module: str) -> None:
    """Import ``module`` with SIGINT held back until it is done.

    A Ctrl-C inside numpy's C initialisation surfaces as numpy's "your
    installation is broken" ImportError; held back, it arrives after the
    import as an ordinary interrupt.
    """
    import importlib

    from .interrupts import interrupts_held

    with interrupts_held():
        importlib.import_module(module)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line (``argv`` None: ``sys.argv``, as the console script calls it).

    As the console script, SIGTERM stops a command as Ctrl-C does (cleanly,
    exit 143), and once the command has its exit code, Ctrl-C and SIGTERM are
    ignored: the interpreter's shutdown (joining loky's threads) cannot turn a
    finished run into a killed one.
    """
    import signal

    console = argv is None
    if console and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # not if the caller chose to ignore it
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _run_command(argv)
    finally:
        if console:
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, signal.SIG_IGN)


def _run_command(argv: Sequence[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except KeyboardInterrupt as exc:
        word, code = _stopped(exc)
        print(f"cppcc-nlp: {word}", file=sys.stderr)
        return code
    if getattr(args, "corpus", None) is None and "corpus" in vars(args):  # --corpus DIR, else $CPPCC_NLP_CORPUS
        args.corpus = os.environ.get("CPPCC_NLP_CORPUS") or None
    try:
        if args.command not in ("read", "corpus"):  # the others compute with numpy
            _import_holding_interrupts("numpy")
        return args.func(args)
    except UsageError as exc:
        print(one_line(f"cppcc-nlp {args.command}: error: {exc}"), file=sys.stderr)
        return 2
    except CppccNlpError as exc:
        print(one_line(f"cppcc-nlp: error: {exc}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:
        word, code = _stopped(exc)
        print(f"cppcc-nlp: {word}", file=sys.stderr)
        return code
    except BrokenPipeError:  # the reader went away (| head): stop quietly, as Unix tools do
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
