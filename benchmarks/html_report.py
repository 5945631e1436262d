"""The HTML report of a 10,000-document archive (issue 25): file size, time to build, time until the overview is drawn.

    python benchmarks/html_report.py                    # 10,000 documents, 3 browser runs
    python benchmarks/html_report.py --docs 1000 --runs 1

Synthesises the archive from the committed seed report only: each document is
a title and 2-6 numbered sections whose paragraphs are sentences of the seed
report drawn at random (fixed seed), so documents differ in length, order and
mix of themes. The archive is one JSONL file in --work-dir (git-ignored).

Measured, each as a whole process (wall clock):

1. ``cppcc-nlp label archive.jsonl --id-field id -o labels.jsonl`` (the
   records file the page is compared with);
2. ``cppcc-nlp report labels.jsonl -o report.html`` (from the finished
   output: reading, explaining, writing) and ``--no-explain``;
3. ``cppcc-nlp report archive.jsonl --id-field id -o report.html`` (labelling
   included);
4. in headless Chromium (Debian's ``chromium``, driven by Playwright), for
   each of --runs fresh pages: time from navigation start until the overview
   is drawn (the page's own mark, set after the first frame that shows it),
   until the whole file is parsed (DOMContentLoaded), until the page is ready
   (marks restored, the route drawn); scrolling the overview from top to
   bottom (frames and their longest gap); opening the last document; a search
   over every sentence; and the JS heap after that.

Results: benchmarks/results/html_report.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from timing import load_average, summarise  # noqa: E402

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
NUMERALS = "一二三四五六七八九十"
HEADINGS = ("坚持党的领导", "协商议政", "民主监督", "助力脱贫攻坚", "委员队伍建设", "调查研究", "提案工作", "社情民意",
            "文史资料", "对外交往", "机关建设", "团结联谊")


def synthesise(path: Path, docs: int, seed: int = 25) -> dict:
    """``docs`` report-like documents made of the seed report's sentences, as JSONL (id, year, text)."""
    sys.path.insert(0, str(ROOT))
    from cppcc_nlp.reader import read_report

    report = read_report(SEED)
    sentences = [s.text for s in report.sentences if len(s.text) >= 8]
    rng = random.Random(seed)
    chars = 0
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(docs):
            year = 2012 + n % 14
            lines = [f"某市政协{year}年工作报告（第{n + 1}号）"]
            for k, heading in enumerate(rng.sample(HEADINGS, rng.randint(2, 6))):
                lines.append(f"{NUMERALS[k]}、{heading}")
                for _ in range(rng.randint(1, 4)):
                    lines.append("".join(rng.choice(sentences) for _ in range(rng.randint(1, 5))))
            text = "\n".join(lines)
            chars += len(text)
            handle.write(json.dumps({"id": f"doc-{n:05d}", "year": str(year), "text": text}, ensure_ascii=False) + "\n")
    return {"documents": docs, "characters": chars, "bytes": path.stat().st_size}


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds


