"""The model card: what it says beside the model files (training data, held-out figures, calibration, use,
failure modes), its Markdown, and ``save_model``, which writes a model with its card.

The card's rendering sits here, above the evaluation whose tables it shows;
``persist`` only stores the files and the card bytes it is given.
"""

from __future__ import annotations

import datetime as _dt
import json
from importlib import resources
from pathlib import Path

from ..codebook import default_codebook
from ..corpus import corpus_hash, corpus_stats
from ..corpus.records import LabelRecord
from ..model import ThemeClassifier
from ..persist import write_model_directory
from .report import format_evaluation


def save_model(
    model: ThemeClassifier,
    directory: str | Path,
    records: list[LabelRecord],
    evaluation: dict | None = None,
    card_extra: dict | None = None,
    overwrite: bool = False,
) -> dict:
    """Write ``model.npz``, ``model.json``, ``model_card.json`` and ``MODEL_CARD.md``; return the card.

    The files are written to a temporary directory beside ``directory`` and
    swapped in as one step, so ``directory`` is always a whole model (the old
    one or the new one). A ``directory`` that holds another model is replaced
    only with ``overwrite``; see ``persist.check_model_output`` for what is refused.
    """
    training = {"training_data_sha256": corpus_hash(records), "training_units": len(records),
                "created": _dt.date.today().isoformat()}
    return write_model_directory(model, directory, training, evaluation, card_extra, card_markdown, overwrite)


def card_sections(records: list[LabelRecord], evaluation: dict | None = None, calibration: dict | None = None,
                  codebook=None) -> dict:
    """What the card says beside the files: training data per source and theme, held-out figures, use, failures.

    The notes on intended use and known failure modes are the CPPCC model's; a model of another codebook
    gets its codebook's name and description instead.
    """
    codebook = codebook or default_codebook()
    if codebook == default_codebook():
        notes = json.loads(resources.files("cppcc_nlp").joinpath("data", "card_notes.json").read_text(encoding="utf-8"))
    else:
        notes = {"intended_use": f"Labels sentences with the themes of the codebook {codebook.name!r}"
                                 + (f" ({codebook.description})" if codebook.description else "") + ".",
                 "failure_modes": []}
    stats = corpus_stats(records, codebook=codebook)
    training = {s.source: {"units": s.units, "documents": s.documents, "positives": s.positives} for s in stats.sources}
    lines = ["| source | units | documents | " + " | ".join(stats.units_per_theme) + " |",
             "|---|---:|---:|" + "---:|" * len(stats.units_per_theme)]
    for source, row in training.items():
        lines.append(f"| {source} | {row['units']} | {row['documents']} | "
                     + " | ".join(str(row["positives"][t]) for t in stats.units_per_theme) + " |")
    sections = {"training_data": "\n".join(lines), "training_data_by_source": training,
                "intended_use": notes["intended_use"], "failure_modes": notes["failure_modes"], "evaluation": None}
    if evaluation is not None:
        sections["evaluation"] = {"heldout": evaluation, "table": format_evaluation(evaluation)}
    if calibration is not None:
        sections["calibration"] = calibration
        where = calibration.get("where", "held-out sources") if isinstance(calibration.get("where"), str) else "held-out sources"
        themes = calibration.get("themes", calibration)
        rows = [f"Per theme, on {where}: the linear model's probabilities (before) and the isotonic map's (after).", "",
                "| theme | ECE before | ECE after | Brier before | Brier after |", "|---|---:|---:|---:|---:|"]
        for theme, c in themes.items():
            rows.append(f"| {theme} | {c['before']['ece']:.3f} | {c['after']['ece']:.3f} | "
                        f"{c['before']['brier']:.3f} | {c['after']['brier']:.3f} |")
        sections["calibration_table"] = "\n".join(rows)
    return sections


def card_markdown(card: dict) -> str:
    """The card as Markdown: what the model is, what it was trained on, how well it does."""
    lines = [
        "# Model card: cppcc_nlp theme classifier",
        "",
        f"- Created: {card['created']}",
        f"- Themes (column order): {', '.join(card['theme_ids'])}",
        f"- Training data: {card['training_units']} hand-labelled sentences, sha256 `{card['training_data_sha256'][:16]}…`",
        "- Files: " + ", ".join(f"`{name}` sha256 `{digest[:16]}…`" for name, digest in card["files"].items()),
        f"- Parameters: `{json.dumps(card['params'], ensure_ascii=False, sort_keys=True)}`",
        f"- Thresholds: {', '.join(f'{k} {v:.2f}' for k, v in card['thresholds'].items())}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
    ]
    for heading, key in (("Intended use", "intended_use"), ("Training data", "training_data"),
                         ("Calibration", "calibration_table"), ("Known failure modes", "failure_modes")):
        if card.get(key):
            lines += ["", f"## {heading}", "", card[key] if isinstance(card[key], str) else "\n".join(card[key])]
    evaluation = card.get("evaluation")
    if evaluation and evaluation.get("table"):
        lines += ["", "## Held-out evaluation", "", evaluation["table"]]
    return "\n".join(lines) + "\n"
