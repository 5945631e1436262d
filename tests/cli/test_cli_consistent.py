"""The command line, consistent: '-' is standard output only for -o, suffixes name formats, -V, years in order,
and a selection that finds nothing says so (issue 23)."""

import json

import pytest

from cppcc_nlp.cli import main

from conftest import ROOT

SEED = str(ROOT / "corpus" / "raw" / "hebei-2019-cppcc-highlights.txt")


@pytest.mark.parametrize("flag", ["--profiles", "--errors"])
def test_dash_is_standard_output_for_o_only_and_refused_elsewhere(flag, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["label", SEED, "-o", "out.jsonl", flag, "-"]) == 2
    err = capsys.readouterr().err
    assert f"{flag} -: standard output is for the records" in err
    assert not (tmp_path / "-").exists() and not (tmp_path / "out.jsonl").exists()


@pytest.mark.parametrize("name", ["out.txt", "out.tsv", "out.json", "out"])
def test_an_output_suffix_that_names_no_format_is_refused_before_any_work(name, tmp_path, capsys):
    assert main(["label", SEED, "-o", str(tmp_path / name)]) == 2
    err = capsys.readouterr().err
    assert "the suffix names the format: .jsonl (jsonl), .ndjson (jsonl), .csv (csv), .parquet (parquet)" in err
    assert list(tmp_path.iterdir()) == []
    assert main(["label", SEED, "-o", str(tmp_path / "ok.jsonl"), "--profiles", str(tmp_path / name)]) == 2
    assert "--profiles has" in capsys.readouterr().err
    assert main(["profile", SEED, "-o", str(tmp_path / name)]) == 2
    assert main(["profile", SEED, "--shares", "count", "-o", str(tmp_path / name)]) == 2
    assert "-o has" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_capital_v_is_version(capsys):
    with pytest.raises(SystemExit) as short:
        main(["-V"])
    text = capsys.readouterr().out
    with pytest.raises(SystemExit) as long:
        main(["--version"])
    assert short.value.code == long.value.code == 0 and text == capsys.readouterr().out and "cppcc_nlp" in text


def test_shares_by_year_come_in_time_order_whatever_the_input_order(small_model, tmp_path, capsys):
    from cppcc_nlp.evaluation.card import save_model

    save_model(small_model, tmp_path / "m", [])
    archive = tmp_path / "news.jsonl"
    years = ["2019-05-01", "2016-01-01", "2021-03-02", "2014-07-09", "2016-11-30"]
    archive.write_text("".join(json.dumps({"id": f"n{k}", "date": d, "text": "市政协开展专题协商。推进脱贫攻坚。"},
                                          ensure_ascii=False) + "\n" for k, d in enumerate(years)), encoding="utf-8")
    out = tmp_path / "years.jsonl"
    assert main(["profile", str(archive), "--id-field", "id", "--shares", "count", "--by", "date:4",
                 "--model", str(tmp_path / "m"), "-o", str(out)]) == 0
    groups = list(dict.fromkeys(json.loads(line)["group"] for line in out.read_text(encoding="utf-8").splitlines()))
    assert groups == ["2014", "2016", "2019", "2021"]
    printed = [line.split("|")[1].strip() for line in capsys.readouterr().out.splitlines() if line.startswith("| 20")]
    assert printed == groups


def test_a_selection_that_finds_nothing_says_so_and_exits_8(tmp_path, capsys):
    corpus, sources = tmp_path / "corpus", tmp_path / "copies"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "sources.json").write_text(json.dumps({"sources": [{"name": "news", "path": "n.jsonl"}]}),
                                         encoding="utf-8")
    sources.mkdir()
    (sources / "n.jsonl").write_text(json.dumps({"id": "d1", "text": "政协召开协商会。委员发言。"}, ensure_ascii=False) + "\n",
                                     encoding="utf-8")
    code = main(["annotate", "select", "news", "--strategy", "keyword", "--query", "ZZZZ", "--corpus", str(corpus),
                 "--sources", str(sources), "-o", str(tmp_path / "b.jsonl")])
    err = capsys.readouterr().err
    assert code == 8
    assert "nothing selected: no unlabelled unit matches --query 'ZZZZ'" in err and "selected 0" not in err
