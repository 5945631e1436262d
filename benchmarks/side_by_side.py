"""Two checkouts side by side with the same model files: is a refactoring as fast as before?

    python benchmarks/side_by_side.py --old /path/to/old/checkout --model DIR --documents DIR [--rounds 7]

Each round runs, in each tree (the order alternating), ``cppcc-nlp label DOCUMENTS --jobs 1`` as a
whole process, and ``classify`` of up to 10,000 sentences as one list and of 1,000 one at a time.
It prints the medians, the median of the per-round ratios new/old and the load, as JSON.
The interpreter is this one; each tree is put first on ``PYTHONPATH``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURES = ("label", "classify_list", "classify_one")

CLASSIFY = r'''
import sys, time
from pathlib import Path
from cppcc_nlp import classify
from cppcc_nlp.persist import load_engine
engine = load_engine(sys.argv[1])
engine = getattr(engine, "engine", engine)
texts = []
for path in sorted(Path(sys.argv[2]).glob("*.txt"))[:400]:
    text = path.read_text(encoding="utf-8").replace("\n", "。")
    texts += [piece + "。" for piece in text.split("。") if len(piece) > 5]
texts = texts[:10000]
classify(texts[:50], model=engine)
start = time.perf_counter(); classify(texts, model=engine); many = time.perf_counter() - start
start = time.perf_counter()
for text in texts[:1000]:
    classify(text, model=engine)
print(many, time.perf_counter() - start)
'''


def run_round(tree: Path, model: Path, documents: Path, output: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cppcc_nlp.cli", "label", str(documents), "-o", str(output),
                    "--jobs", "1", "-q", "--model", str(model)], cwd=tree, env=env, check=True)
    label = time.perf_counter() - start
    done = subprocess.run([sys.executable, "-c", CLASSIFY, str(model), str(documents)], cwd=tree, env=env,
                          check=True, capture_output=True, text=True)
    many, one = map(float, done.stdout.split())
    return {"label": label, "classify_list": many, "classify_one": one}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", type=Path, required=True, help="the checkout to compare against")
    parser.add_argument("--new", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--model", type=Path, required=True, help="a model directory both trees can load")
    parser.add_argument("--documents", type=Path, required=True, help="a directory of .txt documents")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    rows = {name: {measure: [] for measure in MEASURES} for name in trees}
    loads = []
    with tempfile.TemporaryDirectory() as scratch:
        for round_ in range(args.rounds):
            for name in (list(trees) if round_ % 2 == 0 else list(trees)[::-1]):
                loads.append(os.getloadavg()[0])
                times = run_round(trees[name], args.model, args.documents, Path(scratch) / f"{name}.jsonl")
                for measure, seconds in times.items():
                    rows[name][measure].append(seconds)
        same = (Path(scratch) / "old.jsonl").read_bytes() == (Path(scratch) / "new.jsonl").read_bytes()
    result = {name: {measure: round(statistics.median(times), 3) for measure, times in row.items()}
              for name, row in rows.items()}
    result["ratio_new_over_old"] = {
        measure: round(statistics.median(new / old for new, old in zip(rows["new"][measure], rows["old"][measure])), 3)
        for measure in MEASURES}
    result["label_records_identical"] = same
    result["rounds"] = args.rounds
    result["load_1min_min_median_max"] = [round(min(loads), 2), round(statistics.median(loads), 2), round(max(loads), 2)]
    result["raw_seconds"] = {name: {measure: [round(t, 3) for t in times] for measure, times in row.items()}
                             for name, row in rows.items()}
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
