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


SHARE_METHODS = (
    ShareMethod("count", crisp=True, adjusted=False),  # classify and count (CC)
    ShareMethod("probability", crisp=False, adjusted=False),  # the mean probability (PCC)
    ShareMethod("adjusted", crisp=True, adjusted=True),  # adjusted classify and count (ACC)
    ShareMethod("adjusted-probability", crisp=False, adjusted=True),  # probabilistic ACC (PACC)
)
METHODS = tuple(method.name for method in SHARE_METHODS)
ADJUSTED = tuple(method.name for method in SHARE_METHODS if method.adjusted)


def share_method(name: str) -> ShareMethod:
    """The estimator called ``name``; ``ValueError`` naming the choices for any other name."""
    for method in SHARE_METHODS:
        if method.name == name:
            return method
    raise ValueError(f"method must be one of {METHODS}, got {name!r}")
