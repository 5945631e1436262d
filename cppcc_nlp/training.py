"""Training a model on the corpus and saving it: the fit, where the model goes, and the shipped model's pin.

``persist`` stores and loads models; this module fits them (``train_model``)
and decides what ``cppcc-nlp train`` does (``train_and_save``): a model goes
to the directory asked for, else to a new directory under the user's data
directory, never into the tracked ``models/default`` of a clone unless a
maintainer asks for it (``update_shipped_model``), which also re-pins the
shipped model's card hash (``pin_shipped_model``; ``scripts/pin_shipped_model.py``).
"""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import UsageError

if TYPE_CHECKING:
    from .codebook import Codebook
    from .corpus import LabelRecord
    from .model import ThemeClassifier

PIN_FILE = Path("cppcc_nlp") / "data" / "default_model.sha256"  # the shipped model's pin, inside a clone
DEFAULT_THRESHOLD_FOLDS = 5  # inner folds of a fit whose parameters do not say (ThemeClassifier's default)


def user_data_dir() -> Path:
    """Per-user data directory (``$XDG_DATA_HOME/cppcc_nlp``, default ``~/.local/share/cppcc_nlp``)."""
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "cppcc_nlp"


def checkout_model_dir() -> Path | None:
    """``models/default`` of the repository clone this package runs from, or None in an installed wheel."""
    root = Path(__file__).resolve().parent.parent
    return root / "models" / "default" if (root / "pyproject.toml").is_file() else None


def model_output_dir(output: str | os.PathLike | None = None, *, update_shipped_model: bool = False) -> Path:
    """Where a trained model goes: ``output``, the clone's shipped model (``update_shipped_model``), or else a new
    ``<user data directory>/models/model-<time>``.

    UsageError (exit 2) for ``output`` together with ``update_shipped_model``,
    for ``update_shipped_model`` outside a clone of the repository, and for an
    ``output`` that is the shipped model (only ``update_shipped_model`` replaces it).
    """
    shipped = checkout_model_dir()
    if update_shipped_model:
        if output:
            raise UsageError("--update-shipped-model writes the shipped model; leave out --output")
        if shipped is None:
            raise UsageError("--update-shipped-model works in a clone of the repository only")
        return shipped
    if output:
        chosen = Path(output)
        if shipped is not None and chosen.resolve() == shipped.resolve():
            raise UsageError(f"{output} is the shipped model; replace it with --update-shipped-model")
        return chosen
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    return user_data_dir() / "models" / f"model-{stamp}"


def shipped_model_pin(directory: str | os.PathLike | None = None) -> tuple[Path, str]:
    """The pin file of the shipped model ``directory`` (default: the clone's ``models/default``), in its clone's
    ``cppcc_nlp/data``, and the sha256 of the model's card that it should hold."""
    from .persist import CARD_FILE

    if directory is None:
        directory = checkout_model_dir()
        if directory is None:
            raise UsageError("the shipped model is pinned in a clone of the repository only")
    directory = Path(directory)
    return directory.parent.parent / PIN_FILE, hashlib.sha256((directory / CARD_FILE).read_bytes()).hexdigest()


def pin_shipped_model(directory: str | os.PathLike | None = None) -> Path:
    """Pin the card hash of the shipped model ``directory`` (default: the clone's ``models/default``) in its
    clone's ``cppcc_nlp/data/default_model.sha256``; return the pin file."""
    pin, digest = shipped_model_pin(directory)
    pin.write_text(digest + "\n", encoding="ascii")
    return pin


def check_params(params) -> dict:
    """``params`` for ``ThemeClassifier``, checked: UsageError (exit 2) naming the first bad one, else ``params``.

    An object with known parameter names only, each of a value the estimator
    takes (``model.PARAMETER_CONSTRAINTS``): refused before fitting, not after.
    """
    from .model import check_params as check_estimator_params

    if not isinstance(params, dict):
        raise UsageError(f"model parameters must be a JSON object, got a {type(params).__name__}")
    try:
        check_estimator_params(params)  # the estimator's PARAMETER_CONSTRAINTS, the one registry of them
    except ValueError as exc:
        raise UsageError(f"model parameters: {exc}") from None
    return params


