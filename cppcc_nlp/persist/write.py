"""Writing a model directory: the files' bytes (the same model gives the same bytes) and the swap that
puts a whole new directory in place of the old one."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from .files import (ARRAYS_FILE, CARD_FILE, CARD_FORMAT, CARD_MARKDOWN, DATA_FILE, _ZIP_DATE, library_versions,
                    sha256_of)

if TYPE_CHECKING:
    from ..model import ThemeClassifier


# -- writing ------------------------------------------------------------------------------


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
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
    return {ARRAYS_FILE: npz_bytes(arrays), DATA_FILE: text.encode("utf-8")}


def write_model_directory(model: ThemeClassifier, directory: str | Path, training: dict, evaluation,
                          extra: dict | None, render_card: Callable[[dict], str], overwrite: bool = False) -> dict:
    """The model files, the card that names their hashes and its Markdown (``render_card(card)``), in a new
    directory swapped in for ``directory``; return the card.

    ``training``: ``training_data_sha256``, ``training_units`` and ``created``.
    The directory is always a whole model (the old one or the new one); one
    that holds another model is replaced only with ``overwrite``
    (``check_model_output`` says what is refused).
    """
    directory = Path(directory)
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
                CARD_MARKDOWN: render_card(card).encode("utf-8")}
    _replace_directory(directory, contents)
    return card




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
    from ..errors import UsageError

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

    from ..errors import OutputError

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
