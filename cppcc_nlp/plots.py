"""Pictures of theme profiles: a sections x themes heatmap and a bar chart per section.

matplotlib is optional for the library (``pip install cppcc_nlp[research]``) and is
imported inside the functions. Figures are built with ``matplotlib.figure.Figure``,
not pyplot, so drawing one changes no global state and needs no display.

Chinese labels need a font with Chinese glyphs. ``find_cjk_font`` takes the font
you name, else the WenQuanYi Micro Hei subset shipped in ``cppcc_nlp/data`` (every
character of GBK), else a Chinese font installed on the system; it raises
``FontError`` when none has the glyphs, rather than drawing empty boxes.
"""

from __future__ import annotations

import os
import warnings
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Iterator, Sequence

from .errors import FontError
from .optional import require
from .codebook import Codebook, default_codebook

if TYPE_CHECKING:
    from matplotlib.figure import Figure

BUNDLED_FONT = "wqy-microhei-gbk.ttf"
# Characters every candidate font must have: city names of the sample report.
PROBE = "石家庄邯郸辛集"
# System fonts tried (in this order) when the bundled font is missing or lacks a character.
PREFERRED_FAMILIES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Heiti SC",
    "Noto Serif CJK SC",
    "AR PL UMing CN",
)


# -- fonts ------------------------------------------------------------------------------


def bundled_font() -> Path | None:
    """The font shipped with the package, or None when the package data is missing."""
    path = Path(str(resources.files("cppcc_nlp").joinpath("data", BUNDLED_FONT)))
    return path if path.is_file() else None


def font_characters(path: str | os.PathLike) -> frozenset[str]:
    """The characters that the font file has a glyph for."""
    from matplotlib.ft2font import FT2Font

    try:
        charmap = FT2Font(os.fspath(path)).get_charmap()
    except (OSError, RuntimeError, ValueError) as exc:
        raise FontError(f"{path}: not a readable font file ({exc})") from None
    return frozenset(chr(code) for code, glyph in charmap.items() if glyph)


def missing_characters(path: str | os.PathLike, text: str) -> str:
    """The distinct characters of ``text`` (whitespace aside) that the font cannot draw, in order."""
    have = font_characters(path)
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ch not in have))


def system_cjk_fonts() -> list[Path]:
    """Installed fonts with Chinese glyphs known to matplotlib, preferred families first."""
    from matplotlib import font_manager

    entries = font_manager.fontManager.ttflist
    rank = {family: k for k, family in enumerate(PREFERRED_FAMILIES)}
    ordered = sorted(entries, key=lambda e: (rank.get(e.name, len(rank)), e.weight != 400, e.style != "normal", e.fname))
    paths = []
    for entry in ordered:
        path = Path(entry.fname)
        if path in paths:
            continue
        try:
            if not missing_characters(path, PROBE):
                paths.append(path)
        except FontError:
            continue
    return paths


def _default_candidates() -> Iterator[Path]:
    """The bundled font, then (only if it is needed) the system's Chinese fonts."""
    bundled = bundled_font()
    if bundled is not None:
        yield bundled
    yield from system_cjk_fonts()


def _named_font(font: str | os.PathLike) -> Path:
    path = Path(font)
    if path.is_file():
        return path
    from matplotlib import font_manager

    try:
        found = font_manager.findfont(font_manager.FontProperties(family=str(font)), fallback_to_default=False)
    except ValueError:
        raise FontError(f"font {str(font)!r} is neither a font file nor an installed font family") from None
    return Path(found)


