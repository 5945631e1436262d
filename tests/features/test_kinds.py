"""One table of feature kinds: fitting, loading an engine and checking a model's files all read it."""

import json
import subprocess
import sys

import pytest

from cppcc_nlp import persist
from cppcc_nlp.evaluation.card import save_model
from cppcc_nlp.engine import Engine
from cppcc_nlp.errors import ModelError
from cppcc_nlp.features import FEATURE_KINDS, CharNgrams, CueWords, WordNgrams, feature_kind

from conftest import ROOT


def test_each_kind_names_its_class_and_the_class_carries_every_direction():
    assert FEATURE_KINDS == {"word_ngrams": WordNgrams, "char_ngrams": CharNgrams, "cue_words": CueWords}
    for name, part in FEATURE_KINDS.items():
        assert part.kind == name
        for method in ("fit_transform", "to_data", "from_data", "check_data", "size_of", "expected_arrays"):
            assert callable(getattr(part, method)), (name, method)


def test_a_fitted_model_holds_a_part_of_each_kind_it_asked_for(small_model):
    assert [part.kind for part in small_model.engine_.parts] == ["word_ngrams", "char_ngrams", "cue_words"]


def test_the_arrays_a_model_file_may_hold_come_from_its_parts_kinds(small_model):
    meta, arrays = small_model.engine_.to_data()
    expected = persist.expected_arrays(json.loads(json.dumps(meta)))
    assert set(arrays) <= set(expected)
    assert {name for name in expected if name.startswith("part")} == {"part0_idf", "part1_idf"}
    assert expected["coef"][1] == arrays["coef"].shape


def test_an_unknown_kind_is_refused_naming_the_known_ones(small_model):
    meta, arrays = small_model.engine_.to_data()
    meta = json.loads(json.dumps(meta))
    meta["parts"][2]["kind"] = "hashed_words"
    message = r"unknown feature part 'hashed_words'; known: \['char_ngrams', 'cue_words', 'word_ngrams'\]"
    with pytest.raises(ValueError, match=message):
        Engine.from_data(meta, arrays, small_model.engine_segmenter())
    with pytest.raises(ValueError, match=message):
        persist.expected_arrays(meta)
    with pytest.raises(ValueError, match="unknown feature part None"):
        feature_kind(None)


def test_a_model_file_with_an_unknown_kind_is_refused_at_load(small_model, seed_records, tmp_path):
    save_model(small_model, tmp_path / "m", seed_records)
    path = tmp_path / "m" / persist.DATA_FILE
    data = json.loads(path.read_text(encoding="utf-8"))
    data["engine"]["parts"][1]["kind"] = "char_wb"
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8")
    path.write_bytes(raw)
    card_path = tmp_path / "m" / persist.CARD_FILE
    card = json.loads(card_path.read_text(encoding="utf-8"))
    card["files"][persist.DATA_FILE] = persist.sha256_of(raw)
    card_path.write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match="unknown feature part 'char_wb'"):
        persist.load_engine(tmp_path / "m")


def test_the_feature_parts_and_the_engine_import_without_scikit_learn():
    code = ("import sys; sys.modules['sklearn'] = None\n"
            "import cppcc_nlp.engine, cppcc_nlp.features, cppcc_nlp.persist\n"
            "print(sorted(m for m in sys.modules if m.startswith('sklearn') and sys.modules[m] is not None))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT).stdout
    assert out.strip() == "[]"
