"""The HTML report page, without a browser: its data, its escaping, its inputs, the command (tests/html_report/test_html_browser.py drives it)."""

import base64
import hashlib
import json
import re

import pytest

from conftest import ROOT, SEED_DOC
from cppcc_nlp.cli import main
from cppcc_nlp.html_report import (CHUNK_DOCS, PageDocument, build_page, group_shares, label_output_themes,
                                   reports_to_html, script_json)

SEED = ROOT / "corpus" / "raw" / f"{SEED_DOC}.txt"
EXAMPLE = ROOT / "docs" / "example_report.txt"
HOSTILE = ("一、总体情况\n委员建议</script><script>window.pwned=1</script>加强协商。"
           "<img src=x onerror=\"window.pwned=2\">开展民主监督\u2028跟踪督办&amp;重点提案。\n")


def page_data(page: str) -> dict:
    """The data blocks of a page: the overview, the terms and every chunk of sentences."""
    blocks = dict(re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', page, re.S))
    data = json.loads(blocks.pop("report-data"))
    data["terms"] = json.loads(blocks.pop("report-terms"))
    data["sentences"] = [doc for n in range(data["chunks"]) for doc in json.loads(blocks.pop(f"chunk-{n}"))]
    assert not blocks
    return data


@pytest.fixture(scope="module")
def labelled():
    from cppcc_nlp import label_report, label_text

    return [label_report(SEED), label_report(EXAMPLE), label_text(HOSTILE, doc_id="<b>hostile</b>")]


def test_script_json_escapes_what_could_end_a_script_element():
    value = {"text": "</script><!-- & \u2028 \u2029 <b>", "lone": "\ud800"}
    text = script_json(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert "\ud800" not in text
    text.encode("utf-8")
    assert json.loads(text)["text"] == value["text"]


def test_page_embeds_hostile_text_as_data_only(labelled):
    page = reports_to_html(labelled)
    assert "window.pwned" in page  # the text is there, escaped
    assert "<script>window.pwned" not in page and "<img src=x" not in page and "<b>hostile" not in page
    # every script element is the page's own or a JSON block
    opening = re.findall(r"<script[^>]*>", page)
    assert opening.count("<script>") == 1
    assert all(tag == "<script>" or tag.startswith('<script type="application/json"') for tag in opening)
    data = page_data(page)
    texts = [s[5] for s in data["sentences"][2]]
    assert any("</script><script>window.pwned=1</script>" in t for t in texts)
    assert data["docs"][2][0] == "<b>hostile</b>"


def test_page_allows_no_request_and_only_its_own_script(labelled):
    page = reports_to_html(labelled)
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1).replace("&#x27;", "'")
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert f"'sha256-{digest}'" in csp
    assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", script + re.search(r"<style>(.*?)</style>", page, re.S).group(1))
    assert not re.search(r"<(link|iframe|img|object|embed)\b", page)


def test_page_holds_every_sentence_label_score_and_explanation(labelled):
    page = reports_to_html(labelled)
    data = page_data(page)
    assert [d[0] for d in data["docs"]] == [item.report.doc_id for item in labelled]
    assert [t["id"] for t in data["themes"]] == list(labelled[0].themes)
    assert all(re.fullmatch(r"#[0-9a-f]{6}", t["color"]) for t in data["themes"])
    seed = labelled[0]
    rows = data["sentences"][0]
    assert len(rows) == len(seed.report.sentences) == data["docs"][0][3]
    for row, sentence, prediction in zip(rows, seed.report.sentences, seed.predictions):
        assert row[5] == sentence.text and row[:5] == [sentence.section_index, sentence.paragraph_index,
                                                       sentence.index, sentence.start, sentence.end]
        assert [t for k, t in enumerate(seed.themes) if row[6] >> k & 1] == list(prediction.labels)
        assert row[7] == [round(prediction.scores[t] * 10000) for t in seed.themes]
        markers = [-1 - v for v in row[8] if v < 0]
        assert markers == [seed.themes.index(t) for t in prediction.labels]
    # the explanation is ThemeClassifier.explain's
    from cppcc_nlp.api import default_model

    k = next(i for i, row in enumerate(rows) if row[6])
    theme = next(j for j in range(len(seed.themes)) if rows[k][6] >> j & 1)
    expected = default_model().explain(seed.report.sentences[k].text).themes[theme].terms
    start = rows[k][8].index(-1 - theme) + 1
    shown = []
    for value in rows[k][8][start:]:
        if value < 0:
            break
        shown.append(value)
    assert [data["terms"][i].removeprefix("chars:") for i in shown[0::2]] == [term for term, _ in expected]
    assert shown[1::2] == [round(weight * 100) for _, weight in expected]


def test_overview_counts_and_chunks():
    docs = [PageDocument(f"d{n}", "", ["a", "b"], [(0, 0, 0, 0, 2, "一。"), (1, 1, 0, 2, 4, "二。")], [1, 3],
                         [[9000, 100], [6000, 7000]]) for n in range(CHUNK_DOCS + 3)]
    data = page_data(build_page(docs, ("x", "y"), explain=False))
    assert data["chunks"] == 2 and len(data["sentences"]) == CHUNK_DOCS + 3
    assert data["docs"][0] == ["d0", "", ["a", "b"], 2, [2, 1]]
    assert not data["explained"] and data["themes"][0]["threshold"] is None


def test_shares_by_section_document_and_field(labelled):
    docs = [PageDocument.of_labelled(item) for item in labelled]
    themes = labelled[0].themes
    by_doc = group_shares(docs, themes, "count", "document")
    assert [row[0] for row in by_doc["rows"]] == [item.report.doc_id for item in labelled]
    seed_share = [row for row in labelled[0].profiles()]
    first = by_doc["rows"][0]
    assert first[1] == len(labelled[0].report.sentences) and first[3] == [[0, -1]]
    counts = [sum(t in p.labels for p in labelled[0].predictions) for t in themes]
    assert first[2][0::3] == [round(c / first[1], 4) for c in counts]
    by_section = group_shares(docs, themes, "count", "section")
    assert len(by_section["rows"]) == sum(len({s.section_index for s in item.report.sentences}) for item in labelled)
    assert by_section["rows"][1][3] == [[0, 1]] and seed_share
    by_field = group_shares(docs, themes, "count", {docs[0].doc_id: "2019", docs[1].doc_id: "2019"})
    assert [(row[0], row[1], row[3]) for row in by_field["rows"]] == [
        ("2019", len(docs[0].sentences) + len(docs[1].sentences), [[0, -1], [1, -1]])]


def test_to_html_and_notebook_frame(labelled):
    page = labelled[1].to_html(title="<i>例</i>")
    assert "<title>&lt;i&gt;例&lt;/i&gt;</title>" in page
    frame = labelled[1]._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and 'sandbox="allow-scripts allow-downloads"' in frame
    assert "<script" not in frame


def test_report_command_writes_the_page(tmp_path, capsys):
    out = tmp_path / "report.html"
    assert main(["report", str(SEED), str(EXAMPLE), "-o", str(out), "--source", "mine", "--title", "两份报告"]) == 0
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["title"] == "两份报告" and data["source"] == "mine" and len(data["docs"]) == 2
    assert "2 document(s)" in capsys.readouterr().err


def test_report_reads_a_finished_label_output(tmp_path):
    direct = tmp_path / "direct.html"
    assert main(["report", str(SEED), str(EXAMPLE), "-o", str(direct), "-q"]) == 0
    for suffix in (".jsonl", ".csv", ".parquet"):
        labels = tmp_path / f"labels{suffix}"
        assert main(["label", str(SEED), str(EXAMPLE), "-o", str(labels), "-q"]) == 0
        assert label_output_themes(labels) is not None
        again = tmp_path / f"again{suffix}.html"
        assert main(["report", str(labels), "-o", str(again), "-q"]) == 0
        a, b = page_data(direct.read_text(encoding="utf-8")), page_data(again.read_text(encoding="utf-8"))
        assert [d[0] for d in b["docs"]] == [d[0] for d in a["docs"]]
        assert [d[2:] for d in b["docs"]] == [d[2:] for d in a["docs"]]
        assert b["sentences"] == a["sentences"] and b["terms"] == a["terms"]
    assert label_output_themes(SEED) is None


def test_report_shares_and_usage_errors(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(SEED), "-o", str(out), "--shares", "count", "--by", "document", "-q"]) == 0
    shares = page_data(out.read_text(encoding="utf-8"))["shares"]
    assert shares["method"] == "count" and shares["by"] == "document" and len(shares["rows"]) == 1
    assert main(["report", str(SEED), "-o", str(out), "--by", "document"]) == 2
    assert "--by goes with --shares" in capsys.readouterr().err
    assert main(["report", str(SEED), "-o", str(SEED)]) == 2
    assert main(["report", str(tmp_path / "missing.txt"), "-o", str(out)]) == 3
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", str(empty), "-o", str(out)]) == 10


