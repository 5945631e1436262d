"""speed.py's commands: whole processes timed in paired rounds, with their peak memory and what they print."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from timing import load_average, paired_ratios, round_order


@dataclass
class Command:
    name: str
    argv: list[str]
    env: dict[str, str] | None = None
    fresh_caches: tuple[str, ...] = ()  # environment variables pointed at a new empty directory for each run
    reads: str | None = None  # what it prints that is kept: "number" (its last line) or a key of the JSON it prints


@dataclass
class Run:
    wall: float  # seconds
    peak_mb: float | None  # the process's peak resident memory (its own children that it waited for included)
    value: float | None  # what the command printed (``Command.reads``)


def peak_mb(usage) -> float | None:
    """Peak resident memory in MB of an ``os.wait4`` resource usage (kilobytes on Linux, bytes on macOS)."""
    if usage is None:
        return None
    return usage.ru_maxrss / (1e6 if sys.platform == "darwin" else 1e3)


def printed_value(stdout: str, reads: str | None) -> float | None:
    """The number ``reads`` names in what a command printed: its last line as a number, or a key of its JSON."""
    if reads is None:
        return None
    last = stdout.strip().splitlines()[-1]
    return float(last) if reads == "number" else float(json.loads(last)[reads])


def timed(command: Command) -> Run:
    """One run of ``command`` (a whole process): wall seconds, peak memory, printed value; fails loudly on a
    non-zero exit."""
    env = dict(command.env if command.env is not None else os.environ)
    scratch = []
    for variable in command.fresh_caches:
        scratch.append(tempfile.mkdtemp(prefix=f"speed-{variable.lower()}-"))
        env[variable] = scratch[-1]
    try:
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(command.argv, env=env, stdout=out if command.reads else subprocess.DEVNULL,
                                    stderr=err, text=True, cwd=tempfile.gettempdir())  # no cppcc_nlp of the cwd
            usage = None
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = os.waitstatus_to_exitcode(status)
            else:
                proc.wait()
            wall = time.perf_counter() - start
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
    finally:
        for path in scratch:
            shutil.rmtree(path, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command.argv)} exited {proc.returncode}:\n{stderr[-2000:]}")
    return Run(wall, peak_mb(usage), printed_value(stdout, command.reads))


def paired_rounds(section: str, commands: list[Command], runs: int) -> dict:
    """Every command once per round, back to back, the order reversed every other round: walls, peak memory
    and printed values per command."""
    walls: dict[str, list[float]] = {c.name: [] for c in commands}
    peaks: dict[str, list[float]] = {c.name: [] for c in commands}
    values: dict[str, list[float]] = {c.name: [] for c in commands if c.reads}
    before = load_average()
    print(f"[{section}] load average before: {before}", file=sys.stderr, flush=True)
    for round_index in range(runs):
        for command in round_order(commands, round_index):
            run = timed(command)
            walls[command.name].append(run.wall)
            if run.peak_mb is not None:
                peaks[command.name].append(run.peak_mb)
            if command.reads:
                values[command.name].append(run.value)
            print(f"  [{section}] round {round_index + 1}/{runs} {command.name:<34} {run.wall:7.2f} s "
                  f"(load {os.getloadavg()[0]:.2f})", file=sys.stderr, flush=True)
    after = load_average()
    print(f"[{section}] load average after: {after}", file=sys.stderr, flush=True)
    return {"walls": walls, "peak_mb": {name: p for name, p in peaks.items() if p}, "values": values,
            "load_before": before, "load_after": after}


def ratio_runs(walls: dict[str, list[float]], numerator: str | tuple[str, ...], denominator: str | tuple[str, ...]) -> list[float]:
    """Per-round ratio of the walls; a tuple of names stands for the fastest of them in that round."""

    def per_round(names: str | tuple[str, ...]) -> list[float]:
        names = (names,) if isinstance(names, str) else names
        return [min(values) for values in zip(*(walls[n] for n in names))]

    return paired_ratios(per_round(numerator), per_round(denominator))
