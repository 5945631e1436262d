"""profile_reports and report_shares: what `cppcc-nlp profile` computes, as the Python API gets it."""

import io
import json

import pytest

from cppcc_nlp.errors import InputError, UsageError
from cppcc_nlp.profiles import check_profile_options, check_share_options, profile_reports, report_shares

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")


@pytest.fixture
def news(tmp_path):
    """A JSONL archive: two documents dated in reverse order, one without a date."""
    path = tmp_path / "news.jsonl"
    lines = [{"id": "late", "date": "2021-03-02", "text": "市政协开展专题协商。推进脱贫攻坚。"},
             {"id": "early", "date": "2016-01-01", "text": "加强党的建设。委员履职。"},
             {"id": "undated", "text": "开展民主监督。"}]
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return str(path)


def test_section_profiles_of_a_report(small_model):
    result = profile_reports([SEED], small_model)
    assert len(result.rows) == 14 and result.rows[1]["section"] == "石家庄市" and result.failures == ()
    assert result.shares is None and "| 石家庄市 |" in result.format()


def test_shares_by_a_field_leave_out_documents_without_it_and_come_in_time_order(news, small_model):
    log = io.StringIO()
    result = profile_reports([news], small_model, id_field="id", shares="count", by="date:4", log=log)
    assert list(result.shares.groups) == ["2016", "2021"]
    assert log.getvalue() == "left out 1 document(s) without the field 'date' or with it empty\n"
    assert result.plot_kind() == "time" and result.plot_kind("dots") == "dots"


def test_shares_by_section_are_drawn_as_dots(small_model):
    result = profile_reports([SEED], small_model, shares="count")
    assert len(result.shares.groups) == 14 and result.by == "section" and result.plot_kind() == "dots"


def test_report_shares_of_labelled_reports_group_by_document(small_model):
    from cppcc_nlp.research import label_reports

    batch = label_reports([SEED], model=small_model)
    table = report_shares(batch.labelled, "count", "document", model=small_model)
    assert list(table.groups) == ["hebei-2019-cppcc-highlights"]


def test_a_field_no_document_has_is_an_input_error(news, small_model):
    with pytest.raises(InputError, match="no document has the field 'region' that --by region groups by"):
        profile_reports([news], small_model, id_field="id", shares="count", by="region", log=io.StringIO())


def test_inputs_none_of_which_can_be_labelled_are_told_and_refused(tmp_path, small_model):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01" * 100)
    log = io.StringIO()
    with pytest.raises(InputError, match="no readable report among 1 input"):
        profile_reports([str(tmp_path / "binary.txt")], small_model, log=log)
    assert log.getvalue().startswith("skipped: ")


@pytest.mark.parametrize("options, message", [
    ({"by": "document"}, "--by goes with --shares METHOD"),
    ({"shares": "count", "bars": "b.png"}, "--bars draws the sentence profiles"),
    ({"shares": "count", "measure": "characters"}, "leave out --measure"),
    ({"shares": "count", "output": "s.parquet"}, "with --shares, -o writes .csv or JSON lines"),
    ({"shares": "count", "confidence": 1.5}, "--confidence must lie between 0 and 1, got 1.5"),
    ({"shares": "count", "by": "date:0"}, "after ':' comes the number of characters"),
])
def test_options_that_do_not_go_together_are_usage_errors(options, message):
    with pytest.raises(UsageError, match=message):
        check_share_options([SEED], **options)


def test_profile_options_refuse_outputs_before_any_labelling(tmp_path):
    with pytest.raises(UsageError, match="-o has suffix '.txt'"):
        check_profile_options([SEED], output=str(tmp_path / "out.txt"))
    with pytest.raises(UsageError, match="--plot is a directory"):
        check_profile_options([SEED], plot=str(tmp_path))
    with pytest.raises(InputError, match="no such file or directory"):
        check_profile_options([str(tmp_path / "missing.txt")])
    check_profile_options([SEED], output=str(tmp_path / "shares.csv"), shares="adjusted", by="section")
