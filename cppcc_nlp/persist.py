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
import math
import os
import platform
import zipfile
from dataclasses import dataclass
from itertools import repeat
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
    only with ``overwrite``; see ``check_model_output`` for what is refused.
    """
    from .corpus import corpus_hash

    training = {"training_data_sha256": corpus_hash(records), "training_units": len(records),
                "created": _dt.date.today().isoformat()}
    return _write_model_directory(model, Path(directory), training, evaluation, card_extra, overwrite)


def _write_model_directory(model: ThemeClassifier, directory: Path, training: dict, evaluation, extra,
                           overwrite: bool = False) -> dict:
    """The model files and the card that names their hashes, in a new directory swapped in for ``directory``."""
    check_model_output(directory, overwrite)
    files = model_data(model)
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
    contents = {**files, CARD_FILE: (json.dumps(card, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
                CARD_MARKDOWN: card_markdown(card).encode("utf-8")}
    _replace_directory(directory, contents)
    return card


# -- training parameters, checked before any fitting ----------------------------------------------

def check_params(params) -> dict:
    """``params`` for ``ThemeClassifier``, checked: UsageError (exit 2) naming the first bad one, else ``params``.

    An object with known parameter names only, each of a value the estimator
    takes (``model.PARAMETER_CONSTRAINTS``): refused before fitting, not after.
    """
    from .errors import UsageError
    from .model import check_params as check_estimator_params

    if not isinstance(params, dict):
        raise UsageError(f"model parameters must be a JSON object, got a {type(params).__name__}")
    try:
        check_estimator_params(params)  # the estimator's PARAMETER_CONSTRAINTS, the one registry of them
    except ValueError as exc:
        raise UsageError(f"model parameters: {exc}") from None
    return params


# -- where a model is written -----------------------------------------------------------------

_MODEL_ENTRIES = (ARRAYS_FILE, DATA_FILE, CARD_FILE, CARD_MARKDOWN, "model.joblib")  # what a model directory holds
_RENAME_EXCHANGE = 2  # Linux renameat2 flag: swap two names atomically


def check_model_output(directory: str | Path, overwrite: bool = False) -> Path:
    """UsageError (exit 2), before any fitting, unless a model can be written to ``directory``.

    Refused: a file, a symbolic link or a device; a directory that holds
    another model, unless ``overwrite``; a non-empty directory that holds no
    model (replacing it would delete its files); a place where no directory can
    be made (missing permission, a read-only file system: a temporary directory
    is made beside it and removed). Missing parent directories are made.
    """
    from .errors import UsageError

    directory = Path(directory)
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise UsageError(f"{directory}: cannot write a model there: {exc.strerror or exc}") from None
    if info is not None:
        import stat

        if stat.S_ISLNK(info.st_mode):
            raise UsageError(f"{directory}: a symbolic link; name the model directory itself")
        if not stat.S_ISDIR(info.st_mode):
            raise UsageError(f"{directory}: exists and is not a directory; name a new or empty directory for the model")
        try:
            entries = os.listdir(directory)
        except OSError as exc:
            raise UsageError(f"{directory}: cannot write a model there: {exc.strerror or exc}") from None
        if any(name in _MODEL_ENTRIES for name in entries):
            if not overwrite:
                raise UsageError(f"{directory}: holds another model; pass --overwrite to replace it "
                                 "(overwrite=True), or name a new directory")
        elif entries:
            raise UsageError(f"{directory}: not empty and holds no model ({len(entries)} entries); "
                             "name a new or empty directory")
    try:
        directory.parent.mkdir(parents=True, exist_ok=True)
        probe = _new_directory_beside(directory)
        probe.rmdir()
    except OSError as exc:
        raise UsageError(f"{directory}: cannot write a model there: {exc.strerror or exc}") from None
    return directory


def _new_directory_beside(directory: Path) -> Path:
    """A new, empty directory ``.<name>.tmp-*`` beside ``directory``, with the mode a new directory gets."""
    import tempfile

    made = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    mask = os.umask(0o22)
    os.umask(mask)
    os.chmod(made, 0o777 & ~mask)
    return made


def _replace_directory(directory: Path, contents: dict[str, bytes]) -> None:
    """``directory`` becomes a directory of ``contents`` in one step: written beside it, made durable, swapped in.

    Entries of an old ``directory`` that are no model file (``__init__.py`` of
    the shipped model) are carried over. OutputError (exit 12) on a write
    error: ``directory`` is then as it was and the temporary directory gone.
    """
    import shutil

    from .errors import OutputError

    current = None
    try:
        new = _new_directory_beside(directory)
    except OSError as exc:
        raise OutputError.of(directory.parent, exc) from None
    try:
        for name, data in contents.items():
            current = new / name
            with open(current, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        current = new
        if directory.is_dir():
            for entry in os.scandir(directory):
                if entry.name not in _MODEL_ENTRIES:
                    current = Path(entry.path)
                    if entry.is_dir(follow_symlinks=False):
                        shutil.copytree(entry.path, new / entry.name, symlinks=True)
                    else:
                        shutil.copy2(entry.path, new / entry.name, follow_symlinks=False)
        _fsync_directory(new)
        current = directory
        if not _swap(new, directory):
            old = new.with_name(new.name.replace(".tmp-", ".old-", 1))  # no atomic exchange here: two renames
            os.rename(directory, old)
            try:
                os.rename(new, directory)
            except OSError:
                os.rename(old, directory)
                raise
            new = old
        _fsync_directory(directory.parent)
    except OSError as exc:
        raise OutputError(f"{current}: cannot write: {exc.strerror or exc}; {directory} is as it was") from None
    finally:
        shutil.rmtree(new, ignore_errors=True)  # the temporary directory, or the old model after the swap


def _swap(new: Path, directory: Path) -> bool:
    """Rename ``new`` to ``directory`` in one step: a plain rename onto nothing or an empty directory, else an
    atomic exchange (Linux ``renameat2``); False when neither is possible (then the caller renames twice)."""
    try:
        os.replace(new, directory)  # onto nothing, or onto an empty directory
        return True
    except OSError as exc:
        import errno

        if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
            raise
    try:
        import ctypes

        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    at_cwd = -100
    return renameat2(at_cwd, os.fsencode(new), at_cwd, os.fsencode(directory), _RENAME_EXCHANGE) == 0


def _fsync_directory(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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


def _read_model_file(path: Path, limit: int) -> bytes:
    """A model directory's file: a regular file (a FIFO or a device is refused, never opened for good) of bounded size."""
    from .outputs import read_regular_file

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


