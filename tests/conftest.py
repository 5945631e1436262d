from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"


@pytest.fixture(scope="session")
def records():
    from cppcc_nlp.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def small_model(records):
    """A model fitted on the whole corpus without the threshold search (fast)."""
    from cppcc_nlp.model import ThemeClassifier

    return ThemeClassifier(threshold_folds=0).fit([r.text for r in records], [r.labels for r in records])
