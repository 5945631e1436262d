"""A corpus of one's own (corpus/user.py): corpus init, corpus add-source, --corpus / $CPPCC_NLP_CORPUS,
the shipped corpus never written inside an installed package, sources.json validated, stats without sources."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cppcc_nlp
from cppcc_nlp.cli import main
from cppcc_nlp.codebook import DEFAULT_CODEBOOK
from cppcc_nlp.corpus.sources import read_registry, source_file
from cppcc_nlp.corpus.user import add_source, check_writable, init_corpus, is_installed_corpus
from cppcc_nlp.errors import CorpusError, UsageError

from conftest import ROOT

DOCS = [{"doc": "a", "body": "一、总体情况\n市政协开展专题协商。委员提出建议。"},
        {"doc": "b", "body": "二、民主监督\n开展民主监督，跟踪督办重点提案。"}]


def write_jsonl(path: Path, items) -> Path:
    path.write_text("".join((json.dumps(i, ensure_ascii=False) if not isinstance(i, str) else i) + "\n"
                            for i in items), encoding="utf-8")
    return path


@pytest.fixture
def corpus(tmp_path) -> Path:
    init_corpus(tmp_path / "corpus")
    return tmp_path / "corpus"


def test_init_makes_the_codebook_the_registry_and_labels_and_refuses_to_make_one_twice(tmp_path):
    made = init_corpus(tmp_path / "mine")
    assert (tmp_path / "mine" / "codebook.toml").read_bytes() == DEFAULT_CODEBOOK.read_bytes()
    assert json.loads((tmp_path / "mine" / "sources.json").read_text(encoding="utf-8")) == {"sources": []}
    assert (tmp_path / "mine" / "labels").is_dir() and "party_building" in made.format()
    with pytest.raises(UsageError, match="already holds codebook.toml, sources.json, labels: it is a corpus already"):
        init_corpus(tmp_path / "mine")


def test_init_copies_a_codebook_of_ones_own_after_validating_it(tmp_path):
    good = tmp_path / "themes.toml"
    good.write_text('name = "x"\n[[theme]]\nid = "rivers"\nname = "河长制"\ncolour = "#1f77b4"\n'
                    'definition = "river chiefs"\ncues = ["河长"]\n', encoding="utf-8")
    assert init_corpus(tmp_path / "a", codebook=good).themes == ("rivers",)
    assert (tmp_path / "a" / "codebook.toml").read_bytes() == good.read_bytes()
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text(encoding="utf-8").replace("#1f77b4", "blue"), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"bad.toml:5: theme 'rivers': 'colour' must be #rrggbb"):
        init_corpus(tmp_path / "b", codebook=bad)
    assert not (tmp_path / "b").exists()  # nothing made


def test_add_source_reads_the_archive_through_and_registers_it(corpus, tmp_path):
    archive = write_jsonl(tmp_path / "r.jsonl", DOCS)
    added = add_source(corpus, "reports", archive, id_field="doc", text_field="body", genre="report")
    assert (added.documents, added.units) == (2, 5)
    assert "registered source 'reports'" in added.format() and "2 documents, 5 sentences" in added.format()
    [entry] = json.loads((corpus / "sources.json").read_text(encoding="utf-8"))["sources"]
    assert entry == {"name": "reports", "path": archive.resolve().as_posix(), "doc_id": "doc", "text_field": "body",
                     "genre": "report"}
    spec = read_registry(corpus)["reports"]
    assert source_file(spec, None) == archive.resolve()  # an absolute path needs no --sources


def test_a_path_inside_the_sources_directory_is_stored_relative_to_it(corpus, tmp_path, monkeypatch):
    copies = tmp_path / "copies"
    (copies / "news").mkdir(parents=True)
    write_jsonl(copies / "news" / "n.jsonl", [{"id": "x", "text": "政协召开协商会。"}])
    monkeypatch.setenv("CPPCC_NLP_SOURCES", str(copies))
    add_source(corpus, "news", copies / "news" / "n.jsonl")
    assert read_registry(corpus)["news"].path == "news/n.jsonl"
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "a.txt").write_text("一、总体情况\n市政协开展专题协商。", encoding="utf-8")
    assert add_source(corpus, "folder", tmp_path / "reports").documents == 1  # a directory of .txt reports


@pytest.mark.parametrize("lines, options, message", [
    (DOCS, {}, r"r.jsonl:1: no field 'id' for the document id \(this line has: body, doc\); name the id field "
               r"with --id-field FIELD"),
    (DOCS, {"id_field": "doc"}, r"r.jsonl:1: no field 'text' for the text \(this line has: body, doc\); name the "
                                r"text field with --text-field FIELD"),
    ([{"id": "a", "text": 3}], {}, r"r.jsonl:1: a non-text field 'text'"),
    (["", "not json"], {}, r"r.jsonl:2: not valid JSON .*one document per line"),
    ([[1, 2]], {}, r"r.jsonl:1: a document is a JSON object, got list"),
    ([], {}, r"r.jsonl: empty file"),
    ([{"id": "a", "text": "一句话。"}, {"id": "a", "text": "又一句。"}], {}, r"r.jsonl:2: document id 'a' .*occurs twice"),
    ([{"id": "a", "text": "一句话。"}, {"id": "b"}], {}, r"r.jsonl:2: a document needs the fields 'id' and 'text'"),
])
def test_each_mistake_in_an_archive_gets_its_own_message_and_nothing_is_registered(corpus, tmp_path, lines,
                                                                                    options, message):
    archive = write_jsonl(tmp_path / "r.jsonl", lines) if lines else tmp_path / "r.jsonl"
    if not lines:
        archive.write_text("\n", encoding="utf-8")
    before = (corpus / "sources.json").read_bytes()
    with pytest.raises(CorpusError, match=message):
        add_source(corpus, "reports", archive, **options)
    assert (corpus / "sources.json").read_bytes() == before


def test_names_paths_and_corpus_directories_are_checked(corpus, tmp_path):
    archive = write_jsonl(tmp_path / "r.jsonl", [{"id": "a", "text": "政协召开协商会。"}])
    add_source(corpus, "reports", archive)
    with pytest.raises(UsageError, match="source 'reports' is registered already"):
        add_source(corpus, "reports", archive)
    for name in ("all", "a/b", "", "-x"):
        with pytest.raises(UsageError, match="it begins every unit id"):
            add_source(corpus, name, archive)
    with pytest.raises(UsageError, match="nothere.jsonl: no such file or directory"):
        add_source(corpus, "other", tmp_path / "nothere.jsonl")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CorpusError, match="a directory source holds .txt reports"):
        add_source(corpus, "other", tmp_path / "empty")
    with pytest.raises(UsageError, match=r"not a corpus directory \(no sources.json\); make one with cppcc-nlp "
                                         "corpus init"):
        add_source(tmp_path / "empty", "other", archive)


@pytest.mark.parametrize("entry, message", [
    ({"name": "mine"}, r"sources.json: source 1 \('mine'\): missing 'path'; an entry is \{\"name\": \.\.\., "
                       r"\"path\": \.\.\.\} with optional doc_id \(default id\).*relative to the sources directory"),
    ({"name": "mine", "path": "m.jsonl", "doc_ids": "x"}, r"source 1 \('mine'\): unknown key\(s\) \['doc_ids'\]"),
    ({"name": "mine", "path": "m.jsonl", "truncated": "yes"}, r"'truncated' must be true or false, got 'yes'"),
    ("mine", r"source 1: not an object"),
])
def test_a_malformed_registry_entry_names_the_entry_the_key_and_the_format(tmp_path, entry, message):
    (tmp_path / "sources.json").write_text(json.dumps({"sources": [entry]}), encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        read_registry(tmp_path)


def test_a_first_entry_without_doc_id_reads_ids_from_the_field_id(tmp_path):
    (tmp_path / "sources.json").write_text(json.dumps({"sources": [{"name": "mine", "path": "m.jsonl"}]}),
                                           encoding="utf-8")
    assert read_registry(tmp_path)["mine"].doc_id == "id"


def test_the_shipped_corpus_of_an_installed_package_is_never_written(tmp_path):
    inside = Path(cppcc_nlp.__file__).resolve().parent / "corpus_data"
    assert is_installed_corpus(inside) and not is_installed_corpus(ROOT / "corpus")
    with pytest.raises(UsageError, match=r"corpus_data is the corpus shipped inside the installed package.*"
                                         r"`cppcc-nlp corpus init DIR`, then pass --corpus DIR or set CPPCC_NLP_CORPUS"):
        check_writable(inside)
    assert check_writable(ROOT / "corpus") == ROOT / "corpus"  # a clone's corpus/ is the project's own
    with pytest.raises(UsageError, match="inside the installed package"):
        init_corpus(inside / "x")


def test_every_corpus_command_takes_the_corpus_from_the_environment(corpus, tmp_path, monkeypatch, capsys):
    archive = write_jsonl(tmp_path / "r.jsonl", [{"id": f"d{k}", "text": "市政协开展专题协商。委员提出建议。"}
                                                 for k in range(3)])
    monkeypatch.setenv("CPPCC_NLP_CORPUS", str(corpus))
    assert main(["corpus", "add-source", "reports", str(archive)]) == 0
    batch = tmp_path / "batch.jsonl"
    assert main(["annotate", "select", "reports", "--strategy", "all", "-n", "10", "-o", str(batch)]) == 0
    lines = [dict(json.loads(line), labels=["consultation"], annotator="me")
             for line in batch.read_text(encoding="utf-8").splitlines()]
    write_jsonl(batch, lines)
    assert main(["annotate", "merge", str(batch)]) == 0
    out = capsys.readouterr().out
    assert f"-> {corpus / 'labels' / 'reports.jsonl'}" in out
    assert main(["corpus", "stats"]) == 0
    assert capsys.readouterr().out.startswith(f"units: {len(lines)} ")
    assert main(["corpus", "stats", "--corpus", str(ROOT / "corpus"), "--skip-missing-sources"]) == 0
    assert not capsys.readouterr().out.startswith(f"units: {len(lines)} ")  # --corpus wins over the environment


def test_corpus_stats_needs_no_source_copies_and_names_the_sources_it_could_not_check(tmp_path, monkeypatch,
                                                                                   capsys):
    assert main(["corpus", "stats"]) == 0
    checked = capsys.readouterr()
    monkeypatch.setenv("CPPCC_NLP_SOURCES", str(tmp_path / "none"))
    assert main(["corpus", "stats"]) == 0
    unchecked = capsys.readouterr()
    units = sum(1 for path in (ROOT / "corpus" / "labels").glob("*.jsonl") for line in path.open() if line.strip())
    assert checked.out.startswith(f"units: {units} ") and unchecked.out.startswith(f"units: {units} ")
    table = [line for line in checked.out.splitlines() if line.startswith("  xwlb-cppcc ")]
    assert table and table == [line for line in unchecked.out.splitlines() if line.startswith("  xwlb-cppcc ")]
    assert "not checked against their sources" in unchecked.err and "xwlb-cppcc (" in unchecked.err
    assert "not checked" not in checked.err
    monkeypatch.delenv("CPPCC_NLP_SOURCES")
    assert main(["corpus", "stats"]) == 0
    assert "no --sources directory and $CPPCC_NLP_SOURCES unset" in capsys.readouterr().err


def test_evaluate_on_a_corpus_with_one_source_says_which_protocols_apply(corpus, tmp_path, capsys):
    archive = write_jsonl(tmp_path / "r.jsonl", [{"id": f"d{k}", "text": "市政协开展专题协商。委员提出建议。"}
                                                 for k in range(3)])
    add_source(corpus, "reports", archive)
    batch = tmp_path / "batch.jsonl"
    assert main(["annotate", "select", "reports", "--strategy", "all", "-o", str(batch), "--corpus", str(corpus)]) == 0
    write_jsonl(batch, [dict(json.loads(line), labels=[], annotator="me")
                        for line in batch.read_text(encoding="utf-8").splitlines()])
    assert main(["annotate", "merge", str(batch), "--corpus", str(corpus)]) == 0
    assert main(["evaluate", "--quick", "--corpus", str(corpus)]) == 2
    assert "no protocol applies to this corpus" in capsys.readouterr().err
