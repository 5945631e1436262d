from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppcc_nlp.errors import InputError
from cppcc_nlp.reader import (
    LEAD_IN,
    decode_bytes,
    normalise_line,
    parse_report,
    read_report,
    split_paragraphs,
    split_sentences,
)

SEED = Path(__file__).resolve().parent.parent / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
CITIES = ["石家庄市", "承德市", "张家口市", "秦皇岛市", "唐山市", "廊坊市", "保定市",
          "沧州市", "衡水市", "邢台市", "邯郸市", "定州市", "辛集市"]

SMALL_REPORT = (
    "某市政协工作综述\n\n"
    "甲市政协 坚持党的领导 推动工作\n\n"
    "坚持党的领导。成立功能型党支部。\n\n"
    "乙市政协 创新协商形式\n\n"
    "创新协商形式,开展专题协商。\n"
)


@pytest.fixture(scope="module")
def seed():
    return read_report(SEED)


def test_seed_has_lead_in_and_thirteen_city_sections(seed):
    assert [s.name for s in seed.sections] == [LEAD_IN] + CITIES


def test_seed_page_breaks_are_rejoined(seed):
    texts = [s.text for s in seed.sentences]
    assert any("连续两年集中开展重点调研" in t for t in texts)
    assert any("在成立市政协机关党组的基础上" in t for t in texts)
    assert any(t.startswith("打造网络履职新平台") for t in texts)
    assert not any(t in ("重点调研", "打造", "督。") for t in texts)


def test_seed_sentences_are_whole(seed):
    # Only headings and the one paragraph that the source itself truncates lack a terminator.
    unterminated = {s.text for s in seed.sentences if s.text[-1] not in "。！？；”"}
    headings = {sec.title for sec in seed.sections[1:]} | {s.text for s in seed.sections[0].sentences[:4]}
    truncated = unterminated - headings
    assert len(truncated) == 1 and next(iter(truncated)).endswith("确保了政协工作始终沿着正确的政治方向")


def test_headings_are_not_joined_to_the_next_paragraph(seed):
    heading = seed.sections[1].sentences[0]
    assert heading.text == "石家庄市政协 改革创新求真务实 推动政协工作提质增效"
    assert seed.sections[1].title == heading.text


def test_sentence_offsets_slice_the_normalised_text(seed):
    for sentence in seed.sentences:
        assert seed.text[sentence.start:sentence.end] == sentence.text
        assert sentence.text.strip() == sentence.text and sentence.text


def test_seed_counts(seed):
    assert len(seed.sentences) == 194
    assert len(seed.sections[1].sentences) == 14


def test_ascii_punctuation_inside_chinese_becomes_chinese():
    assert normalise_line("围绕4+4现代产业发展,连续两年;问计于民!") == "围绕4+4现代产业发展，连续两年；问计于民！"
    assert normalise_line("提供就业岗位2,200多个") == "提供就业岗位2,200多个"
    assert normalise_line("联系县(市、区)政协") == "联系县（市、区）政协"


def test_full_width_forms_and_stray_whitespace_are_normalised():
    assert normalise_line("\u3000\u3000２０１９年　ＡＰＰ  上线") == "2019年 APP 上线"


def test_gbk_file_is_decoded(tmp_path):
    path = tmp_path / "gbk.txt"
    path.write_bytes(SMALL_REPORT.encode("gbk"))
    report = read_report(path)
    assert report.encoding == "gb18030"
    assert [s.name for s in report.sections] == [LEAD_IN, "甲市", "乙市"]


def test_short_gbk_lines_are_not_mistaken_for_korean():
    text, _ = decode_bytes("□记者 高原雪".encode("gbk"), "short.txt")
    assert text == "□记者 高原雪"


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be"])
def test_bom_files_are_decoded(tmp_path, encoding):
    data = SMALL_REPORT.encode(encoding)
    if encoding in ("utf-16-le", "utf-16-be"):
        data = ("\ufeff" + SMALL_REPORT).encode(encoding)
    path = tmp_path / "bom.txt"
    path.write_bytes(data)
    report = read_report(path)
    assert report.sentences[0].text == "某市政协工作综述"
    assert "\ufeff" not in report.text


def test_empty_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"  \n\n")
    with pytest.raises(InputError, match="empty.txt.*empty"):
        read_report(path)


def test_binary_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match="image.png.*binary"):
        read_report(path)


def test_undecodable_bytes_are_an_error_not_mojibake(tmp_path):
    path = tmp_path / "noise.txt"
    path.write_bytes(bytes([0x81, 0x30, 0xFF, 0xFE, 0x85, 0xC0] * 50))
    with pytest.raises(InputError, match="noise.txt"):
        read_report(path)


def test_missing_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="missing.txt"):
        read_report(tmp_path / "missing.txt")


def test_report_without_headings_is_one_section():
    report = read_report("这是第一句。这是第二句！\n\n第三句在第二段？")
    assert len(report.sections) == 1
    assert [s.text for s in report.sentences] == ["这是第一句。", "这是第二句！", "第三句在第二段？"]


def test_numbered_headings_start_sections():
    text = "导言一句。\n一、总体情况\n政协开展协商。\n（一）专题协商\n召开专题协商会。\n第二部分 民主监督\n开展监督。"
    report = read_report(text)
    assert [s.name for s in report.sections] == [LEAD_IN, "一、总体情况", "（一）专题协商", "第二部分 民主监督"]
    assert report.sections[2].sentences[1].text == "召开专题协商会。"


def test_cut_paragraph_is_rejoined_but_heading_is_kept():
    paragraphs = split_paragraphs("坚持紧扣改革发展。连续两年集中开展\n\n重点调研，问计于民。\n\n乙市政协 新的标题\n\n正文。")
    assert paragraphs == ["坚持紧扣改革发展。连续两年集中开展重点调研，问计于民。", "乙市政协 新的标题", "正文。"]


def test_closing_quotes_stay_with_their_sentence():
    spans = split_sentences("他说：“要协商。”随后散会；大家同意！")
    text = "他说：“要协商。”随后散会；大家同意！"
    assert [text[a:b] for a, b in spans] == ["他说：“要协商。”", "随后散会；", "大家同意！"]


def test_city_sentence_without_space_is_not_a_heading():
    report = read_report("张家口市政协坚持以思想为指导，取得成效。")
    assert len(report.sections) == 1 and report.sections[0].name == LEAD_IN


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="政协委员开展协商监督。！？；，,;!? \n“”ab12", min_size=1, max_size=120))
def test_sentences_cover_the_text_and_slice_back(text):
    if not text.strip():
        return
    report = parse_report(text)
    position = 0
    for sentence in report.sentences:
        assert sentence.text and sentence.text == sentence.text.strip()
        assert report.text[sentence.start:sentence.end] == sentence.text
        assert report.text[position:sentence.start].strip() == ""  # nothing but whitespace is skipped
        position = sentence.end
    assert report.text[position:].strip() == ""
