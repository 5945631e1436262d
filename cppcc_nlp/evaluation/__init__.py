"""Evaluation: the metrics every figure of the package comes from."""
