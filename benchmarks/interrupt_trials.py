"""Ctrl-C trials of `cppcc-nlp label --jobs 2`: every run must end within seconds, in one line, resumable.

    python benchmarks/interrupt_trials.py               # 28 trials on a 4 MiB archive
    python benchmarks/interrupt_trials.py --trials 60 --jobs 2

Each trial starts `cppcc-nlp label DIR -o out.jsonl --jobs J` in a process
group of its own, waits a random time (from 0 to about the length of a run,
the first fraction of a second included), and sends SIGINT to the whole group,
as a terminal's Ctrl-C does. It counts a trial as clean when the run ends
within --grace seconds with exit code 130 (0 when it had already finished; killed by
the signal, silently, when it came before Python could handle it),
stderr holds one line and no traceback, and the resumed run (`--resume`) gives
the bytes of an uninterrupted run. Results go to stdout and, with --json, to a file.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


def cli() -> list[str]:
    """The console script beside this Python (the installed one)."""
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "cppcc_nlp.cli"]


def build_archive(folder: Path, mebibytes: float) -> Path:
    """Copies of the seed report, each with its own first line, until the folder holds ``mebibytes`` MiB."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SEED.read_text(encoding="utf-8")
    size, number = 0, 0
    while size < mebibytes * 2**20:
        data = f"报告{number}\n{text}".encode("utf-8")
        (folder / f"r{number:05d}.txt").write_bytes(data)
        size += len(data)
        number += 1
    return folder


def default_sigint() -> None:
    """In the child before exec: SIGINT back to its default (a shell's ``&`` or nohup leaves it ignored)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@dataclass
class Trial:
    delay: float
    returncode: int | None  # None: still running after the grace period (killed)
    seconds_to_exit: float
    stderr_lines: int
    traceback: bool
    resumed_identical: bool | None

    @property
    def clean(self) -> bool:
        # -SIGINT with nothing on stderr: the signal came before Python set up its handler, as with any program
        ended = self.returncode in (0, 130) or (self.returncode == -signal.SIGINT and self.stderr_lines == 0)
        return ended and self.stderr_lines <= 1 and not self.traceback and self.resumed_identical is not False


def interrupt_once(archive: Path, work: Path, delay: float, jobs: int = 2, grace: float = 10.0,
                   reference: bytes | None = None, program: list[str] | None = None) -> Trial:
    """One run of ``label`` sent SIGINT (to its process group) after ``delay`` seconds; see the module doc."""
    out = work / "out.jsonl"
    for leftover in work.glob("out*"):
        leftover.unlink()
    command = (program or cli()) + ["label", str(archive), "-o", str(out), "--jobs", str(jobs), "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=default_sigint)
    time.sleep(delay)
    sent = time.perf_counter()
    try:
        os.killpg(proc.pid, signal.SIGINT)
    except ProcessLookupError:
        pass
    try:
        _, err = proc.communicate(timeout=grace)
        returncode = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
        returncode = None
    seconds = time.perf_counter() - sent
    identical = None
    if reference is not None and returncode in (0, 130):
        resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True)
        identical = resumed.returncode == 0 and out.read_bytes() == reference
    lines = [line for line in err.splitlines() if line.strip()]
    return Trial(delay, returncode, seconds, len(lines), "Traceback" in err, identical)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=28)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--size-mb", type=float, default=4.0)
    parser.add_argument("--grace", type=float, default=10.0, help="seconds a run may take to end after SIGINT")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the trials here")
    parser.add_argument("--program", help="run this instead of the installed cppcc-nlp (e.g. an older checkout's, "
                                          "for a side-by-side baseline)")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="interrupt-trials-") as scratch:
        scratch = Path(scratch)
        archive = build_archive(scratch / "in", args.size_mb)
        work = scratch / "work"
        work.mkdir()
        started = time.perf_counter()
        program = shlex.split(args.program) if args.program else cli()
        subprocess.run(program + ["label", str(archive), "-o", str(scratch / "ref.jsonl"), "--jobs", "1", "-q"],
                       check=True)
        run_seconds = time.perf_counter() - started
        reference = (scratch / "ref.jsonl").read_bytes()
        trials = []
        for number in range(args.trials):
            delay = rng.uniform(0.0, 0.3) if number % 4 == 0 else rng.uniform(0.0, run_seconds)
            trial = interrupt_once(archive, work, delay, args.jobs, args.grace, reference, program)
            trials.append(trial)
            print(f"{number + 1:3d} delay {delay:5.2f} s: exit {trial.returncode}, ended {trial.seconds_to_exit:.2f} s "
                  f"after SIGINT, {trial.stderr_lines} stderr line(s), traceback {trial.traceback}, "
                  f"resumed identical {trial.resumed_identical} -> {'clean' if trial.clean else 'FAILED'}", flush=True)
    hung = sum(t.returncode is None for t in trials)
    clean = sum(t.clean for t in trials)
    exits = [t.seconds_to_exit for t in trials if t.returncode is not None]
    print(f"{clean}/{len(trials)} clean; {hung} hung (> {args.grace:g} s); {sum(t.traceback for t in trials)} "
          f"with a traceback; seconds from SIGINT to exit: median {statistics.median(exits):.2f}, "
          f"max {max(exits):.2f}; load average {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(json.dumps({"trials": [asdict(t) for t in trials], "clean": clean, "hung": hung},
                                        indent=1), encoding="utf-8")
    return 0 if clean == len(trials) else 1


if __name__ == "__main__":
    sys.exit(main())
