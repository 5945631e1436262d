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


def as_table(rows: list[dict]):
    """``rows`` as a pandas DataFrame when pandas is installed, else unchanged (pandas stays optional)."""
    try:
        import pandas as pd
    except ImportError:
        return rows
    return pd.DataFrame(rows)


def table_rows(table) -> list[dict]:
    """A DataFrame or a list of dicts back to a list of dicts."""
    if hasattr(table, "to_dict") and hasattr(table, "columns"):
        return table.to_dict("records")
    return [dict(row) for row in table]
