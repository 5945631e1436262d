"""Hardening, the smaller items of issue 22 (15-18): inline label records stay inside the corpus, `profile --shares
--by` and pictures with odd text, the jieba fallback's cache, UTF-16 without a byte-order mark."""

import json
import os
from pathlib import Path

import pytest

from cppcc_nlp.cli import main

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


def _one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


# -- 15. inline records name reports inside corpus/raw/ only ------------------------------------------

@pytest.mark.parametrize("how", ["absolute", "dot-dot", "link out of raw"])
@pytest.mark.parametrize("command", ["corpus stats", "train", "evaluate"])
def test_an_inline_record_cannot_read_a_report_outside_the_corpus(tmp_path, how, command, capsys):
    secret = tmp_path / "secret.txt"
    secret.write_text("机密的第一句话不应出现在任何消息里。\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "raw").mkdir()
    if how == "absolute":
        doc = str(tmp_path / "secret")
    elif how == "dot-dot":
        doc = "../../secret"
    else:
        (corpus / "raw" / "inside.txt").symlink_to(secret)
        doc = "inside"
    record = {"id": "x-s00-000", "doc": doc, "section": "导语", "text": "别的句子。", "labels": []}
    (corpus / "labels" / "x.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    args = {"corpus stats": ["corpus", "stats"], "train": ["train", "--output", str(tmp_path / "m")],
            "evaluate": ["evaluate", "--quick"]}[command]
    assert main([*args, "--corpus", str(corpus)]) == 4
    line = _one_line(capsys.readouterr().err)
    assert "is not a report under" in line and "x.jsonl:1" in line and "机密" not in line
    assert not (tmp_path / "m").exists()


# -- 16. profile --shares --by, and report text in pictures ---------------------------------------------

def _news(tmp_path: Path, dates: list) -> Path:
    lines = [line for line in SEED.read_text(encoding="utf-8").splitlines() if len(line) > 20]
    path = tmp_path / "news.jsonl"
    records = []
    for k, date in enumerate(dates):
        record = {"id": f"n{k}", "text": "\n".join(lines[k * 4:k * 4 + 4])}
        if date is not None:
            record["date"] = date
        records.append(record)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.parametrize("by", ["date:abc", "date:0", "date:-1", ":4"])
def test_a_bad_by_field_is_refused_before_labelling(tmp_path, by, monkeypatch, capsys):
    from cppcc_nlp import research

    monkeypatch.setattr(research, "label_reports", lambda *a, **k: pytest.fail("labelled before refusing --by"))
    news = _news(tmp_path, ["2019-01-02"])
    assert main(["profile", str(news), "--id-field", "id", "--shares", "count", "--by", by]) == 2
    line = _one_line(capsys.readouterr().err)
    assert f"--by {by!r}" in line and ("number of characters to keep" in line or "name a field" in line)


def test_empty_field_values_are_counted_with_the_missing_ones_not_made_a_group(tmp_path, capsys):
    news = _news(tmp_path, ["2019-01-02", "", None, "  ", "2020-05-01"])
    out = tmp_path / "shares.csv"
    assert main(["profile", str(news), "--id-field", "id", "--shares", "count", "--by", "date:4", "-o", str(out)]) == 0
    assert "left out 3 document(s) without the field 'date'" in capsys.readouterr().err
    groups = {line.split(",")[0] for line in out.read_text(encoding="utf-8").splitlines()[1:]}
    assert groups == {"2019", "2020"}


def test_dollar_signs_in_report_text_are_drawn_as_text_not_mathtext(tmp_path):
    pytest.importorskip("matplotlib")
    report = tmp_path / "report.txt"
    report.write_text("一、关于$\\frac{a$的报告\n委员开展协商议政活动。\n二、$x^$监督\n开展民主监督。\n", encoding="utf-8")
    assert main(["profile", str(report), "--plot", str(tmp_path / "heat.png"), "--bars", str(tmp_path / "b.png")]) == 0
    news = tmp_path / "news.jsonl"
    news.write_text(json.dumps({"id": "a", "area": "$\\bad{$", "text": report.read_text(encoding="utf-8")},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["profile", str(news), "--id-field", "id", "--shares", "count", "--by", "area",
                 "--plot", str(tmp_path / "dots.png")]) == 0
    assert (tmp_path / "heat.png").stat().st_size and (tmp_path / "dots.png").stat().st_size


# -- 17. the jieba fallback's table is read only from a private cache -----------------------------------

def test_the_jieba_table_in_a_cache_others_can_write_is_ignored(tmp_path):
    import marshal

    from cppcc_nlp.segment import JiebaTokenizer, RjiebaTokenizer, _table_key, rjieba_available

    if not rjieba_available():
        pytest.skip("the clean tokens come from rjieba (the same as jieba's, without a second dictionary load)")
    text = "全国政协召开双周协商座谈会，委员们建言资政。"
    clean = RjiebaTokenizer(()).cut(text)
    tokens = {}
    for mode in (0o700, 0o777):
        cache = tmp_path / f"cache-{mode:o}"
        cache.mkdir()
        os.chmod(cache, mode)
        planted = {ch: -1.0 for ch in text}  # every character a word of its own: other tokens
        (cache / f"jieba-logfreq-{_table_key(())}.marshal").write_bytes(marshal.dumps((20.0, planted)))
        tokens[mode] = JiebaTokenizer.load((), cache).lcut(text)
    assert tokens[0o700] != clean  # a private cache is trusted: the planted table is what it holds
    assert tokens[0o777] == clean  # one anyone can write into is not read (nor written)
    assert sorted(p.name for p in (tmp_path / "cache-777").iterdir()) == [f"jieba-logfreq-{_table_key(())}.marshal"]


# -- 18. UTF-16 without a byte-order mark, and UTF-16 files too large to read whole -----------------------

@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("text", [
    "一、总体情况。一年来，市政协一以贯之坚持党的领导。",  # no ASCII at all, and 一 (U+4E00) puts a NUL "wrong"
    "市政协开展专题协商，委员们提出建议三十多条。",  # one line, no line break
    "2019 CPPCC report: 政协 meeting notes, with more ASCII text than Chinese.\n",
])
def test_utf16_without_a_byte_order_mark_is_read_whatever_its_text(text, encoding):
    from cppcc_nlp.reader import decode_bytes

    assert decode_bytes(text.encode(encoding), "report.txt") == (text, encoding)


def test_binary_data_with_nul_bytes_is_still_called_binary():
    from cppcc_nlp.errors import InputError
    from cppcc_nlp.reader import decode_bytes

    for data in (bytes(range(256)) * 4, b"\x7fELF\x02\x01\x01" + bytes(200), "政协".encode("utf-16-le") + bytes(8)):
        with pytest.raises(InputError, match="binary"):
            decode_bytes(data, "x.bin")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_utf16_file_too_large_to_read_whole_is_streamed_like_any_other(tmp_path, encoding, monkeypatch):
    from cppcc_nlp import reader
    from cppcc_nlp.batch import label_files
    from cppcc_nlp.batch.labeller import model_spec

    spec = model_spec(None)
    text = SEED.read_text(encoding="utf-8")
    for name, data in (("utf8", text.encode("utf-8")), ("wide", text.encode(encoding))):
        (tmp_path / name).mkdir()
        (tmp_path / name / "report.txt").write_bytes(data)
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", 4097)  # blocks that cut code units and surrogate pairs
    outputs = {}
    for name in ("utf8", "wide"):
        for streamed in (False, True):
            out = tmp_path / f"{name}-{streamed}.jsonl"
            result = label_files([tmp_path / name], out, spec, progress=False,
                                 stream_bytes=1024 if streamed else 1 << 30)  # 1 KiB: as if over 16 MiB
            assert result.failed == 0, result.failures
            outputs[name, streamed] = out.read_bytes()
    assert len(set(outputs.values())) == 1