# -- checking a model's files before and after reading its arrays ---------------------------

MAX_CARD_BYTES = 64 << 20
MAX_MODEL_FILE_BYTES = 1 << 30  # model.npz and model.json each (the shipped ones: 1.8 MB and 0.6 MB)
MAX_KNOTS = 1_000_000  # calibration knots per theme (at most one per training unit)
MAX_HELDOUT_UNITS = 2_000_000  # rows of the held-out predictions (one per training unit)
_MAX_NPY_HEADER = 10_000  # numpy's own default bound on an array header
_FLOAT, _LABEL = "f", "uib"  # dtype kinds: the arrays are float64, the held-out labels uint8


def _check_model_data(data) -> None:
    """The shape of ``model.json`` before anything is built from it: ValueError saying what is missing or wrong."""
    if not isinstance(data, dict):
        raise ValueError(f"model.json holds a JSON {type(data).__name__}, not an object")
    for key in ("params", "engine"):
        if not isinstance(data.get(key), dict):
            raise ValueError(f"model.json has no {key!r} object")
    if not all(isinstance(k, str) for k in data["params"]):
        raise ValueError("model.json's 'params' keys must be strings")
    engine = data["engine"]
    themes = engine.get("themes")
    if not isinstance(themes, list) or not themes or not all(isinstance(t, str) and t for t in themes) \
            or len(set(themes)) != len(themes):
        raise ValueError("the engine's 'themes' must be a non-empty list of distinct names")
    parts = engine.get("parts")
    if not isinstance(parts, list) or not all(isinstance(p, dict) for p in parts):
        raise ValueError("the engine's 'parts' must be a list of objects")
    calibrated = engine.get("calibrated", [False] * len(themes))
    if not isinstance(calibrated, list) or len(calibrated) != len(themes) \
            or not all(isinstance(c, bool) for c in calibrated):
        raise ValueError(f"the engine's 'calibrated' must be {len(themes)} true/false values, one per theme")
    for number, part in enumerate(parts):
        listed = part.get("cues") if part.get("kind") == "cue_words" else part.get("terms")
        if not isinstance(listed, list) or not all(map(isinstance, listed, repeat(str))):  # C loops: 100,000s of terms
            raise ValueError(f"feature part {number} must list its terms (or cue words) as strings")
        if part.get("kind") != "cue_words":
            count = part.get("n_features")
            if not isinstance(count, int) or isinstance(count, bool) or count != len(listed):
                raise ValueError(f"feature part {number}: 'n_features' {count!r} is not its {len(listed)} terms")
            if part.get("norm") not in ("l1", "l2", None):
                raise ValueError(f"feature part {number}: 'norm' must be 'l1', 'l2' or null, got {part.get('norm')!r}")
        for key in ("weight",):
            value = part.get(key, 1.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"feature part {number}: {key!r} must be a finite number, got {value!r}")
        char = part.get("kind") == "char_ngrams"
        grams = part.get("ngram_range", [1, 3]) if char else [1, part.get("max_n", 1)]
        if not (isinstance(grams, list) and len(grams) == 2 and all(type(n) is int for n in grams)
                and 1 <= grams[0] <= grams[1] <= (3 if char else 2)):
            raise ValueError(f"feature part {number}: n-gram lengths {grams!r} are not ones the engine computes")
    segmenter = data.get("segmenter")
    if segmenter is not None and not (isinstance(segmenter, dict) and isinstance(segmenter.get("lexicon"), list)
                                      and isinstance(segmenter.get("stopwords"), list)):
        raise ValueError("model.json's 'segmenter' must hold a 'lexicon' and 'stopwords' list")


