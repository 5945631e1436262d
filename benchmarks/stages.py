"""Where `cppcc-nlp label` spends its time: seconds per million characters, stage by stage, per tokenizer.

    python benchmarks/stages.py benchmarks/work/corpus-12.5MB            # a corpus built by bench_label.py
    python benchmarks/stages.py DIR --runs 5 --out benchmarks/results/stages.md

Runs over the .txt files of a directory in one process, batch by batch as
``batch.labeller.Labeller`` does (prediction in chunks of about PREDICT_CHARS
characters), timing: reading and decoding, splitting into sentences (the
reader), each feature block of the model (word n-grams, which include the
segmentation; character n-grams; cue words), the linear model with its
calibration, and encoding the JSON lines. Each tokenizer (rjieba when
installed, and the jieba fallback, chosen with ``$CPPCC_NLP_TOKENIZER``) is
measured in fresh processes, ``--runs`` times, alternating; the table gives
the median of each stage. Process start, model loading and writing files are
not in it: ``bench_label.py`` measures the whole command. For a
function-level view, run the command itself under cProfile:

    python -m cProfile -s tottime -m cppcc_nlp.cli label DIR -o /tmp/out.jsonl -q | head -40
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

STAGES = ["read + decode", "split (reader)", "word n-grams (incl. segmentation)", "char n-grams", "cue words",
          "linear model + calibration", "labels + JSON lines"]


def measure(directory: str) -> dict:
    """Seconds per stage over the corpus, in this process, with the tokenizer ``$CPPCC_NLP_TOKENIZER`` chooses."""
    from cppcc_nlp.batch import BATCH_DOCS, Item, Options
    from cppcc_nlp.batch.labeller import model_spec
    from cppcc_nlp.batch.labeller import PREDICT_CHARS, labeller_for
    from cppcc_nlp.reader import decode_bytes, parse_report, read_bytes

    files = sorted(Path(directory).rglob("*.txt"))
    labeller = labeller_for(model_spec(None))
    model = labeller.predictor
    if [type(part).__name__ for part in model.parts] != ["WordNgrams", "CharNgrams", "CueWords"]:
        sys.exit(f"stages.py times the shipped model's parts; this model has {[type(p).__name__ for p in model.parts]}")
    labeller.label([Item("warm", "warm", text="政协委员开展调研。")], Options())  # build the tokenizer first
    seconds = dict.fromkeys(STAGES, 0.0)
    chars = 0

    def timed(name, function, *args):
        start = time.perf_counter()
        value = function(*args)
        seconds[name] += time.perf_counter() - start
        return value

    for first in range(0, len(files), BATCH_DOCS):
        texts = [timed("read + decode", lambda p: decode_bytes(read_bytes(p), str(p)), f) for f in files[first:first + BATCH_DOCS]]
        reports = [timed("split (reader)", parse_report, text, str(i), None, encoding) for i, (text, encoding) in enumerate(texts)]
        chars += sum(len(text) for text, _ in texts)
        sentences = [s.text for r in reports for s in r.sentences]
        blocks, start, size = [], 0, 0
        for end, text in enumerate(sentences, start=1):  # the chunks of Labeller.predict
            size += len(text)
            if size >= PREDICT_CHARS or end == len(sentences):
                chunk = sentences[start:end]
                features = [timed(name, part, chunk) for name, part in zip(STAGES[2:5], model.parts)]
                blocks.append(timed("linear model + calibration", _probabilities, model, features))
                start, size = end, 0
        if not blocks:
            continue
        import numpy as np

        probabilities = np.vstack(blocks)
        offset = 0
        for report in reports:
            n = len(report.sentences)
            masks, steps = labeller._labels_and_steps(probabilities[offset:offset + n])
            offset += n
            names = [section.name for section in report.sections]
            timed("labels + JSON lines", labeller.encoder.records, report.doc_id, names, report.sentences, masks, steps, "jsonl")
    backend = model.parts[0].segmenter.resolved_backend
    return {"backend": backend, "files": len(files), "characters": chars, "seconds": seconds}


def _probabilities(model, blocks):
    """What ``Engine.predict_proba`` computes from the feature blocks (every part has weight 1 in the shipped model)."""
    from scipy import sparse
    from scipy.special import expit

    scores = sparse.hstack(blocks, format="csr") @ model.coef
    scores += model.intercept
    return model.calibrate(expit(scores, out=scores))


def table(results: dict[str, list[dict]]) -> str:
    backends = list(results)
    first = results[backends[0]][0]
    runs = len(results[backends[0]])
    lines = [f"{first['files']} files, {first['characters'] / 1e6:.2f} M characters; median of {runs} runs per tokenizer, "
             f"s per M characters (share of the total)", "",
             "| stage | " + " | ".join(backends) + " |", "|---|" + "---:|" * len(backends)]
    medians = {b: {s: statistics.median(r["seconds"][s] / r["characters"] * 1e6 for r in rows) for s in STAGES}
               for b, rows in results.items()}
    for stage in STAGES:
        cells = [f"{medians[b][stage]:.3f} ({medians[b][stage] / sum(medians[b].values()):.0%})" for b in backends]
        lines.append(f"| {stage} | " + " | ".join(cells) + " |")
    totals = [sum(medians[b].values()) for b in backends]
    lines.append("| total | " + " | ".join(f"{t:.3f} (→ {1 / t:.2f} M chars/s)" for t in totals) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_one":
        print(json.dumps(measure(argv[1])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default="benchmarks/work/corpus-12.5MB")
    parser.add_argument("--runs", type=int, default=3, help="runs per tokenizer (default: 3)")
    parser.add_argument("--out", help="also write the table to this Markdown file")
    args = parser.parse_args(argv)
    from cppcc_nlp.segment import rjieba_available

    backends = (["rjieba"] if rjieba_available() else []) + ["jieba"]
    results: dict[str, list[dict]] = {b: [] for b in backends}
    for run in range(args.runs):
        for backend in backends:
            load = os.getloadavg()[0]
            env = {**os.environ, "CPPCC_NLP_TOKENIZER": backend}
            out = subprocess.run([sys.executable, __file__, "_one", args.directory], env=env, check=True,
                                 capture_output=True, text=True).stdout
            result = json.loads(out.splitlines()[-1])
            assert result["backend"] == backend, result["backend"]
            results[backend].append(result)
            total = sum(result["seconds"].values()) / result["characters"] * 1e6
            print(f"run {run + 1}/{args.runs} {backend:<6} {total:.3f} s per M chars (load average before {load:.2f})",
                  file=sys.stderr, flush=True)
    text = table(results) + f"\n1-minute load average after the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores\n"
    print(text)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
