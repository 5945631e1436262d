"""Every way the package holds units out: one registry of protocols, each a list of splits; never a random split.

Five protocols (train on ``train``, predict ``test``):

- ``source``: leave one source out — train on every other source, test on it;
- ``city``: leave one section of the single committed report (the seed's
  cities) out — train on everything else;
- ``document``: inside each large source, 5 folds of whole documents —
  train on the other sources and the other folds;
- ``host``: inside each source whose documents name their site (the local
  committees' pages), 5 folds of whole sites — no site on both sides;
- ``section``: leave one section out, for every section name of the units
  (the lead-in always trains) — the comparison of configurations on one
  fully labelled report, every held-out unit reported.

Which units the first four report was fixed before any tuning: every document (for
the seed, every city; for a source with sites, every site) falls by a hash
of its id into a *development* or a *test* half. Configurations are compared on the development half; headline
figures are measured on the test half, on units selected at random (so they
represent the source) unless said otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..corpus.records import LabelRecord
from ..reader import LEAD_IN

HALVES = ("dev", "test")
LARGE_SOURCE_DOCS = 100  # a source with at least this many documents gets the document protocol
DOCUMENT_FOLDS = 5
HOST_FOLDS = 5


@dataclass(frozen=True)
class Split:
    """One fit of a protocol: the positions of its training and its test units."""

    protocol: str
    name: str
    train: np.ndarray
    test: np.ndarray


# -- which units are reported --------------------------------------------------------------


def evaluation_half(record: LabelRecord) -> str:
    """``dev`` or ``test``: fixed by a hash of the document (the section, for the committed report; the site,
    where the source names one)."""
    key = record.fold_group if record.span is None else f"{record.source}@{record.site}" if record.site else record.group
    return HALVES[hashlib.sha256(key.encode("utf-8")).digest()[0] % 2]


def is_reported(record: LabelRecord) -> bool:
    """A unit of the headline figures: in the test half, and selected at random (or the fully labelled report)."""
    return evaluation_half(record) == "test" and record.selection in ("random", "all")


def every_unit(record: LabelRecord) -> bool:
    """Every held-out unit is reported (the leave-one-section-out comparison)."""
    return True


# -- the fold builders ---------------------------------------------------------------------


def _group_folds(groups: np.ndarray, n_splits: int):
    from sklearn.model_selection import GroupKFold

    return GroupKFold(n_splits).split(groups, groups=groups)


def source_splits(records: Sequence[LabelRecord]) -> list[Split]:
    """Leave one source out (none with a single source: nothing to train on)."""
    index = np.arange(len(records))
    sources = np.array([r.source for r in records], dtype=object)
    names = sorted(set(sources)) if len(set(sources)) > 1 else []
    return [Split("source", source, index[sources != source], index[sources == source]) for source in names]


def city_splits(records: Sequence[LabelRecord]) -> list[Split]:
    """Leave one section of each single committed report (a source without spans) out; the lead-in always trains."""
    index = np.arange(len(records))
    sources = sorted({r.source for r in records})
    single = [s for s in sources if all(r.span is None for r in records if r.source == s)]
    splits = []
    for source in single:
        for section in dict.fromkeys(r.section for r in records if r.source == source):
            if section == LEAD_IN:
                continue
            held = np.array([r.source == source and r.section == section for r in records])
            splits.append(Split("city", f"{source}#{section}", index[~held], index[held]))
    return splits


def _folds_inside_sources(records: Sequence[LabelRecord], protocol: str, keys: np.ndarray, n_folds: int,
                          name: str, min_groups: int = 0) -> list[Split]:
    """Inside each source, ``n_folds`` folds of whole groups (``keys``, one per record; "" is in no group); a source
    with fewer than ``min_groups`` groups is left out. Every record outside the fold trains."""
    index = np.arange(len(records))
    sources = np.array([r.source for r in records], dtype=object)
    splits = []
    for source in sorted({source for source, key in zip(sources, keys) if key != ""}):
        inside = index[(sources == source) & (keys != "")]
        if len(set(keys[inside])) < min_groups:
            continue
        for k, (_, test) in enumerate(_group_folds(keys[inside], n_folds)):
            held = inside[test]
            splits.append(Split(protocol, f"{source}/{name}{k}", np.setdiff1d(index, held), held))
    return splits


def document_splits(records: Sequence[LabelRecord]) -> list[Split]:
    """Inside each source of at least ``LARGE_SOURCE_DOCS`` documents, ``DOCUMENT_FOLDS`` folds of whole documents."""
    groups = np.array([r.group for r in records], dtype=object)
    return _folds_inside_sources(records, "document", groups, DOCUMENT_FOLDS, "fold", LARGE_SOURCE_DOCS)


def host_splits(records: Sequence[LabelRecord]) -> list[Split]:
    """Inside each source whose units name their site, ``HOST_FOLDS`` folds of whole sites."""
    sites = np.array([r.site for r in records], dtype=object)
    return _folds_inside_sources(records, "host", sites, HOST_FOLDS, "hosts")


def section_splits(records: Sequence[LabelRecord]) -> list[Split]:
    """Leave one section out, for every section name in order of appearance; the lead-in always trains."""
    index = np.arange(len(records))
    sections = np.array([r.section for r in records], dtype=object)
    return [Split("section", name, index[sections != name], index[sections == name])
            for name in dict.fromkeys(sections) if name != LEAD_IN]


def document_groups(records: Sequence[LabelRecord], folds: int = 5) -> list[str]:
    """Each unit's document; its document and section when there are fewer documents than ``folds``."""
    groups = [r.group for r in records]
    if len(set(groups)) < folds:  # fewer documents than folds: keep whole sections together instead
        groups = [f"{r.group}#{r.section}" for r in records]
    return groups


