"""The share estimators, in one table: the CLI's ``--shares`` choices, the checks and the estimates read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ShareMethod:
    """One way to estimate a theme's share of a group's units.

    ``crisp``: it averages the units' 0/1 predictions (else their
    probabilities); ``adjusted``: it corrects that average with the model's
    held-out error rates (so it needs a model that keeps them).
    """

    name: str
    crisp: bool
    adjusted: bool
    summary: str


SHARE_METHODS = (
    ShareMethod("count", True, False, "the share of units predicted with the theme (classify and count, CC)"),
    ShareMethod("probability", False, False, "the mean (calibrated) probability of the theme (PCC)"),
    ShareMethod("adjusted", True, True, "classify and count corrected with the held-out tpr and fpr (ACC)"),
    ShareMethod("adjusted-probability", False, True,
                "the mean probability corrected with the held-out mean probabilities of positives and negatives (PACC)"),
)
METHODS = tuple(method.name for method in SHARE_METHODS)
ADJUSTED = tuple(method.name for method in SHARE_METHODS if method.adjusted)


def share_method(name: str) -> ShareMethod:
    """The estimator called ``name``; ``ValueError`` naming the choices for any other name."""
    for method in SHARE_METHODS:
        if method.name == name:
            return method
    raise ValueError(f"method must be one of {METHODS}, got {name!r}")
