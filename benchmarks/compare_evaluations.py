"""Two `cppcc-nlp evaluate --json` results side by side: micro-F1 per protocol and held-out group, and the change.

    python benchmarks/compare_evaluations.py BEFORE.json AFTER.json [--names "before" "after"] [--markdown OUT.md]

Both files must come from the same corpus (the units each row scores are compared and must agree).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path


def rows(before: dict, after: dict) -> list[dict]:
    """One row per protocol and held-out group present in both results."""
    out = []
    for protocol, groups in before["protocols"].items():
        for group, first in groups.items():
            second = after["protocols"].get(protocol, {}).get(group)
            if second is None:
                continue
            if first["units"] != second["units"]:
                raise SystemExit(f"{protocol}/{group}: {first['units']} units against {second['units']}: not the same corpus")
            a, b = first["model"]["micro_f1"], second["model"]["micro_f1"]
            out.append({"protocol": protocol, "group": group, "units": first["units"], "before": a, "after": b,
                        "change": round(b - a, 3)})
    return out


def markdown(table: list[dict], names: tuple[str, str]) -> str:
    lines = [f"| protocol | held out | units | {names[0]} | {names[1]} | change |", "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['protocol']} | {r['group']} | {r['units']:,} | {r['before']:.3f} | {r['after']:.3f} | {r['change']:+.3f} |"
              for r in table]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--names", nargs=2, default=("before", "after"))
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    args = parser.parse_args()
    table = rows(json.loads(args.before.read_text(encoding="utf-8")), json.loads(args.after.read_text(encoding="utf-8")))
    text = markdown(table, tuple(args.names))
    print(text, end="")
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