def document_folds(records: Sequence[LabelRecord], folds: int = 5) -> list[Split]:
    """``folds`` folds of whole ``document_groups`` over all ``records`` (the audit's folds)."""
    groups = np.array(document_groups(records, folds), dtype=object)
    return [Split("documents", f"fold{k}", train, test)
            for k, (train, test) in enumerate(_group_folds(groups, min(folds, len(set(groups)))))]


# -- the registry ----------------------------------------------------------------------------


def fold_group(record: LabelRecord) -> str:
    """The document, or the section of a single committed report (``LabelRecord.fold_group``)."""
    return record.fold_group


def section_of(record: LabelRecord) -> str:
    """The unit's section name."""
    return record.section


@dataclass(frozen=True)
class Protocol:
    """A way to hold units out: its splits, the units its figures count, and where it runs."""

    name: str
    title: str  # the heading of its table
    make_splits: Callable[[Sequence[LabelRecord]], list[Split]]
    reports: Callable[[LabelRecord], bool]  # which held-out units its figures count
    inner_group: Callable[[LabelRecord], str] = fold_group  # what fit's own folds (the thresholds) keep together
    by_default: bool = True  # `cppcc-nlp evaluate` without --protocol runs it
    quick: bool = True  # `cppcc-nlp evaluate --quick` runs it


PROTOCOL_REGISTRY: dict[str, Protocol] = {protocol.name: protocol for protocol in (
    Protocol("source", "Leave one source out", source_splits, is_reported),
    Protocol("city", "Leave one city out (the committed report)", city_splits, is_reported),
    Protocol("document", "Held-out documents inside the large sources (5 folds)", document_splits, is_reported,
             quick=False),
    Protocol("host", "Held-out sites inside the local committees' pages (5 folds of whole hosts)", host_splits,
             is_reported),
    # one fit per section name: a corpus of many documents has hundreds, so only on request
    Protocol("section", "Leave one section out (every held-out unit)", section_splits, every_unit,
             inner_group=section_of, by_default=False),
)}
PROTOCOLS = tuple(PROTOCOL_REGISTRY)  # the names, in the order `cppcc-nlp evaluate` runs them (its --protocol choices)
DEFAULT_PROTOCOLS = tuple(name for name, protocol in PROTOCOL_REGISTRY.items() if protocol.by_default)


def protocol_of(name: str) -> Protocol:
    """The registered protocol ``name``; ValueError naming the choices otherwise."""
    if name not in PROTOCOL_REGISTRY:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, got {name!r}")
    return PROTOCOL_REGISTRY[name]


def make_splits(records: Sequence[LabelRecord], protocol: str) -> list[Split]:
    """The splits of one protocol over ``records``."""
    return protocol_of(protocol).make_splits(records)


def quick_subset(records: Sequence[LabelRecord], per_source: int = 60, seed: int = 0) -> list[LabelRecord]:
    """A small corpus for a fast run: up to ``per_source`` whole documents' units from each source, in order."""
    rng = np.random.default_rng(seed)
    keep: set[str] = set()
    for source in sorted({r.source for r in records}):
        groups = sorted({r.fold_group for r in records if r.source == source})
        rng.shuffle(groups)
        total = 0
        for group in groups:
            if total >= per_source:
                break
            keep.add(group)
            total += sum(1 for r in records if r.fold_group == group)
    return [r for r in records if r.fold_group in keep]
