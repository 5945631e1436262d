"""Where ``cppcc-nlp label --jobs 2`` starts to beat ``--jobs 1``: whole processes, paired, by input size.

    python benchmarks/jobs_crossover.py --work-dir /tmp/bench-scratch/work     # 1 … 50 MiB, 5 rounds
    python benchmarks/jobs_crossover.py --sizes 1 5 --runs 2                    # a quick look
    PLAIN/bin/python benchmarks/jobs_crossover.py --kinds archive --stem jobs_crossover-jieba   # a venv without rjieba

The command measured is the ``cppcc-nlp`` of the interpreter's venv.

For each size it builds the report-like archive of bench_label.py (same builder,
same seed, same GB18030 share) and one huge file holding the same text as a
single UTF-8 document. Each round runs ``cppcc-nlp label INPUT -o OUT --jobs 1
--quiet`` and ``--jobs 2`` back to back on each input, the order alternating;
the speed-up is wall(--jobs 1) / wall(--jobs 2) per round, median over rounds.
Results: benchmarks/results/jobs_crossover.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Callable

from bench_label import ROOT, _label_command, build_corpus, corpus_files, measure
from timing import load_average, paired_ratios, round_order, summarise

SIZES_MB = (1.0, 2.0, 5.0, 12.5, 25.0, 50.0)
GBK_SHARE = 0.05  # as bench_label.py's default
KINDS = ("archive", "one-file")


def build_huge_file(corpus: Path, directory: Path) -> Path:
    """One UTF-8 .txt in ``directory`` holding every document of ``corpus`` in order: one input, one document."""
    from cppcc_nlp.reader import decode_bytes

    target = directory / "archive.txt"
    source = json.loads((corpus / "corpus.json").read_text())
    manifest = directory / "source.json"
    if target.exists() and manifest.exists() and json.loads(manifest.read_text()) == source:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8") as out:
        for path in corpus_files(corpus):
            text, _ = decode_bytes(path.read_bytes(), str(path))
            out.write(text)
            out.write("\n")
    manifest.write_text(json.dumps(source))
    return target


def input_bytes(path: Path) -> int:
    """Bytes on disk of a file, or of the .txt files under a directory."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in corpus_files(path))


def label_command(label: str, source: Path, output: Path, jobs: str) -> list[str]:
    return [label, "label", str(source), "-o", str(output), "--jobs", jobs, "--quiet"]


def crossover(points: list[tuple[int, float]]) -> dict:
    """From (input bytes, median speed-up) pairs: the smallest measured size from which ``--jobs 2`` wins at
    every larger size, and the break-even size interpolated on log(bytes) below it (None when not bracketed)."""
    points = sorted(points)
    wins_from = None
    for index in range(len(points) - 1, -1, -1):
        if points[index][1] <= 1.0:
            break
        wins_from = index
    if wins_from is None:
        return {"wins_from_bytes": None, "break_even_bytes": None}
    break_even = None
    if wins_from > 0:
        (b0, r0), (b1, r1) = points[wins_from - 1], points[wins_from]
        share = (1.0 - r0) / (r1 - r0)
        break_even = round(math.exp(math.log(b0) + share * (math.log(b1) - math.log(b0))))
    return {"wins_from_bytes": points[wins_from][0], "break_even_bytes": break_even}


