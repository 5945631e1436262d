"""The speed benchmark's own logic: pairing, medians, targets, the table, argument parsing. No timing."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import jobs_crossover  # noqa: E402
import speed  # noqa: E402
import speed_report  # noqa: E402
import speed_runs  # noqa: E402
import timing  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def test_round_order_alternates():
    assert timing.round_order(["a", "b", "c"], 0) == ["a", "b", "c"]
    assert timing.round_order(["a", "b", "c"], 1) == ["c", "b", "a"]
    assert timing.round_order(["a", "b"], 4) == ["a", "b"]


def test_paired_ratios_are_per_round_and_refuse_unpaired_runs():
    assert timing.paired_ratios([2.0, 9.0, 3.0], [1.0, 3.0, 3.0]) == [2.0, 3.0, 1.0]
    with pytest.raises(ValueError):
        timing.paired_ratios([1.0, 2.0], [1.0])


def test_summarise_takes_the_median_of_the_ratios_not_the_ratio_of_medians():
    numerators, denominators = [10.0, 2.0, 3.0], [5.0, 2.0, 1.0]
    ratios = timing.paired_ratios(numerators, denominators)  # 2, 1, 3
    summary = timing.summarise(ratios)
    assert summary["median"] == 2.0 and summary["min"] == 1.0 and summary["max"] == 3.0 and summary["n"] == 3
    assert timing.summarise([4.0, 1.0])["median"] == 2.5
    with pytest.raises(ValueError):
        timing.summarise([])


def test_ratio_runs_with_the_fastest_of_several_commands_per_round():
    walls = {"j1": [4.0, 3.0], "j2": [2.0, 6.0], "auto": [2.0, 3.0], "jieba": [8.0, 9.0]}
    assert speed_runs.ratio_runs(walls, "jieba", "j1") == [2.0, 3.0]
    assert speed_runs.ratio_runs(walls, ("j1", "j2"), "auto") == [1.0, 1.0]


def test_targets_and_met():
    assert speed_report.met(3.2, (">=", 3.0)) is True
    assert speed_report.met(2.9, (">=", 3.0)) is False
    assert speed_report.met(1.2, ("<=", 1.5)) is True and speed_report.met(1.6, ("<=", 1.5)) is False
    assert speed_report.met(5.0, None) is None
    assert speed_report.parse_target(1.5) == (">=", 1.5)
    assert speed_report.parse_target("≥ 1.2×") == (">=", 1.2)
    assert speed_report.parse_target("<= 0.5") == ("<=", 0.5)
    assert speed_report.parse_target(None) is None and speed_report.parse_target("fast") is None


def test_table_rows_and_verdicts():
    rows = [speed_report.row("archive_jobs1", "archive: jieba / jobs 1", "extras (rjieba)", [3.5, 3.1, 3.3]),
            speed_report.row("archive_jobs2", "archive: jieba / jobs 2", "extras (rjieba)", [5.0]),
            speed_report.row("startup_warm", "start-up", "plain (jieba)", [2.0, 3.0])]
    assert rows[0]["met"] is True and rows[1]["met"] is None and rows[2]["met"] is False
    lines = speed_report.table(rows).splitlines()
    assert lines[0].startswith("| measurement | install | target |")
    assert lines[2] == "| archive: jieba / jobs 1 | extras (rjieba) | ≥ 3× | 3.30× (3.10–3.50) | yes |"
    assert lines[3] == "| archive: jieba / jobs 2 | extras (rjieba) | — | 5.00× | — |"
    assert lines[4] == "| start-up | plain (jieba) | ≤ 0.5× | 2.50× (2.00–3.00) | **no** |"


def test_classify_rows_from_either_shape_of_result():
    own = speed.classify_rows({"rows": [{"measurement": "classify 1,000 sentences", "median_ratio": 1.4,
                                         "target": "≥ 1.2×"}]}, "extras (rjieba)")
    assert [(r["measurement"], r["ratio"]["median"], r["target"], r["met"]) for r in own] == [
        ("classify 1,000 sentences", 1.4, (">=", 1.2), True)]
    flat = speed.classify_rows({"speed_ratio": 0.8, "runs": [0.7, 0.8, 0.9], "seconds": 2.0}, "plain (jieba)")
    assert len(flat) == 1 and flat[0]["ratio"]["n"] == 3 and flat[0]["target"] == speed_report.TARGETS["classify"]
    assert flat[0]["met"] is False


def test_quick_fills_in_smaller_settings_and_explicit_ones_win():
    args = speed.parse_args(["--quick", "--dry-run", "--work-dir", "/tmp/w"])
    assert (args.runs, args.archive_mb, args.small_docs, args.results) == (2, 5.0, 300, "/tmp/w")
    assert args.only == list(speed.SECTIONS)
    args = speed.parse_args(["--quick", "--runs", "3", "--only", "startup"])
    assert args.runs == 3 and args.only == ["startup"]
    full = speed.parse_args([])
    assert (full.runs, full.archive_mb, full.small_docs) == (5, 50.0, 1130)
    assert full.results.endswith("benchmarks/results")
    with pytest.raises(SystemExit):
        speed.parse_args(["--runs", "-1"])


def test_dry_run_prints_the_plan_and_runs_nothing(capsys, tmp_path):
    assert speed.main(["--quick", "--dry-run", "--work-dir", str(tmp_path)]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["runs"] == 2 and plan["archive_mb"] == 5.0 and plan["work_dir"] == str(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_segmentation_is_read_from_the_version_lines():
    assert speed.segmentation_of(["cppcc_nlp 0.1.0", "segmentation: rjieba 0.2.2"]) == "rjieba"
    assert speed.segmentation_of(["model: …; segmentation: jieba 0.42.1"]) is None
    assert speed.segmentation_of([]) is None


def test_crossover_is_the_size_from_which_jobs_2_always_wins():
    points = [(1_000_000, 0.6), (2_000_000, 0.9), (4_000_000, 1.1), (8_000_000, 1.3)]
    found = jobs_crossover.crossover(points)
    assert found["wins_from_bytes"] == 4_000_000
    assert 2_000_000 < found["break_even_bytes"] < 4_000_000
    assert jobs_crossover.crossover([(1, 1.2), (2, 0.9), (3, 1.1)]) == {"wins_from_bytes": 3, "break_even_bytes": 2}
    assert jobs_crossover.crossover([(1, 0.5), (2, 0.9)]) == {"wins_from_bytes": None, "break_even_bytes": None}
    assert jobs_crossover.crossover([(1, 1.5)]) == {"wins_from_bytes": 1, "break_even_bytes": None}


def test_jobs_auto_is_found_in_the_help_of_jobs_only():
    before = ("  -j JOBS, --jobs JOBS  worker processes, or -1 for all cores (default: 1)\n"
              "  --backend {local,dask}\n                        local processes (default) or auto")
    after = ("  -j JOBS, --jobs JOBS  processes: a number, -1 for every core, or auto (the\n"
             "                        default: one for small inputs, every core from 24 MiB)\n  --backend {local,dask}")
    assert speed.jobs_auto_in_help(before) is False
    assert speed.jobs_auto_in_help(after) is True
    assert speed.jobs_auto_in_help("usage: cppcc-nlp label [-j JOBS]") is False


def test_classify_rows_from_bench_classify_targets():
    result = {"list_speedup": 5.6, "rows": [
        {"measurement": "classify(list of 10k) speed-up over the pipeline", "median_ratio": 5.6, "target": ">= 4"},
        {"measurement": "cppcc-nlp label, first run / warm", "median_ratio": 1.1, "target": "<= 2"}]}
    rows = speed.classify_rows(result, "extras (rjieba)")
    assert [(r["target"], r["met"]) for r in rows] == [((">=", 5.0), True), (("<=", 2.0), True)]  # issue 24's


def test_render_takes_the_targets_again(tmp_path, capsys):
    rows = [speed_report.row("startup_warm", "start-up", "extras (rjieba)", [0.4], target=("<=", 1.0)),
            speed_report.row("classify", "classify list", "extras (rjieba)", [5.0], target=(">=", 4.0))]
    rows[0]["target"] = ("<=", 0.1)  # as an earlier TARGETS had it
    rows[0]["met"] = False
    report = {"runs": 1, "archive_runs": 1, "machine": "m", "commit": "c", "load_before": [1, 1, 1],
              "load_after": [1, 1, 1], "installs": [], "notes": [], "sections": {"startup": {"rows": rows}}}
    path = tmp_path / "speed.json"
    path.write_text(json.dumps(report))
    assert speed.main(["--render", str(path)]) == 0
    again = json.loads(path.read_text())["sections"]["startup"]["rows"]
    assert again[0]["target"] == list(speed_report.TARGETS["startup_warm"]) and again[0]["met"] is True
    assert again[1]["target"] == [">=", 5.0] and again[1]["met"] is True  # issue 24's for the default install
    assert "| start-up | extras (rjieba) | ≤ 0.5× | 0.40× | yes |" in (tmp_path / "speed.md").read_text()


def test_fastest_is_the_ratio_of_the_fastest_runs():
    row = {"jobs1_s": timing.summarise([9.0, 6.0, 8.0]), "jobs2_s": timing.summarise([4.0, 3.0, 7.0])}
    assert jobs_crossover.fastest(row) == 2.0


def test_targets_by_install_and_units_in_the_table():
    assert speed_report.target_for("small_jobs1", "extras (rjieba)") == (">=", 4.0)
    assert speed_report.target_for("small_jobs1", "plain (jieba)") == (">=", 1.5)
    assert speed_report.target_for("archive_jobs1_chars", "plain (jieba)") is None
    rows = [speed_report.row("archive_jobs1_chars", "chars", "extras (rjieba)", [2.5, 3.5, 3.25], unit="M chars/s"),
            speed_report.row("startup_import_classify", "import", "extras (rjieba)", [0.61, 0.4], unit="s"),
            speed_report.row("archive_peak_mb", "memory", "plain (jieba)", [312.4], unit="MB")]
    assert [r["met"] for r in rows] == [True, False, True]
    lines = speed_report.table(rows).splitlines()
    assert lines[2] == "| chars | extras (rjieba) | ≥ 3 M chars/s | 3.25 M chars/s (2.50–3.50) | yes |"
    assert lines[3] == "| import | extras (rjieba) | ≤ 0.5 s | 0.51 s (0.40–0.61) | **no** |"
    assert lines[4] == "| memory | plain (jieba) | ≤ 500 MB | 312 MB | yes |"


def test_classify_rows_take_issue_24s_targets_for_the_default_install():
    result = {"rows": [{"measurement": "classify(list of 10k) speed-up over the pipeline", "median_ratio": 4.5,
                        "target": ">= 4"},
                       {"measurement": "classify(one sentence) x1000 speed-up over the pipeline", "median_ratio": 4.5,
                        "target": ">= 3"}]}
    extras = speed.classify_rows(result, "extras (rjieba)")
    assert [(r["target"], r["met"]) for r in extras] == [((">=", 5.0), False), ((">=", 4.0), True)]
    plain = speed.classify_rows(result, "plain (jieba)")
    assert [r["target"] for r in plain] == [(">=", 4.0), (">=", 3.0)]


def test_a_timed_command_gives_its_wall_peak_memory_and_printed_value():
    command = speed_runs.Command("echo", [sys.executable, "-c", "import json; print(json.dumps({'seconds': 1.5}))"],
                                 reads="seconds")
    run = speed_runs.timed(command)
    assert run.value == 1.5 and run.wall > 0 and (run.peak_mb is None or 1 < run.peak_mb < 1000)
    assert speed_runs.printed_value("note\n0.25\n", "number") == 0.25
    assert speed_runs.printed_value("anything", None) is None
    with pytest.raises(RuntimeError, match="exited 3"):
        speed_runs.timed(speed_runs.Command("fails", [sys.executable, "-c", "raise SystemExit(3)"]))


def test_the_readmes_speed_table_is_the_result_files():
    report = speed_report.retarget(json.loads((ROOT / "benchmarks" / "results" / "speed.json").read_text()))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    begin = readme.index(speed_report.README_BEGIN) + len(speed_report.README_BEGIN) + 1
    assert readme[begin:readme.index(speed_report.README_END)] == speed_report.readme_table(report), \
        "run: python benchmarks/speed.py --readme benchmarks/results/speed.json"


def test_update_readme_replaces_only_the_marked_block(tmp_path):
    rows = [speed_report.row("startup_warm", "start-up", "extras (rjieba)", [0.4])]
    report = {"runs": 1, "archive_runs": 1, "machine": "m", "load_before": [1, 1, 1], "load_after": [2, 1, 1],
              "sections": {"startup": {"rows": rows}}}
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{speed_report.README_BEGIN}\nOLD-TABLE\n{speed_report.README_END}\nafter\n")
    assert speed_report.update_readme(readme, report) is True
    text = readme.read_text()
    assert text.startswith("before\n") and text.endswith(f"{speed_report.README_END}\nafter\n") and "OLD-TABLE" not in text
    assert "| `label small.txt` (one paragraph, warm) time" in text and "| ≤ 0.5× | **0.40×** | — |" in text
    assert speed_report.update_readme(readme, report) is False
    (tmp_path / "other.md").write_text("no markers")
    with pytest.raises(ValueError):
        speed_report.update_readme(tmp_path / "other.md", report)
