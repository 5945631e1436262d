"""Maintainers: pin the shipped model's card hash in the package (``cppcc_nlp/data/default_model.sha256``).

    python scripts/pin_shipped_model.py            # pin models/default of this clone
    python scripts/pin_shipped_model.py --check    # exit 1 unless the pin matches the card

The package refuses a shipped model whose card differs from the pin, so the
two are committed together. ``cppcc-nlp train --update-shipped-model``
retrains the shipped model and pins it in one step; this script re-pins a
model that changed otherwise (a card edited by hand, a model copied in).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the package of this clone, whatever is installed

from cppcc_nlp.training import pin_shipped_model, shipped_model_pin  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    """Pin (or with --check, compare) the card hash of the shipped model; the exit code."""
    parser = argparse.ArgumentParser(description="Pin the shipped model's card hash in cppcc_nlp/data.")
    parser.add_argument("directory", nargs="?", default=str(ROOT / "models" / "default"),
                        help="the shipped model directory (default: models/default of this clone)")
    parser.add_argument("--check", action="store_true", help="only check that the pin matches the card (exit 1 if not)")
    args = parser.parse_args(argv)
    pin, digest = shipped_model_pin(args.directory)
    if args.check:
        pinned = pin.read_text(encoding="ascii").split()[0] if pin.is_file() else "nothing"
        if pinned != digest:
            print(f"{pin} holds {pinned}, the card's sha256 is {digest}: run {Path(__file__).name} and commit it",
                  file=sys.stderr)
            return 1
        print(f"{pin} matches the card of {args.directory}")
        return 0
    pin_shipped_model(args.directory)
    print(f"pinned {digest[:12]}… in {pin}; commit it with the model")
    return 0


if __name__ == "__main__":
    sys.exit(main())
