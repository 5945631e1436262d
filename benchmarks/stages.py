"""Where `cppcc-nlp label` spends its time: seconds per million characters, stage by stage.

    python benchmarks/stages.py benchmarks/work/corpus-12.5MB     # a corpus built by bench_label.py

Runs in one process over the .txt files of a directory, batch by batch as
``batch.labeller.Labeller`` does, timing: reading and decoding, splitting into sentences
(the reader), each feature block of the compiled model (word n-grams, which
include the rjieba segmentation; character n-grams; cue words), the linear
model, and writing the JSON lines. For a function-level view, run the command
itself under cProfile:

    python -m cProfile -s tottime -m cppcc_nlp.cli label DIR -o /tmp/out.jsonl -q | head -40
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from cppcc_nlp.batch import BATCH_DOCS, Item, Options, load_spec
from cppcc_nlp.batch.labeller import PREDICT_CHARS, labeller_for
from cppcc_nlp.reader import decode_bytes, parse_report, read_bytes


def main(directory: str) -> int:
    files = sorted(Path(directory).rglob("*.txt"))
    labeller = labeller_for(load_spec())
    model = labeller.predictor
    names = ["read + decode", "split (reader)", "word n-grams (incl. rjieba)", "char n-grams", "cue words",
             "linear model", "labels + JSON lines"]
    seconds = dict.fromkeys(names, 0.0)
    chars = 0
    labeller.label([Item("warm", "warm", text="政协委员开展调研。")], Options())  # build the tokenizer first

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
        for start in range(0, len(sentences), 4000):  # about PREDICT_CHARS characters per chunk
            chunk = sentences[start:start + 4000]
            blocks = [timed(name, part, chunk) for name, part in zip(names[2:5], model.parts)]
            timed("linear model", _linear, model, blocks)
        probabilities = model.predict_proba(sentences)
        offset = 0
        for report in reports:
            n = len(report.sentences)
            masks, steps = labeller._labels_and_steps(probabilities[offset:offset + n])
            offset += n
            names_ = [section.name for section in report.sections]
            timed("labels + JSON lines", labeller.encoder.records, report.doc_id, names_, report.sentences, masks, steps, "jsonl")
    total = sum(seconds.values())
    print(f"{len(files)} files, {chars / 1e6:.2f} M characters (chunks of about {PREDICT_CHARS:,} characters)\n")
    print("| stage | s per M chars | share |\n|---|---:|---:|")
    for name in names:
        print(f"| {name} | {seconds[name] / chars * 1e6:.3f} | {seconds[name] / total:.0%} |")
    print(f"| total | {total / chars * 1e6:.3f} | → {chars / total / 1e6:.2f} M chars/s |")
    return 0


def _linear(model, blocks):
    """The shipped model's logistic regressions over the feature blocks."""
    from scipy import sparse
    from scipy.special import expit

    scores = sparse.hstack(blocks).tocsr() @ model.coef
    scores += model.intercept
    return expit(scores, out=scores)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "benchmarks/work/corpus-12.5MB"))