def training_params(params: dict | None = None, model: str | os.PathLike | None = None) -> dict:
    """``params`` checked (UsageError naming the first bad one), or, without them, those of ``model`` (a model
    directory; None: the shipped model), so that retraining rebuilds that model."""
    from .persist import load_engine

    return check_params(params) if params is not None else load_engine(model).params


def train_model(records: list[LabelRecord], params: dict | None = None, progress=None) -> ThemeClassifier:
    """Fit a ThemeClassifier on all records, documents (sections of a single report) as groups for the thresholds.

    ``progress`` is called after each inner fold and after the final fit (``threshold_folds + 1`` times).
    """
    from .model import ThemeClassifier

    model = ThemeClassifier(**(params or {}))
    return model.fit(list(records), [r.labels for r in records], groups=[r.fold_group for r in records],
                     progress=progress)


@dataclass(frozen=True)
class TrainedModel:
    """What ``train_and_save`` did: the model directory, its card, the units it learnt from and the pin it wrote."""

    directory: Path
    card: dict
    units: int
    pin: Path | None = None


def train_and_save(
    corpus: str | os.PathLike | None = None,
    output: str | os.PathLike | None = None,
    *,
    params: dict | None = None,
    sources: str | os.PathLike | None = None,
    skip_missing_sources: bool = False,
    codebook: Codebook | str | os.PathLike | None = None,
    evaluation: dict | None = None,
    calibration: dict | None = None,
    overwrite: bool = False,
    update_shipped_model: bool = False,
    progress: bool | None = None,
) -> TrainedModel:
    """Train on the whole corpus and save the model with its card (``cppcc-nlp train``).

    The directory is ``model_output_dir(output, update_shipped_model=...)``;
    a directory holding another model is replaced only with ``overwrite`` (or
    ``update_shipped_model``, which also re-pins the shipped model). Both the
    directory and ``params`` (default: the shipped model's) are checked before
    the corpus is read and before the fit. ``codebook``: a Codebook or a file
    (default: the corpus's ``codebook.toml``, else the CPPCC themes).
    ``evaluation`` and ``calibration`` go into the card. ``progress``: a bar
    of the fits on stderr (default: when stderr is a terminal).
    """
    from .codebook import resolve_codebook
    from .corpus import load_corpus
    from .corpus.load import default_corpus_dir
    from .evaluation.card import card_sections, save_model
    from .persist import check_model_output
    from .progress import progress_bar

    directory = model_output_dir(output, update_shipped_model=update_shipped_model)
    overwrite = overwrite or update_shipped_model
    check_model_output(directory, overwrite)  # a file, another model, a read-only place: before the fit
    params = training_params(params)
    codebook = resolve_codebook(codebook, corpus if corpus is not None else default_corpus_dir())
    records = load_corpus(corpus, sources=sources, skip_missing_sources=skip_missing_sources, codebook=codebook)
    params = {**params, "codebook": codebook}
    folds = params.get("threshold_folds", DEFAULT_THRESHOLD_FOLDS) or 0
    bar = progress_bar(total=(folds if folds >= 2 else 0) + 1, unit="fit", show=progress)
    try:
        model = train_model(records, params, progress=lambda: bar.update(1))
    finally:
        bar.close()
    extra = card_sections(records, evaluation=evaluation, calibration=calibration, codebook=codebook)
    card = save_model(model, directory, records, extra.pop("evaluation"), card_extra=extra, overwrite=overwrite)
    pin = pin_shipped_model(directory) if update_shipped_model else None
    return TrainedModel(directory, card, len(records), pin)


__all__ = [
    "TrainedModel",
    "checkout_model_dir",
    "model_output_dir",
    "pin_shipped_model",
    "shipped_model_pin",
    "train_and_save",
    "train_model",
    "training_params",
    "user_data_dir",
]