def _part_size(part: dict) -> int:
    return len(part["cues"]) if part.get("kind") == "cue_words" else int(part["n_features"])


def expected_arrays(meta: dict) -> dict[str, tuple[str, tuple]]:
    """Every array ``model.npz`` may hold for the engine ``meta`` describes: name -> (dtype kinds, shape).

    A dimension of None is not in ``model.json`` (calibration knots, held-out
    units) and is bounded instead; ``read_arrays`` refuses any other member.
    """
    themes = len(meta["themes"])
    features = sum(_part_size(part) for part in meta["parts"])
    expected = {"coef": (_FLOAT, (features, themes)), "intercept": (_FLOAT, (themes,)),
                "thresholds": (_FLOAT, (themes,)),
                "heldout_probabilities": (_FLOAT, (None, themes)), "heldout_labels": (_LABEL, (None, themes))}
    for number, part in enumerate(meta["parts"]):
        if part.get("kind") != "cue_words":
            expected[f"part{number}_idf"] = (_FLOAT, (_part_size(part),))
    for k, flag in enumerate(meta.get("calibrated", [])):
        if flag:
            expected[f"calibration{k}_x"] = expected[f"calibration{k}_y"] = (_FLOAT, (None,))
    return expected


_REQUIRED = ("coef", "intercept", "thresholds")
_BOUNDS = {"heldout_probabilities": MAX_HELDOUT_UNITS, "heldout_labels": MAX_HELDOUT_UNITS}


def read_arrays(data: bytes, expected: dict[str, tuple[str, tuple]]) -> dict[str, np.ndarray]:
    """The arrays of a ``model.npz``, each member's dtype and shape checked against ``expected`` before it is read.

    Only the bytes the expected shape needs are decompressed: a small archive
    that declares a huge member (a zip bomb) is refused at its header. Then the
    values: coefficients, weights and knots finite, thresholds and
    probabilities within [0, 1], knots in increasing order, labels 0 or 1.
    """
    arrays: dict[str, np.ndarray] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            name = info.filename[:-4] if info.filename.endswith(".npy") else None
            if name not in expected:
                raise ValueError(f"model.npz holds {info.filename!r}, which model.json does not describe")
            if name in arrays:
                raise ValueError(f"model.npz holds {info.filename!r} twice")
            kinds, shape = expected[name]
            with archive.open(info) as member:
                arrays[name] = _read_member(member, info.file_size, name, kinds, shape)
    missing = [name for name in _REQUIRED if name not in arrays]
    missing += [name for name in expected if name.startswith("calibration") and name not in arrays]
    if missing:
        raise ValueError(f"model.npz lacks the array(s) {missing}")
    if ("heldout_probabilities" in arrays) != ("heldout_labels" in arrays) or (
            "heldout_labels" in arrays and arrays["heldout_labels"].shape != arrays["heldout_probabilities"].shape):
        raise ValueError("model.npz's held-out probabilities and labels do not go together")
    for name in [name for name in arrays if name.startswith("calibration") and name.endswith("_x")]:
        x, y = arrays[name], arrays[name[:-1] + "y"]
        if len(x) != len(y) or len(x) < 1:
            raise ValueError(f"{name[:-2]}: {len(x)} x and {len(y)} y knots")
    _check_values(arrays)
    return arrays