def test_report_groups_by_a_jsonl_field(tmp_path):
    news = tmp_path / "news.jsonl"
    lines = [{"id": "a", "date": "2019-03-01", "text": "市政协开展专题协商。委员结对帮扶贫困户。"},
             {"id": "b", "date": "2019-07-02", "text": "组织委员开展民主监督。"},
             {"id": "c", "date": "2020-01-05", "text": "举办委员履职培训班。"}]
    news.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    out = tmp_path / "by-year.html"
    assert main(["report", str(news), "--id-field", "id", "-o", str(out), "--shares", "count", "--by", "date:4",
                 "-q"]) == 0
    shares = page_data(out.read_text(encoding="utf-8"))["shares"]
    assert shares["by"] == "date:4"
    assert [(row[0], row[1], row[3]) for row in shares["rows"]] == [("2019", 3, [[0, -1], [1, -1]]), ("2020", 1, [[2, -1]])]


def test_page_is_small_beside_the_records(tmp_path):
    reports = tmp_path / "reports"
    reports.mkdir()
    text = SEED.read_text(encoding="utf-8")
    for n in range(20):
        (reports / f"r{n:02d}.txt").write_text(text, encoding="utf-8")
    labels, page = tmp_path / "labels.jsonl", tmp_path / "page.html"
    assert main(["label", str(reports), "-o", str(labels), "-q"]) == 0
    assert main(["report", str(labels), "-o", str(page), "-q"]) == 0
    assert page.stat().st_size <= 3 * labels.stat().st_size


def test_a_label_output_of_another_model_is_noted(tmp_path):
    from cppcc_nlp.batch.labeller import ModelSpec, model_spec
    from cppcc_nlp.html_report import collect_documents

    labels = tmp_path / "labels.jsonl"
    assert main(["label", str(EXAMPLE), "-o", str(labels), "-q"]) == 0
    shipped = model_spec(None)
    documents, failures, notes = collect_documents([str(labels)], shipped)
    assert len(documents) == 1 and not failures and not notes
    other = ModelSpec("f" * 64, b"", shipped.themes, shipped.engine)
    _, _, notes = collect_documents([str(labels)], other)
    assert len(notes) == 1 and "labelled with another model" in notes[0]
    renamed = ModelSpec(shipped.key, b"", ("a", "b"), shipped.engine)
    with pytest.raises(Exception, match="labelled with the themes"):
        collect_documents([str(labels)], renamed)
