"""The shipped configuration's held-out figures: evaluation, calibration, learning curve, reliability diagram.

    python benchmarks/evaluation_report.py [--jobs 2] [--params JSON] [--skip-curve]

Writes benchmarks/results/evaluation.json (what ``cppcc-nlp evaluate --json``
writes), calibration.json, learning_curve.json, reliability.png and
evaluation.md. Only test-half units selected at random are scored (the
choice of configuration used the development half: heldout_configs.py).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CPPCC_NLP_SOURCES", str(ROOT.parent / "shared" / "external"))

from cppcc_nlp.corpus import load_corpus  # noqa: E402
from cppcc_nlp.model import ThemeClassifier  # noqa: E402
from cppcc_nlp.persist import load_engine  # noqa: E402
from cppcc_nlp.evaluation.curves import calibration_report, source_learning_curve  # noqa: E402
from cppcc_nlp.evaluation.report import format_evaluation, heldout_evaluation  # noqa: E402
from cppcc_nlp.evaluation.runner import run_protocol  # noqa: E402
from cppcc_nlp.evaluation.splits import is_reported  # noqa: E402
from cppcc_nlp.themes import THEME_IDS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--params", help="model parameters as JSON (default: the shipped model's)")
    parser.add_argument("--skip-curve", action="store_true")
    args = parser.parse_args()
    params = json.loads(args.params) if args.params else load_engine().params
    records = load_corpus()
    RESULTS.mkdir(parents=True, exist_ok=True)
    start = time.time()
    evaluation = heldout_evaluation(records, params, n_jobs=args.jobs)
    (RESULTS / "evaluation.json").write_text(json.dumps(evaluation, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(format_evaluation(evaluation), flush=True)
    print(f"evaluation: {time.time() - start:.0f} s", flush=True)

    calibrated = {**params, "calibration": "isotonic"} if params.get("calibration") is None else params
    held = run_protocol(records, lambda: ThemeClassifier(**calibrated), "source", only=is_reported, n_jobs=args.jobs)
    calibration = calibration_report(records, held)
    (RESULTS / "calibration.json").write_text(json.dumps(calibration, indent=1) + "\n", encoding="utf-8")
    lines = ["| theme | units | ECE before | ECE after | Brier before | Brier after |", "|---|---:|---:|---:|---:|---:|"]
    for theme in THEME_IDS:
        c = calibration[theme]
        lines.append(f"| {theme} | {c['units']} | {c['before']['ece']:.3f} | {c['after']['ece']:.3f} | "
                     f"{c['before']['brier']:.3f} | {c['after']['brier']:.3f} |")
    calibration_table = "\n".join(lines)
    print(calibration_table, flush=True)
    plot_reliability(calibration, RESULTS / "reliability.png")

    curve_table = ""
    if not args.skip_curve:
        curve = source_learning_curve(records, params, select=is_reported, n_jobs=args.jobs)
        (RESULTS / "learning_curve.json").write_text(json.dumps(curve, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        sources = sorted({row["source"] for row in curve})
        fractions = sorted({row["fraction"] for row in curve})
        lines = ["| training documents | " + " | ".join(sources) + " |", "|---|" + "---:|" * len(sources)]
        for fraction in fractions:
            cells = []
            for source in sources:
                row = next((r for r in curve if r["fraction"] == fraction and r["source"] == source), None)
                cells.append(f"{row['micro_f1']:.3f} ({row['training_units']})" if row else "–")
            lines.append(f"| {fraction:.0%} | " + " | ".join(cells) + " |")
        curve_table = "\n".join(lines)
        print(curve_table, flush=True)
    (RESULTS / "evaluation.md").write_text(
        "# Held-out evaluation of the shipped configuration\n\n"
        f"Parameters: `{json.dumps(params, sort_keys=True)}`\n\n" + format_evaluation(evaluation)
        + "\n\n## Calibration (leave one source out, isotonic inside fit)\n\n" + calibration_table
        + ("\n\n## Learning curve (leave one source out; micro-F1, training units in brackets)\n\n" + curve_table if curve_table else "")
        + "\n", encoding="utf-8")
    print(f"total: {time.time() - start:.0f} s")
    return 0


def plot_reliability(calibration: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(THEME_IDS), figsize=(3.2 * len(THEME_IDS), 3.4), sharey=True)
    for axis, theme in zip(axes, THEME_IDS):
        axis.plot([0, 1], [0, 1], color="grey", linewidth=0.8, linestyle="--")
        for key, style in (("before", "o-"), ("after", "s-")):
            points = calibration[theme][key]["points"]
            axis.plot([p[0] for p in points], [p[1] for p in points], style, markersize=3,
                      label=f"{key} (ECE {calibration[theme][key]['ece']:.3f})")
        axis.set_title(theme, fontsize=9)
        axis.set_xlabel("predicted probability")
        axis.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("share of units with the theme")
    figure.suptitle("Reliability on held-out sources (test half)", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
