"""Benchmark of `cppcc-nlp label` against the floor and plain jieba, on one generated corpus.

    python benchmarks/bench_label.py                 # 50 MB corpus, plus a 12.5 MB one for memory
    python benchmarks/bench_label.py --size-mb 5     # a quick run

Builds report-like documents (numbered sections of paragraphs) from the seed
report in corpus/raw/ and, when present, the texts of ../shared/external/*/*.jsonl
(read, never copied into the repository), until the corpus holds --size-mb MiB of
UTF-8; a share of the files is written in GB18030 as in real archives. The
corpus goes to --work-dir (default benchmarks/work/, ignored by git).

Then measures, each in a fresh process, on the same files:

1. floor: read each file, decode it and split it into sections and sentences;
2. jieba: plain ``jieba.lcut`` of each decoded document (only the cut is timed,
   the dictionary is loaded before);
3. label: ``cppcc-nlp label DIR -o out.jsonl`` end to end (process start,
   model loading, reading, labelling, writing) with --jobs 1 and --jobs 2.

Characters per second are over the decoded characters of the corpus, median of
--runs runs (runs of the four commands are interleaved). Peak memory is the
largest sum of the resident set sizes (RSS) of the measured process and all its
children, sampled every 50 ms in one more run of each command (not timed: the
sampler reads /proc and took about 5 % of the wall time from --jobs 2, which
needs both cores); PSS (shared pages divided between processes) is reported
beside it. Results go to benchmarks/results/ as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"
MiB = 1 << 20


# -- corpus ---------------------------------------------------------------------------------------


def source_documents() -> list[tuple[str, str]]:
    """(title, text) of the seed report(s) and of the external texts, when present."""
    docs = []
    for path in sorted((ROOT / "corpus" / "raw").glob("*.txt")):
        docs.append((path.stem, path.read_text(encoding="utf-8")))
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                text = record.get("text")
                if isinstance(text, str) and text.strip():
                    docs.append((str(record.get("title") or path.stem), text))
    return docs


NUMERALS = "一二三四五六七八九十"


def report_like(rng: random.Random, pieces: list[tuple[str, str]], year: int) -> str:
    """One report: a title, a lead-in, and numbered sections made of the pieces."""
    lines = [f"{year}年政协工作情况汇编", ""]
    for k, (title, text) in enumerate(pieces):
        heading = f"{NUMERALS[k % 10]}、{title.strip()[:30]}" if len(pieces) > 1 else title.strip()[:30]
        lines += [heading, ""]
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", text) if p.strip()]
        if rng.random() < 0.3 and len(paragraphs) > 3:  # vary the documents built from the same sources
            cut = rng.randrange(1, len(paragraphs))
            paragraphs = paragraphs[cut:] + paragraphs[:cut]
        lines += [f"\u3000\u3000{p}" for p in paragraphs] + [""]
    return "\n".join(lines) + "\n"


def build_corpus(directory: Path, size_mb: float, gbk_share: float, seed: int = 0) -> dict:
    """Write report-like .txt files until they hold ``size_mb`` MiB of UTF-8; return their statistics."""
    manifest = directory / "corpus.json"
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if info.get("size_mb") == size_mb and info.get("gbk_share") == gbk_share and info.get("seed") == seed:
            return info
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    rng = random.Random(seed)
    sources = source_documents()
    short = [d for d in sources if len(d[1]) < 8000]
    long = [d for d in sources if len(d[1]) >= 8000]
    target = size_mb * MiB
    utf8_bytes = chars = files = gbk = 0
    while utf8_bytes < target:
        if long and rng.random() < 0.35:
            pieces = [rng.choice(long)]
        else:
            pieces = [rng.choice(short) for _ in range(rng.randint(3, 12))]
        text = report_like(rng, pieces, rng.randint(2012, 2026))
        encoded = text.encode("utf-8")
        path = directory / f"{files // 500:03d}" / f"report-{files:06d}.txt"
        path.parent.mkdir(exist_ok=True)
        if rng.random() < gbk_share:
            path.write_bytes(text.encode("gb18030"))
            gbk += 1
        else:
            path.write_bytes(encoded)
        utf8_bytes += len(encoded)
        chars += len(text)
        files += 1
    info = {"size_mb": size_mb, "gbk_share": gbk_share, "seed": seed, "files": files, "gb18030_files": gbk,
            "characters": chars, "utf8_bytes": utf8_bytes, "sources": len(sources)}
    manifest.write_text(json.dumps(info, indent=2))
    return info


# -- the measured programs (run as `bench_label.py _floor DIR` etc. in a fresh process) ----------------


def corpus_files(directory: Path) -> list[Path]:
    return sorted(directory.rglob("*.txt"))


def run_floor(directory: Path) -> dict:
    from cppcc_nlp.reader import decode_bytes, parse_report

    chars = sentences = 0
    start = time.perf_counter()
    for path in corpus_files(directory):
        text, encoding = decode_bytes(path.read_bytes(), str(path))
        report = parse_report(text, path.stem, str(path), encoding)
        chars += len(text)
        sentences += len(report.sentences)
    return {"seconds": time.perf_counter() - start, "characters": chars, "sentences": sentences}


def run_jieba(directory: Path) -> dict:
    import logging

    import jieba

    from cppcc_nlp.reader import decode_bytes

    jieba.setLogLevel(logging.WARNING)
    jieba.lcut("预热词典")  # load the dictionary before timing
    chars = tokens = 0
    cut_seconds = 0.0
    for path in corpus_files(directory):
        text, _ = decode_bytes(path.read_bytes(), str(path))
        start = time.perf_counter()
        tokens += len(jieba.lcut(text))
        cut_seconds += time.perf_counter() - start
        chars += len(text)
    return {"seconds": cut_seconds, "characters": chars, "tokens": tokens}


# -- measuring -----------------------------------------------------------------------------------


def tree_memory(pid: int) -> tuple[int, int]:
    """(sum of RSS, sum of PSS) in bytes of a process and its descendants."""
    try:
        import psutil  # installed with dask.distributed (the cluster extra)
    except ImportError:
        sys.exit("bench_label.py measures memory with psutil: pip install psutil")

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0, 0
    rss = pss = 0
    for proc in procs:
        try:
            rss += proc.memory_info().rss
            with open(f"/proc/{proc.pid}/smaps_rollup") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (psutil.Error, OSError):
            continue
    return rss, pss


def measure(command: list[str], cwd: Path, sample_memory: bool) -> dict:
    """Run ``command``; its wall and CPU time, its JSON line on stdout if any, and with ``sample_memory``
    the peak memory of its process tree (sampling takes CPU from the command: a separate run)."""
    peak = {"rss": 0, "pss": 0}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss, pss = tree_memory(proc.pid)
            peak["rss"] = max(peak["rss"], rss)
            peak["pss"] = max(peak["pss"], pss)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    if sample_memory:
        sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    stop.set()
    if sample_memory:
        sampler.join()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {proc.returncode}:\n{err[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the command and every process it waited for
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"wall": wall, "cpu": cpu, "load_before": load, "peak_rss": peak["rss"], "peak_pss": peak["pss"]}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if lines:
        result.update(json.loads(lines[-1]))
    return result


def commands(corpus: Path, out_dir: Path) -> dict[str, list[str]]:
    me = [sys.executable, str(Path(__file__).resolve())]
    label = _label_command()
    return {
        "floor": [*me, "_floor", str(corpus)],
        "jieba": [*me, "_jieba", str(corpus)],
        "label_j1": [label, "label", str(corpus), "-o", str(out_dir / "j1.jsonl"), "--jobs", "1", "--quiet"],
        "label_j2": [label, "label", str(corpus), "-o", str(out_dir / "j2.jsonl"), "--jobs", "2", "--quiet"],
    }


def _label_command() -> str:
    """The ``cppcc-nlp`` script of this interpreter's environment (a venv not activated), else the one on PATH."""
    beside = Path(sys.executable).parent / "cppcc-nlp"
    if beside.exists():
        return str(beside)
    found = shutil.which("cppcc-nlp")
    if found is None:
        sys.exit("cppcc-nlp is not installed in this environment: pip install -e . first")
    return found


