"""What the committed corpus holds: its size and spread, its agreement record, and no external text."""

import json
import re
import subprocess
from collections import Counter

import pytest

from cppcc_nlp.corpus import corpus_stats
from cppcc_nlp.corpus.stats import corpus_agreement
from cppcc_nlp.themes import THEME_IDS

from conftest import EXTERNAL, ROOT, SEED_DOC

ROUND_ONE_SOURCES = {"xwlb-cppcc", "xwlb-poverty", "gwr-national", "gwr-provincial"}
LOCAL = "local-cppcc-web"


def test_the_corpus_spans_the_external_sources(records):
    new = [r for r in records if r.source != SEED_DOC]
    assert {r.source for r in new} == ROUND_ONE_SOURCES | {LOCAL}
    sampled = [r for r in new if r.source in ROUND_ONE_SOURCES]
    assert len(sampled) >= 2500
    assert len({r.group for r in sampled}) >= 250
    selections = Counter(r.selection for r in sampled)
    assert set(selections) <= {"random", "uncertainty", "keyword", "diversity"}
    assert 0.4 <= selections["random"] / len(sampled) <= 0.6
    assert all(r.annotator for r in new)


def test_local_committee_pages_are_labelled_whole_from_over_300_pages(records):
    local = [r for r in records if r.source == LOCAL]
    assert len(local) >= 2500 and len({r.doc for r in local}) >= 300
    assert {r.selection for r in local} == {"all"}
    assert all(r.site for r in local) and len({r.site for r in local}) >= 250


def test_the_unfinished_last_sentence_of_a_cut_page_is_not_a_unit(records):
    from cppcc_nlp.corpus.sources import document_units, iter_documents, read_registry

    spec = read_registry(ROOT / "corpus")[LOCAL]
    labelled = {r.id for r in records if r.source == LOCAL}
    cut = kept = 0
    for document in iter_documents(spec, EXTERNAL / spec.path):
        units = document_units(document)
        last = document.report.sentences[-1]
        if units[-1].span != (last.start, last.end):
            cut += 1
            assert not last.text.rstrip("”’」』）》】〕)\"'").endswith(tuple("。！？；!?;…")), last.text
            assert f"{LOCAL}/{document.doc}-s{last.section_index:02d}-{last.index:03d}" not in labelled
        else:
            kept += 1
    assert cut >= 50 and kept >= 50  # many pages stop mid-sentence, many do not


def test_every_theme_has_enough_positive_units(records):
    stats = corpus_stats(records)
    assert min(stats.units_per_theme.values()) >= 150, stats.units_per_theme


@pytest.mark.parametrize("round_name, adjudication", [("round 1", "adjudication.jsonl"),
                                                       (LOCAL, f"{LOCAL}-adjudication.jsonl")])
def test_each_double_annotation_of_at_least_500_units_is_recorded_and_adjudicated(records, round_name, adjudication):
    result = corpus_agreement(ROOT / "corpus")[round_name]
    assert result.units >= 500 and result.only_a == result.only_b == 0
    adjudicated = [json.loads(line) for line in (ROOT / "corpus" / "agreement" / adjudication).open(encoding="utf-8")]
    assert sorted(a["id"] for a in adjudicated) == sorted(d.id for d in result.disagreements)
    final = {r.id: r for r in records}
    for decision in adjudicated:
        assert set(decision["labels"]) <= set(THEME_IDS) and decision["rule"] and decision["reason"]
        assert final[decision["id"]].labels == tuple(decision["labels"]), decision["id"]


def _external_sentences() -> set[str]:
    sentences = set()
    for path in EXTERNAL.glob("*/*.jsonl"):
        for line in path.open(encoding="utf-8"):
            sentences.update(re.findall(r"[^。！？；\n]{20,}[。！？；]", json.loads(line).get("text", "")))
    return sentences


def test_no_tracked_file_holds_text_of_the_external_sources():
    sentences = _external_sentences()
    assert len(sentences) > 10000
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.decode().split("\0")
    leaks = {}
    for name in filter(None, tracked):
        try:
            text = (ROOT / name).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = [s for s in re.findall(r'[^。！？；\n"]{20,}[。！？；]', text) if s in sentences]
        if found:
            leaks[name] = found[:2]
    assert not leaks, leaks


def test_the_codebook_rules_for_local_pages_are_written_and_their_examples_labelled_by_them(records):
    codebook = (ROOT / "corpus" / "CODEBOOK.md").read_text(encoding="utf-8")
    for number, phrase in (("21", "调研 一次2分"), ("22", "社情民意"), ("23", "一年来"), ("24", "专门协商机构"),
                           ("25", "交办会")):
        rule = re.search(rf"^{number}\. \*\*(.+?)(?=^\d\d\. |^## )", codebook, flags=re.S | re.M)
        assert rule and phrase in rule.group(1), number
    local = [r for r in records if r.source == LOCAL]
    scoring = [r for r in local if re.search(r"[加扣得]\d+分", r.text)]  # rule 21: a member scoring table's items
    assert len(scoring) >= 10 and all(r.labels == ("member_management",) for r in scoring)
    handling = [r for r in local if "交办会" in r.text]  # rule 25: a proposal assignment meeting is a handling step
    assert handling and all("supervision" in r.labels and "consultation" not in r.labels for r in handling)
