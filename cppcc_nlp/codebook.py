"""A codebook: the themes a corpus is labelled with and a model predicts, read from a small TOML file.

The five CPPCC themes are the default (``default_codebook``, package data);
a researcher brings their own as a file of the same shape::

    name = "ecology"
    [[theme]]
    id = "ecological_civilisation"        # lower-case letters, digits and _
    name = "生态文明"                       # shown in tables and pictures
    colour = "#2e8b57"                    # #rrggbb
    definition = "one line: what counts"
    cues = ["生态文明", "绿色发展"]         # cue words: keyword baseline and cue features
    rule_cues = ["碳达峰"]                  # optional: cue words of decision rules

A corpus directory holds its codebook as ``codebook.toml`` (``corpus_codebook``);
a model carries the codebook it was trained with in its files.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import CorpusError

if TYPE_CHECKING:
    import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CODEBOOK_FILE = "codebook.toml"  # a corpus directory's codebook
DEFAULT_CODEBOOK = Path(__file__).resolve().parent / "data" / "codebook-cppcc.toml"
_THEME_ID = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
_THEME_KEYS = {"id", "name", "colour", "definition", "cues", "rule_cues"}
_MAX_THEMES = 64
_MAX_CUES = 2000
_MAX_CUE_CHARS = 40


@dataclass(frozen=True)
class Theme:
    """One theme: its id (the label), a display name, a colour, a one-line definition and cue words."""

    id: str
    name: str
    colour: str
    definition: str
    cues: tuple[str, ...] = ()
    rule_cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """The themes of a corpus or a model, in order (the order of every score column and table)."""

    name: str
    themes: tuple[Theme, ...]
    description: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(theme.id for theme in self.themes)

    @property
    def names(self) -> dict[str, str]:
        """Theme id -> display name."""
        return {theme.id: theme.name for theme in self.themes}

    @property
    def colours(self) -> dict[str, str]:
        """Theme id -> ``#rrggbb``."""
        return {theme.id: theme.colour for theme in self.themes}

    def theme(self, theme_id: str) -> Theme:
        for theme in self.themes:
            if theme.id == theme_id:
                return theme
        raise ValueError(f"unknown theme {theme_id!r} in codebook {self.name!r}; known: {list(self.ids)}")

    def cue_words(self, extended: bool = False) -> dict[str, tuple[str, ...]]:
        """Theme id -> its cue words (with ``extended``, its decision rules' cue words too)."""
        return {t.id: t.cues + (t.rule_cues if extended else ()) for t in self.themes}

    def cue_list(self, extended: bool = False) -> list[str]:
        """The sorted cue words of every theme (what the cue-word features look for)."""
        return sorted({cue for cues in self.cue_words(extended).values() for cue in cues})

    def check_labels(self, labels, where: str) -> tuple[str, ...]:
        """Validate a ``labels`` value: a list of this codebook's theme ids, none twice; return it sorted."""
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise CorpusError(f"{where}: 'labels' must be a list of theme ids (possibly empty)")
        unknown = sorted(set(labels) - set(self.ids))
        if unknown:
            raise CorpusError(f"{where}: unknown theme id(s) {unknown}; known in codebook {self.name!r}: {list(self.ids)}")
        if len(set(labels)) != len(labels):
            raise CorpusError(f"{where}: a theme is listed twice in {labels}")
        return tuple(sorted(labels))

    def label_matrix(self, label_lists) -> "np.ndarray":
        """0/1 matrix of units' labels (an iterable of theme-id collections), one column per theme in order."""
        import numpy as np

        ids = self.ids
        rows = [[theme in labels for theme in ids] for labels in label_lists]
        return np.array(rows, dtype=int).reshape(len(rows), len(ids))

    def to_data(self) -> dict:
        """Plain data (what a model's files and ``from_data`` hold)."""
        return {"name": self.name, "description": self.description,
                "themes": [{"id": t.id, "name": t.name, "colour": t.colour, "definition": t.definition,
                            "cues": list(t.cues), "rule_cues": list(t.rule_cues)} for t in self.themes]}

    @classmethod
    def from_data(cls, data, where: str = "codebook") -> "Codebook":
        """The codebook ``to_data`` described, validated (errors name ``where``)."""
        if not isinstance(data, dict) or not isinstance(data.get("themes"), list):
            raise CorpusError(f"{where}: a codebook is an object with a list of 'themes'")
        return _validated(data.get("name", ""), data.get("description", ""), data["themes"], where, lambda k, key="": "")


