"""Theme profiles and theme shares of report files, as ``cppcc-nlp profile`` computes them.

``profile_reports`` labels the inputs once (``research.label_reports``), then
gives each section's theme profile or, with ``shares``, each group's theme
shares with intervals (``shares.estimate_shares``): groups are sections,
documents, or the values of a field of the JSONL records (``FIELD:N``: its
first N characters), and years or dates come in time order.
``check_profile_options`` refuses, before any labelling, options that cannot
work together and outputs that cannot be written.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Sequence, TextIO

from .errors import InputError, UsageError

if TYPE_CHECKING:
    from .research import ReportBatch
    from .shares import ShareTable

GROUPINGS = ("section", "document")  # --by values that need no field of the records
SHARE_SUFFIXES = (".csv", ".jsonl", ".ndjson")  # what a share table is written as


def check_share_options(inputs: Sequence[str], shares: str | None = None, by: str | None = None,
                        confidence: float | None = None, *, measure: str = "sentences",
                        output: str | os.PathLike | None = None, bars: str | os.PathLike | None = None,
                        plot_kind: str | None = None) -> None:
    """Options of ``profile`` that only go with ``shares``, or never with it (UsageError, exit 2)."""
    if not shares:
        for option, value in (("--by", by), ("--plot-kind", plot_kind), ("--confidence", confidence)):
            if value is not None:
                raise UsageError(f"{option} goes with --shares METHOD")
        return
    if bars:
        raise UsageError("--bars draws the sentence profiles; with --shares use --plot (and --plot-kind)")
    if measure != "sentences":
        raise UsageError("--shares estimates shares of sentences; leave out --measure")
    if output not in (None, "-") and Path(output).suffix.lower() == ".parquet":
        raise UsageError("with --shares, -o writes .csv or JSON lines")
    if confidence is not None and not 0 < confidence < 1:
        raise UsageError(f"--confidence must lie between 0 and 1, got {confidence}")
    if by not in (None, *GROUPINGS) and "-" in inputs:
        raise UsageError(f"--by {by} reads a field of JSONL files; standard input cannot be read twice")
    if by not in (None, *GROUPINGS):
        from .shares import parse_field

        parse_field(by)  # date:abc, date:0: refused before the labelling


def check_profile_options(inputs: Sequence[str], *, output: str | None = None, plot: str | None = None,
                          bars: str | None = None, measure: str = "sentences", shares: str | None = None,
                          by: str | None = None, confidence: float | None = None,
                          plot_kind: str | None = None) -> None:
    """Everything ``profile`` refuses before labelling: missing inputs (InputError), options that do not go
    together, an output whose suffix names no format, an output that is no regular file (UsageError), and a
    missing optional dependency that a plot or a Parquet file needs (MissingDependencyError)."""
    from .batch import check_inputs, output_format
    from .optional import require
    from .outputs import check_output_file, check_output_suffixes

    check_inputs(inputs)
    check_share_options(inputs, shares, by, confidence, measure=measure, output=output, bars=bars,
                        plot_kind=plot_kind)
    check_output_suffixes((("-o", output),), SHARE_SUFFIXES if shares else None)
    for flag, path in (("-o", output), ("--plot", plot), ("--bars", bars)):
        if path not in (None, "-"):
            check_output_file(path, flag)  # a device, a FIFO or a link is refused before the labelling
    if plot or bars:  # before the labelling, and before research imports scikit-learn
        require("matplotlib", "--plot" if plot else "--bars")
    if not shares and output not in (None, "-") and output_format(output) == "parquet":
        require("pyarrow", "writing Parquet (.parquet output)")


@dataclass(frozen=True)
class Profiles:
    """The labelled reports and what ``profile_reports`` made of them: section ``rows`` or a ``shares`` table."""

    batch: ReportBatch
    measure: str = "sentences"
    rows: tuple[dict, ...] = ()
    shares: ShareTable | None = None
    by: str = "section"

    @property
    def failures(self) -> tuple[tuple[str, str], ...]:
        """The inputs that could not be labelled: (source, reason)."""
        return tuple(self.batch.failures)

    def format(self) -> str:
        """The table to print: each section's profile (Markdown), or each group's shares."""
        if self.shares is not None:
            return self.shares.format()
        from .research import markdown_table

        return markdown_table(list(self.rows), digits=2)

    def write(self, path: str | os.PathLike) -> None:
        """The share table, or the section profiles as ``label --profiles`` writes them (``-``: JSON lines on
        standard output)."""
        if self.shares is not None:
            self.shares.write(path)
        else:
            self.batch.write_profiles(path)

    def plot_kind(self, kind: str | None = None) -> str:
        """What a picture of the shares draws: ``kind``, else shares over time when every group is a year or a
        date of a field, else dots and whiskers."""
        if kind is not None:
            return kind
        from .plots import period_value

        periods = self.by not in GROUPINGS and all(period_value(g) is not None for g in self.shares.groups)
        return "time" if periods else "dots"

    def figure(self, kind: str | None = None, font=None):
        """A matplotlib Figure: of the shares (``plot_kind(kind)``), else of the profiles (``kind``: heatmap or bars)."""
        from .plots import plot_profiles, plot_shares, plot_shares_over_time

        if self.shares is None:
            return plot_profiles(list(self.rows), kind=kind, measure=self.measure, font=font)
        kind = self.plot_kind(kind)
        return (plot_shares_over_time(self.shares, font=font) if kind == "time"
                else plot_shares(self.shares, kind=kind, font=font))


def report_shares(labelled: Iterable, method: str, by: str | None = None, *, model=None,
                  inputs: Sequence[str] = (), glob: str = "*.txt", text_field: str | None = None,
                  id_field: str | None = None, confidence: float | None = None,
                  log: TextIO | None = None) -> ShareTable:
    """Each group's theme shares of the labelled reports ``labelled``, with intervals (``estimate_shares``).

    ``by``: ``"section"`` (default), ``"document"`` or a field of the JSONL
    records among ``inputs`` (``FIELD:N``: its first N characters); documents
    without the field are left out, and ``log`` (default: stderr) is told how
    many. Groups that are all years or dates come in time order.
    """
    from .plots import period_value
    from .shares import document_groups, estimate_shares, field_values

    labelled = list(labelled)
    by = by or "section"
    groups = by
    if by not in GROUPINGS:
        values = field_values(inputs, by, glob, text_field, id_field)
        kept = [item for item in labelled if item.report.doc_id in values]
        name = by.partition(":")[0]
        if not kept:
            raise InputError(f"no document has the field {name!r} that --by {by} groups by")
        if len(kept) < len(labelled):
            print(f"left out {len(labelled) - len(kept)} document(s) without the field {name!r} or with it empty",
                  file=log if log is not None else sys.stderr)
        labelled = kept
        groups = document_groups([item.report for item in labelled], values)
    table = estimate_shares(labelled, groups, method=method, model=model,
                            confidence=0.95 if confidence is None else confidence)
    if by not in GROUPINGS and all(period_value(group) is not None for group in table.groups):
        table = table.sorted_groups(key=period_value)  # years or dates: in time order
    return table


def profile_reports(inputs: Sequence[str], model=None, *, glob: str = "*.txt", text_field: str | None = None,
                    id_field: str | None = None, measure: str = "sentences", shares: str | None = None,
                    by: str | None = None, confidence: float | None = None, log: TextIO | None = None) -> Profiles:
    """Label ``inputs`` and profile them: each section's theme shares (``measure``), or, with ``shares`` (a
    method of ``shares.METHODS``), each group's estimated shares with intervals (``report_shares``).

    ``model``: any form ``api.as_engine`` takes, or None for the shipped model.
    Inputs that cannot be labelled are skipped, and ``log`` (default: stderr)
    says why; InputError when none can be. An adjusted method needs the model's
    held-out predictions, checked before the labelling.
    """
    from .records import profile_rows
    from .research import label_reports
    from .shares import ADJUSTED, error_rates

    log = log if log is not None else sys.stderr
    if shares in ADJUSTED:  # a model without held-out predictions fails before labelling
        error_rates(model)
    batch = label_reports(inputs, model=model, glob=glob, text_field=text_field, id_field=id_field)
    for _, reason in batch.failures:
        print(f"skipped: {reason}", file=log)
    if not batch.labelled:
        raise InputError(f"no readable report among {len(batch.failures)} input(s)")
    if not shares:
        return Profiles(batch, measure, rows=tuple(profile_rows(batch.labelled, measure=measure)))
    table = report_shares(batch.labelled, shares, by, model=model, inputs=inputs, glob=glob, text_field=text_field,
                          id_field=id_field, confidence=confidence, log=log)
    return Profiles(batch, measure, shares=table, by=by or "section")


__all__ = ["GROUPINGS", "Profiles", "check_profile_options", "check_share_options", "profile_reports",
           "report_shares"]
