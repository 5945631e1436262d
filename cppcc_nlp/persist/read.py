"""Reading a model directory: the card, each file checked against the hash the card names, the engine."""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..engine import Engine
from ..errors import ModelError
from ..segment import Segmenter
from .checks import MAX_CARD_BYTES, MAX_MODEL_FILE_BYTES, _check_model_data, expected_arrays, read_arrays
from .files import (ARRAYS_FILE, CARD_FILE, CARD_FORMAT, DATA_FILE, MODEL_FILES, OLD_CARD_FORMATS, default_model_dir,
                    pinned_default_hash, sha256_of)

if TYPE_CHECKING:
    from ..model import ThemeClassifier


# -- reading ------------------------------------------------------------------------------


def _read_model_file(path: Path, limit: int) -> bytes:
    """A model directory's file: a regular file (a FIFO or a device is refused, never opened for good) of bounded size."""
    from ..outputs import read_regular_file

    return read_regular_file(path, limit=limit, error=ModelError)


def _json_of(raw: bytes, path: Path, what: str):
    try:
        return json.loads(raw.decode("utf-8"))
    except RecursionError:
        raise ModelError(f"{path}: {what} is JSON nested too deeply to be a cppcc_nlp file") from None
    except ValueError as exc:
        raise ModelError(f"{path}: {what} is not valid JSON: {exc}") from None


def read_card(directory: str | Path) -> dict:
    """The card of a model directory, refused with a clear message if it is not a current cppcc_nlp card."""
    path = Path(directory) / CARD_FILE
    if not os.path.lexists(path):
        raise ModelError(f"{path}: no model card; cppcc_nlp only loads models saved with their card")
    raw = _read_model_file(path, MAX_CARD_BYTES)
    card = _json_of(raw, path, "model card")
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
        if not os.path.lexists(path):
            raise ModelError(f"{path}: cannot read the model file the card names: No such file or directory")
        data = _read_model_file(path, MAX_MODEL_FILE_BYTES)
        actual = sha256_of(data)
        if actual != expected:
            raise ModelError(
                f"{path}: sha256 {actual[:12]}… does not match the card's {str(expected)[:12]}…; the file was "
                "changed or replaced. Refusing to load it; retrain with `cppcc-nlp train`"
            )
        contents[name] = data
    data = _json_of(contents[DATA_FILE], directory / DATA_FILE, "the model's data")
    try:
        _check_model_data(data)
        arrays = read_arrays(contents[ARRAYS_FILE], expected_arrays(data["engine"]))
        segmenter = None
        if data.get("segmenter"):
            spec = data["segmenter"]
            segmenter = Segmenter(lexicon=tuple((str(w), int(f)) for w, f in spec["lexicon"]),
                                  stopwords=frozenset(spec["stopwords"]), backend=spec["backend"])
        engine = Engine.from_data(data["engine"], arrays, segmenter)
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, zipfile.BadZipFile) as exc:
        raise ModelError(f"{directory}: the model files do not describe a model: {type(exc).__name__}: {exc}") from None
    return LoadedModel(engine, data["params"], card, card_sha, directory)




def load_model(directory: str | Path | None = None) -> ThemeClassifier:
    """Load a saved model as a fitted ``ThemeClassifier`` (``get_params``, ``clone``, refit all work)."""
    from ..model import ThemeClassifier

    loaded = load_engine(directory)
    try:
        return ThemeClassifier.from_engine(loaded.engine, loaded.params)
    except TypeError as exc:  # parameters this version's estimator does not take
        raise ModelError(f"{loaded.directory / DATA_FILE}: its 'params' do not fit this version's "
                         f"ThemeClassifier: {exc}") from None
