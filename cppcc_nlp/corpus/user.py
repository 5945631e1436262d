"""A corpus of one's own: a directory outside the package with its codebook, sources and labels.

``init_corpus(DIR)`` (``cppcc-nlp corpus init DIR``) makes one::

    DIR/codebook.toml    the themes (a copy of the CPPCC codebook, or of --codebook FILE): edit it
    DIR/sources.json     the registered sources, {"sources": [...]}
    DIR/labels/          the label files annotate merge writes, one per source

``add_source(DIR, NAME, PATH)`` (``cppcc-nlp corpus add-source``) registers an
archive after reading it through: a JSONL file (one document per line, its id
and text in two fields) or a directory of ``.txt`` reports. Every corpus
command takes the directory as ``--corpus DIR`` or ``$CPPCC_NLP_CORPUS``
(``chosen_corpus_dir``); without either it reads the shipped corpus, which is
never written to when it lies inside an installed package (``check_writable``).

A source's ``path`` in ``sources.json`` is absolute, or relative to the
directory of source copies (``--sources DIR`` or ``$CPPCC_NLP_SOURCES``), so
that a corpus can be shared without its archives and each user points at their
own copies (the shipped corpus does so).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from ..codebook import CODEBOOK_FILE, DEFAULT_CODEBOOK, read_codebook
from ..errors import CorpusError, UsageError
from .sources import REGISTRY_NAME, SOURCES_ENV, SourceSpec, document_units, iter_documents, read_registry, sources_dir

CORPUS_ENV = "CPPCC_NLP_CORPUS"
LABELS_DIR = "labels"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_RESERVED = {"all"}  # annotate select all: every registered source


def chosen_corpus_dir(explicit: str | os.PathLike | None = None) -> Path | None:
    """The corpus directory a command was given: ``explicit`` (``--corpus``), else ``$CPPCC_NLP_CORPUS``, else None
    (the shipped corpus)."""
    chosen = explicit if explicit is not None else os.environ.get(CORPUS_ENV) or None
    return Path(chosen) if chosen is not None else None


def is_installed_corpus(corpus_dir: str | os.PathLike) -> bool:
    """Whether ``corpus_dir`` lies inside the installed ``cppcc_nlp`` package (the shipped corpus of a wheel)."""
    package = Path(__file__).resolve().parent.parent
    resolved = Path(corpus_dir).resolve()
    return resolved == package or package in resolved.parents


def check_writable(corpus_dir: str | os.PathLike | None) -> Path:
    """The corpus directory to write to; the shipped corpus of an installed package is refused (``UsageError``)
    with a pointer to ``corpus init``. In a clone of the repository, ``corpus/`` is the project's own and written."""
    from .load import default_corpus_dir

    root = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    if is_installed_corpus(root):
        raise UsageError(
            f"{root} is the corpus shipped inside the installed package, which is never written to (a reinstall "
            f"would lose it); make a corpus of your own with `cppcc-nlp corpus init DIR`, then pass --corpus DIR "
            f"or set {CORPUS_ENV}=DIR"
        )
    return root


@dataclass(frozen=True)
class NewCorpus:
    """What ``init_corpus`` made."""

    root: Path
    codebook: Path
    registry: Path
    labels: Path
    themes: tuple[str, ...]

    def format(self) -> str:
        return "\n".join([
            f"made a corpus in {self.root}:",
            f"  {self.codebook}  themes: {', '.join(self.themes)} (edit it for your own, see the README's 'Your own themes')",
            f"  {self.registry}  no source yet: cppcc-nlp corpus add-source NAME PATH --corpus {self.root}",
            f"  {self.labels}{os.sep}  label files, written by cppcc-nlp annotate merge",
            f"use it with --corpus {self.root} or export {CORPUS_ENV}={self.root}",
        ])


