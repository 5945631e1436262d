"""speed.py's results as tables: rows against their targets, speed.md, and the README's "Speed and memory" table.

A row holds one measurement of one install: its median over rounds (a ratio,
seconds, millions of characters per second or megabytes: ``unit``), the
target and whether it is met. ``TARGETS`` gives each row's target by key,
or by key and install ("extras" is the default install with rjieba, "plain"
the jieba fallback).
"""

from __future__ import annotations

import re
import statistics
from pathlib import Path

from timing import summarise

Target = tuple[str, float]

# ">=" for speed-ups (baseline time / ours) and rates, "<=" for time ratios, seconds and memory.
# "own": this benchmark's choice, not an issue's (see benchmarks/README.md).
TARGETS: dict[str, Target | dict[str, Target] | None] = {
    "small_jobs1": {"extras": (">=", 4.0), "plain": (">=", 1.5)},  # issue 24
    "small_default": {"extras": (">=", 4.0), "plain": (">=", 1.5)},
    "small_peak_mb": ("<=", 500.0),
    "archive_jobs1": (">=", 3.0),
    "archive_jobs1_cut_only": None,
    "archive_jobs1_chars": {"extras": (">=", 3.0)},  # issue 24: million characters per second
    "archive_peak_mb": ("<=", 500.0),
    "archive_jobs2": None,
    "archive_jobs2_over_jobs1": (">=", 1.7),
    "archive_auto": None,
    "archive_auto_over_best": (">=", 0.95),  # own
    "classify": (">=", 1.0),  # own, for a row of measure() without a target
    "classify_list": {"extras": (">=", 5.0)},  # issue 24; the plain install keeps measure()'s own
    "classify_single": {"extras": (">=", 4.0)},
    "startup_warm": ("<=", 0.5),
    "startup_first": ("<=", 2.0),
    "startup_first_no_bytecode": None,
    "startup_import_classify": ("<=", 0.5),  # seconds
}
UNITS = {"×": "{:.2f}×", "s": "{:.2f} s", "M chars/s": "{:.2f} M chars/s", "MB": "{:.0f} MB"}
README_BEGIN = "<!-- speed table: written by benchmarks/speed.py from benchmarks/results/speed.json -->"
README_END = "<!-- end of the speed table -->"
# The README's rows, in order: (its text, the row key, and for classify the words its measurement holds).
README_ROWS = [
    ("{small} real documents ({small_chars} M chars), plain `jieba.initialize(); jieba.lcut` loop time / "
     "`label --jobs 1` time", "small_jobs1", None),
    ("the same, peak memory of `label --jobs 1`", "small_peak_mb", None),
    ("{archive} MiB archive ({archive_chars} M chars), `jieba.lcut` time (whole process) / `label --jobs 1` time",
     "archive_jobs1", None),
    ("the same, `jieba.lcut` time (the cut only) / `label --jobs 1` time", "archive_jobs1_cut_only", None),
    ("the same, characters per second of `label --jobs 1`", "archive_jobs1_chars", None),
    ("the same, peak memory of `label --jobs 1`", "archive_peak_mb", None),
    ("the same, `--jobs 1` time / `--jobs 2` time", "archive_jobs2_over_jobs1", None),
    ("`classify(list of 10,000 sentences)` / a hand-written `Pipeline(TfidfVectorizer(tokenizer=jieba.lcut), "
     "OneVsRestClassifier(LogisticRegression()))`", "classify", "list"),
    ("`classify(one sentence)` × 1,000 / the same pipeline, one sentence at a time", "classify", "one sentence"),
    ("`import cppcc_nlp` + the first `classify`, in a fresh process", "startup_import_classify", None),
    ("`label small.txt` (one paragraph, warm) time / `python -c \"import jieba; jieba.initialize()\"` time",
     "startup_warm", None),
    ("first run (empty cache directory) time / warm run time", "startup_first", None),
]


def install_kind(install: str) -> str:
    """"plain" for the jieba install, "extras" for the one with rjieba (by the install's name)."""
    return "plain" if install.startswith("plain") else "extras"


def target_for(key: str, install: str) -> Target | None:
    """The target of row ``key`` for ``install`` from TARGETS (None: no target)."""
    target = TARGETS.get(key)
    if isinstance(target, dict):
        return target.get(install_kind(install))
    return target


