"""Converting an old pickled model directory to the pure-data format."""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Callable

import numpy as np

from ..errors import ModelError
from .files import CARD_FILE
from .write import write_model_directory


def convert_pickled_model(directory: str | Path, output: str | Path, render_card: Callable[[dict], str]) -> dict:
    """Convert an old pickled model directory to the current format (unpickles it: only for a trusted file).

    ``render_card``: the card's Markdown (``evaluation.card.card_markdown``).
    """
    import joblib

    from ..codebook import codebook_of_ids
    from ..model import ThemeClassifier
    from ..sklearn_features import engine_from_fitted

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
    card = write_model_directory(model, output, training, old_card.get("evaluation"), converted, render_card)
    return card
