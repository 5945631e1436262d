"""Evaluation in one place, above the model and the corpus, below the command line.

``splits`` (the protocols, one registry), ``runner`` (the one out-of-fold
runner), ``metrics`` (the one F1 and its zero-support rule), ``baselines``,
``report`` (figures and tables of a protocol), ``curves`` (learning curves,
calibration), ``compare`` (configurations), ``errors`` (error analysis) and
``card`` (the model card's content and Markdown). Nothing is imported here,
so reading the registry stays cheap.
"""