def read_codebook(path: str | Path) -> Codebook:
    """Read and validate a codebook file; an error names the file, the line and what is wrong."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path}: cannot read the codebook: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise CorpusError(f"{path}: a codebook is UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise CorpusError(f"{path}: not valid TOML: {exc}") from None
    lines = text.splitlines()
    tables = [n for n, line in enumerate(lines, start=1) if line.strip().startswith("[[theme]]")]

    def line_of(k: int, key: str = "") -> str:
        """``:N``, the line of theme ``k``'s ``key`` (or of its table's header)."""
        if k >= len(tables):
            return ""
        end = tables[k + 1] if k + 1 < len(tables) else len(lines) + 1
        for n in range(tables[k], end):
            if key and re.match(rf"\s*{re.escape(key)}\s*=", lines[n - 1]):
                return f":{n}"
        return f":{tables[k]}"

    unknown = sorted(set(data) - {"name", "description", "theme"})
    if unknown:
        raise CorpusError(f"{path}: unknown key(s) {unknown}; a codebook has name, description and [[theme]] tables")
    if not isinstance(data.get("theme"), list):
        raise CorpusError(f"{path}: no [[theme]] table; a codebook needs at least one theme")
    return _validated(data.get("name", path.stem), data.get("description", ""), data["theme"], str(path), line_of)


def _validated(name, description, themes: list, where: str, line_of) -> Codebook:
    """The Codebook of parsed data; ``line_of(k, key)`` gives the ``:line`` of theme ``k``'s ``key`` ("" if unknown)."""
    if not isinstance(name, str) or not isinstance(description, str):
        raise CorpusError(f"{where}: 'name' and 'description' must be strings")
    if not 1 <= len(themes) <= _MAX_THEMES:
        raise CorpusError(f"{where}: a codebook has 1 to {_MAX_THEMES} themes, got {len(themes)}")
    built, seen = [], set()
    for k, entry in enumerate(themes):
        at = f"{where}{line_of(k)}: theme {k + 1}"
        if not isinstance(entry, dict):
            raise CorpusError(f"{at}: a theme is a table of {sorted(_THEME_KEYS)}")
        extra = sorted(set(entry) - _THEME_KEYS)
        if extra:
            raise CorpusError(f"{where}{line_of(k, extra[0])}: theme {k + 1}: unknown key(s) {extra}; "
                              f"a theme has {sorted(_THEME_KEYS)}")
        theme_id = entry.get("id")
        if not isinstance(theme_id, str) or not _THEME_ID.match(theme_id):
            at = f"{where}{line_of(k, 'id')}: theme {k + 1}"
            raise CorpusError(f"{at}: 'id' must be lower-case letters, digits and _ (starting with a letter), "
                              f"got {theme_id!r}")
        at = f"{where}{line_of(k, 'id')}: theme {theme_id!r}"
        if theme_id in seen:
            raise CorpusError(f"{at}: the id occurs twice")
        seen.add(theme_id)
        for key in ("name", "definition"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise CorpusError(f"{where}{line_of(k, key)}: theme {theme_id!r}: {key!r} must be a non-empty string")
        colour = entry.get("colour")
        if not isinstance(colour, str) or not _COLOUR.match(colour):
            raise CorpusError(f"{where}{line_of(k, 'colour')}: theme {theme_id!r}: 'colour' must be #rrggbb, "
                              f"got {colour!r}")
        cues = {}
        for key in ("cues", "rule_cues"):
            value = entry.get(key, [])
            if (not isinstance(value, list) or len(value) > _MAX_CUES
                    or not all(isinstance(c, str) and 0 < len(c.strip()) == len(c) <= _MAX_CUE_CHARS for c in value)):
                raise CorpusError(f"{where}{line_of(k, key)}: theme {theme_id!r}: {key!r} must be a list of at most "
                                  f"{_MAX_CUES} words of 1 to {_MAX_CUE_CHARS} characters, without surrounding spaces")
            cues[key] = tuple(value)
        built.append(Theme(theme_id, entry["name"].strip(), colour.lower(), entry["definition"].strip(),
                           cues["cues"], cues["rule_cues"]))
    return Codebook(name, tuple(built), description)


@lru_cache(maxsize=None)
def default_codebook() -> Codebook:
    """The five CPPCC themes, shipped with the package (read once; a Codebook is immutable)."""
    return read_codebook(DEFAULT_CODEBOOK)


def codebook_of_ids(ids) -> Codebook:
    """The default codebook when ``ids`` are its themes, else a plain one named by the ids (an old model's)."""
    ids = tuple(ids)
    default = default_codebook()
    if ids == default.ids:
        return default
    return Codebook("unnamed", tuple(Theme(i, i, _GREYS[k % len(_GREYS)], i) for k, i in enumerate(ids)))


_GREYS = ("#555555", "#777777", "#999999", "#333333")


def corpus_codebook(corpus_dir: str | Path) -> Codebook:
    """A corpus directory's codebook: its ``codebook.toml``, else the default."""
    path = Path(corpus_dir) / CODEBOOK_FILE
    return read_codebook(path) if path.is_file() else default_codebook()


def resolve_codebook(codebook: "Codebook | str | Path | None", corpus_dir: str | Path | None = None) -> Codebook:
    """A Codebook from a Codebook, a file path, or None (the corpus directory's, else the default)."""
    if isinstance(codebook, Codebook):
        return codebook
    if codebook is not None:
        return read_codebook(codebook)
    return corpus_codebook(corpus_dir) if corpus_dir is not None else default_codebook()
