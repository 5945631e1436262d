"""Checking a model's data before and after reading its arrays: shapes, kinds, bounds and values."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np

from ..features import feature_kind


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
        feature_kind(part.get("kind")).check_data(part, number)
        for key in ("weight",):
            value = part.get(key, 1.0)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValueError(f"feature part {number}: {key!r} must be a finite number, got {value!r}")
    segmenter = data.get("segmenter")
    if segmenter is not None and not (isinstance(segmenter, dict) and isinstance(segmenter.get("lexicon"), list)
                                      and isinstance(segmenter.get("stopwords"), list)):
        raise ValueError("model.json's 'segmenter' must hold a 'lexicon' and 'stopwords' list")


def expected_arrays(meta: dict) -> dict[str, tuple[str, tuple]]:
    """Every array ``model.npz`` may hold for the engine ``meta`` describes: name -> (dtype kinds, shape).

    A dimension of None is not in ``model.json`` (calibration knots, held-out
    units) and is bounded instead; ``read_arrays`` refuses any other member.
    """
    themes = len(meta["themes"])
    features = sum(feature_kind(part.get("kind")).size_of(part) for part in meta["parts"])
    expected = {"coef": (_FLOAT, (features, themes)), "intercept": (_FLOAT, (themes,)),
                "thresholds": (_FLOAT, (themes,)),
                "heldout_probabilities": (_FLOAT, (None, themes)), "heldout_labels": (_LABEL, (None, themes))}
    for number, part in enumerate(meta["parts"]):
        for name, array in feature_kind(part.get("kind")).expected_arrays(part).items():
            expected[f"part{number}_{name}"] = array
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
