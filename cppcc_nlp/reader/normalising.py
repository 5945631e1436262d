"""Normalising text: width forms, odd and zero-width spaces, ASCII punctuation inside Chinese text."""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_ASCII_TO_CHINESE = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
# normalise_line: full-width digits and Latin letters -> ASCII; odd spaces -> " "; zero-width -> removed
_FULL_WIDTH = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")
_ODD_SPACES = "\u3000\u00a0\u2002\u2003\u2009\t\ufeff"
_ZERO_WIDTHS = "\u200b\u200c\u200d"
_ASCII_PUNCTUATION = re.compile(r"[,;:?!()]")
_CHINESE_CONTEXT = re.compile(f"[{_CJK}，。；：！？、“”《》（）]")
_CHINESE_CONTEXT_RUN = re.compile(f"[{_CJK}，。；：！？、“”《》（）]+")
# a space between Chinese punctuation and a Chinese character; the pattern starts with the space
# (the mark is looked behind at from after it), so that the regex engine jumps from space to space
_LAYOUT_SPACE = re.compile(f" (?<=[，。；：！？、] )(?=[{_CJK}])")
_LINE_BREAK = re.compile("\r\n|\r|\n|\u2028|\u2029|\f")


def normalise_line(line: str) -> str:
    """Normalise one line: width forms, whitespace, ASCII punctuation inside Chinese text."""
    return _normalise(line).strip()


def _normalise(text: str) -> str:
    """``normalise_line`` without the final strip; also right for many lines at once.

    Every step looks only at characters of one line: width forms, zero-width
    and odd spaces are per character; runs of spaces, the ASCII marks' context
    (a neighbour that ``strip`` removes, or a line break, is never Chinese
    context nor a digit) and layout spaces (between a mark and a Chinese
    character, so never at a line's end) never reach across a line break. So
    normalising a whole text, then splitting it into lines and stripping each,
    gives the lines ``normalise_line`` gives (the tests check it).
    """
    # str.replace per character present is much faster than re.sub or str.translate on long texts
    line = text
    for ch in set(_FULL_WIDTH.findall(line)):
        line = line.replace(ch, chr(ord(ch) - 0xFEE0))
    for ch in _ZERO_WIDTHS:
        if ch in line:
            line = line.replace(ch, "")
    for ch in _ODD_SPACES:
        if ch in line:
            line = line.replace(ch, " ")
    while "  " in line:  # runs of spaces -> one space
        line = line.replace("  ", " ")
    if _ASCII_PUNCTUATION.search(line):
        line = _convert_ascii_punctuation(line)
    # A space between Chinese punctuation and text is layout, not content.
    return _LAYOUT_SPACE.sub("", line)


def _convert_ascii_punctuation(line: str) -> str:
    """ASCII marks next to Chinese context -> Chinese marks (not a comma between digits)."""
    pieces = []
    done = 0  # line[:done] is in pieces, the last mark converted at done - 1
    n = len(line)
    # left to right, so that a mark converted just before counts as Chinese context
    for match in _ASCII_PUNCTUATION.finditer(line):
        i = match.start()
        ch = line[i]
        prev_converted = 0 < done == i
        prev_cjk = i > 0 and (prev_converted or _CHINESE_CONTEXT.match(line, i - 1) is not None)
        next_cjk = _CHINESE_CONTEXT.match(line, i + 1) is not None
        if ch in _ASCII_TO_CHINESE and (prev_cjk or next_cjk):
            if ch == "," and i > 0 and i + 1 < n and line[i - 1].isdigit() and line[i + 1].isdigit():
                continue  # thousands separator
            converted = _ASCII_TO_CHINESE[ch]
        elif ch == "(" and next_cjk:
            converted = "（"
        elif ch == ")" and prev_cjk:
            converted = "）"
        else:
            continue
        pieces += (line[done:i], converted)
        done = i + 1
    if not pieces:
        return line
    pieces.append(line[done:])
    return "".join(pieces)
