"""The HTML report in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright.

The browser is the system's (``.ci/run`` installs it with apt; Playwright's own
download is not used). Outside CI a machine without it skips these tests; in CI
(``CI`` set) a missing browser fails them. ``CPPCC_NLP_SCREENSHOTS=docs`` writes
the README's screenshots there.
"""

import json
import os
import shutil
import unicodedata
from pathlib import Path

import pytest

from conftest import ROOT, SEED_DOC
from cppcc_nlp.cli import main
from test_html_report import EXAMPLE, HOSTILE, SEED, page_data

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("browser")]

CHROMIUM = os.environ.get("CPPCC_NLP_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_NAME = '<img src=x onerror="window.pwned=3">'


def missing(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"{reason}: CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing('playwright is not installed (pip install -e ".[test]")')
    if not CHROMIUM:
        missing("no chromium on this machine (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A registered source of three reports (one of them hostile, its file name too), labelled into a page."""
    root = tmp_path_factory.mktemp("archive")
    reports = root / "sources" / "reports"
    reports.mkdir(parents=True)
    shutil.copy(SEED, reports / f"{SEED_DOC}.txt")
    shutil.copy(EXAMPLE, reports / "example_report.txt")
    (reports / f"{HOSTILE_NAME}.txt").write_text(HOSTILE, encoding="utf-8")
    corpus = root / "corpus"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "sources.json").write_text(json.dumps(
        {"sources": [{"name": "mine", "path": "reports", "doc_id": "id", "genre": "report"}]}), encoding="utf-8")
    page = root / "report.html"
    assert main(["report", str(reports), "-o", str(page), "--source", "mine", "-q"]) == 0
    return {"page": page, "data": page_data(page.read_text(encoding="utf-8")), "corpus": corpus,
            "sources": root / "sources"}


class Watched:
    """A page with every request, console error, page error and dialog it caused."""

    def __init__(self, browser, path: Path, hash_: str = "", viewport=(1280, 800)):
        self.requests, self.errors, self.dialogs = [], [], []
        self.page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]}, accept_downloads=True)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.as_uri()
        self.page.goto(self.url + hash_)
        self.page.wait_for_selector("html[data-ready=true]")

    def count(self) -> int:
        self.page.wait_for_timeout(250)  # the filters wait 120 ms for more typing
        return self.page.evaluate("window.cppccReport.count()")

    def close(self):
        self.page.close()
        assert not self.errors, self.errors
        assert not self.dialogs, self.dialogs
        assert all(url.split("#")[0] == self.url for url in self.requests), self.requests


def norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def test_overview_shows_every_document(browser, archive):
    view = Watched(browser, archive["page"])
    names = [doc[0] for doc in archive["data"]["docs"]]
    assert view.page.inner_text("#ov-count") == f"{len(names)} documents"
    assert view.page.locator(".ov-name a").all_inner_texts() == names
    assert HOSTILE_NAME in names
    # a cell leads to the sentences behind it
    seed = names.index(SEED_DOC)
    consultation = [t["id"] for t in archive["data"]["themes"]].index("consultation")
    view.page.locator(f'.ov-row[data-row="{seed}"] .cell[data-theme="consultation"]').click()
    view.page.wait_for_selector("#view-sentences:not([hidden])")
    expected = sum(1 for s in archive["data"]["sentences"][seed] if s[6] >> consultation & 1)
    assert view.count() == expected == archive["data"]["docs"][seed][4][consultation] > 0
    assert view.page.locator(".s-item").count() == min(expected, 300)
    view.close()


def test_theme_filter_and_search_narrow_the_sentences(browser, archive):
    data = archive["data"]
    themes = [t["id"] for t in data["themes"]]
    everything = [s for doc in data["sentences"] for s in doc]
    view = Watched(browser, archive["page"], "#/sentences")
    assert view.count() == len(everything)
    k = themes.index("consultation")
    view.page.select_option("#f-theme", str(k))
    assert view.count() == sum(1 for s in everything if s[6] >> k & 1)
    view.page.fill("#f-search", "委员 协商")
    expected = [s for s in everything if s[6] >> k & 1 and "委员" in norm(s[5]) and "协商" in norm(s[5])]
    assert 0 < view.count() == len(expected)
    assert view.page.locator(".s-item").count() == len(expected)
    assert view.page.locator(".s-item mark").first.inner_text() in ("委员", "协商")
    # full-width letters match their ASCII form (the search normalises both sides, NFKC)
    view.page.select_option("#f-theme", "")
    view.page.fill("#f-search", "ＡＰＰ")
    assert view.count() == sum(1 for s in everything if "app" in norm(s[5]))
    # scores: the uncertain ones
    view.page.fill("#f-search", "")
    view.page.click("#f-uncertain")
    uncertain = [s for s in everything if any(3000 <= v <= 7000 for v in s[7])]
    assert view.count() == len(uncertain)
    # the same filters inside one document
    view.page.click("#f-clear")
    seed = [doc[0] for doc in data["docs"]].index(SEED_DOC)
    view.page.goto(view.url + f"#/doc/{seed}")
    view.page.select_option("#f-theme", str(k))
    doc = data["sentences"][seed]
    hits = sum(1 for s in doc if s[6] >> k & 1)
    assert view.count() == hits
    assert view.page.inner_text("#f-count") == f"{hits} of {len(doc)} sentences match"
    assert view.page.locator("#d-body .sent:not(.dim)").count() == hits
    view.close()


