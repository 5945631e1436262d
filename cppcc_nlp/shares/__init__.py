"""Theme shares a researcher can cite: per group (a section, a document, a year), with an interval.

A profile's share is classify-and-count: the share of a group's sentences whose
predicted label is on. When the model over-calls a theme on a source (false
positives) or misses it (false negatives), that share is off in a direction
the model's held-out error rates predict, so it can be corrected. Each theme
is one binary problem:

- ``count``: the share of units predicted with the theme (classify and count, CC);
- ``probability``: the mean (calibrated) probability of the theme (PCC);
- ``adjusted``: adjusted classify and count (ACC, Forman 2008):
  ``(count - fpr) / (tpr - fpr)``, clipped to [0, 1], with the theme's true- and
  false-positive rates measured on the model's held-out folds;
- ``adjusted-probability``: its probabilistic form (PACC, Bella et al. 2010):
  ``(probability - m0) / (m1 - m0)``, with ``m1`` and ``m0`` the mean
  probability among the held-out positives and negatives.

The held-out rates are ``Engine.heldout``: the out-of-fold probabilities and
labels of the training units from the cross-validation inside
``ThemeClassifier.fit`` (a model fitted with ``threshold_folds`` of 2 or more).
For one binary problem, these are QuaPy's ``ACC``/``PACC`` with the
``inversion`` method and ``clip`` normalisation (the tests check it against
QuaPy); QuaPy itself is not needed.

Intervals come from ``rounds`` draws, each of which resamples

1. the group's units (a Bayesian bootstrap: exponential weights per unit, with
   half a unit of share 1 and half a unit of share 0 added, so that a group with
   no predicted sentence still gets an interval; for 0/1 predictions its closed
   form, a Beta(c + 1/2, n - c + 1/2) draw of the predicted share), and
2. the held-out predictions that give the error rates (the same, separately
   for the held-out positives and negatives of each theme),

then recomputes the estimate; the interval is the central ``confidence`` part
of the draws, widened to contain the estimate itself. A small group gets the
wide interval it deserves, and so does a theme with few held-out positives.
What the interval does not cover is a source on which the model's error rates
differ from those on its held-out folds.

Its modules, each importing only those above it: ``methods`` (``SHARE_METHODS``,
the one table of estimators that the checks, the estimates and the CLI's
choices read), ``rates`` (``ErrorRates``, ``adjust``, the bootstrap draws),
``table`` (``ShareTable``), ``estimate`` (``shares_from_scores``), ``units``
(``estimate_shares`` of texts, records and reports) and ``fields`` (``--by
FIELD[:N]``).
"""

from .estimate import ROUNDS, shares_from_scores
from .fields import field_values, parse_field
from .methods import ADJUSTED, METHODS, SHARE_METHODS, ShareMethod, share_method
from .rates import EXACT_BOOTSTRAP_UNITS, ErrorRates, adjust
from .table import SHARE_FIELDS, ShareTable
from .units import GROUPINGS, document_groups, error_rates, estimate_shares, report_groups

__all__ = [
    "ADJUSTED",
    "EXACT_BOOTSTRAP_UNITS",
    "GROUPINGS",
    "METHODS",
    "ROUNDS",
    "SHARE_FIELDS",
    "SHARE_METHODS",
    "ErrorRates",
    "ShareMethod",
    "ShareTable",
    "adjust",
    "document_groups",
    "error_rates",
    "estimate_shares",
    "field_values",
    "parse_field",
    "report_groups",
    "share_method",
    "shares_from_scores",
]