def row(key: str, measurement: str, install: str, values: list[float], target: Target | None = None,
        unit: str = "×") -> dict:
    """One line of the table: the median over rounds of ``values`` against its target (TARGETS' when not given)."""
    target = target_for(key, install) if target is None else target
    summary = summarise(values)
    return {"key": key, "measurement": measurement, "install": install, "target": target, "unit": unit,
            "ratio": summary, "met": met(summary["median"], target)}


def met(value: float, target: Target | None) -> bool | None:
    """Whether ``value`` meets ``target`` (op, bound); None without a target."""
    if target is None:
        return None
    op, bound = target
    return value >= bound if op == ">=" else value <= bound


def parse_target(value) -> Target | None:
    """A target as bench_classify may give it: a number (at least), or text like ">= 1.2", "≥ 1.2×", "<= 0.5"."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (">=", float(value))
    found = re.match(r"\s*(>=|≥|<=|≤)?\s*([0-9.]+)", str(value))
    if not found:
        return None
    return ("<=" if found.group(1) in ("<=", "≤") else ">=", float(found.group(2)))


def classify_target(measurement: str, install: str) -> Target | None:
    """TARGETS' target of a classify row of bench_classify's measure() (by its measurement's words), where
    TARGETS has one for it: else None, and measure()'s own target stands."""
    key = "classify_list" if "list" in measurement else "classify_single" if "one sentence" in measurement else None
    return target_for(key, install) if key else None


def retarget(report: dict) -> dict:
    """``report`` with every row's target and verdict taken again from TARGETS (classify rows keep measure()'s
    where TARGETS has none for them)."""
    for section in report["sections"].values():
        for r in section["rows"]:
            if r["key"] == "classify":
                r["target"] = classify_target(r["measurement"], r["install"]) or r["target"]
            else:
                r["target"] = target_for(r["key"], r["install"])
            r["met"] = met(r["ratio"]["median"], r["target"])
    return report


def value_text(value: float, unit: str = "×") -> str:
    return UNITS[unit].format(value)


def target_text(target: Target | None, unit: str = "×") -> str:
    if target is None:
        return "—"
    bound = f"{target[1]:g}×" if unit == "×" else f"{target[1]:g} {unit}"
    return f"{'≥' if target[0] == '>=' else '≤'} {bound}"


def table(rows: list[dict]) -> str:
    """The Markdown table: measurement, install, target, measured median (min–max over rounds), met."""
    lines = ["| measurement | install | target | measured (median, min–max) | met |", "|---|---|---:|---:|---|"]
    for r in rows:
        ratio, unit = r["ratio"], r.get("unit", "×")
        number = "{:.0f}" if unit == "MB" else "{:.2f}"
        spread = f" ({number.format(ratio['min'])}–{number.format(ratio['max'])})" if ratio["n"] > 1 else ""
        verdict = {True: "yes", False: "**no**", None: "—"}[r["met"]]
        lines.append(f"| {r['measurement']} | {r['install']} | {target_text(r['target'], unit)} | "
                     f"{value_text(ratio['median'], unit)}{spread} | {verdict} |")
    return "\n".join(lines) + "\n"


def seconds_table(sections: dict) -> str:
    """Median wall seconds (and peak memory where measured) of every command, section by section."""
    lines = ["| section | command | median s | peak MB | runs |", "|---|---|---:|---:|---:|"]
    for name, section in sections.items():
        peaks = section.get("peak_mb", {})
        for command, walls in section.get("walls", {}).items():
            peak = f"{max(peaks[command]):.0f}" if peaks.get(command) else "—"
            lines.append(f"| {name} | {command} | {statistics.median(walls):.2f} | {peak} | {len(walls)} |")
    return "\n".join(lines) + "\n"


def head_line(report: dict) -> str:
    partial = "" if report.get("complete", True) else "**Partial: not every section has run yet.** "
    return (partial + f"{report['runs']} paired rounds per section, {report['archive_runs']} for the archive (all "
            f"commands of a section back to back, order reversed every other round), ratios per round, medians; whole "
            f"processes. {report['machine']}; commit {report['commit']}; load average (1, 5, 15 min) before "
            f"{report['load_before']}, after {report['load_after']}.")


def markdown(report: dict) -> str:
    """speed.md: the head line, every row, the inputs and installs, and the median seconds."""
    rows = [r for section in report["sections"].values() for r in section["rows"]]
    lines = [head_line(report), "", table(rows)]
    small = report["sections"].get("small")
    if small:
        lines.append(f"- small job: {small['input']['documents']:,} external documents "
                     f"({', '.join(small['input'].get('sources', [])) or 'seed ' + str(small['input'].get('seed'))}), "
                     f"{small['input']['characters'] / 1e6:.2f} M characters; label outputs of every install and "
                     f"--jobs byte-identical: {small['outputs_identical']}")
    big = report["sections"].get("archive")
    if big:
        lines.append(f"- archive: {big['input']['files']:,} files, {big['input']['characters'] / 1e6:.1f} M characters "
                     f"({big['input']['size_mb']:g} MiB UTF-8); label outputs of every install and --jobs byte-identical: "
                     f"{big['outputs_identical']}")
    for install in report["installs"]:
        lines.append(f"- {install['name']}: {install['how']}; {'; '.join(install['version'][-1:])}")
    lines += [f"- note: {n}" for n in report["notes"]]
    lines += ["", "Median seconds:", "", seconds_table(report["sections"])]
    return "\n".join(lines)


def _cell(rows: list[dict], key: str, words: str | None, kind: str) -> str:
    found = [r for r in rows if r["key"] == key and install_kind(r["install"]) == kind
             and (words is None or words in r["measurement"])]
    if not found:
        return "—"
    r = found[0]
    text = value_text(r["ratio"]["median"], r.get("unit", "×"))
    return f"**{text}**" if r["met"] else text


def _targets_cell(rows: list[dict], key: str, words: str | None) -> str:
    """The default install's target, and the fallback's after it where that differs."""
    texts = {}
    for r in rows:
        if r["key"] == key and (words is None or words in r["measurement"]):
            texts[install_kind(r["install"])] = target_text(tuple(r["target"]) if r["target"] else None,
                                                            r.get("unit", "×"))
    shown = texts.get("extras", "—")
    if texts.get("plain", shown) not in (shown, "—"):
        shown += f" (fallback {texts['plain']})"
    return shown


def readme_table(report: dict) -> str:
    """The README's "Speed and memory" block: where the figures come from, then measurement × install."""
    rows = [r for section in report["sections"].values() for r in section["rows"]]
    small = report["sections"].get("small", {}).get("input", {})
    archive = report["sections"].get("archive", {}).get("input", {})
    names = {"small": f"{small.get('documents', 0):,}", "small_chars": f"{small.get('characters', 0) / 1e6:.2f}",
             "archive": f"{report.get('archive_mb', 0):g}", "archive_chars": f"{archive.get('characters', 0) / 1e6:.1f}"}
    loads = [report["load_before"][0], report["load_after"][0]]
    lines = [f"From one run of `python benchmarks/speed.py --runs {report['runs']} --archive-runs "
             f"{report['archive_runs']}` (whole processes, paired rounds, medians; {report['machine']}, shared "
             f"with other work; 1-minute load average {min(loads):g}–{max(loads):g} at the start and end). Bold: the "
             "target is met. The full table, with min–max, is "
             "[benchmarks/results/speed.md](benchmarks/results/speed.md).", "",
             "| measurement | target | default install | jieba fallback |", "|---|---:|---:|---:|"]
    for text, key, words in README_ROWS:
        cells = [_cell(rows, key, words, kind) for kind in ("extras", "plain")]
        if cells == ["—", "—"]:
            continue
        lines.append(f"| {text.format(**names)} | {_targets_cell(rows, key, words)} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines) + "\n"


def update_readme(readme: Path, report: dict) -> bool:
    """Replace the block between README_BEGIN and README_END in ``readme`` with ``readme_table(report)``;
    whether the file changed."""
    text = readme.read_text(encoding="utf-8")
    begin, end = text.find(README_BEGIN), text.find(README_END)
    if begin < 0 or end < begin:
        raise ValueError(f"{readme}: no speed-table markers ({README_BEGIN!r} … {README_END!r})")
    new = text[:begin + len(README_BEGIN)] + "\n" + readme_table(report) + text[end:]
    if new != text:
        readme.write_text(new, encoding="utf-8")
    return new != text