def run(work: Path, sizes: list[float], kinds: list[str], runs: int, large_mb: float, large_runs: int,
        write: Callable[[dict], None]) -> dict:
    """Build the inputs, run the paired rounds (sizes from ``large_mb`` on in the first ``large_runs`` only)
    and ``write`` the report (see markdown()) after every round; return the last one."""
    label = _label_command()
    cases = []
    for size in sizes:
        corpus = work / f"corpus-{size:g}MB"
        print(f"building {size:g} MiB archive and one-file copy under {work} …", file=sys.stderr, flush=True)
        info = build_corpus(corpus, size, GBK_SHARE)
        huge = build_huge_file(corpus, work / f"onefile-{size:g}MB") if "one-file" in kinds else None
        out_dir = work / f"crossover-out-{size:g}MB"
        out_dir.mkdir(parents=True, exist_ok=True)
        for kind, source in zip(KINDS, (corpus, huge)):
            if kind not in kinds:
                continue
            cases.append({"size_mb": size, "kind": kind, "input": str(source), "input_bytes": input_bytes(source),
                          "files": info["files"] if kind == "archive" else 1, "characters": info["characters"],
                          "out_dir": out_dir, "rounds": runs if size < large_mb else min(runs, large_runs),
                          "walls": {"1": [], "2": []}, "cpu": {"1": [], "2": []}, "load": []})
    smallest = Path(cases[0]["input"])
    for jobs in ("1", "2"):  # untimed: imports and model files into the page cache
        measure(label_command(label, smallest, cases[0]["out_dir"] / "warm-up.jsonl", jobs), ROOT, sample_memory=False)
    load_before = load_average()
    print(f"load average before: {load_before}", file=sys.stderr, flush=True)
    report = {}
    for round_index in range(runs):
        for index, case in enumerate(cases):
            if round_index >= case["rounds"]:
                continue
            for jobs in round_order(["1", "2"], round_index + index):
                result = measure(label_command(label, Path(case["input"]), output_path(case, jobs), jobs), ROOT,
                                 sample_memory=False)
                case["walls"][jobs].append(result["wall"])
                case["cpu"][jobs].append(result["cpu"])
                case["load"].append(result["load_before"])
                print(f"  round {round_index + 1}/{case['rounds']} {case['size_mb']:>5g} MiB {case['kind']:<8} "
                      f"--jobs {jobs}: {result['wall']:6.2f} s wall, {result['cpu']:6.2f} s CPU "
                      f"(load {result['load_before']:.2f})", file=sys.stderr, flush=True)
        load_after = load_average()
        print(f"load average after round {round_index + 1}: {load_after}", file=sys.stderr, flush=True)
        report = summary(cases, label, round_index + 1 == runs, load_before, load_after)
        write(report)
    return report


def output_path(case: dict, jobs: str) -> Path:
    return case["out_dir"] / f"{case['kind']}-j{jobs}.jsonl"


def summary(cases: list[dict], label: str, complete: bool, load_before: list[float], load_after: list[float]) -> dict:
    """The report of the rounds run so far."""
    rows = []
    for case in cases:
        walls, cpu = case["walls"], case["cpu"]
        rows.append({
            "size_mb": case["size_mb"], "kind": case["kind"], "input_bytes": case["input_bytes"],
            "files": case["files"], "characters": case["characters"],
            "jobs1_s": summarise(walls["1"]), "jobs2_s": summarise(walls["2"]),
            "jobs1_cpu_s": summarise(cpu["1"])["median"], "jobs2_cpu_s": summarise(cpu["2"])["median"],
            "speedup": summarise(paired_ratios(walls["1"], walls["2"])),
            "jobs2_cpu_per_wall": summarise(paired_ratios(cpu["2"], walls["2"]))["median"],
            "load_median": summarise(case["load"])["median"],
            "outputs_identical": output_path(case, "1").read_bytes() == output_path(case, "2").read_bytes(),
        })
    found = {kind: crossover([(r["input_bytes"], r["speedup"]["median"]) for r in rows if r["kind"] == kind])
             for kind in KINDS if any(r["kind"] == kind for r in rows)}
    version = subprocess.run([label, "--version"], capture_output=True, text=True).stdout.strip().splitlines()
    return {
        "command": f"cppcc-nlp label INPUT -o OUT --jobs 1|2 --quiet (whole process, {label})",
        "complete": complete, "runs": max(len(r["speedup"]["runs"]) for r in rows),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
        "version": version, "load_before": load_before, "load_after": load_after, "rows": rows, "crossover": found,
    }


def fastest(row: dict) -> float:
    """Fastest --jobs 1 run / fastest --jobs 2 run of a row."""
    return row["jobs1_s"]["min"] / row["jobs2_s"]["min"]


