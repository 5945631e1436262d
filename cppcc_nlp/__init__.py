"""cppcc_nlp: read Chinese CPPCC work reports and label their sentences with themes."""

import logging

from .api import LabelledReport, Prediction, classify, label_report
from .corpus import LabelRecord, load_corpus
from .errors import CorpusError, CppccNlpError, InputError, ModelError
from .model import ThemeClassifier
from .persist import load_model, save_model
from .reader import Report, Section, Sentence, read_report
from .segment import Segmenter
from .themes import THEME_IDS

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "classify",
    "label_report",
    "read_report",
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
    "CppccNlpError",
    "InputError",
    "CorpusError",
    "ModelError",
]
