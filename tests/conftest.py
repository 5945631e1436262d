from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXTERNAL = ROOT.parent / "shared" / "external"


@pytest.fixture(scope="session", autouse=True)
def private_user_cache(tmp_path_factory):
    """Keep the tests' jieba cache, trust list and compiled models out of the real ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture(scope="session")
def records():
    from cppcc_nlp.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def small_model(records):
    """A model fitted on the whole corpus without the threshold search (fast)."""
    from cppcc_nlp.model import ThemeClassifier

    return ThemeClassifier(threshold_folds=0).fit([r.text for r in records], [r.labels for r in records])
