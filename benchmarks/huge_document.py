"""Peak memory of `cppcc-nlp label` on one huge single-file report (issue 12: under 500 MB for any input).

    python benchmarks/huge_document.py                  # 50 and 200 MiB single files
    python benchmarks/huge_document.py --sizes 12.5     # a quick run

Builds report-like documents as bench_label.py does (from the seed report and
the external texts, read, never copied into the repository), joins them into
one UTF-8 file of each size in --work-dir, and runs `cppcc-nlp label FILE -o
out.jsonl --jobs 1` on it, sampling the resident memory of its process tree
every 50 ms (bench_label.measure). Results: benchmarks/results/huge_document.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_label import MiB, _label_command, build_corpus, corpus_files, measure  # noqa: E402

HERE = Path(__file__).resolve().parent


def build_single_file(work: Path, size_mb: float) -> Path:
    """One file of ``size_mb`` MiB: the report-like documents of an archive of that size, one after the other."""
    target = work / f"one-{size_mb:g}MiB.txt"
    if target.exists() and target.stat().st_size >= size_mb * MiB * 0.99:
        return target
    archive = work / f"archive-{size_mb:g}"
    build_corpus(archive, size_mb, gbk_share=0.0)
    with open(target, "wb") as out:
        for path in corpus_files(archive):
            out.write(path.read_bytes())
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[50.0, 200.0], help="MiB of each single file")
    parser.add_argument("--work-dir", type=Path, default=HERE / "work")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "huge_document")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for size in args.sizes:
        path = build_single_file(args.work_dir, size)
        output = args.work_dir / "huge-out.jsonl"
        result = measure([_label_command(), "label", str(path), "-o", str(output), "--jobs", "1", "-q"],
                         args.work_dir, sample_memory=True)
        lines = sum(1 for _ in open(output, "rb"))
        rows.append({"mib": size, "bytes": path.stat().st_size, "sentences": lines, "seconds": round(result["wall"], 1),
                     "peak_rss_mb": round(result["peak_rss"] / 1e6, 1), "load_before": round(result["load_before"], 2)})
        print(json.dumps(rows[-1]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps({"runs": rows, "load_after": os.getloadavg()[0]}, indent=1))
    table = ["| single file | sentences | seconds | peak RSS (MB) | target |", "|---|---:|---:|---:|---|"]
    table += [f"| {r['mib']:g} MiB | {r['sentences']:,} | {r['seconds']} | {r['peak_rss_mb']} | < 500 MB: "
              f"{'met' if r['peak_rss_mb'] < 500 else 'NOT met'} |" for r in rows]
    args.out.with_suffix(".md").write_text("\n".join(table) + "\n")
    print("\n".join(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
