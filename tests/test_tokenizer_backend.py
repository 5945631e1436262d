"""The tokenizer switch ($CPPCC_NLP_TOKENIZER), the jieba fallback's tokens, and rjieba's dependency marker."""

import json
import logging
import sys

import numpy as np
import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from cppcc_nlp.errors import MissingDependencyError, UsageError
from cppcc_nlp.reader import parse_report
from cppcc_nlp.segment import TOKENIZER_VARIABLE, JiebaTokenizer, Segmenter, default_lexicon, resolve_backend, rjieba_available

from conftest import EXTERNAL, ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: tomli, a dependency of the package there (pyproject.toml)
    import tomli as tomllib

needs_rjieba = pytest.mark.skipif(not rjieba_available(), reason="rjieba not installed")

ODD = [
    "", " ", "\n\n", "\r\n", "　　", "2019年", "1963-1968年", "www.cppcc.gov.cn", "3.5%", "C++与C#", "GDP增长6.6%",
    "习近平新时代中国特色社会主义思想", "石家庄市政协主席张三丰李四光", "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨",
    "政协委员开展调研。\n提案办理", "abc中文def", "ＡＢＣ１２３全角", "…—“”《》", "の漢字",
    # characters that rjieba takes for Chinese and jieba does not (CJK extensions, U+9FD6-U+9FFF, compatibility)
    "𠀀𠀁", "㐀㐁政协", "王𬭚说话", "鿖鿗委员", "豈更", "丽丸a1", "𪜀 𪜁", "中国㐀人民𠀀𠀀政协",
]


@pytest.fixture
def no_rjieba(monkeypatch):
    """What an install without rjieba finds: importing it fails."""
    monkeypatch.setitem(sys.modules, "rjieba", None)


@pytest.fixture(scope="module")
def sentences():
    """About 800 sentences: the committed seed report's and some of each archive of ../shared/external, as the reader splits them."""
    texts = []
    for path in sorted((ROOT / "corpus" / "raw").glob("*.txt")):
        texts += [s.text for s in parse_report(path.read_text(encoding="utf-8"), path.stem).sentences]
    for path in sorted(EXTERNAL.glob("*/*.jsonl")):
        taken = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            report = parse_report(json.loads(line)["text"], path.stem)
            texts += [s.text for s in report.sentences[:40]]
            taken += min(len(report.sentences), 40)
            if taken >= 150:
                break
    assert len(texts) >= 600
    return texts + ODD


