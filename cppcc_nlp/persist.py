"""Save and load models: joblib file plus a model card with hashes and library versions."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import platform
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CorpusError, ModelError
from .segment import user_cache_dir

if TYPE_CHECKING:  # imported where used: checking a model file needs no scikit-learn
    from .corpus import LabelRecord
    from .model import ThemeClassifier

CARD_FORMAT = "cppcc_nlp-model/1"
MODEL_FILE = "model.joblib"
CARD_FILE = "model_card.json"
CARD_MARKDOWN = "MODEL_CARD.md"
TRACKED_LIBRARIES = ("scikit-learn", "jieba", "numpy", "scipy", "joblib")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in TRACKED_LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        versions["cppcc_nlp"] = metadata.version("cppcc_nlp")
    except metadata.PackageNotFoundError:
        versions["cppcc_nlp"] = "source"
    return versions


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def default_model_dir() -> Path:
    """``models/default`` of the checkout (installed as the package ``cppcc_nlp.default_model``)."""
    try:
        from importlib import resources

        packaged = Path(str(resources.files("cppcc_nlp.default_model")))
        if (packaged / CARD_FILE).is_file():
            return packaged
    except (ModuleNotFoundError, TypeError):
        pass
    return Path(__file__).resolve().parent.parent / "models" / "default"


def _trust_list() -> Path:
    return user_cache_dir() / "trusted_models.txt"


def _remember_trusted(sha256: str) -> None:
    path = _trust_list()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    known = set(path.read_text().split()) if path.exists() else set()
    if sha256 not in known:
        with open(path, "a", encoding="ascii") as handle:
            handle.write(sha256 + "\n")


def _is_trusted(directory: Path, sha256: str) -> bool:
    if directory.resolve() == default_model_dir().resolve():
        return True
    path = _trust_list()
    return path.exists() and sha256 in path.read_text().split()


def train_model(records: list[LabelRecord], params: dict | None = None) -> ThemeClassifier:
    """Fit a ThemeClassifier on all records, sections as groups for the threshold search."""
    from .model import ThemeClassifier

    model = ThemeClassifier(**(params or {}))
    return model.fit([r.text for r in records], [r.labels for r in records], groups=[r.section for r in records])


def save_model(
    model: ThemeClassifier,
    directory: str | Path,
    records: list[LabelRecord],
    evaluation: dict | None = None,
) -> dict:
    """Write ``model.joblib``, ``model_card.json`` and ``MODEL_CARD.md``; return the card.

    The model's hash is remembered as trusted for this user, so models you
    train load without ``trusted=True``.
    """
    import joblib

    from .corpus import corpus_hash

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    model_path = directory / MODEL_FILE
    tmp = model_path.with_suffix(".tmp")
    joblib.dump(model, tmp, compress=3)
    os.replace(tmp, model_path)
    sha = file_sha256(model_path)
    card = {
        "format": CARD_FORMAT,
        "theme_ids": [str(c) for c in model.classes_],
        "thresholds": {str(c): round(float(t), 4) for c, t in zip(model.classes_, model.thresholds_)},
        "params": model.get_params(),
        "model_file": MODEL_FILE,
        "model_sha256": sha,
        "training_data_sha256": corpus_hash(records),
        "training_units": len(records),
        "versions": library_versions(),
        "evaluation": evaluation,
        "created": _dt.date.today().isoformat(),
    }
    (directory / CARD_FILE).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (directory / CARD_MARKDOWN).write_text(_card_markdown(card), encoding="utf-8")
    _remember_trusted(sha)
    return card


def _card_markdown(card: dict) -> str:
    lines = [
        "# Model card: cppcc_nlp theme classifier",
        "",
        f"- Created: {card['created']}",
        f"- Themes (column order): {', '.join(card['theme_ids'])}",
        f"- Training data: {card['training_units']} hand-labelled sentences, sha256 `{card['training_data_sha256'][:16]}…`",
        f"- Model file: `{card['model_file']}`, sha256 `{card['model_sha256'][:16]}…`",
        f"- Parameters: `{json.dumps(card['params'], ensure_ascii=False)}`",
        f"- Thresholds: {', '.join(f'{k} {v:.2f}' for k, v in card['thresholds'].items())}",
        "- Versions: " + ", ".join(f"{k} {v}" for k, v in card["versions"].items()),
        "",
        "Intended use: labelling sentences of Chinese reports on CPPCC committee work with the five",
        "themes of corpus/CODEBOOK.md. Trained on one 2019 Hebei newspaper survey; expect lower accuracy",
        "on other genres (broadcast news, government work reports).",
    ]
    evaluation = card.get("evaluation")
    if evaluation:
        lines += ["", "## Leave-one-section-out evaluation", "", evaluation.get("table", "")]
    return "\n".join(lines) + "\n"


def read_card(directory: str | Path) -> dict:
    path = Path(directory) / CARD_FILE
    try:
        card = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no model card; cppcc_nlp only loads models saved with their card") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"{path}: model card is not valid JSON: {exc}") from None
    if not isinstance(card, dict) or card.get("format") != CARD_FORMAT:
        raise ModelError(f"{path}: not a cppcc_nlp model card (expected format {CARD_FORMAT!r})")
    return card


@dataclass(frozen=True)
class CheckedModel:
    """A model directory whose file passed ``check_model``: hash equal to the card's, trusted."""

    directory: Path
    path: Path  # the model file
    sha256: str  # its hash, equal to the card's
    card: dict
    versions_match: bool  # saved with the installed scikit-learn (else load_model retrains or refuses)


