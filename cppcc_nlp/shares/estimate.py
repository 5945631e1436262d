"""Shares per group from the units' scores: ``shares_from_scores``, whichever estimator of ``SHARE_METHODS``."""

from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np

from ..records import SCORE_DIGITS
from .methods import ShareMethod, share_method
from .rates import ErrorRates, adjust, mean_draws
from .table import ShareTable

ROUNDS = 1000


def shares_from_scores(
    probabilities,
    groups: Sequence[Hashable] | None,
    *,
    method: str = "adjusted",
    thresholds=None,
    predicted=None,
    rates: ErrorRates | None = None,
    themes: Sequence[str] | None = None,
    confidence: float = 0.95,
    rounds: int = ROUNDS,
    seed: int | None = 0,
    labels: Sequence[str] | None = None,
) -> ShareTable:
    """Shares per group from the units' per-theme probabilities (n x themes).

    ``predicted`` (0/1, n x themes) defaults to ``probabilities >= thresholds``;
    ``rates`` (``ErrorRates``) is needed by the adjusted methods. ``groups``
    gives one key per unit (None: one group, ``"all"``); ``labels`` optionally
    names each distinct key, in order of first appearance, in the ``group``
    column.
    """
    estimator = check_options(method, confidence, rounds)
    p = np.asarray(probabilities, dtype=float)
    if p.ndim != 2 or not len(p):
        raise ValueError(f"expected probabilities of shape (units, themes) with at least one unit, got {p.shape}")
    themes = tuple(themes) if themes is not None else (rates.themes if rates is not None else tuple(
        f"theme{k}" for k in range(p.shape[1])))
    if len(themes) != p.shape[1]:
        raise ValueError(f"{p.shape[1]} probability columns but {len(themes)} themes")
    if predicted is None:
        if thresholds is None:
            if estimator.crisp:
                raise ValueError(f"method {method!r} needs thresholds (or predicted labels)")
            predicted = np.zeros_like(p, dtype=bool)
        else:
            predicted = p >= np.asarray(thresholds, dtype=float)
    predicted = np.asarray(predicted).astype(bool)
    if predicted.shape != p.shape:
        raise ValueError(f"predicted labels {predicted.shape} do not match probabilities {p.shape}")
    if estimator.adjusted and rates is None:
        raise ValueError(f"method {method!r} needs the model's held-out error rates (rates=)")
    names, member = _group_members(groups, len(p), labels)
    rng = np.random.default_rng(seed)
    values = predicted.astype(float) if estimator.crisp else p
    alpha = (1.0 - confidence) / 2
    if estimator.adjusted:
        positive_rate, negative_rate = rates.rates(method)
        pos_draws, neg_draws = rates.draws(method, rounds, rng)
    rows = []
    by_group = np.argsort(member, kind="stable")  # each group's units in their order: values[member == g], fast
    bounds = np.searchsorted(member[by_group], np.arange(len(names) + 1))
    for g, name in enumerate(names):
        inside = values[by_group[bounds[g]:bounds[g + 1]]]
        observed = inside.mean(axis=0)
        draws = mean_draws(inside, rounds, rng, estimator.crisp)
        if estimator.adjusted:
            estimate = adjust(observed, positive_rate, negative_rate)
            draws = adjust(draws, pos_draws, neg_draws)
        else:
            estimate = observed
        low = np.minimum(np.quantile(draws, alpha, axis=0), estimate)
        high = np.maximum(np.quantile(draws, 1.0 - alpha, axis=0), estimate)
        for k, theme in enumerate(themes):
            rows.append({"group": name, "theme": theme, "share": round(float(estimate[k]), SCORE_DIGITS),
                         "low": round(float(low[k]), SCORE_DIGITS), "high": round(float(high[k]), SCORE_DIGITS),
                         "n_units": int(len(inside)), "method": method})
    return ShareTable(tuple(rows), method, confidence, themes, rates if estimator.adjusted else None)


def check_options(method: str, confidence: float, rounds: int) -> ShareMethod:
    """The estimator ``method`` names; ``ValueError`` for an unknown method, a ``confidence`` outside (0, 1) or
    fewer than 10 ``rounds``."""
    estimator = share_method(method)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie between 0 and 1, got {confidence!r}")
    if not isinstance(rounds, (int, np.integer)) or rounds < 10:
        raise ValueError(f"rounds must be an integer of at least 10, got {rounds!r}")
    return estimator


def _group_members(groups: Sequence[Hashable] | None, n: int, labels: Sequence[str] | None
                   ) -> tuple[list, np.ndarray]:
    """The groups' names (``labels``, else their keys as the ``group`` column shows them) in order of first
    appearance, and the group number of each of the ``n`` units."""
    keys = ["all"] * n if groups is None else list(groups)
    if len(keys) != n:
        raise ValueError(f"{n} units but {len(keys)} group keys; give one key per unit")
    order = list(dict.fromkeys(keys))
    if labels is not None and len(labels) != len(order):
        raise ValueError(f"{len(order)} groups but {len(labels)} group labels")
    names = list(labels) if labels is not None else [_group_name(key) for key in order]
    index = {key: g for g, key in enumerate(order)}
    return names, np.fromiter((index[key] for key in keys), dtype=np.int64, count=len(keys))


def _group_name(key):
    """A group key as the ``group`` column shows it: str, int and float as they are, a tuple joined with ' · '."""
    if isinstance(key, (str, int, float, np.integer, np.floating)) and not isinstance(key, bool):
        return key.item() if isinstance(key, np.generic) else key
    if isinstance(key, tuple):
        return " · ".join(str(part) for part in key)
    return str(key)
