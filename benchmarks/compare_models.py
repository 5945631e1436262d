"""Measure model configurations and the learning curve on the hand-labelled corpus.

    python benchmarks/compare_models.py                 # full run, a few minutes on 2 cores
    python benchmarks/compare_models.py --repeats 2 --sizes 1 3 6 12 --json out.json

Prints two Markdown tables: leave-one-section-out scores of each configuration
(beside the keyword and majority baselines), and micro/macro F1 against the number
of labelled training sections.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

from cppcc_nlp import load_corpus
from cppcc_nlp.evaluation.compare import compare_models
from cppcc_nlp.evaluation.curves import learning_curve
from cppcc_nlp.optional import table_rows
from cppcc_nlp.research import markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", help="corpus directory (default: corpus/ of the checkout)")
    parser.add_argument("--repeats", type=int, default=5, help="learning-curve repeats (default 5)")
    parser.add_argument("--sizes", type=int, nargs="*", help="learning-curve sizes (default 1..12)")
    parser.add_argument("--json", help="also write both tables as JSON")
    args = parser.parse_args()

    records = [r for r in load_corpus(args.corpus, skip_missing_sources=True) if r.span is None]  # the seed report: leave-one-section-out
    print(f"corpus: {len(records)} units; Python {platform.python_version()}\n")
    start = time.perf_counter()
    comparison = compare_models(records)
    columns = ["configuration", "features", "classifier", "use_lexicon", "cue_words", "C", "micro_f1", "macro_f1"]
    columns += [c for c in table_rows(comparison)[0] if c.startswith("f1_")] + ["seconds"]
    print("## Model configurations (leave-one-section-out)\n")
    print(markdown_table(comparison, columns))
    print(f"\n({time.perf_counter() - start:.0f} s)\n")

    start = time.perf_counter()
    curve = learning_curve(records, sizes=args.sizes, repeats=args.repeats)
    print(f"## Learning curve ({args.repeats} repeats)\n")
    print(markdown_table(curve, formats={"training_units": ".0f"}))
    print(f"\n({time.perf_counter() - start:.0f} s)")
    if args.json:
        payload = {"comparison": table_rows(comparison), "learning_curve": table_rows(curve)}
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=2, default=str)


if __name__ == "__main__":
    main()
