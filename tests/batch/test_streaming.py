"""One huge file is read, labelled and written piece by piece, with the bytes of reading it whole."""

import json
import shutil

import pytest

from cppcc_nlp import reader
from cppcc_nlp.batch import label_files, labeller

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


@pytest.fixture(scope="module")
def spec():
    return labeller.model_spec(None)  # the shipped model's engine


@pytest.fixture
def variants(tmp_path):
    """The seed report as UTF-8, as GB18030 with CRLF line ends, and as UTF-8 with a BOM and CR line ends."""
    text = SEED.read_text(encoding="utf-8")
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a-utf8.txt").write_text(text, encoding="utf-8")
    (folder / "b-gb18030.txt").write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    (folder / "c-bom.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r").encode("utf-8"))
    return folder


@pytest.mark.parametrize("piece_chars", [40, 700, 10**7])
@pytest.mark.parametrize("block", [64, 4096])
def test_a_streamed_report_has_the_sentences_offsets_sections_and_hash_of_one_read_whole(variants, monkeypatch,
                                                                                         piece_chars, block):
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", block)
    for path in sorted(variants.iterdir()):
        whole = reader.read_report(path)
        *pieces, digest = reader.stream_report(path, piece_chars=piece_chars)
        assert digest == whole.content_hash
        assert [s for piece in pieces for s in piece.sentences] == list(whole.sentences)
        assert pieces[-1].section_names == tuple(section.name for section in whole.sections)
        assert [index for piece in pieces for index in piece.closed] == list(range(len(whole.sections)))
        if piece_chars == 40:
            assert len(pieces) > 20
        assert list(reader.stream_report(path, digest_only=True)) == [whole.content_hash]


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_streamed_files_give_the_bytes_of_files_labelled_whole(tmp_path, variants, spec, monkeypatch, suffix):
    whole = label_files([variants], tmp_path / f"whole{suffix}", spec, profiles=tmp_path / "whole-p.csv",
                        progress=False)
    monkeypatch.setattr(labeller, "PIECE_CHARS", 500)
    streamed = label_files([variants], tmp_path / f"streamed{suffix}", spec, profiles=tmp_path / "streamed-p.csv",
                           progress=False, stream_bytes=100)
    assert (whole.documents, whole.sentences) == (streamed.documents, streamed.sentences) == (3, whole.sentences)
    for name in (f"{suffix}", "-p.csv", ".manifest.jsonl"):
        assert (tmp_path / f"whole{name}").read_bytes() == (tmp_path / f"streamed{name}").read_bytes(), name


def test_a_streamed_file_that_fails_half_way_is_skipped_with_its_offset_and_leaves_no_records(tmp_path, variants,
                                                                                             spec, monkeypatch):
    monkeypatch.setattr(reader.streaming, "STREAM_BLOCK", 4096)
    monkeypatch.setattr(labeller, "PIECE_CHARS", 500)
    data = (variants / "a-utf8.txt").read_bytes()
    bad = len(data) // 2
    bad += next(i for i in range(8) if data[bad + i] < 0x80)  # a character boundary
    (variants / "a-utf8.txt").write_bytes(data[:bad] + b"\xff" + data[bad:])
    out = tmp_path / "out.jsonl"
    result = label_files([variants], out, spec, progress=False, stream_bytes=100)
    assert (result.documents, result.failed) == (2, 1)
    assert f"at byte offset {bad}" in result.failures[0][1] and "a-utf8.txt" in result.failures[0][1]
    docs = {json.loads(line)["doc"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert docs == {"b-gb18030", "c-bom"}
    manifest = [json.loads(line) for line in (tmp_path / "out.manifest.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [entry["doc"] for entry in manifest[1:]] == ["b-gb18030", "c-bom"]


def test_a_streamed_file_already_labelled_is_skipped_on_resume(tmp_path, variants, spec):
    out = tmp_path / "out.jsonl"
    label_files([variants], out, spec, progress=False, stream_bytes=100)
    before = out.read_bytes()
    shutil.copy(SEED, variants / "d-new.txt")
    result = label_files([variants], out, spec, progress=False, stream_bytes=100, resume=True)
    assert (result.already_done, result.documents) == (3, 1)
    assert out.read_bytes().startswith(before)


def test_a_huge_utf16_file_is_streamed_as_it_is_read_whole(tmp_path):
    path = tmp_path / "wide.txt"
    path.write_bytes(SEED.read_text(encoding="utf-8").encode("utf-16"))
    pieces = list(reader.stream_report(path))  # issue 22: UTF-16 over 16 MiB is read, no longer refused
    assert pieces[-1] == reader.read_report(path).content_hash
