"""Save and load models as pure data: arrays (``model.npz``) and JSON (``model.json``), with a card.

Loading runs no code from the files: ``model.npz`` is read with
``allow_pickle=False`` and ``model.json`` is JSON, so a model file from
anywhere is safe to open, and it loads under any supported scikit-learn, or
with no scikit-learn at all (``load_engine``, as a labelling process does).
The card (``model_card.json``) keeps the sha256 of each file; each file is
hashed and parsed from the same bytes, and a file whose hash differs from
the card's is refused. The shipped model's card hash is pinned in the
package (``data/default_model.sha256``).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import platform
import zipfile
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .engine import Engine
from .errors import ModelError
from .segment import Segmenter

if TYPE_CHECKING:
    from .corpus import LabelRecord
    from .model import ThemeClassifier

CARD_FORMAT = "cppcc_nlp-model/2"
OLD_CARD_FORMATS = ("cppcc_nlp-model/1",)
ARRAYS_FILE = "model.npz"
DATA_FILE = "model.json"
CARD_FILE = "model_card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
MODEL_FILES = (ARRAYS_FILE, DATA_FILE)
TRACKED_LIBRARIES = ("scikit-learn", "jieba", "rjieba", "numpy", "scipy")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # a fixed date in the archive: the same model gives the same bytes


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES + ("cppcc_nlp",):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def default_model_dir() -> Path:
    """The shipped model: ``models/default`` of the checkout, installed as ``cppcc_nlp.default_model``."""
    try:
        packaged = Path(str(resources.files("cppcc_nlp.default_model")))
        if (packaged / CARD_FILE).is_file():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "models" / "default"


def pinned_default_hash() -> str:
    """The sha256 of the shipped model's card, as pinned in the package."""
    return resources.files("cppcc_nlp").joinpath("data", "default_model.sha256").read_text(encoding="ascii").split()[0]


# -- writing ------------------------------------------------------------------------------


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` archive (what ``np.savez_compressed`` writes) with fixed dates, names in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            value = np.asarray(arrays[name])
            if value.dtype == object:
                raise ValueError(f"array {name!r} holds Python objects; a model file holds plain arrays only")
            member = io.BytesIO()
            np.lib.format.write_array(member, value, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, member.getvalue())
    return buffer.getvalue()


def model_data(model: ThemeClassifier) -> dict[str, bytes]:
    """The bytes of each model file of a fitted model."""
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(model, "engine_")
    meta, arrays = model.engine_.to_data()
    segmenter = model.engine_segmenter()
    data = {
        "format": CARD_FORMAT,
        "params": {k: v for k, v in model.get_params().items() if k != "codebook"},  # the engine holds the codebook
        "engine": meta,
        "segmenter": None if segmenter is None else {
            "lexicon": [list(pair) for pair in segmenter.lexicon],
            "stopwords": sorted(segmenter.stopwords),
            "backend": segmenter.backend,
        },
    }
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
    return {ARRAYS_FILE: _npz_bytes(arrays), DATA_FILE: text.encode("utf-8")}


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def save_model(
    model: ThemeClassifier,
    directory: str | Path,
    records: list[LabelRecord],
    evaluation: dict | None = None,
    card_extra: dict | None = None,
) -> dict:
    """Write ``model.npz``, ``model.json``, ``model_card.json`` and ``MODEL_CARD.md``; return the card."""
    from .corpus import corpus_hash

    training = {"training_data_sha256": corpus_hash(records), "training_units": len(records),
                "created": _dt.date.today().isoformat()}
    return _write_model_directory(model, Path(directory), training, evaluation, card_extra)


def _write_model_directory(model: ThemeClassifier, directory: Path, training: dict, evaluation, extra) -> dict:
    """The model files, then the card that names their hashes, then its Markdown; an old pickle is removed."""
    directory.mkdir(parents=True, exist_ok=True)
    files = model_data(model)
    for name, data in files.items():
        _write_atomically(directory / name, data)
    stale = directory / "model.joblib"
    if stale.exists():
        stale.unlink()
    card = {
        "format": CARD_FORMAT,
        "theme_ids": [str(c) for c in model.classes_],
        "thresholds": {str(c): round(float(t), 4) for c, t in zip(model.classes_, model.thresholds_)},
        "params": {k: v for k, v in model.get_params().items() if k != "codebook"},  # the engine holds the codebook
        "files": {name: sha256_of(data) for name, data in sorted(files.items())},
        "training_data_sha256": training["training_data_sha256"],
        "training_units": training["training_units"],
        "versions": library_versions(),
        "evaluation": evaluation,
        "created": training["created"],
        **(extra or {}),
    }
    _write_atomically(directory / CARD_FILE, (json.dumps(card, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    _write_atomically(directory / CARD_MARKDOWN, card_markdown(card).encode("utf-8"))
    return card


def card_sections(records: list[LabelRecord], evaluation: dict | None = None, calibration: dict | None = None,
                  codebook=None) -> dict:
    """What the card says beside the files: training data per source and theme, held-out figures, use, failures.

    The notes on intended use and known failure modes are the CPPCC model's; a model of another codebook
    gets its codebook's name and description instead.
    """
    from .codebook import default_codebook
    from .corpus import corpus_stats
    from .protocols import format_evaluation

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


# -- reading ------------------------------------------------------------------------------


def read_card(directory: str | Path) -> dict:
    """The card of a model directory, refused with a clear message if it is not a current cppcc_nlp card."""
    path = Path(directory) / CARD_FILE
    try:
        raw = path.read_bytes()
        card = json.loads(raw.decode("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no model card; cppcc_nlp only loads models saved with their card") from None
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path}: model card is not valid JSON: {exc}") from None
    if isinstance(card, dict) and card.get("format") in OLD_CARD_FORMATS:
        raise ModelError(
            f"{Path(directory)}: an old pickled model ({card['format']}), which this version does not load "
            "(unpickling runs code and breaks across scikit-learn versions). Retrain it with "
            f"`cppcc-nlp train --output DIR`, or convert it once with `cppcc-nlp convert-model {directory} "
            "--output NEW_DIR --trust-model` if you trust where the file came from"
        )
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT or not isinstance(card.get("files"), dict):
        raise ModelError(f"{path}: not a cppcc_nlp model card (expected format {CARD_FORMAT!r})")
    card["_sha256"] = sha256_of(raw)
    return card


