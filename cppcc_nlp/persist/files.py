"""The files of a model directory, their names and hashes, and where the shipped model lives."""

from __future__ import annotations

import hashlib
import platform
from importlib import resources
from pathlib import Path


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
    """The versions of Python and of the libraries a model was trained with, for its card."""
    from importlib import metadata  # here, not at the top: loading or using a model does not need it

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