def startup(corpus: Path, out_dir: Path) -> dict:
    """Seconds of ``cppcc-nlp label`` on the smallest file: first run (empty cache) and repeat run.

    The first run compiles the model in a subprocess and caches it in the user's
    cache directory; later runs load it from there. The cold run uses a fresh
    XDG_CACHE_HOME; the warm runs, and every run of the table, use the user's
    own cache, which the second run here fills if it was empty.
    """
    label = _label_command()
    smallest = min(corpus.rglob("*.txt"), key=lambda p: p.stat().st_size)
    command = [label, "label", str(smallest), "-o", str(out_dir / "startup.jsonl"), "--quiet"]
    cold_cache = out_dir / "cold-cache"
    shutil.rmtree(cold_cache, ignore_errors=True)
    times = {}
    for name, env in (("cold", {**os.environ, "XDG_CACHE_HOME": str(cold_cache)}), ("warm", None), ("warm ", None)):
        started = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        times[name.strip()] = time.perf_counter() - started  # the second warm run is the one kept
    shutil.rmtree(cold_cache, ignore_errors=True)
    return {"startup_cold_s": times["cold"], "startup_warm_s": times["warm"]}


def bench_size(work: Path, size_mb: float, runs: int, gbk_share: float, names: list[str]) -> dict:
    corpus = work / f"corpus-{size_mb:g}MB"
    print(f"building corpus of {size_mb:g} MiB in {corpus} …", file=sys.stderr, flush=True)
    info = build_corpus(corpus, size_mb, gbk_share)
    out_dir = work / f"out-{size_mb:g}MB"
    out_dir.mkdir(parents=True, exist_ok=True)
    cmds = commands(corpus, out_dir)
    if any(name.startswith("label") for name in names):
        info.update(startup(corpus, out_dir))
    samples: dict[str, list[dict]] = {name: [] for name in names}
    memory: dict[str, dict] = {}
    for run in range(runs + 1):  # the timed runs, then one run with the memory sampler
        timed = run < runs
        for name in names:
            result = measure(cmds[name], ROOT, sample_memory=not timed)
            seconds = result.get("seconds", result["wall"])  # floor and jieba time themselves; label: wall
            result["chars_per_s"] = info["characters"] / seconds
            if timed:
                samples[name].append(result)
                what = f"run {run + 1}/{runs}"
            else:
                memory[name] = result
                what = "memory  "
            print(
                f"  {what} {name:<9} {seconds:7.2f} s  {result['chars_per_s'] / 1e6:6.3f} M chars/s  "
                + (f"peak RSS {result['peak_rss'] / MiB:6.0f} MiB (PSS {result['peak_pss'] / MiB:4.0f})  " if not timed else "")
                + f"CPU {result['cpu']:6.1f} s in {result['wall']:6.1f} s wall  (load before {result['load_before']:.2f})",
                file=sys.stderr,
                flush=True,
            )
    if "label_j1" in names and "label_j2" in names:
        same = (out_dir / "j1.jsonl").read_bytes() == (out_dir / "j2.jsonl").read_bytes()
        info["jobs_outputs_identical"] = same
    summary = {}
    for name, rows in samples.items():
        summary[name] = {
            "chars_per_s": statistics.median(r["chars_per_s"] for r in rows),
            "seconds": statistics.median(r.get("seconds", r["wall"]) for r in rows),
            "peak_rss_mib": memory[name]["peak_rss"] / MiB,
            "peak_pss_mib": memory[name]["peak_pss"] / MiB,
            "memory_run_chars_per_s": round(memory[name]["chars_per_s"]),
            "cpu_per_wall": statistics.median(r["cpu"] / r["wall"] for r in rows),
            "load_before": statistics.median(r["load_before"] for r in rows),
            "runs": [round(r["chars_per_s"]) for r in rows],
        }
    return {"corpus": info, "results": summary}