# -- the switch ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "auto", " AUTO "])
def test_auto_is_rjieba_when_installed_else_jieba(monkeypatch, value):
    if value is None:
        monkeypatch.delenv(TOKENIZER_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(TOKENIZER_VARIABLE, value)
    assert resolve_backend("auto") == ("rjieba" if rjieba_available() else "jieba")


def test_auto_without_rjieba_is_jieba(monkeypatch, no_rjieba):
    monkeypatch.delenv(TOKENIZER_VARIABLE, raising=False)
    assert not rjieba_available()
    assert Segmenter().resolved_backend == "jieba"
    assert isinstance(Segmenter().tokenizer, JiebaTokenizer)


@needs_rjieba
def test_the_variable_chooses_what_auto_is(monkeypatch):
    monkeypatch.setenv(TOKENIZER_VARIABLE, "jieba")
    assert Segmenter().resolved_backend == "jieba"
    assert isinstance(Segmenter().tokenizer, JiebaTokenizer)
    monkeypatch.setenv(TOKENIZER_VARIABLE, "rjieba")
    assert Segmenter().resolved_backend == "rjieba"
    assert not isinstance(Segmenter().tokenizer, JiebaTokenizer)


def test_the_variable_does_not_change_an_explicit_backend(monkeypatch):
    monkeypatch.setenv(TOKENIZER_VARIABLE, "rjieba" if rjieba_available() else "jieba")
    assert Segmenter(backend="jieba").resolved_backend == "jieba"


def test_an_unknown_value_is_an_error_naming_the_variable_and_the_choices(monkeypatch):
    monkeypatch.setenv(TOKENIZER_VARIABLE, "pkuseg")
    with pytest.raises(UsageError) as raised:
        Segmenter()
    message = str(raised.value)
    assert TOKENIZER_VARIABLE in message and "'pkuseg'" in message
    assert all(choice in message for choice in ("auto", "jieba", "rjieba"))


def test_an_unknown_value_fails_when_a_pickled_segmenter_is_loaded(monkeypatch):
    import pickle

    monkeypatch.delenv(TOKENIZER_VARIABLE, raising=False)
    pickled = pickle.dumps(Segmenter(backend="auto"))
    monkeypatch.setenv(TOKENIZER_VARIABLE, "fast")
    with pytest.raises(UsageError, match=TOKENIZER_VARIABLE):
        pickle.loads(pickled)


def test_rjieba_asked_for_but_not_installed_is_a_missing_dependency(monkeypatch, no_rjieba):
    monkeypatch.setenv(TOKENIZER_VARIABLE, "rjieba")
    with pytest.raises(MissingDependencyError, match=f"{TOKENIZER_VARIABLE}=rjieba needs rjieba") as raised:
        Segmenter()
    assert "pip install rjieba" in str(raised.value) and raised.value.exit_code == 9
    monkeypatch.delenv(TOKENIZER_VARIABLE)
    with pytest.raises(MissingDependencyError, match="backend='rjieba' needs rjieba"):
        Segmenter(backend="rjieba")


def test_the_cli_reports_a_bad_value_in_one_line(monkeypatch, capsys):
    from cppcc_nlp.cli import main

    monkeypatch.setenv(TOKENIZER_VARIABLE, "nope")
    assert main(["label", str(ROOT / "corpus" / "raw"), "-o", "-", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and TOKENIZER_VARIABLE in err and "Traceback" not in err


# -- the jieba fallback: jieba's tokens, rjieba's tokens, the same predictions --------------------


@pytest.mark.parametrize("lexicon", [(), default_lexicon()], ids=["jieba-dictionary", "with-lexicon"])
def test_the_fallback_cuts_as_jieba_does(sentences, tmp_path, lexicon):
    import jieba

    jieba.setLogLevel(logging.WARNING)
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path)
    for word, freq in lexicon:
        reference.add_word(word, freq)
    fallback = JiebaTokenizer.load(lexicon, tmp_path)
    for text in sentences + ["\n".join(sentences[:50])]:
        assert fallback.lcut(text) == reference.lcut(text), text


def test_the_fallback_splits_a_zero_frequency_word_as_jieba_does(tmp_path, monkeypatch):
    import jieba
    from jieba import finalseg

    monkeypatch.setattr(finalseg, "Force_Split_Words", set())  # jieba keeps such words in a module-wide set
    lexicon = (("鑫淼焱", 0), ("履职档案", 5000))
    reference = jieba.Tokenizer()
    reference.tmp_dir = str(tmp_path)
    for word, freq in lexicon:
        reference.add_word(word, freq)
    text = "张鑫淼焱建立履职档案，鑫淼焱垚说"
    expected = reference.lcut(text)
    finalseg.Force_Split_Words.clear()
    assert JiebaTokenizer.load(lexicon, tmp_path).lcut(text) == expected
    finalseg.Force_Split_Words.clear()
    assert JiebaTokenizer.load(lexicon, tmp_path).lcut(text) == expected  # from the cached table


@needs_rjieba
def test_the_fallback_tokens_equal_rjiebas(sentences):
    fallback, fast = Segmenter(backend="jieba"), Segmenter(backend="rjieba")
    for text in sentences:
        assert fallback.cut(text) == fast.cut(text), text
        assert fallback.tokens(text) == fast.tokens(text), text


@needs_rjieba
@pytest.mark.parametrize("first, last", [(0x3400, 0x4DBF), (0x9FD6, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF),
                                         (0x2A700, 0x2EBEF), (0x2F800, 0x2FA1F)])
def test_rjieba_cuts_as_jieba_around_the_characters_only_it_takes_for_chinese(first, last):
    fallback, fast = Segmenter(backend="jieba"), Segmenter(backend="rjieba")
    for code in (first - 1, first, first + 1, (first + last) // 2, last - 1, last, last + 1):
        c = chr(code)
        for text in (c + c, "政协" + c + c + "委员", "王" + c + "说", c + "a1" + c, "中国" + c + "人民" + c + c + "政协"):
            assert fallback.cut(text) == fast.cut(text), (hex(code), text)


@needs_rjieba
def test_the_shipped_model_predicts_the_same_with_either_tokenizer(sentences, monkeypatch):
    from cppcc_nlp.persist import load_engine

    probabilities = {}
    for choice in ("jieba", "rjieba"):
        monkeypatch.setenv(TOKENIZER_VARIABLE, choice)
        engine = load_engine().engine
        assert {part.segmenter.resolved_backend for part in engine.parts if hasattr(part, "segmenter")} == {choice}
        probabilities[choice] = engine.predict_proba(sentences)
    assert np.array_equal(probabilities["jieba"], probabilities["rjieba"])


def test_the_fallback_reads_its_table_from_the_cache_after_the_first_build(tmp_path, monkeypatch):
    import jieba

    first = JiebaTokenizer.load(default_lexicon(), tmp_path)
    assert list(tmp_path.glob("jieba-logfreq-*.marshal"))

    def no_dictionary_load(*args, **kwargs):
        raise AssertionError("jieba's dictionary was loaded again")

    monkeypatch.setattr(jieba, "Tokenizer", no_dictionary_load)
    again = JiebaTokenizer.load(default_lexicon(), tmp_path)
    assert again.table == first.table and again.unknown == first.unknown
    with pytest.raises(AssertionError, match="loaded again"):
        JiebaTokenizer.load((("另一个词", 5),), tmp_path)  # another lexicon: another table


def test_a_damaged_table_is_rebuilt(tmp_path):
    text = "建立委员履职档案，提案实行清单式管理。"
    expected = JiebaTokenizer.load(default_lexicon(), tmp_path).lcut(text)
    (path,) = tmp_path.glob("jieba-logfreq-*.marshal")
    path.write_bytes(path.read_bytes()[:1000])
    assert JiebaTokenizer.load(default_lexicon(), tmp_path).lcut(text) == expected
    assert path.stat().st_size > 1000


# -- the dependency marker ----------------------------------------------------------------------


def rjieba_requirement() -> Requirement:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    (line,) = [d for d in project["dependencies"] if Requirement(d).name == "rjieba"]
    return Requirement(line)


@pytest.mark.parametrize("system, machine, installs", [
    ("Linux", "x86_64", True), ("Linux", "aarch64", True), ("Linux", "armv7l", True), ("Linux", "i686", True),
    ("Darwin", "x86_64", True), ("Darwin", "arm64", True),
    ("Windows", "AMD64", True), ("Windows", "x86", True),
    ("Windows", "ARM64", False), ("Linux", "ppc64le", False), ("Linux", "s390x", False), ("Linux", "riscv64", False),
    ("FreeBSD", "amd64", False), ("Darwin", "aarch64", False), ("Linux", "AMD64", False),
])
def test_rjieba_is_a_core_dependency_where_it_has_wheels(system, machine, installs):
    requirement = rjieba_requirement()
    assert str(requirement.specifier) == ">=0.2.2"
    assert isinstance(requirement.marker, Marker)
    assert requirement.marker.evaluate({"platform_system": system, "platform_machine": machine}) is installs


def test_jieba_stays_a_dependency_everywhere_and_the_extras_still_name_rjieba():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    jieba = [Requirement(d) for d in project["dependencies"] if Requirement(d).name == "jieba"]
    assert len(jieba) == 1 and jieba[0].marker is None
    extras = project["optional-dependencies"]
    assert [Requirement(d).name for d in extras["fast"]] == ["rjieba"]
    assert "rjieba" not in {Requirement(d).name for d in extras["batch"]}

