"""What is installed: the package version, the shipped model's identity and the segmentation backend.

Reads the shipped model's card as JSON only: nothing is unpickled or loaded.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata


def package_version() -> str:
    try:
        return metadata.version("cppcc_nlp")
    except metadata.PackageNotFoundError:
        return "unknown (not installed)"


def shipped_model_info() -> dict:
    """The shipped model's directory, the sha256 of its card (its id) and a few card fields, or an ``error``."""
    from .persist import CARD_FILE, default_model_dir

    path = default_model_dir() / CARD_FILE
    info: dict = {"directory": str(path.parent)}
    try:
        raw = path.read_bytes()
        card = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError) as exc:
        info["error"] = f"{path}: cannot read the model card ({exc})"
        return info
    info["card_sha256"] = hashlib.sha256(raw).hexdigest()
    if not isinstance(card, dict):
        info["error"] = f"{path}: not a model card"
        return info
    for key in ("format", "created", "training_units"):
        if key in card:
            info[key] = card[key]
    info["backend"] = (card.get("params") or {}).get("backend", "auto")
    return info


def segmentation_backend(requested: str = "auto") -> str:
    """The tokenizer a model asking for ``requested`` would get here (``segment.resolve_backend``)."""
    from .segment import resolve_backend

    return resolve_backend(requested)


def version_info() -> dict:
    """Package version, shipped model (card sha256, format, date, training units) and segmentation backend."""
    model = shipped_model_info()
    from .errors import CppccNlpError

    try:
        backend = segmentation_backend(model.get("backend", "auto"))
    except CppccNlpError as exc:  # a bad $CPPCC_NLP_TOKENIZER: --version says so rather than failing
        return {"cppcc_nlp": package_version(), "model": model, "segmentation": "error:", "segmentation_version": str(exc)}
    try:
        backend_version = metadata.version(backend)
    except metadata.PackageNotFoundError:
        backend_version = "unknown"
    return {"cppcc_nlp": package_version(), "model": model, "segmentation": backend,
            "segmentation_version": backend_version}


def version_text() -> str:
    """``version_info`` as the lines ``cppcc-nlp --version`` prints."""
    info = version_info()
    model = info["model"]
    if "error" in model:
        model_lines = [f"model: {model['error']}"]
    else:
        details = "; ".join(
            part for part in (
                f"format {model['format']}" if "format" in model else None,
                f"created {model['created']}" if "created" in model else None,
                f"{model['training_units']} training units" if "training_units" in model else None,
            ) if part
        )
        model_lines = [
            f"model: shipped default, sha256 {model['card_sha256']} (of model_card.json; {details})",
            f"model directory: {model['directory']}",
        ]
    return "\n".join([
        f"cppcc_nlp {info['cppcc_nlp']}",
        *model_lines,
        f"segmentation: {info['segmentation']} {info['segmentation_version']}",
    ])