def markdown(report: dict) -> str:
    sizes = report["sizes"]
    main = sizes[0]
    res = main["results"]
    rows = [
        ("1. floor: read + decode + split sentences", "floor"),
        ("2. plain `jieba.lcut` (cut only)", "jieba"),
        ("3. `cppcc-nlp label --jobs 1` (end to end)", "label_j1"),
        ("3. `cppcc-nlp label --jobs 2` (end to end)", "label_j2"),
    ]
    header = "| measure | " + " | ".join(
        f"{s['corpus']['size_mb']:g} MiB: M chars/s | peak RSS (PSS) MiB" for s in sizes
    ) + " |"
    lines = [
        f"Corpus: {main['corpus']['files']:,} report-like files, {main['corpus']['characters'] / 1e6:.1f} M characters "
        f"({main['corpus']['size_mb']:g} MiB UTF-8, {main['corpus']['gb18030_files']} files in GB18030); "
        f"{report['runs']} timed runs, median; memory from one more run with the sampler; {report['machine']}.",
        "",
        header,
        "|---|" + "---:|---:|" * len(sizes),
    ]
    for label, name in rows:
        if name not in res:
            continue
        cells = []
        for s in sizes:
            r = s["results"].get(name)
            cells += [f"{r['chars_per_s'] / 1e6:.2f}", f"{r['peak_rss_mib']:.0f} ({r['peak_pss_mib']:.0f})"] if r else ["", ""]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    if all(k in res for k in ("floor", "jieba", "label_j1", "label_j2")):
        j1, j2, jb, fl = (res[k]["chars_per_s"] for k in ("label_j1", "label_j2", "jieba", "floor"))
        lines += [
            "",
            f"- label --jobs 1 / jieba.lcut: **{j1 / jb:.2f}×** (target ≥ 3×); --jobs 2 / jieba.lcut: {j2 / jb:.2f}×",
            f"- label --jobs 2 / --jobs 1: **{j2 / j1:.2f}×** (target ≥ 1.7×)",
            f"- label / floor: --jobs 1 {j1 / fl:.2f}×, --jobs 2 {j2 / fl:.2f}×",
            f"- peak memory, any measure, any size: {max(r['peak_rss_mib'] for s in sizes for r in s['results'].values()):.0f} MiB RSS "
            f"(target < 500 MB)",
            f"- --jobs 1 and --jobs 2 outputs byte-identical: {main['corpus'].get('jobs_outputs_identical')}",
            f"- cores busy (CPU time / wall time of the process tree): --jobs 1 {res['label_j1']['cpu_per_wall']:.2f}, "
            f"--jobs 2 {res['label_j2']['cpu_per_wall']:.2f}; 1-minute load average before the runs "
            f"(other work on the machine): {statistics.median(r['load_before'] for r in res.values()):.2f}",
        ]
    if "startup_warm_s" in main["corpus"]:
        lines.append(
            f"- startup (`label` of the smallest file): {main['corpus']['startup_warm_s']:.2f} s with the compiled model "
            f"cached (every run above), {main['corpus']['startup_cold_s']:.2f} s on a first run (empty cache)"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("_floor", "_jieba"):
        result = (run_floor if argv[0] == "_floor" else run_jieba)(Path(argv[1]))
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=50.0, help="corpus size in MiB of UTF-8 (default: 50)")
    parser.add_argument("--second-size-mb", type=float, help="second corpus size, for memory (default: a quarter)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure at the main size (default: 3)")
    parser.add_argument("--second-runs", type=int, default=1, help="runs per measure at the second size (default: 1)")
    parser.add_argument("--gbk-share", type=float, default=0.05, help="share of files in GB18030 (default: 0.05)")
    parser.add_argument("--work-dir", default=str(ROOT / "benchmarks" / "work"), help="corpus and outputs go here")
    parser.add_argument("--results", default=str(ROOT / "benchmarks" / "results"), help="where to write the table")
    parser.add_argument("--only", nargs="+", choices=("floor", "jieba", "label_j1", "label_j2"), help="measures to run")
    args = parser.parse_args(argv)
    work = Path(args.work_dir)
    names = args.only or ["floor", "jieba", "label_j1", "label_j2"]
    second = args.second_size_mb if args.second_size_mb is not None else args.size_mb / 4
    sizes = [bench_size(work, args.size_mb, args.runs, args.gbk_share, names)]
    if second > 0:
        sizes.append(bench_size(work, second, args.second_runs, args.gbk_share, names))
    report = {
        "runs": args.runs,
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.machine()}",
        "sizes": sizes,
    }
    table = markdown(report)
    print(table)
    results = Path(args.results)
    results.mkdir(parents=True, exist_ok=True)
    stem = f"bench_label-{args.size_mb:g}MB"
    (results / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (results / f"{stem}.md").write_text(table)
    print(f"written to {results / stem}.md and .json", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
