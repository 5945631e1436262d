"""Held-out evaluation: splits never share a document, halves are fixed, intervals resample documents."""

import json

import numpy as np
import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.protocols import (
    PROTOCOLS, bootstrap_interval, evaluation_half, is_reported, make_splits, micro_macro, quick_subset,
)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_no_document_is_on_both_sides_of_a_split(records, protocol):
    groups = np.array([r.fold_group for r in records], dtype=object)
    splits = make_splits(records, protocol)
    assert splits
    tested = np.concatenate([s.test for s in splits])
    assert len(tested) == len(set(tested.tolist()))  # every unit is tested at most once
    for split in splits:
        assert not set(groups[split.train]) & set(groups[split.test]), split.name
        assert not set(split.train.tolist()) & set(split.test.tolist())
        if protocol == "source":
            assert len({records[i].source for i in split.test}) == 1
            assert records[split.test[0]].source not in {records[i].source for i in split.train}


def test_the_source_protocol_tests_every_unit_and_the_city_protocol_the_seed_cities(records):
    assert sum(len(s.test) for s in make_splits(records, "source")) == len(records)
    cities = make_splits(records, "city")
    assert len(cities) == 13 and all(records[s.test[0]].span is None for s in cities)
    documents = make_splits(records, "document")
    assert {s.name.split("/")[0] for s in documents} == {"xwlb-cppcc", "xwlb-poverty", "local-cppcc-web"}


def test_the_host_protocol_keeps_every_site_on_one_side(records):
    splits = make_splits(records, "host")
    assert len(splits) == 5
    sites = np.array([r.site for r in records], dtype=object)
    tested = np.concatenate([s.test for s in splits])
    local = [i for i, r in enumerate(records) if r.source == "local-cppcc-web"]
    assert sorted(tested.tolist()) == local  # every local unit is tested once
    for split in splits:
        assert not set(sites[split.train]) & set(sites[split.test]), split.name
        assert {records[i].source for i in split.train} > {"xwlb-cppcc", "gwr-national"}  # the other sources train


def test_a_site_falls_wholly_into_one_half(records):
    halves = {}
    for r in records:
        if r.site:
            halves.setdefault(r.site, set()).add(evaluation_half(r))
    assert len(halves) >= 250 and all(len(h) == 1 for h in halves.values())
    share = np.mean([h == {"test"} for h in halves.values()])
    assert 0.35 < share < 0.65


def test_halves_are_fixed_by_document_and_split_the_corpus(records):
    halves = {}
    for r in records:
        halves.setdefault(r.fold_group, set()).add(evaluation_half(r))
    assert all(len(h) == 1 for h in halves.values())
    share = np.mean([evaluation_half(r) == "test" for r in records])
    assert 0.4 < share < 0.6
    reported = [r for r in records if is_reported(r)]
    assert reported and all(r.selection in ("random", "all") for r in reported)


def test_bootstrap_resamples_documents():
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 1]])
    predicted = np.array([[1, 0], [1, 0], [0, 0], [0, 0]])
    one_doc = bootstrap_interval(truth, predicted, ["d"] * 4, rounds=200)
    point = micro_macro(truth, predicted)[0]
    assert one_doc["micro_f1"] == [round(point, 3), round(point, 3)]  # one document: nothing to resample
    two_docs = bootstrap_interval(truth, predicted, ["a", "a", "b", "b"], rounds=200)
    assert two_docs["micro_f1"][0] < point < two_docs["micro_f1"][1] or two_docs["micro_f1"][0] <= point


def test_quick_subset_keeps_whole_documents(records):
    subset = quick_subset(records)
    kept = {r.fold_group for r in subset}
    assert all(r in subset for r in records if r.fold_group in kept)
    assert {r.source for r in subset} == {r.source for r in records}


def test_evaluate_quick_prints_and_writes_the_held_out_figures(tmp_path, capsys):
    out = tmp_path / "eval.json"
    assert main(["evaluate", "--quick", "--protocol", "source", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Leave one source out" in printed and "keyword" in printed and "95 % CI" in printed
    result = json.loads(out.read_text(encoding="utf-8"))
    rows = result["protocols"]["source"]
    assert {"xwlb-cppcc", "gwr-national", "all"} <= set(rows)
    lo, hi = rows["all"]["model"]["interval"]["micro_f1"]
    assert lo <= rows["all"]["model"]["micro_f1"] <= hi

