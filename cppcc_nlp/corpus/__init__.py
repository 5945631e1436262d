"""The hand-labelled corpus: label records, registered sources, loading and figures."""

from .load import corpus_hash, default_corpus_dir, load_corpus
from .records import LabelRecord, UnitContext, read_label_file, text_hash, unit_id
from .sources import Document, SourceSpec, Unit, document_units, iter_documents, read_registry, report_units, sources_dir
from .stats import CorpusStats, corpus_stats

__all__ = [
    "CorpusStats",
    "Document",
    "LabelRecord",
    "SourceSpec",
    "Unit",
    "UnitContext",
    "corpus_hash",
    "corpus_stats",
    "default_corpus_dir",
    "document_units",
    "iter_documents",
    "load_corpus",
    "read_label_file",
    "read_registry",
    "report_units",
    "sources_dir",
    "text_hash",
    "unit_id",
]
