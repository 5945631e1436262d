"""Options that several commands share, and what their values become: a model, a codebook, a corpus, inputs."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Sequence

from ..errors import InputError, UsageError, one_line

# Registries of modules that import numpy or scikit-learn, named here so that parsing the command line
# imports neither (tests/cli/test_cli.py keeps each equal to its owner's)
PROTOCOL_CHOICES = ("source", "city", "document", "host", "section")  # evaluation.splits.PROTOCOLS
SHARE_METHOD_CHOICES = ("count", "probability", "adjusted", "adjusted-probability")  # shares.METHODS
BATCH_BACKEND_CHOICES = ("local", "dask")  # batch.BACKENDS
MEASURE_CHOICES = ("sentences", "characters")  # records.MEASURES


def add_model_option(parser: argparse.ArgumentParser) -> None:
    """``--model DIR``."""
    parser.add_argument("--model", help="model directory (default: the shipped model)")


def add_codebook_option(parser: argparse.ArgumentParser, corpus: bool = False) -> None:
    """``--codebook FILE`` (and, with ``corpus``, the ``--corpus`` whose codebook it defaults to)."""
    parser.add_argument("--codebook", help="the themes (a codebook TOML file; default: the corpus's codebook.toml, "
                                           "else the five CPPCC themes)")
    if corpus:
        parser.add_argument("--corpus", help="corpus directory whose codebook.toml names the themes "
                                             "(default: $CPPCC_NLP_CORPUS)")


def add_corpus_options(parser: argparse.ArgumentParser) -> None:
    """``--codebook``, ``--corpus``, ``--sources`` and ``--skip-missing-sources``: the hand-labelled corpus."""
    add_codebook_option(parser)
    parser.add_argument("--corpus", help="corpus directory, made by `corpus init` (default: $CPPCC_NLP_CORPUS, "
                                         "else the corpus shipped with the package)")
    parser.add_argument(
        "--sources", help="directory of source copies that stand-off labels point into (default: $CPPCC_NLP_SOURCES)"
    )
    parser.add_argument(
        "--skip-missing-sources", action="store_true",
        help="leave out, and count, stand-off records whose source has no local copy (default: refuse)",
    )


def add_jsonl_fields(parser: argparse.ArgumentParser) -> None:
    """``--text-field`` and ``--id-field`` of JSONL inputs."""
    parser.add_argument("--text-field", help="JSONL inputs: field holding the text (default: text)")
    parser.add_argument("--id-field", help="JSONL inputs: field holding the document id (default: <file>:<line>)")


def add_glob_option(parser: argparse.ArgumentParser) -> None:
    """``--glob PATTERN`` of files inside input directories."""
    parser.add_argument("--glob", default="*.txt", help="file pattern inside directories (default: *.txt)")


def jobs_value(text: str) -> int | str:
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


def model_of(args: argparse.Namespace):
    """The fitted model of ``--model DIR``, else the shipped one."""
    from ..persist import load_model

    return load_model(args.model) if args.model else load_model()


def codebook_of(args: argparse.Namespace):
    """The Codebook of ``--codebook FILE``, else of the corpus directory (its codebook.toml), else the default."""
    from ..codebook import resolve_codebook
    from ..corpus.load import default_corpus_dir

    corpus = getattr(args, "corpus", None)
    return resolve_codebook(args.codebook, corpus if corpus is not None else default_corpus_dir())


def corpus_of(args: argparse.Namespace):
    """The records of the corpus options (``add_corpus_options``), validated."""
    from ..corpus import load_corpus

    return load_corpus(args.corpus, sources=args.sources, skip_missing_sources=args.skip_missing_sources,
                       codebook=codebook_of(args))


def params_of(text: str | None) -> dict | None:
    """``--params`` JSON as checked model parameters (None when not given); a usage error names what is wrong."""
    from ..training import check_params

    if not text:
        return None
    try:
        params = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise UsageError(f"--params is not JSON: {exc}") from None
    return check_params(params)


def json_file(path: str | None):
    """The JSON value of a file an option names (None when not given; InputError, exit 3, when unreadable)."""
    if not path:
        return None
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read JSON: {exc}") from None


def report_empty_directories(inputs: Sequence[str], glob: str, command: str) -> bool:
    """Say on stderr which input directories hold no file matching ``glob``; True when every input is one."""
    from ..batch import empty_directories

    empty = empty_directories(inputs, glob)
    for directory in empty:
        print(one_line(f"cppcc-nlp {command}: {directory}: no file matches {glob!r} (see --glob)"), file=sys.stderr)
    if empty and len(empty) == len(inputs):
        print(f"cppcc-nlp {command}: nothing labelled: no input file", file=sys.stderr)
        return True
    return False
