"""Fixtures shared by the evaluation tests."""

import pytest

from cppcc_nlp.model import ThemeClassifier
from cppcc_nlp.reader import LEAD_IN


@pytest.fixture(scope="session")
def subset(seed_records):
    """The lead-in and the first five city sections of the seed report: enough for fast evaluations."""
    sections = [name for name in dict.fromkeys(r.section for r in seed_records) if name != LEAD_IN]
    keep = {LEAD_IN, *sections[:5]}
    return [r for r in seed_records if r.section in keep]


def fast_estimator(**params) -> ThemeClassifier:
    """Character n-grams without the threshold search: a fit in well under a second on the subset."""
    return ThemeClassifier(features="char", threshold_folds=0, **params)
