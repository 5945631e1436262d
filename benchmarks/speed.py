"""Issues 13 and 24 ("fast by default", "fast on what users run") in one run: both installs, side by side.

    python benchmarks/speed.py --work-dir /tmp/bench-scratch/work                 # full: 45 min at load 5 on 2 cores
    python benchmarks/speed.py --quick --work-dir /tmp/bench-scratch/work         # smoke run: about 8 min there
    python benchmarks/speed.py --quick --dry-run                                  # print the plan, run nothing
    python benchmarks/speed.py --readme benchmarks/results/speed.json             # the README's table from a result

Installs: "plain" (jieba, no rjieba) and "extras" (rjieba). The extras install is
this interpreter's environment. The plain one is --plain-venv DIR (a venv
without rjieba) when given, else this environment with
CPPCC_NLP_TOKENIZER=jieba when ``cppcc-nlp --version`` then reports jieba, else
it is skipped with a note.

Sections, each in paired rounds (all commands of the section back to back, the
order reversed every other round; ratios per round, median over rounds):

- small job: the 1,130 documents of ../shared/external's CCTV CPPCC items and
  national work reports (1.35 M characters), one .txt each; whole processes:
  ``cppcc-nlp label DIR --jobs 1`` (its peak memory too) and with the default
  --jobs, against ``python -c "import jieba; jieba.initialize(); [jieba.lcut(t) ...]"``;
- archive: bench_label.py's 50 MiB report-like archive at --jobs 1 (its
  characters per second and peak memory too), 2 and auto (when the command
  line has it), against plain jieba.lcut of the same documents (bench_label.py's
  ``_jieba``), timed both ways: the whole process, and the cut alone as it
  reports it;
- classify: benchmarks/bench_classify.py's ``measure()`` in each install, when
  the file exists;
- start-up: ``cppcc-nlp label small.txt`` of a one-paragraph report, warm,
  against ``python -c "import jieba; jieba.initialize()"``; a first run
  (empty XDG_CACHE_HOME; also with no Python bytecode cache) against warm; and
  ``import cppcc_nlp`` + the first ``classify`` in seconds, timed inside a
  fresh process.

Results: speed.json and speed.md (measurement, target, median, met) in
benchmarks/results/ (a --quick run writes them into the work directory); a full
run also writes the README's "Speed and memory" table (speed_report.py).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench_label import EXTERNAL, ROOT, build_corpus
from speed_report import TARGETS, classify_target, markdown, parse_target, retarget, row, update_readme
from speed_runs import Command, paired_rounds, ratio_runs
from timing import load_average, paired_ratios

HERE = Path(__file__).resolve().parent
SECTIONS = ("small", "archive", "classify", "startup")
SMALL_SOURCES = ("cctv-xwlb-cppcc/xwlb_cppcc_items.jsonl", "gov-work-reports-national/national_gwr_1992_2025.jsonl")
SMALL_DOCS = 1130  # every document of SMALL_SOURCES
SEED = 0  # which documents a smaller small job (--small-docs) takes
README = ROOT / "README.md"
TOKENIZER_VARIABLE = "CPPCC_NLP_TOKENIZER"

JIEBA_LOOP = (
    "import pathlib, sys, jieba; jieba.initialize(); "
    "texts = [p.read_text(encoding='utf-8') for p in sorted(pathlib.Path(sys.argv[1]).glob('*.txt'))]; "
    "[jieba.lcut(t) for t in texts]"
)
JIEBA_INIT = "import jieba; jieba.initialize()"
FIRST_CLASSIFY = (  # seconds from before ``import cppcc_nlp`` to after the first ``classify``, in a fresh process
    "import time; t = time.perf_counter(); import cppcc_nlp; cppcc_nlp.classify('政协委员开展民主监督。'); "
    "print(time.perf_counter() - t)"
)
CLASSIFY = (  # start-up has its own section here: measure(startup=False) where measure() has that parameter
    "import inspect, json, sys; sys.path.insert(0, sys.argv[1]); import bench_classify; "
    "extra = {'startup': False} if 'startup' in inspect.signature(bench_classify.measure).parameters else {}; "
    "print(json.dumps(bench_classify.measure(runs=int(sys.argv[2]), **extra), default=str))"
)


# -- settings -------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line; --quick fills in smaller sizes and fewer runs where not given."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: 5 MiB archive, 300 documents, 2 runs")
    parser.add_argument("--dry-run", action="store_true", help="print the plan and exit")
    parser.add_argument("--render", metavar="JSON", help="rewrite the table of an earlier speed.json against the "
                        "current TARGETS (beside it, as .md) and exit")
    parser.add_argument("--readme", metavar="JSON", help="write the README's speed table from a speed.json and exit")
    parser.add_argument("--runs", type=int, help="paired rounds per section (default: 5; --quick: 2)")
    parser.add_argument("--archive-runs", type=int, help="paired rounds of the archive section (default: --runs)")
    parser.add_argument("--archive-mb", type=float, help="archive size in MiB of UTF-8 (default: 50; --quick: 5)")
    parser.add_argument("--small-docs", type=int, help=f"documents of the small job (default: all {SMALL_DOCS:,}; --quick: 300)")
    parser.add_argument("--only", nargs="+", choices=SECTIONS, help="sections to run (default: all)")
    parser.add_argument("--plain-venv", help="a venv of this project without rjieba, for the plain install")
    parser.add_argument("--work-dir", default=str(ROOT / "benchmarks" / "work"), help="inputs and outputs go here")
    parser.add_argument("--results", help="where speed.json and speed.md go (default: benchmarks/results; "
                        "--quick: the work directory)")
    args = parser.parse_args(argv)
    quick = args.quick
    args.runs = args.runs or (2 if quick else 5)
    args.archive_runs = args.archive_runs or args.runs
    args.archive_mb = args.archive_mb or (5.0 if quick else 50.0)
    args.small_docs = args.small_docs or (300 if quick else SMALL_DOCS)
    args.only = args.only or list(SECTIONS)
    if args.results is None:
        args.results = args.work_dir if quick else str(ROOT / "benchmarks" / "results")
    if args.runs < 1 or args.archive_runs < 1 or args.archive_mb <= 0 or args.small_docs < 1:
        parser.error("--runs, --archive-mb and --small-docs must be positive")
    return args


# -- installs -------------------------------------------------------------------------------------


@dataclass
class Install:
    """One installation of cppcc_nlp to measure: its interpreter, its command and extra environment."""

    name: str
    python: str
    label: str
    env: dict[str, str] = field(default_factory=dict)
    how: str = ""
    version: list[str] = field(default_factory=list)

    def environ(self, **extra: str) -> dict[str, str]:
        """The environment of its commands: bytecode caches written and used, as an installed package has them."""
        env = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}
        return {**env, **self.env, **extra}


def version_lines(label: str, env: dict[str, str]) -> list[str]:
    proc = subprocess.run([label, "--version"], capture_output=True, text=True, env=env)
    return proc.stdout.strip().splitlines() if proc.returncode == 0 else []


def segmentation_of(version: list[str]) -> str | None:
    """The tokenizer ``cppcc-nlp --version`` names ("rjieba", "jieba"), or None."""
    for line in version:
        found = re.match(r"segmentation:\s*(\w+)", line.strip())
        if found:
            return found.group(1)
    return None


def script_beside(python: str, name: str) -> str:
    """A console script of the venv of ``python`` (no resolving of symlinks: a venv's python is one)."""
    return str(Path(python).parent / name)


def find_installs(plain_venv: str | None, notes: list[str]) -> list[Install]:
    """The plain install (jieba) and the install with extras (rjieba) that can be measured here."""
    installs = []
    extras = Install("extras (rjieba)", sys.executable, script_beside(sys.executable, "cppcc-nlp"), how="this venv")
    extras.version = version_lines(extras.label, extras.environ())
    if segmentation_of(extras.version) == "rjieba":
        installs.append(extras)
    else:
        notes.append(f"extras install skipped: {extras.label} --version names {segmentation_of(extras.version)}, not rjieba")
    if plain_venv:
        python = str(Path(plain_venv) / "bin" / "python")
        plain = Install("plain (jieba)", python, script_beside(python, "cppcc-nlp"), how=f"venv {plain_venv}")
    else:
        plain = Install("plain (jieba)", sys.executable, extras.label, env={TOKENIZER_VARIABLE: "jieba"},
                        how=f"{TOKENIZER_VARIABLE}=jieba")
    plain.version = version_lines(plain.label, plain.environ())
    if segmentation_of(plain.version) == "jieba":
        installs.insert(0, plain)
    else:
        notes.append(f"plain install skipped: {plain.how} gives segmentation {segmentation_of(plain.version)}; "
                     "pass --plain-venv DIR (a venv of this project without rjieba)")
    return installs


def supports_jobs_auto(install: Install) -> bool:
    """Whether ``cppcc-nlp label --help`` offers ``--jobs auto``."""
    proc = subprocess.run([install.label, "label", "--help"], capture_output=True, text=True, env=install.environ())
    return jobs_auto_in_help(proc.stdout)


def jobs_auto_in_help(help_text: str) -> bool:
    """Whether the help of ``--jobs`` (up to the next option) mentions auto."""
    found = re.search(r"--jobs JOBS(.*?)(?:\s--?[a-z]|$)", " ".join(help_text.split()))
    return bool(found and re.search(r"\bauto\b", found.group(1)))


# -- inputs ---------------------------------------------------------------------------------------


def write_small_job(directory: Path, count: int, seed: int = SEED) -> dict:
    """The documents of SMALL_SOURCES (all of them, or ``count`` picked with ``seed``) as UTF-8 .txt files, one
    each; their statistics."""
    manifest = directory / "small-job.json"
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if info.get("documents") == count and info.get("seed") == seed and info.get("sources") == list(SMALL_SOURCES):
            return info
    texts = []
    for name in SMALL_SOURCES:
        with open(EXTERNAL / name, encoding="utf-8") as handle:
            texts += [t for t in (json.loads(line).get("text") for line in handle) if isinstance(t, str) and t.strip()]
    if len(texts) < count:
        sys.exit(f"the small job needs {count} documents, {', '.join(SMALL_SOURCES)} hold {len(texts)}")
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    picked = texts if count == len(texts) else random.Random(seed).sample(texts, count)
    for index, text in enumerate(picked):
        (directory / f"doc-{index:05d}.txt").write_text(text, encoding="utf-8")
    info = {"documents": count, "seed": seed, "sources": list(SMALL_SOURCES), "characters": sum(map(len, picked)),
            "utf8_bytes": sum(len(t.encode("utf-8")) for t in picked)}
    manifest.write_text(json.dumps(info))
    return info


def write_one_paragraph(path: Path) -> dict:
    """A one-paragraph report (title and first long paragraph of the seed report in corpus/raw)."""
    seed = sorted((ROOT / "corpus" / "raw").glob("*.txt"))[0].read_text(encoding="utf-8")
    lines = [line.strip() for line in seed.splitlines() if line.strip()]
    paragraph = next(line for line in lines if len(line) >= 60)
    text = f"{lines[0]}\n\n\u3000\u3000{paragraph}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return {"characters": len(text)}


# -- sections -------------------------------------------------------------------------------------


def label_argv(install: Install, source: Path, output: Path, *flags: str) -> list[str]:
    return [install.label, "label", str(source), "-o", str(output), "--quiet", *flags]


def small_job(work: Path, installs: list[Install], docs: int, runs: int) -> dict:
    directory = work / f"small-job-{docs}"
    info = write_small_job(directory, docs)
    out = work / "speed-out"
    out.mkdir(parents=True, exist_ok=True)
    commands = [Command("jieba loop", [sys.executable, "-c", JIEBA_LOOP, str(directory)])]
    outputs = []
    for i, install in enumerate(installs):
        env = install.environ()
        outputs += [out / f"small-{i}-j1.jsonl", out / f"small-{i}-default.jsonl"]
        commands += [Command(f"{install.name} --jobs 1", label_argv(install, directory, outputs[-2], "--jobs", "1"), env),
                     Command(f"{install.name} default --jobs", label_argv(install, directory, outputs[-1]), env)]
    measured = paired_rounds("small", commands, runs)
    rows = []
    for install in installs:
        rows += [row("small_jobs1", f"small job ({docs:,} docs): plain jieba loop time / `label --jobs 1` time",
                     install.name, ratio_runs(measured["walls"], "jieba loop", f"{install.name} --jobs 1")),
                 row("small_default", f"small job ({docs:,} docs): plain jieba loop time / `label` (default --jobs) time",
                     install.name, ratio_runs(measured["walls"], "jieba loop", f"{install.name} default --jobs"))]
        rows += peak_rows("small_peak_mb", f"small job ({docs:,} docs): peak memory of `label --jobs 1`", install.name,
                          measured, f"{install.name} --jobs 1")
    return {"input": info, **measured, "rows": rows, "outputs_identical": same_bytes(outputs)}


def peak_rows(key: str, measurement: str, install: str, measured: dict, command: str) -> list[dict]:
    """The row of a command's peak memory (the largest of its rounds, as every round's), where it was measured."""
    peaks = measured["peak_mb"].get(command)
    return [row(key, measurement, install, [max(peaks)], unit="MB")] if peaks else []


def same_bytes(paths: list[Path]) -> bool:
    """Whether the files hold the same bytes (the record outputs of every install and --jobs)."""
    return len({path.read_bytes() for path in paths}) == 1


def archive(work: Path, installs: list[Install], size_mb: float, runs: int, notes: list[str]) -> dict:
    corpus = work / f"corpus-{size_mb:g}MB"
    print(f"building the {size_mb:g} MiB archive in {corpus} …", file=sys.stderr, flush=True)
    info = build_corpus(corpus, size_mb, 0.05)
    out = work / "speed-out"
    out.mkdir(parents=True, exist_ok=True)
    commands = [Command("jieba.lcut", [sys.executable, str(HERE / "bench_label.py"), "_jieba", str(corpus)],
                        reads="seconds")]
    auto, outputs = {}, []
    for i, install in enumerate(installs):
        env = install.environ()
        auto[install.name] = supports_jobs_auto(install)
        for jobs in ("1", "2", "auto") if auto[install.name] else ("1", "2"):
            outputs.append(out / f"archive-{i}-j{jobs}.jsonl")
            commands.append(Command(f"{install.name} --jobs {jobs}", label_argv(install, corpus, outputs[-1], "--jobs", jobs), env))
        if not auto[install.name]:
            notes.append(f"{install.name}: `label --help` has no --jobs auto; the auto rows are left out")
    measured = paired_rounds("archive", commands, runs)
    walls = measured["walls"]
    size = f"{size_mb:g} MiB archive"
    rows = []
    for install in installs:
        name = install.name
        rows += [row("archive_jobs1", f"{size}: jieba.lcut time (whole process) / `label --jobs 1` time", name,
                     ratio_runs(walls, "jieba.lcut", f"{name} --jobs 1")),
                 row("archive_jobs1_cut_only", f"{size}: jieba.lcut time (the cut only) / `label --jobs 1` time", name,
                     paired_ratios(measured["values"]["jieba.lcut"], walls[f"{name} --jobs 1"])),
                 row("archive_jobs1_chars", f"{size}: characters per second of `label --jobs 1`", name,
                     [info["characters"] / 1e6 / wall for wall in walls[f"{name} --jobs 1"]], unit="M chars/s")]
        rows += peak_rows("archive_peak_mb", f"{size}: peak memory of `label --jobs 1`", name, measured,
                          f"{name} --jobs 1")
        rows += [row("archive_jobs2", f"{size}: jieba.lcut time / `label --jobs 2` time", name,
                     ratio_runs(walls, "jieba.lcut", f"{name} --jobs 2")),
                 row("archive_jobs2_over_jobs1", f"{size}: `--jobs 1` time / `--jobs 2` time", name,
                     ratio_runs(walls, f"{name} --jobs 1", f"{name} --jobs 2"))]
        if auto[name]:
            rows += [row("archive_auto", f"{size}: jieba.lcut time / `label --jobs auto` time", name,
                         ratio_runs(walls, "jieba.lcut", f"{name} --jobs auto")),
                     row("archive_auto_over_best", f"{size}: faster of `--jobs 1`, `--jobs 2` time / `--jobs auto` time",
                         name, ratio_runs(walls, (f"{name} --jobs 1", f"{name} --jobs 2"), f"{name} --jobs auto"))]
    return {"input": info, **measured, "rows": rows, "outputs_identical": same_bytes(outputs)}


def classify_rows(result: dict, install: str) -> list[dict]:
    """Table rows from bench_classify.measure()'s result: its "rows" when it gives them (each with a
    measurement or name, a ratio, median_ratio or median, and maybe a target), else one row per number
    whose key holds "ratio"; a missing target is TARGETS["classify"]."""
    found = []
    if isinstance(result.get("rows"), list):
        for item in result["rows"]:
            value = next((item[k] for k in ("median_ratio", "ratio", "median") if isinstance(item.get(k), (int, float))), None)
            if value is not None:
                found.append((str(item.get("measurement") or item.get("name") or "classify"), [float(value)],
                              parse_target(item.get("target"))))
    else:
        for key, value in result.items():
            if "ratio" in key and isinstance(value, (int, float)) and not isinstance(value, bool):
                runs = result.get(f"{key}_runs") or result.get("runs")
                runs = [float(r) for r in runs] if isinstance(runs, list) and runs and all(
                    isinstance(r, (int, float)) for r in runs) and statistics.median(runs) == value else [float(value)]
                found.append((f"classify: {key.replace('_', ' ')}", runs, parse_target(result.get("target"))))
    return [row("classify", name, install, runs, classify_target(name, install) or target or TARGETS["classify"])
            for name, runs, target in found]


def classify(installs: list[Install], runs: int, notes: list[str]) -> dict | None:
    if not (HERE / "bench_classify.py").exists():
        notes.append("classify: benchmarks/bench_classify.py does not exist yet; section skipped")
        print("classify: benchmarks/bench_classify.py does not exist yet; skipped", file=sys.stderr)
        return None
    results, rows = {}, []
    before = load_average()
    for install in installs:
        proc = subprocess.run([install.python, "-c", CLASSIFY, str(HERE), str(runs)], capture_output=True, text=True,
                              env=install.environ())
        if proc.returncode != 0:
            raise RuntimeError(f"bench_classify.measure() failed in {install.name}:\n{proc.stderr[-2000:]}")
        result = json.loads([line for line in proc.stdout.splitlines() if line.startswith("{")][-1])
        results[install.name] = result
        rows += classify_rows(result, install.name)
        print(f"  [classify] {install.name}: {result}", file=sys.stderr, flush=True)
    return {"results": results, "load_before": before, "load_after": load_average(), "rows": rows}


def startup(work: Path, installs: list[Install], runs: int) -> dict:
    small = work / "one-paragraph" / "small.txt"
    info = write_one_paragraph(small)
    out = work / "speed-out"
    out.mkdir(parents=True, exist_ok=True)
    commands = [Command("jieba.initialize()", [sys.executable, "-c", JIEBA_INIT])]
    for i, install in enumerate(installs):
        argv = label_argv(install, small, out / f"startup-{i}.jsonl")
        env = install.environ()
        commands += [Command(f"{install.name} import + classify", [install.python, "-c", FIRST_CLASSIFY], env,
                             reads="number"),
                     Command(f"{install.name} warm", argv, env),
                     Command(f"{install.name} first run", argv, env, ("XDG_CACHE_HOME",)),
                     Command(f"{install.name} first, no bytecode", argv, env, ("XDG_CACHE_HOME", "PYTHONPYCACHEPREFIX"))]
    measured = paired_rounds("startup", commands, runs)
    walls = measured["walls"]
    rows = []
    for install in installs:
        name = install.name
        rows += [row("startup_warm", "start-up: `label small.txt` (one paragraph, warm) time / `jieba.initialize()` time",
                     name, ratio_runs(walls, f"{name} warm", "jieba.initialize()")),
                 row("startup_first", "start-up: first run (empty XDG_CACHE_HOME) time / warm run time",
                     name, ratio_runs(walls, f"{name} first run", f"{name} warm")),
                 row("startup_first_no_bytecode", "start-up: first run, no bytecode either (empty PYTHONPYCACHEPREFIX) "
                     "time / warm run time", name, ratio_runs(walls, f"{name} first, no bytecode", f"{name} warm")),
                 row("startup_import_classify", "start-up: `import cppcc_nlp` + the first `classify`, seconds inside a "
                     "fresh process", name, measured["values"][f"{name} import + classify"], unit="s")]
    return {"input": info, **measured, "rows": rows}


# -- main ---------------------------------------------------------------------------------------


def git_commit() -> str:
    proc = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    return proc.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    work = Path(args.work_dir)
    plan = {"runs": args.runs, "archive_runs": args.archive_runs, "archive_mb": args.archive_mb, "small_docs": args.small_docs, "sections": args.only,
            "plain_venv": args.plain_venv, "work_dir": str(work), "results": args.results}
    if args.dry_run:
        print(json.dumps(plan, indent=2))
        return 0
    if args.render:
        path = Path(args.render)
        report = retarget(json.loads(path.read_text()))
        path.write_text(json.dumps(report, indent=2) + "\n")
        path.with_suffix(".md").write_text(markdown(report))
        print(markdown(report))
        return 0
    if args.readme:
        changed = update_readme(README, retarget(json.loads(Path(args.readme).read_text())))
        print(f"{README}: the speed table {'rewritten' if changed else 'already up to date'}", file=sys.stderr)
        return 0
    notes: list[str] = []
    installs = find_installs(args.plain_venv, notes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr)
    if not installs:
        sys.exit("no install to measure")
    load_before = load_average()
    print(f"load average before: {load_before}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    sections: dict[str, dict] = {}
    runners = {
        "small": lambda: small_job(work, installs, args.small_docs, args.runs),
        "archive": lambda: archive(work, installs, args.archive_mb, args.archive_runs, notes),
        "classify": lambda: classify(installs, args.runs, notes),
        "startup": lambda: startup(work, installs, args.runs),
    }
    for name in SECTIONS:
        if name not in args.only:
            continue
        found = runners[name]()
        if found is not None:
            sections[name] = found
        report = {
            **plan, "complete": name == [s for s in SECTIONS if s in args.only][-1],
            "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
            "commit": git_commit(), "load_before": load_before, "load_after": load_average(),
            "seconds": round(time.perf_counter() - started, 1), "notes": notes,
            "installs": [{"name": i.name, "how": i.how, "python": i.python, "version": i.version} for i in installs],
            "sections": sections,
        }
        (results / "speed.json").write_text(json.dumps(report, indent=2) + "\n")
        (results / "speed.md").write_text(markdown(report))
    print(f"load average after: {report['load_after']}; {report['seconds']:.0f} s in all", file=sys.stderr)
    print(markdown(report))
    print(f"written to {results / 'speed'}.md and .json", file=sys.stderr)
    if results.resolve() == (ROOT / "benchmarks" / "results").resolve() and set(args.only) == set(SECTIONS):
        update_readme(README, report)  # a full run: the README's table is this run's
        print(f"and the speed table of {README}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
