"""Storage of models as pure data: arrays (``model.npz``) and JSON (``model.json``), with a card.

Loading runs no code from the files: ``model.npz`` is read with
``allow_pickle=False`` and ``model.json`` is JSON, so a model file from
anywhere is safe to open, and it loads under any supported scikit-learn, or
with no scikit-learn at all (``load_engine``, as a labelling process does).
The card (``model_card.json``) keeps the sha256 of each file; each file is
hashed and parsed from the same bytes, and a file whose hash differs from
the card's is refused. The shipped model's card hash is pinned in the
package (``data/default_model.sha256``). What the card says and its Markdown
are rendered above, in ``evaluation.card`` (``save_model``); this module
writes the bytes it is given.
"""

from .convert import convert_pickled_model
from .files import (ARRAYS_FILE, CARD_FILE, CARD_FORMAT, CARD_MARKDOWN, DATA_FILE, MODEL_FILES, OLD_CARD_FORMATS,
                    default_model_dir, library_versions, pinned_default_hash, sha256_of)
from .checks import expected_arrays, read_arrays
from .read import LoadedModel, load_engine, load_model, read_card
from .write import check_model_output, model_data, npz_bytes, write_model_directory

__all__ = [
    "ARRAYS_FILE", "CARD_FILE", "CARD_FORMAT", "CARD_MARKDOWN", "DATA_FILE", "MODEL_FILES", "OLD_CARD_FORMATS",
    "LoadedModel", "check_model_output", "convert_pickled_model", "default_model_dir", "expected_arrays",
    "library_versions", "load_engine", "load_model", "model_data", "npz_bytes", "pinned_default_hash", "read_arrays",
    "read_card", "sha256_of", "write_model_directory",
]
