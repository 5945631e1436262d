"""One self-contained HTML page of labelled reports: an overview, every document, filters, explanations, export.

labelled reports (``LabelledReport``, a ``research.ReportBatch``) or the inputs
of ``cppcc-nlp label`` (files, directories, JSONL, a finished ``label`` output)
-> ``PageDocument``s -> their explanations (the model's terms behind each
predicted theme) and, when asked, each group's shares with intervals
(``shares.shares_from_scores``) -> one HTML file.

- **Offline and inert.** The page's style, script and data are inline; its
  Content-Security-Policy allows no request at all and runs only the page's
  own script (by its hash). Report text is data: it is embedded as JSON in
  ``<script type="application/json">`` blocks with ``<``, ``>``, ``&`` and
  U+2028/2029 escaped, and the script writes it with ``textContent`` only.
- **Lazy.** The overview's data comes first and is drawn while the browser
  still reads the rest; the sentences follow in blocks of ``CHUNK_DOCS``
  documents, each parsed when first needed, and long lists are drawn as
  they scroll into view.
- **Never writes the corpus.** Sentences a reader marks as wrong leave the
  page as a batch file for ``cppcc-nlp annotate merge``.

The page itself is package data: ``data/report_page.html`` (with the markers
``page.fill_template`` fills), ``data/report_page.css`` and ``data/report_page.js``.

Its modules, each importing only those above it: ``documents`` (labelled
reports and finished ``label`` outputs as ``PageDocument``s), ``explain``
(themes' names and colours, the terms behind a label), ``groups`` (each
group's shares), ``page`` (the HTML), ``notebook`` (the page in Python) and
``write`` (``cppcc-nlp report``: inputs to a file).
"""

from .documents import PageDocument, documents_of, label_output_themes, read_label_output
from .explain import explanations, theme_styles
from .groups import group_shares
from .notebook import notebook_frame, reports_to_html
from .page import CHUNK_DOCS, PAGE_FORMAT, build_page, script_json
from .write import PageResult, collect_documents, write_page, write_report

__all__ = [
    "CHUNK_DOCS",
    "PAGE_FORMAT",
    "PageDocument",
    "PageResult",
    "build_page",
    "collect_documents",
    "documents_of",
    "explanations",
    "group_shares",
    "label_output_themes",
    "notebook_frame",
    "read_label_output",
    "reports_to_html",
    "script_json",
    "theme_styles",
    "write_page",
    "write_report",
]
