"""What the committed corpus holds: its size and spread, its agreement record, and no external text."""

import json
import re
import subprocess
from collections import Counter

from cppcc_nlp.corpus import corpus_stats
from cppcc_nlp.corpus.stats import corpus_agreement
from cppcc_nlp.themes import THEME_IDS

from conftest import EXTERNAL, ROOT, SEED_DOC

EXTERNAL_SOURCES = {"xwlb-cppcc", "xwlb-poverty", "gwr-national", "gwr-provincial"}


def test_the_corpus_spans_the_four_external_sources(records):
    new = [r for r in records if r.source != SEED_DOC]
    assert {r.source for r in new} == EXTERNAL_SOURCES
    assert len(new) >= 2500
    assert len({r.group for r in new}) >= 250
    selections = Counter(r.selection for r in new)
    assert set(selections) <= {"random", "uncertainty", "keyword", "diversity"}
    assert 0.4 <= selections["random"] / len(new) <= 0.6
    assert all(r.annotator for r in new)


def test_every_theme_has_enough_positive_units(records):
    stats = corpus_stats(records)
    assert min(stats.units_per_theme.values()) >= 150, stats.units_per_theme


def test_a_double_annotation_of_at_least_500_new_units_is_recorded_and_adjudicated(records):
    result = corpus_agreement(ROOT / "corpus")
    assert result is not None and result.units >= 500 and result.only_a == result.only_b == 0
    adjudicated = [json.loads(line) for line in (ROOT / "corpus" / "agreement" / "adjudication.jsonl").open(encoding="utf-8")]
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
