"""The default codebook's five themes as constants, for scripts written against earlier versions.

The package itself reads themes from a ``Codebook`` (``cppcc_nlp.codebook``:
the default one, a corpus's own, or a model's); no module of it imports this one.
"""

from __future__ import annotations

from .codebook import default_codebook

_DEFAULT = default_codebook()

THEME_IDS: tuple[str, ...] = _DEFAULT.ids
THEME_NAMES: dict[str, str] = _DEFAULT.names
THEME_COLORS: dict[str, str] = _DEFAULT.colours
CUE_WORDS: dict[str, tuple[str, ...]] = {theme.id: theme.cues for theme in _DEFAULT.themes}
RULE_CUES: dict[str, tuple[str, ...]] = {theme.id: theme.rule_cues for theme in _DEFAULT.themes}


def cue_list(extended: bool = False) -> list[str]:
    """The sorted cue words of the default codebook (with ``extended``, its rules' too)."""
    return _DEFAULT.cue_list(extended)
