"""Stand-off label records: resolved against a local copy of their source, refused when they do not match."""

import json

import pytest

from cppcc_nlp.cli import main
from cppcc_nlp.corpus import document_units, iter_documents, load_corpus
from cppcc_nlp.errors import CorpusError


def test_standoff_records_resolve_to_the_sentences_they_point_at(standoff_corpus):
    corpus, sources, units = standoff_corpus
    records = load_corpus(corpus, sources=sources)
    news = [r for r in records if r.source == "news"]
    assert [r.text for r in news] == [units[0].text, units[1].text, units[3].text]
    assert news[1].text == "委员们建议加强民主监督；"
    assert news[1].labels == ("consultation", "supervision")
    assert news[1].context.after == "会议由主席主持。"
    assert news[0].group == "news/n1" and news[2].group == "news/n2"
    assert len(records) == 194 + 3


def test_sources_directory_comes_from_the_environment(standoff_corpus, monkeypatch):
    corpus, sources, _ = standoff_corpus
    monkeypatch.setenv("CPPCC_NLP_SOURCES", str(sources))
    assert len(load_corpus(corpus)) == 197


def _edit_standoff(corpus, number, edit):
    path = corpus / "labels" / "news.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    obj = json.loads(lines[number - 1])
    edit(obj)
    lines[number - 1] = json.dumps(obj, ensure_ascii=False)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_hash_that_does_not_match_names_file_and_line(standoff_corpus):
    corpus, sources, _ = standoff_corpus
    _edit_standoff(corpus, 2, lambda obj: obj.update(sha256="0" * 64))
    with pytest.raises(CorpusError, match=r"news\.jsonl:2: hash does not match"):
        load_corpus(corpus, sources=sources)


def test_a_changed_source_copy_is_detected_by_the_hash(standoff_corpus):
    corpus, sources, _ = standoff_corpus
    path = sources / "news" / "items.jsonl"
    path.write_text(path.read_text(encoding="utf-8").replace("加强民主监督", "加强民主协商"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"news\.jsonl:2: hash does not match"):
        load_corpus(corpus, sources=sources)


def test_a_span_outside_the_document_names_file_and_line(standoff_corpus):
    corpus, sources, _ = standoff_corpus
    _edit_standoff(corpus, 3, lambda obj: obj.update(span=[5, 5000]))
    with pytest.raises(CorpusError, match=r"news\.jsonl:3: span \[5, 5000\] lies outside document 'n2'"):
        load_corpus(corpus, sources=sources)


def test_a_span_that_is_not_the_readers_sentence_is_refused(standoff_corpus):
    corpus, sources, _ = standoff_corpus
    _edit_standoff(corpus, 1, lambda obj: obj.update(span=[0, 4]))
    with pytest.raises(CorpusError, match=r"news\.jsonl:1: .*not a sentence"):
        load_corpus(corpus, sources=sources)


def test_a_missing_source_lists_the_source_and_its_record_count(standoff_corpus, tmp_path, monkeypatch):
    corpus, _, _ = standoff_corpus
    monkeypatch.delenv("CPPCC_NLP_SOURCES", raising=False)
    with pytest.raises(CorpusError, match=r"news \(news/items\.jsonl\): 3 records.*--skip-missing-sources"):
        load_corpus(corpus, sources=tmp_path / "nowhere")
    with pytest.raises(CorpusError, match=r"news \(news/items\.jsonl\): 3 records"):
        load_corpus(corpus)


def test_skipping_missing_sources_is_explicit_and_counted(standoff_corpus, tmp_path, capsys):
    corpus, _, _ = standoff_corpus
    records = load_corpus(corpus, sources=tmp_path / "nowhere", skip_missing_sources=True)
    assert len(records) == 194
    assert "skipping 3 stand-off records of missing sources: news (news/items.jsonl): 3 records" in capsys.readouterr().err


def test_corpus_stats_counts_unchecked_then_skips_missing_sources_from_the_cli(standoff_corpus, tmp_path, capsys):
    corpus, sources, _ = standoff_corpus
    assert main(["corpus", "stats", "--corpus", str(corpus), "--sources", str(tmp_path / "nowhere")]) == 0
    said = capsys.readouterr()
    assert "units: 197   documents: 3" in said.out  # the counts are in the label files
    assert "not checked against their sources" in said.err and "news (3 records)" in said.err
    assert main(["corpus", "stats", "--corpus", str(corpus), "--sources", str(tmp_path / "nowhere"),
                 "--skip-missing-sources"]) == 0
    assert "units: 194" in capsys.readouterr().out
    assert main(["corpus", "stats", "--corpus", str(corpus), "--sources", str(sources)]) == 0
    out = capsys.readouterr().out
    assert "units: 197   documents: 3" in out
    assert "news" in out and "random 3" in out


def test_an_unregistered_source_is_refused(standoff_corpus):
    corpus, sources, _ = standoff_corpus
    _edit_standoff(corpus, 1, lambda obj: obj.update(source="elsewhere"))
    with pytest.raises(CorpusError, match=r"news\.jsonl:1: source 'elsewhere' is not registered"):
        load_corpus(corpus, sources=sources)


def test_a_directory_of_reports_is_a_source_too(tmp_path):
    from cppcc_nlp.corpus import SourceSpec

    root = tmp_path / "archive"
    (root / "2020").mkdir(parents=True)
    (root / "2020" / "report.txt").write_text("政协召开协商会。\n委员提出建议。", encoding="utf-8")
    (root / "2021.txt").write_bytes("加强民主监督。".encode("gb18030"))
    spec = SourceSpec(name="mine", path="archive", doc_id="")
    docs = list(iter_documents(spec, root))
    assert [d.doc for d in docs] == ["2020/report", "2021"]
    assert [u.id for u in document_units(docs[0])] == ["mine/2020/report-s00-000", "mine/2020/report-s00-001"]
