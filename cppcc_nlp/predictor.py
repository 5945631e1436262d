"""The one conversion of a model: ``as_engine`` turns any form of a model into the ``Engine`` that predicts,
and the shipped model is loaded once, on first use."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os
    from typing import Union

    from .engine import Engine
    from .model import ThemeClassifier
    from .persist import LoadedModel

    ModelLike = Union[ThemeClassifier, Engine, LoadedModel, str, os.PathLike, None]

_default_loaded: LoadedModel | None = None
_default_model: ThemeClassifier | None = None
_default_lock = threading.Lock()


def _shipped() -> LoadedModel:
    global _default_loaded
    if _default_loaded is None:
        with _default_lock:
            if _default_loaded is None:
                from .persist import load_engine

                _default_loaded = load_engine()
    return _default_loaded


def default_engine() -> Engine:
    """The shipped model's engine, loaded once on first use: pure data, no scikit-learn.

    ``classify``, ``label_report`` and ``label_text`` predict with it when no
    model is given.
    """
    return _shipped().engine


def default_model() -> ThemeClassifier:
    """The shipped model as a ``ThemeClassifier`` around ``default_engine()`` (imports scikit-learn)."""
    global _default_model
    if _default_model is None:
        loaded = _shipped()
        with _default_lock:
            if _default_model is None:
                from .model import ThemeClassifier

                _default_model = ThemeClassifier.from_engine(loaded.engine, loaded.params)
    return _default_model


def as_engine(model: "ModelLike" = None) -> Engine:
    """The one conversion every entry point starts with: the ``Engine`` that predicts for ``model``.

    ``model`` is a fitted ``ThemeClassifier``, an ``Engine``, a ``LoadedModel``
    (``persist.load_engine``), a model directory (``str`` or path), or None
    for the shipped model (``default_engine``). An engine is immutable and
    safe to share between threads.
    """
    import os

    if model is None:
        return default_engine()
    if isinstance(model, (str, os.PathLike)):
        from .persist import load_engine

        return load_engine(model).engine
    engine = getattr(model, "engine_", None)  # a fitted ThemeClassifier
    if engine is not None:
        return engine
    if hasattr(model, "get_params"):
        raise TypeError(f"{type(model).__name__} is not fitted: fit it, or load a saved model with load_model(DIR)")
    engine = getattr(model, "engine", None)  # a LoadedModel
    if engine is not None and _is_engine(engine):
        return engine
    if _is_engine(model):  # an Engine, or an object that predicts as one does
        return model
    raise TypeError(f"not a model: {type(model).__name__} (give a fitted ThemeClassifier, an Engine, a model "
                    "directory, or None for the shipped model)")


def _is_engine(value) -> bool:
    return all(hasattr(value, name) for name in ("predict_proba", "themes", "thresholds"))