def _read_member(member, size: int, name: str, kinds: str, shape: tuple) -> np.ndarray:
    """One ``.npy`` member: its header checked, then exactly the bytes its shape needs."""
    fmt = np.lib.format
    version = fmt.read_magic(member)
    if version == (1, 0):
        found, fortran, dtype = fmt.read_array_header_1_0(member, max_header_size=_MAX_NPY_HEADER)
    elif version == (2, 0):
        found, fortran, dtype = fmt.read_array_header_2_0(member, max_header_size=_MAX_NPY_HEADER)
    else:
        raise ValueError(f"array {name!r}: .npy format {version} is not one a model is saved in")
    if dtype.kind not in kinds or dtype.hasobject or dtype.fields is not None or dtype.itemsize > 8:
        raise ValueError(f"array {name!r} holds {dtype}, not {'numbers' if kinds == _FLOAT else 'labels'}")
    if len(found) != len(shape) or any(want is not None and got != want for got, want in zip(found, shape)):
        wanted = tuple("n" if want is None else want for want in shape)
        raise ValueError(f"array {name!r} has shape {found}; model.json describes {wanted}")
    bound = _BOUNDS.get(name, MAX_KNOTS)
    if any(want is None and got > bound for got, want in zip(found, shape)):
        raise ValueError(f"array {name!r} has shape {found}, more than the {bound:,} rows a model holds")
    needed = int(np.prod(found, dtype=np.int64)) * dtype.itemsize
    if size - member.tell() != needed:
        raise ValueError(f"array {name!r}: {size - member.tell():,} bytes of data for shape {found} of {dtype}")
    raw = bytearray(member.read(needed))  # writable, as np.load's arrays are
    if len(raw) != needed:
        raise ValueError(f"array {name!r} ends early")
    member.read(1)  # reach the member's end: the zip's CRC is checked there
    array = np.frombuffer(raw, dtype=dtype)
    return array.reshape(found, order="F" if fortran else "C")


def _check_values(arrays: dict[str, np.ndarray]) -> None:
    def finite(name: str, low: float | None = None, high: float | None = None) -> None:
        values = arrays.get(name)
        if values is None:
            return
        if not np.isfinite(values).all():
            raise ValueError(f"array {name!r} holds values that are not finite (NaN or infinity)")
        if (low is not None and values.size and values.min() < low) or (
                high is not None and values.size and values.max() > high):
            raise ValueError(f"array {name!r} holds values outside [{low}, {high}]")

    finite("coef")
    finite("intercept")
    finite("thresholds", 0.0, 1.0)
    finite("heldout_probabilities", 0.0, 1.0)
    for name in arrays:
        if name.endswith("_idf"):
            finite(name)
            if arrays[name].size and arrays[name].min() <= 0:
                raise ValueError(f"array {name!r} holds IDF weights that are not positive")
        elif name.startswith("calibration"):
            finite(name, *((0.0, 1.0) if name.endswith("_y") else (None, None)))
            if name.endswith("_x") and (np.diff(arrays[name]) < 0).any():
                raise ValueError(f"array {name!r}: calibration knots out of order")
    labels = arrays.get("heldout_labels")
    if labels is not None and labels.size and not np.isin(labels, (0, 1)).all():
        raise ValueError("array 'heldout_labels' holds values other than 0 and 1")


def load_model(directory: str | Path | None = None) -> ThemeClassifier:
    """Load a saved model as a fitted ``ThemeClassifier`` (``get_params``, ``clone``, refit all work)."""
    from .model import ThemeClassifier

    loaded = load_engine(directory)
    try:
        return ThemeClassifier.from_engine(loaded.engine, loaded.params)
    except TypeError as exc:  # parameters this version's estimator does not take
        raise ModelError(f"{loaded.directory / DATA_FILE}: its 'params' do not fit this version's "
                         f"ThemeClassifier: {exc}") from None


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
