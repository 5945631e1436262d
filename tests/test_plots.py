"""Pictures: the Chinese font resolves and has the glyphs, heatmaps and bar charts, `cppcc-nlp profile`."""

import importlib
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

matplotlib = importlib.import_module("matplotlib")
matplotlib.use("Agg")

from fontTools.ttLib import TTFont  # noqa: E402 (fontTools is a dependency of matplotlib)

from cppcc_nlp.errors import FontError  # noqa: E402
from cppcc_nlp.plots import bundled_font, find_cjk_font, missing_characters, plot_profiles  # noqa: E402
from cppcc_nlp.research import theme_profile  # noqa: E402
from cppcc_nlp.themes import THEME_IDS, THEME_NAMES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
CITIES = "石家庄邯郸辛集"
DEJAVU = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"


def cmap_characters(path) -> set[str]:
    """Characters with a glyph, read with fontTools (independently of the code under test)."""
    return {chr(code) for code in TTFont(str(path), fontNumber=0).getBestCmap()}


@pytest.fixture(scope="module")
def labelled():
    from cppcc_nlp import label_report

    return label_report(SAMPLE)


# matplotlib warns "Glyph ... missing from font(s)" when it draws an empty box: fail instead.
pytestmark = pytest.mark.filterwarnings("error:Glyph .* missing from font")


def test_bundled_font_has_glyphs_for_city_and_theme_names(labelled):
    path = bundled_font()
    assert path is not None and path.stat().st_size < 5_000_000
    have = cmap_characters(path)
    names = CITIES + "".join(THEME_NAMES.values()) + "".join(s.name for s in labelled.report.sections)
    assert set(names) <= have
    assert not missing_characters(path, names)


def test_resolved_font_covers_the_sample_report_labels(labelled):
    labels = "".join(section.name for section in labelled.report.sections)
    path = find_cjk_font(labels)
    assert set(CITIES + labels) <= cmap_characters(path)


def test_no_chinese_font_gives_a_helpful_error():
    with pytest.raises(FontError) as caught:
        find_cjk_font("石家庄", candidates=[DEJAVU])
    message = str(caught.value)
    assert "no font with Chinese glyphs" in message
    assert "fonts-noto-cjk" in message and "font=" in message


def test_a_latin_font_named_explicitly_is_refused():
    with pytest.raises(FontError, match="no Chinese glyphs"):
        find_cjk_font("石家庄", font=DEJAVU)


def test_an_unknown_font_family_is_an_error():
    with pytest.raises(FontError, match="neither a font file nor an installed font family"):
        find_cjk_font("石家庄", font="No Such Font Family 42")


def test_a_character_outside_the_font_is_named_in_a_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        path = find_cjk_font("石家庄𠮷", candidates=[DEJAVU, bundled_font()])
    assert path == bundled_font()
    assert any("𠮷" in str(w.message) for w in caught)


def test_heatmap_of_the_sample_report_draws_city_names_with_a_chinese_font(labelled, tmp_path):
    figure = plot_profiles(labelled)
    ax = figure.axes[0]
    sections = [section.name for section in labelled.report.sections]
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == sections
    assert [t.get_text() for t in ax.get_xticklabels()] == [THEME_NAMES[t] for t in THEME_IDS]
    for label in list(ticks) + list(ax.get_xticklabels()):
        font_file = label.get_fontproperties().get_file()
        assert font_file is not None and set(label.get_text()) <= cmap_characters(font_file)
    out = tmp_path / "sample_heatmap.png"
    figure.savefig(out, dpi=80)  # a missing glyph would raise here (pytestmark)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # every cell carries its share, in the order of the profile table
    shares = [t.get_text() for t in ax.texts]
    first = labelled.profiles()[1]
    assert shares[5:10] == [f"{first['share_' + t]:.0%}" for t in THEME_IDS]


def test_bars_draw_one_panel_per_section_from_a_table(labelled):
    table = theme_profile(labelled, measure="characters")
    figure = plot_profiles(table, kind="bars", measure="characters")
    visible = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == [s.name for s in labelled.report.sections]
    widths = [patch.get_width() for patch in visible[1].patches]
    rows = table.to_dict("records") if hasattr(table, "to_dict") else table
    assert widths == pytest.approx([rows[1][t] for t in THEME_IDS])


def test_several_reports_are_labelled_by_document_and_section(labelled):
    from cppcc_nlp import label_text

    other = label_text("一、总体情况\n市政协党组加强理论学习。\n二、委员工作\n建立委员履职档案。")
    figure = plot_profiles([labelled, other])
    labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
    assert labels[0] == "hebei-2019-cppcc-highlights · 导语"
    assert labels[-2:] == ["report · 一、总体情况", "report · 二、委员工作"]


def test_bad_arguments_are_refused(labelled):
    with pytest.raises(ValueError, match="kind"):
        plot_profiles(labelled, kind="pie")
    with pytest.raises(ValueError, match="measure"):
        plot_profiles(labelled, measure="words")
    with pytest.raises(ValueError, match="no sections"):
        plot_profiles([])


def test_committed_sample_heatmap_exists():
    """docs/sample_heatmap.png is linked from the README; rebuild it with the command in docs/README.md."""
    image = ROOT / "docs" / "sample_heatmap.png"
    assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_profile_writes_table_and_heatmap(tmp_path, capsys):
    from cppcc_nlp.cli import main

    plot, bars, table = tmp_path / "heat.png", tmp_path / "bars.png", tmp_path / "profile.csv"
    code = main(["profile", str(SAMPLE), "--plot", str(plot), "--bars", str(bars), "-o", str(table), "--dpi", "60"])
    assert code == 0
    assert plot.read_bytes()[:4] == b"\x89PNG" and bars.read_bytes()[:4] == b"\x89PNG"
    lines = table.read_text(encoding="utf-8").splitlines()
    assert lines[0].split(",")[:6] == ["doc", "section_index", "section", "sentences", "characters", "share_party_building"]
    assert len(lines) == 1 + 14 and any(",辛集市," in line for line in lines)
    out = capsys.readouterr().out
    assert "| 石家庄市 |" in out


def test_cli_profile_skips_unreadable_inputs(tmp_path, capsys):
    from cppcc_nlp.cli import main
    from cppcc_nlp.cli.exits import EXIT_SOME_INPUTS_FAILED

    (tmp_path / "reports").mkdir()
    shutil.copy(SAMPLE, tmp_path / "reports" / "sample.txt")
    (tmp_path / "reports" / "broken.txt").write_bytes(b"\x00\x01\x02binary\x00" * 50)
    plot = tmp_path / "heat.png"
    assert main(["profile", str(tmp_path / "reports"), "--plot", str(plot), "--dpi", "50"]) == EXIT_SOME_INPUTS_FAILED
    assert plot.is_file()
    assert "broken.txt" in capsys.readouterr().err


def test_cli_profile_with_a_latin_font_exits_with_the_font_code(tmp_path, capsys):
    from cppcc_nlp.cli import main

    code = main(["profile", str(SAMPLE), "--plot", str(tmp_path / "x.png"), "--font", str(DEJAVU)])
    assert code == FontError.exit_code == 7
    assert "no Chinese glyphs" in capsys.readouterr().err


def test_installed_command_has_profile(tmp_path):
    import sys
    from pathlib import Path

    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed beside this Python"
    result = subprocess.run(
        [script, "profile", "--help"], capture_output=True, text=True, env={**os.environ, "MPLBACKEND": "Agg"}
    )
    assert result.returncode == 0 and "--plot" in result.stdout
