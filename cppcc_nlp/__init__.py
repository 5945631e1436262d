"""cppcc_nlp: read Chinese CPPCC work reports and label their sentences with themes."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING

logging.getLogger(__name__).addHandler(logging.NullHandler())

# The public names, imported on first use: ``import cppcc_nlp.reader`` (as a batch
# worker process does) then costs neither scikit-learn nor what it imports.
_EXPORTS = {
    "classify": "api",
    "label_report": "api",
    "label_text": "api",
    "estimate_shares": "shares",
    "read_report": "reader",
    "parse_report": "reader",
    "load_corpus": "corpus",
    "load_model": "persist",
    "save_model": "evaluation.card",
    "ThemeClassifier": "model",
    "Segmenter": "segment",
    "Report": "reader",
    "Section": "reader",
    "Sentence": "reader",
    "Prediction": "api",
    "LabelledReport": "api",
    "LabelRecord": "corpus",
    "THEME_IDS": "themes",
    "Codebook": "codebook",
    "read_codebook": "codebook",
    "default_codebook": "codebook",
    "as_engine": "api",
    "CppccNlpError": "errors",
    "InputError": "errors",
    "CorpusError": "errors",
    "ModelError": "errors",
    "MissingDependencyError": "errors",
}

__all__ = [
    "classify",
    "label_report",
    "label_text",
    "estimate_shares",
    "read_report",
    "parse_report",
    "load_corpus",
    "load_model",
    "save_model",
    "ThemeClassifier",
    "Segmenter",
    "Report",
    "Section",
    "Sentence",
    "Prediction",
    "LabelledReport",
    "LabelRecord",
    "THEME_IDS",
    "Codebook",
    "read_codebook",
    "default_codebook",
    "as_engine",
    "CppccNlpError",
    "InputError",
    "CorpusError",
    "ModelError",
    "MissingDependencyError",
]

if TYPE_CHECKING:
    from .api import LabelledReport, Prediction, as_engine, classify, label_report, label_text
    from .codebook import Codebook, default_codebook, read_codebook
    from .corpus import LabelRecord, load_corpus
    from .errors import CorpusError, CppccNlpError, InputError, MissingDependencyError, ModelError
    from .model import ThemeClassifier
    from .evaluation.card import save_model
    from .persist import load_model
    from .reader import Report, Section, Sentence, parse_report, read_report
    from .segment import Segmenter
    from .shares import estimate_shares
    from .themes import THEME_IDS


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