def init_corpus(directory: str | os.PathLike, codebook: str | os.PathLike | None = None) -> NewCorpus:
    """Make an empty corpus in ``directory`` (created if missing): its ``codebook.toml`` (a copy of ``codebook``,
    validated first, else of the CPPCC codebook), an empty ``sources.json`` and ``labels/``.

    A directory that already holds a codebook, a registry or label files is refused: nothing is overwritten.
    """
    root = Path(directory)
    if is_installed_corpus(root):
        raise UsageError(f"{root} lies inside the installed package; make your corpus somewhere of your own")
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root} exists and is not a directory")
    present = [name for name in (CODEBOOK_FILE, REGISTRY_NAME, LABELS_DIR) if (root / name).exists()]
    if present:
        raise UsageError(f"{root} already holds {', '.join(present)}: it is a corpus already (nothing was changed); "
                         "register sources in it with cppcc-nlp corpus add-source")
    source = Path(codebook) if codebook is not None else DEFAULT_CODEBOOK
    themes = read_codebook(source).ids  # a bad codebook is refused before anything is made
    try:
        text = source.read_bytes()
        root.mkdir(parents=True, exist_ok=True)
        (root / LABELS_DIR).mkdir()
        _write_atomically(root / CODEBOOK_FILE, text)
        _write_atomically(root / REGISTRY_NAME, _registry_text([]))
    except OSError as exc:
        raise UsageError(f"{root}: cannot make a corpus there: {exc.strerror or exc}") from None
    return NewCorpus(root, root / CODEBOOK_FILE, root / REGISTRY_NAME, root / LABELS_DIR, themes)


@dataclass(frozen=True)
class AddedSource:
    """A source ``add_source`` registered, with what reading it through found."""

    spec: SourceSpec
    resolved: Path
    documents: int
    units: int
    registry: Path

    def format(self) -> str:
        relative = "" if Path(self.spec.path).is_absolute() else f" (relative to ${SOURCES_ENV} or --sources)"
        return (f"registered source {self.spec.name!r} in {self.registry}: {self.documents} documents, "
                f"{self.units} sentences; path {self.spec.path}{relative}")


def add_source(
    corpus_dir: str | os.PathLike,
    name: str,
    path: str | os.PathLike,
    *,
    text_field: str = "text",
    id_field: str = "id",
    genre: str = "",
    description: str = "",
    group_field: str = "",
    truncated: bool = False,
    sources: str | os.PathLike | None = None,
) -> AddedSource:
    """Register an archive as source ``name`` of the corpus in ``corpus_dir``, after reading it through.

    ``path`` is a JSONL file (one document per line, the id in ``id_field``,
    the text in ``text_field``) or a directory of ``.txt`` reports. It is
    stored relative to the directory of source copies (``sources``, else
    ``$CPPCC_NLP_SOURCES``) when it lies inside it, else as an absolute path.
    Each mistake (a name taken or malformed, a missing file, a line without
    the id or text field, an id twice, no document) is a ``CorpusError`` or
    ``UsageError`` saying what to change; ``sources.json`` is written only
    when every check passed.
    """
    root = check_writable(corpus_dir)
    registry_path = root / REGISTRY_NAME
    if not root.is_dir() or not (registry_path.is_file() or (root / CODEBOOK_FILE).is_file()):
        raise UsageError(f"{root} is not a corpus directory (no {REGISTRY_NAME}); make one with "
                         f"cppcc-nlp corpus init {root}")
    data = _read_registry_data(registry_path)
    registered = read_registry(root)  # the whole registry validated before it is extended
    if not isinstance(name, str) or not _NAME.match(name) or name in _RESERVED:
        raise UsageError(f"source name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting with a "
                         f"letter or digit (and not {', '.join(sorted(_RESERVED))}): it begins every unit id, "
                         "e.g. NAME/doc-s00-000")
    if name in registered:
        raise UsageError(f"source {name!r} is registered already in {registry_path} (path "
                         f"{registered[name].path}); choose another name, or edit that entry")
    location = Path(path).expanduser()
    if not location.exists():
        raise UsageError(f"{location}: no such file or directory")
    location = location.resolve()
    for option, value in (("--text-field", text_field), ("--id-field", id_field)):
        if not isinstance(value, str) or not value:
            raise UsageError(f"{option} must name a field")
    if location.is_dir():
        if not any(p.is_file() for p in location.rglob("*.txt")):
            raise CorpusError(f"{location}: a directory source holds .txt reports (searched recursively); none found")
    elif location.is_file():
        _check_first_document(location, id_field, text_field)
    else:
        raise UsageError(f"{location}: a source is a JSONL file or a directory of .txt reports")
    copies = sources_dir(sources)
    stored = _stored_path(location, copies)
    spec = SourceSpec(name=name, path=stored, doc_id=id_field, genre=genre, description=description,
                      text_field=text_field, group_field=group_field, truncated=truncated)
    documents = units = 0
    for document in iter_documents(spec, location):  # every line checked: JSON, fields, ids unique
        documents += 1
        units += len(document_units(document))
    if not documents:
        raise CorpusError(f"{location}: no document with text in it")
    entry = {key: value for key, value in asdict(spec).items()
             if key in ("name", "path", "doc_id") or value != _DEFAULTS[key]}
    data["sources"].append(entry)
    try:
        _write_atomically(registry_path, _registry_text(data["sources"], data))
    except OSError as exc:
        raise UsageError(f"{registry_path}: cannot write: {exc.strerror or exc}") from None
    return AddedSource(spec, location, documents, units, registry_path)