def check_model(directory: str | Path | None = None, trusted: bool = False) -> CheckedModel:
    """The checks of ``load_model`` that come before unpickling; raises ModelError as it does.

    Needs no scikit-learn: a caller can check a model file before deciding how to load it.
    """
    directory = Path(directory) if directory is not None else default_model_dir()
    card = read_card(directory)
    model_path = directory / card.get("model_file", MODEL_FILE)
    if not model_path.is_file():
        raise ModelError(f"{model_path}: model file missing (the card names it)")
    sha = file_sha256(model_path)
    if sha != card.get("model_sha256"):
        raise ModelError(
            f"{model_path}: sha256 {sha[:12]}… does not match the card's {str(card.get('model_sha256'))[:12]}…; "
            "the file was changed or replaced. Refusing to load it; retrain with `cppcc-nlp train`."
        )
    if not trusted and not _is_trusted(directory, sha):
        raise ModelError(
            f"{model_path}: model of unknown origin (not the shipped default, not saved by you). "
            "Loading it runs code from the file; pass trusted=True (CLI: --trust-model) if you trust its source."
        )
    saved = card.get("versions", {}).get("scikit-learn")
    return CheckedModel(directory, model_path, sha, card, saved == library_versions()["scikit-learn"])


def load_model(
    directory: str | Path | None = None,
    trusted: bool = False,
    on_version_mismatch: str = "retrain",
    corpus_dir: str | Path | None = None,
) -> ThemeClassifier:
    """Load a saved model after checking its card.

    - The model file's hash must equal the card's, or the model is refused.
    - A model is only unpickled when it is the shipped default, was saved by this
      user (``save_model``), or the caller passes ``trusted=True``.
    - When the card's scikit-learn version differs from the installed one,
      ``on_version_mismatch="retrain"`` refits the model from the corpus (if the
      corpus still hashes to the card's training data); ``"error"`` refuses.
    """
    checked = check_model(directory, trusted)
    directory = checked.directory
    model_path, card = checked.path, checked.card
    if not checked.versions_match:
        installed = library_versions()["scikit-learn"]
        saved = card.get("versions", {}).get("scikit-learn")
        message = f"{model_path}: saved with scikit-learn {saved}, installed is {installed}"
        if on_version_mismatch == "retrain":
            warnings.warn(f"{message}; retraining from the corpus", stacklevel=2)
            return _retrain_from_card(card, directory, corpus_dir)
        raise ModelError(f"{message}; retrain it with `cppcc-nlp train --output {directory}`")
    import joblib

    from .model import ThemeClassifier

    try:
        model = joblib.load(model_path)
    except Exception as exc:  # a corrupt or foreign pickle can raise nearly anything
        raise ModelError(f"{model_path}: cannot load the model: {type(exc).__name__}: {exc}") from None
    if not isinstance(model, ThemeClassifier):
        raise ModelError(f"{model_path}: holds a {type(model).__name__}, not a ThemeClassifier")
    return model


def _retrain_from_card(card: dict, directory: Path, corpus_dir: str | Path | None) -> ThemeClassifier:
    from .corpus import corpus_hash, load_corpus

    try:
        records = load_corpus(corpus_dir)
    except CorpusError as exc:
        raise ModelError(
            f"{directory}: saved with another scikit-learn version and the corpus to retrain it is unavailable "
            f"({exc}); retrain with `cppcc-nlp train --output {directory}` in a source checkout"
        ) from None
    if corpus_hash(records) != card.get("training_data_sha256"):
        raise ModelError(
            f"{directory}: saved with another scikit-learn version, and the corpus has changed since; "
            f"retrain with `cppcc-nlp train --output {directory}`"
        )
    return train_model(records, card.get("params"))