def find_cjk_font(
    text: str = "",
    font: str | os.PathLike | None = None,
    candidates: Sequence[str | os.PathLike] | None = None,
) -> Path:
    """Path of a font that can draw Chinese and every character of ``text``.

    ``font`` (a file or an installed family name) is used when given. Otherwise
    the ``candidates`` are tried in order (default: the bundled font, then the
    system's Chinese fonts). When no candidate covers all of ``text``, the one
    that misses fewest characters is returned with a warning naming them; when
    none can draw Chinese at all, ``FontError`` says how to get one.
    """
    require("matplotlib", "finding a font")
    needed = PROBE + text
    if font is not None:
        path = _named_font(font)
        if missing_characters(path, PROBE):
            raise FontError(f"{path}: this font has no Chinese glyphs (it cannot draw {PROBE!r}); choose a Chinese font")
        missing = missing_characters(path, text)
        if missing:
            warnings.warn(f"{path} has no glyph for {missing!r}: those characters will be drawn as boxes", stacklevel=2)
        return path
    best: tuple[int, Path, str] | None = None
    tried = 0
    for candidate in candidates if candidates is not None else _default_candidates():
        tried += 1
        try:
            missing = missing_characters(candidate, needed)
        except FontError:
            continue
        if not missing:
            return Path(candidate)
        if not set(missing) & set(PROBE) and (best is None or len(missing) < best[0]):
            best = (len(missing), Path(candidate), missing)
    if best is not None:
        warnings.warn(
            f"no font has a glyph for {best[2]!r}; using {best[1]}, where they will be drawn as boxes. "
            "Install a larger Chinese font (Debian/Ubuntu: apt-get install fonts-noto-cjk) or pass font=",
            stacklevel=2,
        )
        return best[1]
    raise FontError(
        f"no font with Chinese glyphs found (tried {tried} candidate(s), none can draw {PROBE!r}). "
        "Reinstall cppcc_nlp (it ships cppcc_nlp/data/" + BUNDLED_FONT + "), install a Chinese font "
        "(Debian/Ubuntu: apt-get install fonts-noto-cjk), or pass font='/path/to/font.ttf' (CLI: --font)"
    )


# -- profile rows ----------------------------------------------------------------------


def _profile_rows(data, measure: str) -> list[dict]:
    """Rows with ``doc``, ``section`` and one share column per theme, from any accepted input."""
    from .records import MEASURES, profile_rows  # numpy: not imported with this module (the parser reads it)

    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    if hasattr(data, "to_dict") and hasattr(data, "columns"):  # a pandas DataFrame from theme_profile
        frame = data if list(data.index.names) == [None] else data.reset_index()
        return frame.to_dict("records")
    if hasattr(data, "predictions") or (
        isinstance(data, (list, tuple)) and data and hasattr(data[0], "predictions")
    ):
        return profile_rows(data, measure=measure)
    return [dict(row) for row in data]


def _row_labels(rows: list[dict]) -> list[str]:
    docs = list(dict.fromkeys(str(row.get("doc", "")) for row in rows))
    if len(docs) > 1:
        return [plain_text(f"{row.get('doc', '')} · {row['section']}") for row in rows]
    return [plain_text(row["section"]) for row in rows]


def plain_text(value) -> str:
    """Text of a report or a user as matplotlib draws it literally: ``$`` escaped, so ``$x$`` is no mathtext."""
    return str(value).replace("$", r"\$")


def theme_label(theme: str, codebook: Codebook | None = None) -> str:
    """The display name of a theme in ``codebook`` (default: the CPPCC one), e.g. ``党的建设`` for ``party_building``."""
    return (codebook or default_codebook()).names.get(theme, theme)


def codebook_of(data, codebook: Codebook | None = None) -> Codebook:
    """The codebook that names and colours ``data``'s themes: the one given, the data's own, else the default."""
    if codebook is not None:
        return codebook
    own = getattr(data, "codebook", None)
    if own is None and isinstance(data, (list, tuple)) and data:
        own = getattr(data[0], "codebook", None)
    return own if isinstance(own, Codebook) else default_codebook()


# -- figures ---------------------------------------------------------------------------


