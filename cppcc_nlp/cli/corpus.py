"""``cppcc-nlp corpus stats|init|add-source``: the hand-labelled corpus, and a corpus of one's own."""

from __future__ import annotations

import argparse
import sys

from ..errors import UsageError, one_line
from .options import add_corpus_options, codebook_of


def format_parser(commands) -> None:
    """Add ``corpus`` and its sub-commands to the sub-parsers ``commands``."""
    corpus = commands.add_parser("corpus", help="the hand-labelled corpus")
    corpus_commands = corpus.add_subparsers(dest="corpus_command", required=True)
    stats = corpus_commands.add_parser(
        "stats", help="units, documents and positives per source and theme, agreement, co-occurrence"
    )
    add_corpus_options(stats)
    stats.set_defaults(func=run_stats)

    init = corpus_commands.add_parser(
        "init", help="make a corpus of your own: DIR/codebook.toml, DIR/sources.json, DIR/labels/",
        description="Make an empty corpus in DIR: codebook.toml (a copy of --codebook FILE, else of the five CPPCC "
        "themes, to edit), an empty sources.json and labels/. Use it with --corpus DIR or CPPCC_NLP_CORPUS=DIR.",
    )
    init.add_argument("directory", metavar="DIR")
    init.add_argument("--codebook", help="the themes: a codebook TOML file to copy (default: the CPPCC codebook)")
    init.set_defaults(func=run_init)

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
    add.set_defaults(func=run_add_source)


def run_stats(args: argparse.Namespace) -> int:
    """Print the corpus's statistics (``corpus.corpus_stats``); say which stand-off records went unchecked."""
    from ..corpus import corpus_stats
    from ..corpus.load import default_corpus_dir
    from ..corpus.stats import load_for_stats

    corpus_dir = args.corpus if args.corpus is not None else default_corpus_dir()
    codebook = codebook_of(args)
    loaded = load_for_stats(corpus_dir, args.sources, codebook, skip_missing_sources=args.skip_missing_sources)
    print(corpus_stats(loaded.records, corpus_dir=corpus_dir, codebook=codebook).format())
    if loaded.unchecked:
        print(one_line(loaded.format_unchecked()), file=sys.stderr)
    return 0


def run_init(args: argparse.Namespace) -> int:
    """Make an empty corpus (``corpus.user.init_corpus``)."""
    from ..corpus.user import init_corpus

    print(init_corpus(args.directory, codebook=args.codebook).format())
    return 0


def run_add_source(args: argparse.Namespace) -> int:
    """Register an archive as a source of the corpus (``corpus.user.add_source``)."""
    from ..corpus.user import add_source

    if args.corpus is None:
        raise UsageError("which corpus? pass --corpus DIR or set CPPCC_NLP_CORPUS (make one with `corpus init DIR`)")
    added = add_source(args.corpus, args.name, args.path, text_field=args.text_field, id_field=args.id_field,
                       genre=args.genre, description=args.description, group_field=args.group_field,
                       truncated=args.truncated, sources=args.sources)
    print(added.format())
    return 0
