"""How long each notebook takes to run top to bottom in a fresh kernel, as tests/test_notebooks.py runs it.

    python benchmarks/notebook_times.py [--runs 3]

Writes benchmarks/results/notebook_times.json: per notebook the median wall time of ``--runs`` runs (kernel
start included), with the machine's core count and load average before and after. The README's notebook
times are this file's figures (tests/test_readme_figures.py checks that they agree).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "benchmarks" / "results" / "notebook_times.json"


def run_once(path: Path) -> float:
    import nbclient
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory() as work:
        os.environ["XDG_CACHE_HOME"] = str(Path(work) / "cache")
        client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                         resources={"metadata": {"path": work}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MPLBACKEND", "Agg")
    os.environ.setdefault("CPPCC_NLP_SOURCES", str(ROOT.parent / "shared" / "external"))
    load_before = os.getloadavg()
    notebooks = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        times = [run_once(path) for _ in range(args.runs)]
        notebooks[path.stem] = {"median_seconds": round(statistics.median(times), 1),
                                "runs": [round(t, 2) for t in times]}
        print(f"{path.stem}: {notebooks[path.stem]['median_seconds']} s {notebooks[path.stem]['runs']}")
    result = {"notebooks": notebooks, "cores": os.cpu_count(), "load_before": [round(x, 2) for x in load_before],
              "load_after": [round(x, 2) for x in os.getloadavg()], "runs": args.runs}
    RESULT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"-> {RESULT}")


if __name__ == "__main__":
    main()
