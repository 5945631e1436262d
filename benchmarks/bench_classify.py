"""classify() against a hand-written scikit-learn pipeline, side by side in one run; start-up times.

    python benchmarks/bench_classify.py              # 5 runs: about 2 minutes on 2 cores
    python benchmarks/bench_classify.py --runs 7 --json results.json

The sentences are those of the documents in ``../shared/external/*/*.jsonl``
(split by ``parse_report``), 10,000 of them drawn with a fixed seed; their
text is read at run time and never written out. The pipeline is
``Pipeline([("tfidf", TfidfVectorizer(tokenizer=jieba.lcut)), ("clf",
OneVsRestClassifier(LogisticRegression()))])`` fitted on the project corpus
(``load_corpus(sources=...)``) and asked ``predict_proba``. Each run times
the four workloads back to back (their order alternating between runs), so a
ratio is taken within a run, under the same load; the table gives medians.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"
SENTENCES = 10_000
SINGLES = 1_000
SEED = 0
FIRST_CLASSIFY = (
    "import sys, time; t = time.perf_counter(); from cppcc_nlp import classify; classify('政协委员开展民主监督。'); "
    "print(time.perf_counter() - t, any(m == 'sklearn' or m.startswith('sklearn.') for m in sys.modules))"
)


def external_sentences(external: Path = EXTERNAL) -> list[str]:
    """Every sentence of the external documents, in file and line order."""
    from cppcc_nlp.reader import parse_report

    paths = sorted(external.glob("*/*.jsonl"))
    if not paths:
        raise SystemExit(f"{external}: no */*.jsonl documents to measure with")
    sentences = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                text = json.loads(line).get("text") if line.strip() else None
                if text:
                    sentences.extend(s.text for s in parse_report(text, f"{path.stem}-{number}").sentences)
    return sentences


def fit_pipeline(external: Path = EXTERNAL):
    """The hand-written scikit-learn pipeline, fitted on the project corpus."""
    import jieba
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import MultiLabelBinarizer

    from cppcc_nlp.corpus import load_corpus
    from cppcc_nlp.themes import THEME_IDS

    jieba.setLogLevel(60)
    records = load_corpus(sources=external)
    labels = MultiLabelBinarizer(classes=list(THEME_IDS)).fit_transform([r.labels for r in records])
    pipeline = Pipeline([("tfidf", TfidfVectorizer(tokenizer=jieba.lcut)),
                         ("clf", OneVsRestClassifier(LogisticRegression()))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # token_pattern is unused with a tokenizer
        pipeline.fit([r.text for r in records], labels)
    return pipeline


def _seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


class _Precomputed:
    """A model whose probabilities are already known: ``predict_many`` with it times the Prediction objects alone."""

    def __init__(self, engine, probabilities) -> None:
        self.themes, self.thresholds, self.probabilities = engine.themes, engine.thresholds, probabilities

    def predict_proba(self, texts, contexts=None):
        return self.probabilities[: len(texts)].copy()


def _environment(**extra: str) -> dict[str, str]:
    """The environment of the timed processes: the cppcc_nlp this process imported first, bytecode caches
    written and used (as an installed package has them), whatever PYTHONDONTWRITEBYTECODE says here."""
    import cppcc_nlp

    env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
    home = str(Path(cppcc_nlp.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([home] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.update(extra)
    return env


def _startup(runs: int) -> dict:
    """Fresh processes: ``import cppcc_nlp`` + the first ``classify``, and whether scikit-learn was imported."""
    inside, whole, sklearn = [], [], False
    command = [sys.executable, "-c", FIRST_CLASSIFY]
    cwd = tempfile.gettempdir()  # not a directory holding another cppcc_nlp, which ``-c`` would import first
    subprocess.run(command, check=True, capture_output=True, env=_environment(), cwd=cwd)
    for _ in range(runs):
        started = time.perf_counter()
        out = subprocess.run(command, check=True, capture_output=True, text=True, env=_environment(),
                             cwd=cwd).stdout.split()
        whole.append(time.perf_counter() - started)
        inside.append(float(out[0]))
        sklearn = sklearn or out[1] == "True"
    return {"import_first_classify_s": statistics.median(inside),
            "process_first_classify_s": statistics.median(whole), "first_classify_imports_sklearn": sklearn}


def _label_cli(runs: int, paragraph: str) -> dict:
    """``cppcc-nlp label`` of a one-paragraph report (warm, and with fresh caches) beside ``jieba.initialize()``."""
    label = [sys.executable, "-m", "cppcc_nlp.cli", "label"]
    jieba_init = [sys.executable, "-c", "import jieba; jieba.setLogLevel(60); jieba.initialize()"]
    warm, first, jieba_s = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "small.txt"
        report.write_text("政协工作报告\n" + paragraph + "\n", encoding="utf-8")
        command = label + [str(report), "-o", str(Path(tmp) / "out.jsonl")]

        def run(argv: list[str], env: dict[str, str]) -> float:
            return _seconds(lambda: subprocess.run(argv, check=True, capture_output=True, cwd=tmp, env=env))

        run(command, _environment())  # the user's caches (jieba's, bytecode) exist from here on
        run(jieba_init, _environment())
        for number in range(runs):
            first.append(run(command, _environment(XDG_CACHE_HOME=str(Path(tmp) / f"cache{number}"))))
            warm.append(run(command, _environment()))
            jieba_s.append(run(jieba_init, _environment()))
    return {"label_warm_s": statistics.median(warm), "label_first_s": statistics.median(first),
            "jieba_initialize_s": statistics.median(jieba_s),
            "label_warm_over_jieba": statistics.median(w / j for w, j in zip(warm, jieba_s)),
            "label_first_over_warm": statistics.median(f / w for f, w in zip(first, warm))}


def measure(runs: int = 5, external: str | os.PathLike = EXTERNAL, startup: bool = True) -> dict:
    """Time ``classify`` against the scikit-learn pipeline, ``runs`` times side by side; medians.

    Keys (seconds unless named otherwise; every ratio is taken within one run, then the median):

    - ``runs``, ``sentences`` (10,000), ``singles`` (1,000), ``loadavg_before``, ``loadavg_after`` (1-minute);
    - ``list_classify_per_s``, ``list_pipeline_per_s``: sentences per second of ``classify(list)`` and of
      ``pipeline.predict_proba(list)``; ``list_speedup``: pipeline time / classify time;
    - ``single_classify_per_s``, ``single_pipeline_per_s``: calls per second of ``classify(s)`` and of
      ``pipeline.predict_proba([s])``; ``single_speedup``;
    - ``list_speedup_runs``, ``single_speedup_runs``: the ratio of each run;
    - ``list_prediction_share``, ``single_prediction_share``: the part of classify's time spent building
      ``Prediction`` objects (``predict_many`` with the probabilities already known);
    - with ``startup``: ``import_first_classify_s`` (in a fresh process, from before ``import cppcc_nlp`` to
      the end of the first ``classify``), ``process_first_classify_s`` (the whole process),
      ``first_classify_imports_sklearn`` (bool); ``label_warm_s`` and ``label_first_s`` (``cppcc-nlp label``
      of a one-paragraph report, warm and with an empty XDG_CACHE_HOME), ``jieba_initialize_s``
      (``python -c "import jieba; jieba.initialize()"``), ``label_warm_over_jieba``, ``label_first_over_warm``;
    - ``rows``: one dict per target (``measurement``, ``median_ratio``, ``target`` such as ``">= 4"``).
    """
    if runs < 1:
        raise ValueError(f"runs must be 1 or more, got {runs}")
    from cppcc_nlp import classify
    from cppcc_nlp.api import default_engine, predict_many

    loadavg_before = os.getloadavg()[0]
    external = Path(external)
    sentences = external_sentences(external)
    sample = random.Random(SEED).sample(sentences, SENTENCES)
    singles = sample[:SINGLES]
    pipeline = fit_pipeline(external)
    pipeline.predict_proba(sample[:10])  # jieba's dictionary is loaded by now; this warms the rest
    classify(sample[:10])
    known = _Precomputed(default_engine(), default_engine().predict_proba(sample))

    def list_pipeline():
        pipeline.predict_proba(sample)

    def list_classify():
        classify(sample)

    def single_pipeline():
        for text in singles:
            pipeline.predict_proba([text])

    def single_classify():
        for text in singles:
            classify(text)

    times = {name: [] for name in ("list_pipeline", "list_classify", "single_pipeline", "single_classify",
                                   "list_objects", "single_objects")}
    for run in range(runs):
        work = [("list_pipeline", list_pipeline), ("list_classify", list_classify),
                ("single_pipeline", single_pipeline), ("single_classify", single_classify),
                ("list_objects", lambda: predict_many(known, sample)),
                ("single_objects", lambda: [predict_many(known, [text]) for text in singles])]
        for name, job in (work if run % 2 == 0 else work[::-1]):
            times[name].append(_seconds(job))
    median = statistics.median

    def ratio(a: str, b: str) -> float:
        return median(x / y for x, y in zip(times[a], times[b]))

    result = {
        "runs": runs, "sentences": SENTENCES, "singles": SINGLES, "loadavg_before": loadavg_before,
        "list_speedup_runs": [p / c for p, c in zip(times["list_pipeline"], times["list_classify"])],
        "single_speedup_runs": [p / c for p, c in zip(times["single_pipeline"], times["single_classify"])],
        "list_classify_per_s": SENTENCES / median(times["list_classify"]),
        "list_pipeline_per_s": SENTENCES / median(times["list_pipeline"]),
        "list_speedup": ratio("list_pipeline", "list_classify"),
        "single_classify_per_s": SINGLES / median(times["single_classify"]),
        "single_pipeline_per_s": SINGLES / median(times["single_pipeline"]),
        "single_speedup": ratio("single_pipeline", "single_classify"),
        "list_prediction_share": ratio("list_objects", "list_classify"),
        "single_prediction_share": ratio("single_objects", "single_classify"),
    }
    rows = [("classify(list of 10k) speed-up over the pipeline", result["list_speedup"], ">= 4"),
            ("classify(one sentence) x1000 speed-up over the pipeline", result["single_speedup"], ">= 3")]
    if startup:
        result.update(_startup(runs))
        result.update(_label_cli(runs, "".join(sentences[:4])))  # a paragraph: a document's first sentences
        rows += [("cppcc-nlp label one paragraph, warm / jieba.initialize()", result["label_warm_over_jieba"], "<= 0.5"),
                 ("cppcc-nlp label, first run / warm", result["label_first_over_warm"], "<= 2")]
    result["rows"] = [{"measurement": name, "median_ratio": value, "target": target} for name, value, target in rows]
    result["loadavg_after"] = os.getloadavg()[0]
    return result


def format_table(result: dict) -> str:
    """The measurements as a small plain-text table."""
    rows = [
        ("classify(list of 10k)", f"{result['list_classify_per_s']:,.0f}/s",
         f"pipeline {result['list_pipeline_per_s']:,.0f}/s", f"{result['list_speedup']:.2f}x"),
        ("classify(one) x1000", f"{result['single_classify_per_s']:,.0f}/s",
         f"pipeline {result['single_pipeline_per_s']:,.0f}/s", f"{result['single_speedup']:.2f}x"),
        ("Prediction objects", f"list {100 * result['list_prediction_share']:.1f} %",
         f"single {100 * result['single_prediction_share']:.1f} %", "of classify"),
    ]
    if "import_first_classify_s" in result:
        rows += [
            ("import + first classify", f"{result['import_first_classify_s']:.3f} s",
             f"process {result['process_first_classify_s']:.3f} s",
             "sklearn imported" if result["first_classify_imports_sklearn"] else "no sklearn"),
            ("cppcc-nlp label (warm)", f"{result['label_warm_s']:.3f} s",
             f"jieba.initialize {result['jieba_initialize_s']:.3f} s", f"{result['label_warm_over_jieba']:.2f}x"),
            ("cppcc-nlp label (first)", f"{result['label_first_s']:.3f} s", "", f"{result['label_first_over_warm']:.2f}x warm"),
        ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.append(f"medians of {result['runs']} runs; load average {result['loadavg_before']:.2f} before, "
                 f"{result['loadavg_after']:.2f} after")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(ROOT))  # this checkout's package, as the timed processes get it
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs (default: 5)")
    parser.add_argument("--external", default=str(EXTERNAL), help="directory of */*.jsonl documents")
    parser.add_argument("--no-startup", action="store_true", help="leave out the start-up and CLI timings")
    parser.add_argument("--json", help="also write the numbers to this JSON file")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.external, startup=not args.no_startup)
    print(format_table(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
