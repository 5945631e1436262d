import json
import re
import shutil
from pathlib import Path

import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.corpus import corpus_stats, load_corpus, read_label_file
from cppcc_nlp.errors import CorpusError
from cppcc_nlp.reader import read_report
from cppcc_nlp.themes import THEME_IDS

from conftest import ROOT

LABELS = ROOT / "corpus" / "labels" / "hebei-2019-cppcc-highlights.jsonl"


def test_every_seed_sentence_has_exactly_one_record(seed_records):
    report = read_report(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")
    assert [r.text for r in seed_records] == [s.text for s in report.sentences]
    assert len({r.id for r in seed_records}) == len(seed_records) == 194


def test_records_follow_the_codebook_format(records):
    for record in records:
        assert set(record.labels) <= set(THEME_IDS)
        assert list(record.labels) == sorted(record.labels)
    assert {r.section for r in records} >= {"石家庄市", "辛集市", "导语"}


def test_every_theme_is_used_and_empty_units_exist(records):
    stats = corpus_stats(records)
    assert all(count > 0 for count in stats.units_per_theme.values())
    assert 0 < stats.empty_units < len(records)


@pytest.fixture
def corpus_copy(tmp_path):
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    return tmp_path / "corpus"


def _rewrite_line(path: Path, number: int, change) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[number - 1] = change(lines[number - 1])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_record(path: Path, number: int, edit) -> None:
    """Apply ``edit`` to the JSON record on line ``number``."""

    def change(line):
        obj = json.loads(line)
        edit(obj)
        return json.dumps(obj, ensure_ascii=False)

    _rewrite_line(path, number, change)


def test_malformed_line_names_file_and_line(corpus_copy):
    path = corpus_copy / "labels" / LABELS.name
    _rewrite_line(path, 5, lambda line: line[:-3])
    with pytest.raises(CorpusError, match=rf"{LABELS.name}:5: not valid JSON"):
        load_corpus(corpus_copy)


def test_unknown_theme_is_refused(corpus_copy):
    _edit_record(corpus_copy / "labels" / LABELS.name, 3, lambda obj: obj.update(labels=["poverty"]))
    with pytest.raises(CorpusError, match=r":3: unknown theme id"):
        load_corpus(corpus_copy)


def test_duplicate_id_is_refused(corpus_copy):
    path = corpus_copy / "labels" / LABELS.name
    first = path.read_text(encoding="utf-8").splitlines()[0]
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(first + "\n")
    with pytest.raises(CorpusError, match="duplicate id"):
        load_corpus(corpus_copy)


def test_text_that_differs_from_the_raw_report_is_refused(corpus_copy):
    _edit_record(corpus_copy / "labels" / LABELS.name, 10, lambda obj: obj.update(text=obj["text"] + "多余"))
    with pytest.raises(CorpusError, match=r":10: text differs"):
        load_corpus(corpus_copy)


def test_missing_record_is_refused(corpus_copy):
    path = corpus_copy / "labels" / LABELS.name
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="have no record"):
        load_corpus(corpus_copy)


def test_missing_key_is_refused(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"id": "a", "doc": "d", "section": "s", "text": "t"}\n', encoding="utf-8")
    with pytest.raises(CorpusError, match=r"x.jsonl:1: missing key\(s\) labels"):
        read_label_file(path)


def test_corpus_stats_command_prints_sources_themes_and_agreement(capsys, records):
    assert main(["corpus", "stats"]) == 0
    out = capsys.readouterr().out
    assert f"units: {len(records)}   documents: {len({r.group for r in records})}" in out
    for source in ("hebei-2019-cppcc-highlights", "xwlb-cppcc", "xwlb-poverty", "gwr-national", "gwr-provincial"):
        assert re.search(rf"^  {source} +\d+ +\d+", out, re.M), source
    assert "inter-annotator agreement" in out and "kappa" in out and "alpha" in out
    assert "how units were selected" in out and "co-occurrence" in out
