"""The record schema (cppcc_nlp.records): every writer gives the same ids, columns and values."""

import csv
import json

import pytest

from cppcc_nlp.api import default_model, label_report
from cppcc_nlp.api import as_engine
from cppcc_nlp.batch import label_files
from cppcc_nlp.cli import main
from cppcc_nlp.reader import parse_report
from cppcc_nlp.records import (
    RECORD_FIELDS,
    document_id,
    flatten,
    profile_fields,
    record_fields,
    sentence_record,
)
from cppcc_nlp.research import label_reports

from conftest import ROOT

SEED = ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt"


@pytest.fixture(scope="module")
def model():
    return default_model()


@pytest.fixture(scope="module")
def spec(model):
    return as_engine(model)


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Two files named report.txt in two year folders (GBK and UTF-8), a third beside them, and a JSONL file."""
    sections = parse_report(SEED.read_text(encoding="utf-8")).sections
    texts = ["\n".join(p.text for p in section.paragraphs) for section in sections]
    root = tmp_path_factory.mktemp("records") / "archive"
    (root / "2019").mkdir(parents=True)
    (root / "2020").mkdir()
    (root / "2019" / "report.txt").write_bytes(texts[1].encode("gb18030"))
    (root / "2020" / "report.txt").write_text(texts[2], encoding="utf-8")
    (root / "other.txt").write_text(texts[3], encoding="utf-8")
    docs = root.parent / "docs.jsonl"
    docs.write_text(json.dumps({"id": "j1", "text": texts[4]}, ensure_ascii=False) + "\n", encoding="utf-8")
    return root, docs


def test_document_ids_are_paths_under_the_directory_in_every_writer(tmp_path, archive, spec, model):
    root, docs = archive
    label_files([root, docs], tmp_path / "out.jsonl", model=spec, id_field="id", progress=False)
    streamed = list(dict.fromkeys(json.loads(line)["doc"] for line in (tmp_path / "out.jsonl").open(encoding="utf-8")))
    batch = label_reports([root, docs], model=model, id_field="id")
    assert streamed == ["2019/report", "2020/report", "other", "j1"]
    assert [labelled.report.doc_id for labelled in batch.labelled] == streamed
    assert list(dict.fromkeys(row["doc"] for row in batch.profiles())) == streamed
    assert document_id("2019/report.txt") == "2019/report" and document_id("a.b.txt") == "a.b"


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_in_memory_and_streaming_writers_give_the_same_bytes(tmp_path, archive, spec, model, suffix):
    """label_files (streaming) and label_reports (in memory) are one pipeline: records and profiles agree byte for byte."""
    root, _ = archive
    label_files([root], tmp_path / f"stream{suffix}", model=spec, profiles=tmp_path / f"stream-p{suffix}",
                progress=False)
    batch = label_reports(root, model=model)
    batch.write_records(tmp_path / f"memory{suffix}")
    batch.write_profiles(tmp_path / f"memory-p{suffix}")
    assert (tmp_path / f"memory{suffix}").read_bytes() == (tmp_path / f"stream{suffix}").read_bytes()
    assert (tmp_path / f"memory-p{suffix}").read_bytes() == (tmp_path / f"stream-p{suffix}").read_bytes()


def test_profile_output_is_the_label_profiles_file(tmp_path, archive, spec, capsys):
    root, _ = archive
    label_files([root], tmp_path / "out.jsonl", model=spec, profiles=tmp_path / "label.csv", progress=False)
    assert main(["profile", str(root), "-o", str(tmp_path / "profile.csv")]) == 0
    assert (tmp_path / "profile.csv").read_bytes() == (tmp_path / "label.csv").read_bytes()
    with open(tmp_path / "profile.csv", encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == profile_fields(spec.themes)
    capsys.readouterr()
    assert main(["profile", str(root), "-o", "-"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [list(row) for row in rows] == [profile_fields(spec.themes)] * len(rows)
    assert [row["doc"] for row in rows][:2] == ["2019/report", "2020/report"]


def test_csv_columns_dataframe_and_parquet_share_one_naming_scheme(tmp_path, archive, spec, model):
    pd = pytest.importorskip("pandas")
    root, _ = archive
    label_files([root], tmp_path / "out.csv", model=spec, progress=False)
    label_files([root], tmp_path / "out.parquet", model=spec, progress=False)
    columns = record_fields(spec.themes)
    assert columns[-5:] == [f"score_{t}" for t in spec.themes]
    with open(tmp_path / "out.csv", encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle)) == columns
    batch = label_reports(root, model=model)
    frame = batch.to_dataframe()
    assert list(frame.columns) == columns
    parquet = pd.read_parquet(tmp_path / "out.parquet")
    assert list(parquet.columns) == columns
    assert frame.drop(columns="labels").equals(parquet.drop(columns="labels"))
    assert [list(x) for x in frame["labels"]] == [list(x) for x in parquet["labels"]]
    single = label_report(root / "other.txt", model=model).to_dataframe()
    assert list(single.columns) == columns and len(single) == (frame["doc"] == "other").sum()


def test_research_write_table_flattens_with_the_same_names(tmp_path, archive, spec, model):
    from cppcc_nlp.research import write_table

    root, _ = archive
    label_files([root], tmp_path / "stream.csv", model=spec, progress=False)
    batch = label_reports(root, model=model)
    write_table(batch.to_records(), tmp_path / "records.csv")
    write_table(batch.to_dataframe(), tmp_path / "frame.csv")
    assert (tmp_path / "records.csv").read_bytes() == (tmp_path / "stream.csv").read_bytes()
    assert (tmp_path / "frame.csv").read_bytes() == (tmp_path / "stream.csv").read_bytes()


def test_record_fields_and_flat_form():
    report = parse_report("甲市政协 标题\n成立功能型党支部。")
    sentence = report.sentences[-1]
    record = sentence_record("d", [s.name for s in report.sections], sentence, ["party_building"],
                             {"party_building": 0.9, "supervision": 0.1})
    assert tuple(record) == RECORD_FIELDS and record["section"] == "甲市"
    assert report.text[record["start"]:record["end"]] == record["text"]
    assert flatten(record) == {**{k: record[k] for k in RECORD_FIELDS[:-2]}, "labels": "party_building",
                               "score_party_building": 0.9, "score_supervision": 0.1}
    assert flatten(record, join_labels=False)["labels"] == ["party_building"]
