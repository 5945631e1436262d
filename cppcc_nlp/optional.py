"""Optional dependencies: import one, or raise ``MissingDependencyError`` naming the extra that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import MissingDependencyError

# The extra of pyproject.toml that installs each optional top-level module.
EXTRAS = {
    "matplotlib": "research",
    "pandas": "research",
    "pyarrow": "batch",
    "dask": "cluster",
    "distributed": "cluster",
}


def require(module: str, feature: str) -> ModuleType:
    """Import ``module`` for ``feature`` (e.g. "--plot"), or raise MissingDependencyError naming the extra."""
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        extra = EXTRAS.get(top)
        how = f'pip install "cppcc_nlp[{extra}]"' if extra else f"pip install {top}"
        raise MissingDependencyError(f"{feature} needs {top}, which is not installed: {how}") from None