def browser_runs(page: Path, runs: int, chromium: str) -> dict:
    """Open ``page`` ``runs`` times in fresh pages of headless Chromium; the page's own timings and a few actions."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        version = browser.version
        for _ in range(runs):
            tab = browser.new_page(viewport={"width": 1280, "height": 800})
            started = time.perf_counter()
            tab.goto(page.as_uri(), wait_until="commit", timeout=300_000)
            # selectors, not wait_for_function: the page's Content-Security-Policy forbids evaluating strings
            tab.wait_for_selector("html[data-overview=drawn]", state="attached", timeout=300_000)
            tab.wait_for_selector("html[data-ready=true]", state="attached", timeout=300_000)
            wall_ready = time.perf_counter() - started
            marks = tab.evaluate("""() => {
                const nav = performance.getEntriesByType("navigation")[0];
                return {overview_ms: window.cppccReport.overviewDrawnAt, parsed_ms: nav.domContentLoadedEventEnd,
                        rows: document.querySelectorAll('.ov-row[data-row]').length,
                        count: document.getElementById('ov-count').textContent};
            }""")
            scroll = tab.evaluate("""async () => {
                const body = document.getElementById('ov-body');
                const gaps = []; let last = performance.now(); const start = last;
                while (body.scrollTop + body.clientHeight < body.scrollHeight - 1) {
                    body.scrollTop += body.clientHeight * 3;
                    await new Promise(r => requestAnimationFrame(r));
                    const now = performance.now(); gaps.push(now - last); last = now;
                }
                const rows = document.querySelectorAll('.ov-row[data-row]');
                gaps.sort((a, b) => a - b);
                return {frames: gaps.length, ms: last - start, longest_frame_ms: gaps[gaps.length - 1],
                        median_frame_ms: gaps[Math.floor(gaps.length / 2)],
                        last_row: rows[rows.length - 1].dataset.row};
            }""")
            docs = len(json.loads(tab.evaluate("document.getElementById('report-data').textContent"))["docs"])
            t0 = time.perf_counter()
            tab.evaluate(f"location.hash = '#/doc/{docs - 1}'")
            tab.wait_for_selector("#d-body .sent")
            open_doc = time.perf_counter() - t0
            tab.evaluate("location.hash = '#/sentences'")
            tab.wait_for_selector(".s-item")
            t0 = time.perf_counter()
            search = tab.evaluate("""async () => {
                const box = document.getElementById('f-search'), count = document.getElementById('f-count');
                const before = count.dataset.count;
                const t = performance.now();
                box.value = '委员 协商'; box.dispatchEvent(new Event('input'));
                while (count.dataset.count === before) await new Promise(r => setTimeout(r, 5));
                return {ms: performance.now() - t - 120, matches: Number(count.dataset.count), of: Number(before)};
            }""")
            search["wall_s"] = time.perf_counter() - t0
            heap = tab.evaluate("performance.memory ? performance.memory.usedJSHeapSize : null")
            results.append({"overview_ms": marks["overview_ms"], "parsed_ms": marks["parsed_ms"],
                            "ready_wall_s": wall_ready, "overview_rows_in_dom": marks["rows"],
                            "overview_count": marks["count"], "scroll": scroll, "open_last_document_s": open_doc,
                            "search": search, "js_heap_bytes": heap})
            tab.close()
        browser.close()
    keys = ("overview_ms", "parsed_ms", "ready_wall_s", "open_last_document_s")
    return {"chromium": version, "runs": results,
            "summary": {key: summarise([r[key] for r in results]) for key in keys}
            | {"search_ms": summarise([r["search"]["ms"] for r in results]),
               "scroll_longest_frame_ms": summarise([r["scroll"]["longest_frame_ms"] for r in results]),
               "scroll_median_frame_ms": summarise([r["scroll"]["median_frame_ms"] for r in results])}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="fresh browser pages (default: 3)")
    parser.add_argument("--work-dir", type=Path, default=HERE / "work" / "html_report")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "html_report")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args(argv)
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    cli = [sys.executable, "-m", "cppcc_nlp.cli"]
    archive = work / "archive.jsonl"
    corpus = synthesise(archive, args.docs)
    labels = work / "labels.jsonl"
    for stale in work.glob("labels*"):
        stale.unlink()
    times = {
        "label_s": timed([*cli, "label", str(archive), "--id-field", "id", "-o", str(labels), "-q", "--jobs", "1"]),
        "report_from_labels_s": timed([*cli, "report", str(labels), "-o", str(work / "report.html"), "-q"]),
        "report_from_labels_no_explain_s": timed([*cli, "report", str(labels), "-o", str(work / "report-plain.html"),
                                                  "-q", "--no-explain"]),
        "report_from_archive_s": timed([*cli, "report", str(archive), "--id-field", "id", "-o",
                                        str(work / "report-direct.html"), "-q"]),
        "report_shares_by_document_s": timed([*cli, "report", str(labels), "-o", str(work / "report-shares.html"),
                                              "-q", "--shares", "count", "--by", "document"]),
    }
    sizes = {name: (work / name).stat().st_size for name in ("report.html", "report-plain.html", "report-shares.html")}
    sizes["labels.jsonl"] = labels.stat().st_size
    sentences = sum(1 for _ in open(labels, "rb"))
    browser = browser_runs(work / "report.html", args.runs, args.chromium)
    result = {
        "corpus": corpus | {"sentences": sentences},
        "seconds": {k: round(v, 2) for k, v in times.items()},
        "bytes": sizes,
        "page_to_records": round(sizes["report.html"] / sizes["labels.jsonl"], 3),
        "browser": browser,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "load_average": load_average()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))
    return 0


def markdown(result: dict) -> str:
    c, s, b, br = result["corpus"], result["seconds"], result["bytes"], result["browser"]["summary"]
    mb = lambda n: f"{n / 1e6:.1f} MB"  # noqa: E731
    med = lambda key: br[key]["median"]  # noqa: E731
    rng = lambda key, scale=1, unit="": (f"{med(key) * scale:.{1 if scale == 1 else 0}f}{unit} "  # noqa: E731
                                         f"({br[key]['min'] * scale:.1f}–{br[key]['max'] * scale:.1f})")
    runs = result["browser"]["runs"]
    lines = [
        f"# HTML report of {c['documents']:,} documents",
        "",
        f"`python benchmarks/html_report.py` — {c['documents']:,} documents synthesised from the seed report "
        f"({c['sentences']:,} sentences, {c['characters'] / 1e6:.1f} M characters), "
        f"{result['machine']['cpus']} cores, load average {', '.join(map(str, result['machine']['load_average']))} "
        f"at the end; Chromium {result['browser']['chromium']} headless, {len(runs)} fresh pages (median, min–max).",
        "",
        "| measurement | value |",
        "|---|---:|",
        f"| records file (`label -o labels.jsonl`) | {mb(b['labels.jsonl'])} |",
        f"| page (`report labels.jsonl`) | {mb(b['report.html'])} (**{result['page_to_records']:.2f}×** the records) |",
        f"| page without explanations (`--no-explain`) | {mb(b['report-plain.html'])} |",
        f"| page with shares by document (`--shares count --by document`) | {mb(b['report-shares.html'])} |",
        f"| `label` (for reference) | {s['label_s']:.1f} s |",
        f"| `report labels.jsonl` (read, explain, write) | {s['report_from_labels_s']:.1f} s |",
        f"| `report labels.jsonl --no-explain` | {s['report_from_labels_no_explain_s']:.1f} s |",
        f"| `report archive.jsonl` (labelling included) | {s['report_from_archive_s']:.1f} s |",
        f"| `report labels.jsonl --shares count --by document` | {s['report_shares_by_document_s']:.1f} s |",
        f"| overview drawn, from navigation start | **{rng('overview_ms', 1, ' ms')}** |",
        f"| whole file parsed (DOMContentLoaded) | {rng('parsed_ms', 1, ' ms')} |",
        f"| page ready (wall clock, from `goto`) | {rng('ready_wall_s', 1, ' s')} |",
        f"| scroll the overview top to bottom, 3 screens a frame ({runs[0]['scroll']['frames']} frames): median frame "
        f"| {rng('scroll_median_frame_ms', 1, ' ms')} |",
        f"| the same: longest frame | {rng('scroll_longest_frame_ms', 1, ' ms')} |",
        f"| open the last document (its block parsed, drawn) | {rng('open_last_document_s', 1000, ' ms')} |",
        f"| first search over every sentence (`委员 协商`: {runs[0]['search']['matches']:,} of "
        f"{runs[0]['search']['of']:,}) "
        f"| {rng('search_ms', 1, ' ms')} |",
        f"| JS heap after these | {mb(runs[-1]['js_heap_bytes'] or 0)} |",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