def markdown(report: dict) -> str:
    """The report as a Markdown table with the crossover under it."""
    lines = [
        ("**Partial: not all rounds run yet.** " if not report.get("complete", True) else "")
        + f"`--jobs 2` against `--jobs 1`, whole `cppcc-nlp label` processes; up to {report['runs']} paired rounds "
        f"(order alternating), medians; speed-up = wall(--jobs 1) / wall(--jobs 2) per round; fastest = fastest "
        f"--jobs 1 run / fastest --jobs 2 run (the least disturbed by other work). {report['machine']}; "
        f"load average (1, 5, 15 min) before {report['load_before']}, after {report['load_after']}.",
        "",
        "| input | MiB | files | input bytes | rounds | --jobs 1 s (CPU) | --jobs 2 s (CPU) | speed-up (min–max) "
        "| fastest | load | same output |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in report["rows"]:
        s = r["speedup"]
        lines.append(
            f"| {r['kind']} | {r['size_mb']:g} | {r['files']:,} | {r['input_bytes']:,} | {s['n']} | "
            f"{r['jobs1_s']['median']:.2f} ({r['jobs1_cpu_s']:.1f}) | {r['jobs2_s']['median']:.2f} ({r['jobs2_cpu_s']:.1f}) | "
            f"**{s['median']:.2f}×** ({s['min']:.2f}–{s['max']:.2f}) | {fastest(r):.2f}× | {r['load_median']:.1f} | "
            f"{'yes' if r['outputs_identical'] else 'NO'} |"
        )
    lines.append("")
    by_fastest = {kind: crossover([(r["input_bytes"], fastest(r)) for r in report["rows"] if r["kind"] == kind])
                  for kind in report["crossover"]}
    for kind in report["crossover"]:
        for how, found in (("median", report["crossover"][kind]), ("fastest runs", by_fastest[kind])):
            if found["wins_from_bytes"] is None:
                lines.append(f"- {kind}, {how}: `--jobs 2` does not win at any measured size")
                continue
            text = (f"- {kind}, {how}: `--jobs 2` wins from {found['wins_from_bytes']:,} input bytes on "
                    "(every larger size measured)")
            if found["break_even_bytes"] is not None:
                text += f"; break-even about {found['break_even_bytes']:,} bytes (interpolated on log bytes)"
            lines.append(text)
    largest = max((r for r in report["rows"] if r["kind"] == "archive"), key=lambda r: r["size_mb"], default=None)
    if largest is not None:
        met = "met" if largest["speedup"]["median"] >= 1.7 else "not met"
        lines.append(f"- archive at {largest['size_mb']:g} MiB: {largest['speedup']['median']:.2f}× (target ≥ 1.7×, {met})")
    lines.append(f"- {'; '.join(report['version'])}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=list(SIZES_MB), help="archive sizes in MiB of UTF-8")
    parser.add_argument("--runs", type=int, default=5, help="paired rounds (default: 5)")
    parser.add_argument("--large-mb", type=float, default=50.0, help="sizes from this one on get --large-runs")
    parser.add_argument("--large-runs", type=int, help="paired rounds at the large sizes (default: --runs)")
    parser.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS), help="inputs to measure")
    parser.add_argument("--stem", default="jobs_crossover", help="name of the result files (default: jobs_crossover)")
    parser.add_argument("--render", metavar="JSON", help="rewrite the table of an earlier run (beside it, as .md)")
    parser.add_argument("--work-dir", default=str(ROOT / "benchmarks" / "work"), help="inputs and outputs go here")
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results"), help="where to write the table")
    args = parser.parse_args(argv)
    if args.render:
        path = Path(args.render)
        path.with_suffix(".md").write_text(markdown(json.loads(path.read_text())))
        return 0
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)

    def write(report: dict) -> None:
        (results / f"{args.stem}.json").write_text(json.dumps(report, indent=2) + "\n")
        (results / f"{args.stem}.md").write_text(markdown(report))

    report = run(Path(args.work_dir), args.sizes, args.kinds, args.runs, args.large_mb, args.large_runs or args.runs,
                 write)
    print(markdown(report))
    print(f"written to {results / args.stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
