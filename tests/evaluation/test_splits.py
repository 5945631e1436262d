"""Held-out splits: never a document on both sides, halves fixed, one registry the command line reads."""

import numpy as np
import pytest

from cppcc_nlp.evaluation.splits import (
    DEFAULT_PROTOCOLS, PROTOCOL_REGISTRY, PROTOCOLS, document_folds, evaluation_half, is_reported, make_splits,
    quick_subset,
)
from cppcc_nlp.reader import LEAD_IN


@pytest.mark.parametrize("protocol", DEFAULT_PROTOCOLS)
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


def test_the_section_protocol_holds_out_each_section_name_once_and_trains_the_lead_in(records):
    sections = np.array([r.section for r in records], dtype=object)
    splits = make_splits(records, "section")
    assert [s.name for s in splits] == [name for name in dict.fromkeys(sections) if name != LEAD_IN]
    for split in splits:
        assert set(sections[split.test]) == {split.name} and split.name not in set(sections[split.train])
        assert len(split.train) + len(split.test) == len(records)


def test_the_section_protocol_gives_the_folds_of_the_old_leave_one_section_out_path(seed_records):
    """The old path: every section but the lead-in, in order; train on every other section (the lead-in too)."""
    old_folds = [name for name in dict.fromkeys(r.section for r in seed_records) if name != LEAD_IN]
    splits = make_splits(seed_records, "section")
    assert [s.name for s in splits] == old_folds and len(old_folds) == 13
    sections = np.array([r.section for r in seed_records], dtype=object)
    for split, held in zip(splits, old_folds):
        assert split.test.tolist() == np.flatnonzero(sections == held).tolist()
        assert split.train.tolist() == np.flatnonzero(sections != held).tolist()


def test_on_the_seed_report_the_section_protocol_holds_out_the_city_protocol_units(seed_records):
    cities = make_splits(seed_records, "city")
    sections = make_splits(seed_records, "section")
    assert [s.test.tolist() for s in cities] == [s.test.tolist() for s in sections]
    assert [s.name.split("#", 1)[1] for s in cities] == [s.name for s in sections]


def test_the_registry_names_every_protocol_once_and_section_runs_only_on_request():
    assert PROTOCOLS == tuple(PROTOCOL_REGISTRY) == ("source", "city", "document", "host", "section")
    assert "section" not in DEFAULT_PROTOCOLS and set(DEFAULT_PROTOCOLS) < set(PROTOCOLS)
    with pytest.raises(ValueError, match="protocol must be one of"):
        make_splits([], "random")


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


def test_document_folds_keep_documents_whole_and_fall_back_to_sections(records, seed_records):
    folds = document_folds(records, 5)
    groups = np.array([r.group for r in records], dtype=object)
    assert len(folds) == 5 and sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(len(records)))
    assert all(not set(groups[f.train]) & set(groups[f.test]) for f in folds)
    seed_folds = document_folds(seed_records, 5)  # one document: whole sections instead
    sections = np.array([r.section for r in seed_records], dtype=object)
    assert len(seed_folds) == 5 and all(not set(sections[f.train]) & set(sections[f.test]) for f in seed_folds)


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


def test_quick_subset_keeps_whole_documents(records):
    subset = quick_subset(records)
    kept = {r.fold_group for r in subset}
    assert all(r in subset for r in records if r.fold_group in kept)
    assert {r.source for r in subset} == {r.source for r in records}