def test_hostile_text_and_file_name_run_no_script(browser, archive):
    names = [doc[0] for doc in archive["data"]["docs"]]
    d = names.index(HOSTILE_NAME)
    view = Watched(browser, archive["page"], f"#/doc/{d}")
    assert view.page.inner_text("#d-title") == HOSTILE_NAME
    body = view.page.inner_text("#d-body")
    assert "</script><script>window.pwned=1</script>" in body and '<img src=x onerror="window.pwned=2">' in body
    view.page.goto(view.url + "#/sentences")
    view.page.fill("#f-search", "onerror")
    assert view.count() == 1
    view.page.locator(".s-item").first.click()
    assert "window.pwned=2" in view.page.inner_text("#detail-text")
    assert view.page.evaluate("window.pwned === undefined")
    assert view.page.evaluate("document.images.length") == 0
    scripts = view.page.evaluate("Array.from(document.scripts).map(s => s.type)")
    assert scripts.count("") == 1 and set(scripts) == {"", "application/json"}
    view.close()


def test_export_gives_a_batch_that_annotate_merge_accepts(browser, archive, tmp_path):
    from cppcc_nlp.annotate.merge import merge_batch

    data = archive["data"]
    themes = [t["id"] for t in data["themes"]]
    names = [doc[0] for doc in data["docs"]]
    a, b = names.index(SEED_DOC), names.index("example_report")
    view = Watched(browser, archive["page"], f"#/doc/{a}/7")
    first, second = data["sentences"][a][7], data["sentences"][b][2]
    assert view.page.inner_text("#detail-text") == first[5]
    view.page.check("#detail-wrong")
    supervision = themes.index("supervision")
    box = view.page.locator(f'#detail-correct input[value="{supervision}"]')
    box.set_checked(not box.is_checked())
    view.page.goto(view.url + f"#/doc/{b}/2")
    assert view.page.inner_text("#detail-text") == second[5]
    view.page.check("#detail-wrong")
    view.page.locator("#detail-correct input:checked").evaluate_all("boxes => boxes.forEach(b => b.click())")
    assert view.page.inner_text("#marked-count") == "2"
    view.page.reload()  # the marks are kept in the browser
    view.page.wait_for_selector("html[data-ready=true]")
    assert view.page.inner_text("#marked-count") == "2"
    view.page.click("#export")
    assert view.page.input_value("#x-source") == "mine"
    view.page.fill("#x-annotator", "checker")
    view.page.select_option("#x-selection", "uncertainty")
    with view.page.expect_download() as download:
        view.page.click("#x-download")
    batch = tmp_path / "marked.jsonl"
    download.value.save_as(batch)
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    first_labels = {t for k, t in enumerate(themes) if first[6] >> k & 1} ^ {"supervision"}
    expected = sorted([(a, f"mine/{SEED_DOC}-s{first[0]:02d}-{first[2]:03d}"),
                       (b, f"mine/example_report-s{second[0]:02d}-{second[2]:03d}")])
    assert [line["id"] for line in lines] == [unit for _, unit in expected]
    by_id = {line["id"]: line for line in lines}
    assert by_id[expected[0 if a < b else 1][1]]["labels"] == sorted(first_labels)
    assert by_id[expected[1 if a < b else 0][1]]["labels"] == []
    assert all(line["annotator"] == "checker" and line["selection"] == "uncertainty" for line in lines)
    assert {line["text"] for line in lines} == {first[5], second[5]}
    result = merge_batch(batch, archive["corpus"], archive["sources"])
    assert result.added["mine"] == 2
    merged = [json.loads(line) for line in (archive["corpus"] / "labels" / "mine.jsonl").read_text().splitlines()]
    assert sorted(r["labels"] for r in merged) == sorted([[], sorted(first_labels)])
    view.close()


def test_screenshots_of_the_overview_and_a_document(browser, tmp_path):
    """The README's pictures: the seed report's cities x themes, and one city's sentences with an explanation."""
    page = tmp_path / "seed.html"
    assert main(["report", str(SEED), "-o", str(page), "--shares", "count", "--by", "section", "-q",
                 "--title", "河北省政协 2019 工作亮点: 各市句子的主题"]) == 0
    target = Path(os.environ.get("CPPCC_NLP_SCREENSHOTS") or tmp_path)
    if not target.is_absolute():
        target = ROOT / target
    view = Watched(browser, page, viewport=(1280, 720))
    overview = target / "report_overview.png"
    view.page.screenshot(path=str(overview))
    data = page_data(page.read_text(encoding="utf-8"))
    focus = next(i for i, s in enumerate(data["sentences"][0]) if s[0] == 2 and bin(s[6]).count("1") == 2)
    view.page.goto(view.url + f"#/doc/0/{focus}")
    view.page.wait_for_selector("#detail:not([hidden]) .explain .term")
    document = target / "report_document.png"
    view.page.screenshot(path=str(document))
    view.close()
    for picture in (overview, document):
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 20_000


def test_the_notebook_frame_shows_the_page(browser, tmp_path):
    """``_repr_html_``: the page inside a sandboxed iframe (no same origin: no storage), still drawn and working."""
    from cppcc_nlp import label_report

    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body>" + label_report(EXAMPLE)._repr_html_() + "</body></html>",
                    encoding="utf-8")
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(host.as_uri())
    frame = page.frame_locator("iframe")
    frame.locator("html[data-ready=true]").wait_for(state="attached")
    assert frame.locator("#ov-count").inner_text() == "1 document"
    frame.locator(".ov-name a").click()
    frame.locator("#d-body .sent").first.click()
    assert frame.locator("#detail-text").inner_text()
    assert not errors
    page.close()
