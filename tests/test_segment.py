import json
import pickle

import pytest

from cppcc_nlp.segment import Segmenter, default_lexicon, rjieba_available

from conftest import EXTERNAL, ROOT

SEED_TEXT = (ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def jieba_segmenter():
    return Segmenter(backend="jieba")


def test_lexicon_terms_stay_one_token(jieba_segmenter):
    for term in ["党员委员", "履职档案", "社情民意", "专门协商机构", "提案办理", "双向发力"]:
        assert term in jieba_segmenter.cut(f"进一步做好{term}工作"), term


def test_lexicon_words_all_have_explicit_frequencies():
    assert all(freq > 0 for _, freq in default_lexicon())


def test_tokens_drop_stopwords_and_punctuation(jieba_segmenter):
    tokens = jieba_segmenter.tokens("建立委员履职档案，提案实行清单式管理。")
    assert "，" not in tokens and "。" not in tokens and "履职档案" in tokens


def test_segmentation_is_deterministic():
    assert Segmenter(backend="jieba").cut(SEED_TEXT) == Segmenter(backend="jieba").cut(SEED_TEXT)


def test_segmenter_has_its_own_tokenizer_not_jiebas_global(jieba_segmenter):
    import jieba

    jieba_segmenter.cut("测试")
    assert jieba_segmenter.tokenizer is not jieba.dt
    assert not jieba.dt.FREQ.get("专门协商机构")


def test_cache_goes_to_the_given_private_directory(tmp_path):
    Segmenter(backend="jieba", cache_dir=str(tmp_path / "cache")).cut("政协")
    cache = tmp_path / "cache"
    assert any(cache.iterdir())
    assert oct(cache.stat().st_mode & 0o777) == oct(0o700)


def test_segmenter_pickles_without_its_tokenizer(jieba_segmenter):
    jieba_segmenter.cut("政协")
    copy = pickle.loads(pickle.dumps(jieba_segmenter))
    assert copy == jieba_segmenter
    assert copy._tokenizer is None
    assert copy.cut("政协委员") == jieba_segmenter.cut("政协委员")


def test_unknown_backend_is_refused():
    with pytest.raises(ValueError, match="backend"):
        Segmenter(backend="pkuseg")


@pytest.mark.skipif(not rjieba_available(), reason="rjieba not installed")
def test_rjieba_tokens_equal_jieba_tokens_on_the_corpus(jieba_segmenter):
    assert Segmenter(backend="rjieba").cut(SEED_TEXT) == jieba_segmenter.cut(SEED_TEXT)


@pytest.mark.slow
@pytest.mark.skipif(not rjieba_available(), reason="rjieba not installed")
@pytest.mark.skipif(not EXTERNAL.is_dir(), reason="../shared/external not present")
def test_rjieba_tokens_equal_jieba_tokens_on_external_texts(jieba_segmenter):
    fast = Segmenter(backend="rjieba")
    checked = 0
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            text = json.loads(line)["text"]
            assert fast.cut(text) == jieba_segmenter.cut(text), f"{path.name}: {text[:40]}"
            checked += 1
    assert checked > 1000


def test_auto_backend_falls_back_to_jieba_without_rjieba(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rjieba", None)  # what an install without rjieba finds
    monkeypatch.delenv("CPPCC_NLP_TOKENIZER", raising=False)
    segmenter = Segmenter()
    assert segmenter.resolved_backend == "jieba"
    assert "履职档案" in segmenter.cut("建立委员履职档案")