@dataclass(frozen=True)
class LoadedModel:
    """What a model directory holds, checked: the engine, the parameters, the card and its hash."""

    engine: Engine
    params: dict
    card: dict
    card_sha256: str
    directory: Path


def load_engine(directory: str | Path | None = None) -> LoadedModel:
    """Read and check a model directory; no scikit-learn needed.

    Each file is read once, its sha256 compared with the card's, and parsed
    from those same bytes. For the shipped model, the card's own hash must
    equal the one pinned in the package.
    """
    shipped = directory is None
    directory = Path(directory) if directory is not None else default_model_dir()
    card = read_card(directory)
    card_sha = card.pop("_sha256")
    if shipped and card_sha != pinned_default_hash():
        raise ModelError(
            f"{directory / CARD_FILE}: the shipped model's card has sha256 {card_sha[:12]}…, the package pins "
            f"{pinned_default_hash()[:12]}…; the installed model was changed. Reinstall cppcc_nlp"
        )
    contents = {}
    for name in MODEL_FILES:
        path = directory / name
        expected = card["files"].get(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ModelError(f"{path}: cannot read the model file the card names: {exc.strerror or exc}") from None
        actual = sha256_of(data)
        if actual != expected:
            raise ModelError(
                f"{path}: sha256 {actual[:12]}… does not match the card's {str(expected)[:12]}…; the file was "
                "changed or replaced. Refusing to load it; retrain with `cppcc-nlp train`"
            )
        contents[name] = data
    try:
        with np.load(io.BytesIO(contents[ARRAYS_FILE]), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
        data = json.loads(contents[DATA_FILE].decode("utf-8"))
        segmenter = None
        if data.get("segmenter"):
            spec = data["segmenter"]
            segmenter = Segmenter(lexicon=tuple((w, int(f)) for w, f in spec["lexicon"]),
                                  stopwords=frozenset(spec["stopwords"]), backend=spec["backend"])
        engine = Engine.from_data(data["engine"], arrays, segmenter)
    except (ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{directory}: the model files do not describe a model: {type(exc).__name__}: {exc}") from None
    return LoadedModel(engine, data["params"], card, card_sha, directory)


def load_model(directory: str | Path | None = None) -> ThemeClassifier:
    """Load a saved model as a fitted ``ThemeClassifier`` (``get_params``, ``clone``, refit all work)."""
    from .model import ThemeClassifier

    loaded = load_engine(directory)
    return ThemeClassifier.from_engine(loaded.engine, loaded.params)


def train_model(records: list[LabelRecord], params: dict | None = None, progress=None) -> ThemeClassifier:
    """Fit a ThemeClassifier on all records, documents (sections of a single report) as groups for the thresholds.

    ``progress`` is called after each inner fold and after the final fit (``threshold_folds + 1`` times).
    """
    from .model import ThemeClassifier

    model = ThemeClassifier(**(params or {}))
    return model.fit(list(records), [r.labels for r in records], groups=[r.fold_group for r in records],
                     progress=progress)


def convert_pickled_model(directory: str | Path, output: str | Path) -> dict:
    """Convert an old pickled model directory to the current format (unpickles it: only for a trusted file)."""
    import joblib

    from .codebook import codebook_of_ids
    from .engine import engine_from_fitted
    from .model import ThemeClassifier

    directory = Path(directory)
    path = directory / "model.joblib"
    try:
        old = joblib.load(path)
    except Exception as exc:  # a corrupt or foreign pickle can raise nearly anything
        raise ModelError(f"{path}: cannot unpickle the old model: {type(exc).__name__}: {exc}") from None
    vectorizer, estimators = getattr(old, "vectorizer_", None), getattr(getattr(old, "model_", None), "estimators_", None)
    if vectorizer is None or estimators is None:
        raise ModelError(f"{path}: not an old cppcc_nlp ThemeClassifier")
    coef = np.vstack([np.ravel(e.coef_) for e in estimators]).T
    intercept = np.array([float(np.ravel(e.intercept_)[0]) for e in estimators])
    link = "expit" if old.classifier == "logreg" else "sigmoid"
    try:
        engine = engine_from_fitted(vectorizer, coef, intercept, link, codebook_of_ids(str(c) for c in old.classes_),
                                    old.thresholds_)
    except ValueError as exc:
        raise ModelError(f"{path}: cannot be converted: {exc}") from None
    model = ThemeClassifier.from_engine(engine, old.get_params())
    old_card = json.loads((directory / CARD_FILE).read_text(encoding="utf-8"))
    training = {"training_data_sha256": old_card.get("training_data_sha256", "unknown"),
                "training_units": old_card.get("training_units", 0),
                "created": old_card.get("created", _dt.date.today().isoformat())}
    converted = {"converted_from": f"{old_card.get('format')} ({directory.name}), {_dt.date.today().isoformat()}"}
    card = _write_model_directory(model, Path(output), training, old_card.get("evaluation"), converted)
    return card