_DEFAULTS = {f.name: f.default for f in fields(SourceSpec)}


def _stored_path(location: Path, copies: Path | None) -> str:
    """``location`` relative to the directory of source copies when inside it, else absolute (POSIX form)."""
    if copies is not None:
        try:
            return location.relative_to(Path(copies).resolve()).as_posix()
        except ValueError:
            pass
    return location.as_posix()


def _check_first_document(path: Path, id_field: str, text_field: str) -> None:
    """The first non-blank line of a JSONL source: an object with both fields, or an error listing its fields."""
    try:
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                if raw.strip():
                    break
            else:
                raise CorpusError(f"{path}: empty file; a source holds one JSON document per line")
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from None
    where = f"{path}:{number}"
    try:
        obj = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise CorpusError(f"{where}: not UTF-8; a source is a UTF-8 JSONL file (or a directory of .txt reports)") from None
    except json.JSONDecodeError as exc:
        raise CorpusError(f"{where}: not valid JSON ({exc.msg}); a source is a JSONL file, one document per line "
                          "(or a directory of .txt reports)") from None
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: a document is a JSON object, got {type(obj).__name__}")
    have = ", ".join(sorted(obj)) or "none"
    if id_field not in obj:
        raise CorpusError(f"{where}: no field {id_field!r} for the document id (this line has: {have}); "
                          "name the id field with --id-field FIELD")
    if not isinstance(obj.get(text_field), str):
        what = "no field" if text_field not in obj else "a non-text field"
        raise CorpusError(f"{where}: {what} {text_field!r} for the text (this line has: {have}); "
                          "name the text field with --text-field FIELD")


def _read_registry_data(path: Path) -> dict:
    if not path.is_file():
        return {"sources": []}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CorpusError(f"{path}: not a valid source registry ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("sources"), list):
        raise CorpusError(f"{path}: a source registry is an object {{\"sources\": [...]}}")
    return data


def _registry_text(entries: list, data: dict | None = None) -> str:
    """``sources.json``: one line per source, other top-level keys kept."""
    rest = {key: value for key, value in (data or {}).items() if key != "sources"}
    lines = [json.dumps(entry, ensure_ascii=False) for entry in entries]
    body = ("[\n    " + ",\n    ".join(lines) + "\n  ]") if lines else "[]"
    head = "".join(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n" for key, value in rest.items())
    return "{\n" + head + f'  "sources": {body}\n' + "}\n"


def _write_atomically(path: Path, content: str | bytes) -> None:
    part = path.with_name(f".{path.name}.part")
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open(part, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, path)