def plot_profiles(
    data,
    kind: str = "heatmap",
    measure: str = "sentences",
    font: str | os.PathLike | None = None,
    title: str | None = None,
    themes: Iterable[str] | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Draw theme profiles as a matplotlib ``Figure``.

    ``data`` is a ``LabelledReport``, a list of them, or a table from
    ``theme_profile`` (DataFrame or list of dicts). ``kind="heatmap"`` draws
    sections x themes with the share in each cell; ``kind="bars"`` draws one bar
    chart per section. ``measure`` is the share of ``"sentences"`` or of
    ``"characters"`` carrying each theme. Themes, their names and colours come
    from ``codebook`` (default: the data's model's, else the CPPCC one). Save
    with ``fig.savefig("out.png")``.
    """
    if kind not in ("heatmap", "bars"):
        raise ValueError(f"kind must be 'heatmap' or 'bars', got {kind!r}")
    require("matplotlib", "drawing a plot")
    rows = _profile_rows(data, measure)
    if not rows:
        raise ValueError("nothing to plot: the profile has no sections")
    codebook = codebook_of(data, codebook)
    themes = tuple(themes) if themes is not None else codebook.ids
    labels = _row_labels(rows)
    text = "".join(labels) + "".join(theme_label(t, codebook) for t in themes) + (title or "")
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(fname=os.fspath(find_cjk_font(text, font=font)))
    values = [[float(row.get(theme, 0.0) or 0.0) for theme in themes] for row in rows]
    what = "句子" if measure == "sentences" else "字数"
    default_title = f"各部分主题分布：{what}占比 / share of {measure} per theme"
    title = plain_text(title) if title else default_title
    if kind == "heatmap":
        return _heatmap(values, labels, themes, prop, title, measure, codebook)
    return _bars(values, labels, themes, prop, title, codebook)


def _heatmap(values, labels, themes, prop, title, measure, codebook):
    import numpy as np

    matrix = np.asarray(values, dtype=float)
    fig, ax, image, threshold = _heatmap_axes(matrix, themes, labels, prop, (2.2 + 1.25 * len(themes), 1.6 + 0.42 * len(labels)),
                                              codebook)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            value = matrix[i, j]
            ax.text(
                j, i, f"{value:.0%}", ha="center", va="center", fontsize=9,
                color="white" if value > threshold else "#222222",
            )
    return _finish_heatmap(fig, ax, image, f"share of {measure}", title, prop)


def _bars(values, labels, themes, prop, title, codebook):
    from matplotlib.figure import Figure

    columns = min(4, len(labels))
    rows = -(-len(labels) // columns)
    fig = Figure(figsize=(3.4 * columns, 0.6 + 2.1 * rows), layout="constrained")
    axes = fig.subplots(rows, columns, sharex=True, sharey=True, squeeze=False)
    names = [theme_label(t, codebook) for t in themes]
    colors = [codebook.colours.get(t, "#777777") for t in themes]
    for k, ax in enumerate(axes.flat):
        if k >= len(labels):
            ax.set_visible(False)
            continue
        ax.barh(range(len(themes)), values[k], color=colors)
        ax.set_title(labels[k], fontproperties=prop, fontsize=11)
        ax.set_xlim(0, 1)
        ax.set_yticks(range(len(themes)))
        ax.set_yticklabels(names, fontproperties=prop, fontsize=9)
        ax.set_ylim(len(themes) - 0.5, -0.5)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
    fig.suptitle(title, fontproperties=prop, fontsize=12)
    return fig


# -- theme shares with intervals (``shares.estimate_shares``) ---------------------------------


SHARE_KINDS = ("dots", "heatmap")  # plot_shares(kind=...)
PLOT_KINDS = (*SHARE_KINDS, "time")  # what profile --plot-kind draws: plot_shares, or plot_shares_over_time


def _share_cells(data) -> tuple[list, list[str], dict, str, float | None]:
    """``(groups, themes, {(group, theme): row}, method, confidence)`` of a ``ShareTable`` or its rows."""
    method = getattr(data, "method", None)
    confidence = getattr(data, "confidence", None)
    if hasattr(data, "rows") and hasattr(data, "themes"):
        rows = list(data.rows)
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # a DataFrame of the rows
        rows = data.to_dict("records")
    else:
        rows = [dict(row) for row in data]
    if not rows:
        raise ValueError("nothing to plot: the share table has no rows")
    missing = {"group", "theme", "share", "low", "high"} - set(rows[0])
    if missing:
        raise ValueError(f"share rows need the columns group, theme, share, low and high; missing {sorted(missing)}")
    groups = list(dict.fromkeys(row["group"] for row in rows))
    themes = list(dict.fromkeys(row["theme"] for row in rows))
    cells = {(row["group"], row["theme"]): row for row in rows}
    return groups, themes, cells, method or str(rows[0].get("method", "")), confidence


def _share_title(method: str, confidence: float | None, what: str) -> str:
    level = f"{confidence:.0%}" if confidence else "95%"
    return f"{what}：主题占比 / theme share ({method}, {level} interval)"


def plot_shares(
    data,
    kind: str = "dots",
    font: str | os.PathLike | None = None,
    title: str | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Groups x themes shares with their intervals, as a matplotlib ``Figure``.

    ``data`` is a ``ShareTable`` from ``estimate_shares`` (or its rows).
    ``kind="dots"`` draws one panel per theme, a dot per group at its share and
    a whisker over its interval; ``kind="heatmap"`` colours each cell by its
    share and writes the share and its interval in it.
    """
    if kind not in SHARE_KINDS:
        raise ValueError(f"kind must be one of {SHARE_KINDS}, got {kind!r}")
    require("matplotlib", "drawing a plot")
    groups, themes, cells, method, confidence = _share_cells(data)
    codebook = codebook_of(data, codebook)
    labels = [plain_text(g) for g in groups]
    title = plain_text(title) if title else _share_title(method, confidence, "各组")
    from matplotlib.font_manager import FontProperties

    text = "".join(labels) + "".join(theme_label(t, codebook) for t in themes) + title
    prop = FontProperties(fname=os.fspath(find_cjk_font(text, font=font)))
    share = [[float(cells[(g, t)]["share"]) for t in themes] for g in groups]
    low = [[float(cells[(g, t)]["low"]) for t in themes] for g in groups]
    high = [[float(cells[(g, t)]["high"]) for t in themes] for g in groups]
    if kind == "heatmap":
        return _share_heatmap(share, low, high, labels, themes, prop, title, codebook)
    return _share_dots(share, low, high, labels, themes, prop, title, codebook)


def _share_dots(share, low, high, labels, themes, prop, title, codebook):
    import numpy as np
    from matplotlib.figure import Figure

    share, low, high = (np.asarray(a, dtype=float) for a in (share, low, high))
    fig = Figure(figsize=(1.8 + 2.3 * len(themes), 1.3 + 0.34 * len(labels)), layout="constrained")
    axes = fig.subplots(1, len(themes), sharey=True, squeeze=False)[0]
    rows = np.arange(len(labels))
    right = min(1.0, max(0.2, float(high.max()) * 1.1))
    for k, (ax, theme) in enumerate(zip(axes, themes)):
        color = codebook.colours.get(theme, "#555555")
        ax.errorbar(share[:, k], rows, xerr=[share[:, k] - low[:, k], high[:, k] - share[:, k]], fmt="o",
                    color=color, ecolor=color, elinewidth=1.6, capsize=2.5, markersize=4.5)
        ax.set_xlim(-0.02 * right, right)
        ax.xaxis.set_major_formatter(lambda x, _: f"{x:.0%}")
        ax.set_title(theme_label(theme, codebook), fontproperties=prop, fontsize=11)
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.tick_params(axis="x", labelsize=8)
    axes[0].set_yticks(rows)
    axes[0].set_yticklabels(labels, fontproperties=prop, fontsize=10)
    axes[0].set_ylim(len(labels) - 0.5, -0.5)
    fig.suptitle(title, fontproperties=prop, fontsize=12)
    return fig


def _share_heatmap(share, low, high, labels, themes, prop, title, codebook):
    import numpy as np

    matrix = np.asarray(share, dtype=float)
    fig, ax, image, threshold = _heatmap_axes(matrix, themes, labels, prop, (2.2 + 1.45 * len(themes), 1.6 + 0.55 * len(labels)),
                                              codebook)
    for i in range(matrix.shape[0]):
        for j in range(matrix.shape[1]):
            ax.text(j, i, f"{matrix[i, j]:.0%}\n[{low[i][j]:.0%}–{high[i][j]:.0%}]", ha="center", va="center",
                    fontsize=8, color="white" if matrix[i, j] > threshold else "#222222")
    return _finish_heatmap(fig, ax, image, "share of sentences", title, prop)


def period_value(group) -> float | None:
    """A group key as a point in time: a number, or a date string's year (and month) as a number."""
    if isinstance(group, (int, float)) and not isinstance(group, bool):
        return float(group)
    text = str(group).strip()
    try:
        return float(text)
    except ValueError:
        pass
    import re

    match = re.fullmatch(r"(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?", text)
    return int(match.group(1)) + (int(match.group(2)) - 0.5) / 12 if match else None


def plot_shares_over_time(
    data,
    font: str | os.PathLike | None = None,
    title: str | None = None,
    themes: Iterable[str] | None = None,
    codebook: Codebook | None = None,
) -> Figure:
    """Shares by period (groups that are years, numbers or dates), one panel per theme, the interval as a band.

    ``data`` is a ``ShareTable`` whose groups are periods, e.g. from
    ``estimate_shares(records, years)``; groups are drawn in time order.
    """
    require("matplotlib", "drawing a plot")
    groups, all_themes, cells, method, confidence = _share_cells(data)
    codebook = codebook_of(data, codebook)
    chosen = list(themes) if themes is not None else all_themes
    times = [period_value(g) for g in groups]
    if any(t is None for t in times):
        bad = next(g for g, t in zip(groups, times) if t is None)
        raise ValueError(f"group {bad!r} is not a year, a number or a date: shares over time need periods as groups")
    order = sorted(range(len(groups)), key=lambda i: times[i])
    title = plain_text(title) if title else _share_title(method, confidence, "逐年")
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(fname=os.fspath(find_cjk_font("".join(theme_label(t, codebook) for t in chosen) + title,
                                                        font=font)))
    fig = Figure(figsize=(1.2 + 2.9 * len(chosen), 3.4), layout="constrained")
    axes = fig.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
    x = [times[i] for i in order]
    top = max(float(cells[(groups[i], t)]["high"]) for i in order for t in chosen)
    for ax, theme in zip(axes, chosen):
        color = codebook.colours.get(theme, "#555555")
        rows = [cells[(groups[i], theme)] for i in order]
        ax.fill_between(x, [r["low"] for r in rows], [r["high"] for r in rows], color=color, alpha=0.18, linewidth=0)
        ax.plot(x, [r["share"] for r in rows], marker="o", markersize=3.5, color=color)
        ax.set_title(theme_label(theme, codebook), fontproperties=prop, fontsize=11)
        ax.set_ylim(0, min(1.0, max(0.2, top * 1.05)))
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.grid(color="#dddddd", linewidth=0.6)
        ax.tick_params(axis="x", labelsize=8, rotation=45)
        if all(float(v).is_integer() for v in x):
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:.0f}")
    fig.suptitle(title, fontproperties=prop, fontsize=12)
    return fig


def _heatmap_axes(matrix, themes: Sequence[str], labels: Sequence[str], prop, figsize, codebook: Codebook):
    """A rows x themes heatmap with the theme names on top; returns (figure, axes, image, text-colour threshold)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="YlOrRd", vmin=0.0, vmax=max(1e-9, float(matrix.max()), 0.5), aspect="auto")
    ax.set_xticks(range(len(themes)))
    ax.set_xticklabels([theme_label(t, codebook) for t in themes], fontproperties=prop, fontsize=11)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontproperties=prop, fontsize=11)
    ax.tick_params(top=True, bottom=False, labeltop=True, labelbottom=False, length=0)
    return fig, ax, image, 0.6 * image.norm.vmax


def _finish_heatmap(fig, ax, image, colorbar_label: str, title: str, prop):
    """White lines between the cells, no frame, a colour bar of percentages and the title; returns the figure."""
    import numpy as np

    rows, columns = image.get_array().shape
    ax.set_xticks(np.arange(-0.5, columns), minor=True)
    ax.set_yticks(np.arange(-0.5, rows), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8, format=lambda x, _: f"{x:.0%}")
    colorbar.set_label(colorbar_label)
    ax.set_title(title, fontproperties=prop, fontsize=12, pad=12)
    return fig
