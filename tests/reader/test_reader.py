import dataclasses
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cppcc_nlp.errors import InputError
from cppcc_nlp.reader import (
    LEAD_IN,
    Sentence,
    decode_bytes,
    normalise_line,
    parse_report,
    read_report,
    split_paragraphs,
    split_sentences,
)

SEED = Path(__file__).resolve().parents[2] / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"
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


def test_a_string_that_names_no_file_is_an_error_not_text(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="no such file.*parse_report"):
        read_report("这是第一句。这是第二句！")
    with pytest.raises(InputError, match="'missing.txt': no such file"):
        read_report("missing.txt")
    with pytest.raises(TypeError, match="path or bytes"):
        read_report(42)
    with pytest.raises(TypeError, match="read_report"):
        parse_report(SMALL_REPORT.encode("utf-8"))


def test_a_string_naming_a_file_reads_the_file(tmp_path, monkeypatch):
    (tmp_path / "甲市政协 标题").write_text("乙市政协 其他\n开展专题协商。", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = read_report("甲市政协 标题")  # a file name, read, however much it looks like text
    assert report.source == "甲市政协 标题" and [s.name for s in report.sections] == ["乙市"]
    assert parse_report("甲市政协 标题").source is None  # text, never a file


def test_bytes_are_decoded_and_split(tmp_path):
    report = read_report(SMALL_REPORT.encode("gb18030"), doc_id="mine")
    assert report.doc_id == "mine" and report.encoding == "gb18030"
    assert [s.name for s in report.sections] == [LEAD_IN, "甲市", "乙市"]


def test_report_without_headings_is_one_section():
    report = parse_report("这是第一句。这是第二句！\n\n第三句在第二段？")
    assert len(report.sections) == 1
    assert [s.text for s in report.sentences] == ["这是第一句。", "这是第二句！", "第三句在第二段？"]


def test_numbered_headings_start_sections():
    text = "导言一句。\n一、总体情况\n政协开展协商。\n（一）专题协商\n召开专题协商会。\n第二部分 民主监督\n开展监督。"
    report = parse_report(text)
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
    report = parse_report("张家口市政协坚持以思想为指导，取得成效。")
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


def reference_split_sentences(paragraph):
    """The plain definition: cut after each run of terminators and closers, strip, drop empty."""
    spans = []
    for match in re.finditer("[^。！？；!?;]*(?:[。！？；!?;]+[”’」』）》】〕)\"']*|$)", paragraph):
        start, end = match.span()
        while start < end and paragraph[start].isspace():
            start += 1
        while end > start and paragraph[end - 1].isspace():
            end -= 1
        if end > start:
            spans.append((start, end))
    return spans


@pytest.mark.parametrize(
    ("paragraph", "sentences"),
    [
        (" 甲。 。！ 乙 \u3000", ["甲。", "。！", "乙"]),  # a sentence made only of terminators
        ("。。！”\u3000 ？", ["。。！”", "？"]),
        ("他说：“好！”  她说\u00a0", ["他说：“好！”", "她说"]),
        ("a!b?c;d", ["a!", "b?", "c;", "d"]),
        ("甲\n", ["甲"]),
        ("甲。\n", ["甲。"]),
        ("\u3000\n\t", []),
    ],
)
def test_sentences_leave_out_surrounding_whitespace(paragraph, sentences):
    spans = split_sentences(paragraph)
    assert [paragraph[a:b] for a, b in spans] == sentences
    assert spans == reference_split_sentences(paragraph)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="政协a1。！？；!?;”’」』）》】〕)\"' \u3000\u00a0\t\n\r\x0b\x1c\x85\u2028", max_size=40))
def test_split_sentences_matches_the_reference(paragraph):
    assert split_sentences(paragraph) == reference_split_sentences(paragraph)


def test_parsed_sentences_are_ordinary_sentence_objects(seed):
    # parse_report builds Sentence objects without __init__; they must be the same as built with it
    names = [f.name for f in dataclasses.fields(Sentence)]
    for sentence in seed.sentences:
        built = Sentence(**sentence.to_dict())
        assert sentence == built and hash(sentence) == hash(built) and repr(sentence) == repr(built)
        assert list(vars(sentence)) == names and vars(sentence) == vars(built)
        with pytest.raises(dataclasses.FrozenInstanceError):
            sentence.text = "x"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("委员,,a", "委员，，a"),  # a mark converted just before is Chinese context
        ("政协:)", "政协：）"),
        ("政协:(a", "政协：(a"),
        ("1,000元,政协", "1,000元，政协"),
        ("政协， 委员", "政协，委员"),  # a layout space after Chinese punctuation goes
        ("政协、 委员 。 a", "政协、委员 。 a"),
        ("政协， a", "政协， a"),
        ("ａ\u200b\u00a0\u2009 ｂ\u3000\u3000c", "a b c"),
    ],
)
def test_normalise_line_cases(line, expected):
    assert normalise_line(line) == expected


def test_paragraph_continues_unless_it_ends_a_sentence():
    text = "委员们说，这次协商“很成功”\n大家都同意。\n委员们说，“很成功。”\n下一段也有内容，很长。\n还有，省略……\n下一段，内容。"
    assert split_paragraphs(text) == [
        "委员们说，这次协商“很成功”大家都同意。",
        "委员们说，“很成功。”",
        "下一段也有内容，很长。",
        "还有，省略……",
        "下一段，内容。",
    ]


CONTROL_WHITESPACE = [
    chr(code) for code in range(0x10000)
    if chr(code).isspace() and unicodedata.category(chr(code)) == "Cc" and chr(code) not in "\n\r\t\f"
]


@pytest.mark.parametrize("control", CONTROL_WHITESPACE)
def test_control_characters_among_whitespace_count_as_binary(control):
    with pytest.raises(InputError, match="x.txt: looks binary \\(4 control"):
        decode_bytes(("政协" * 10 + control * 4).encode(), "x.txt")
    assert decode_bytes(("政协" * 10 + control * 3).encode(), "x.txt")[0].endswith(control)  # three are allowed


def test_format_characters_are_not_binary():
    assert decode_bytes(("政协\u200b" * 10).encode(), "x.txt")[1] == "utf-8"
