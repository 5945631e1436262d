"""Hardening, the smaller items of issue 22 (15-18): inline label records stay inside the corpus, `profile --shares
--by` and pictures with odd text, the jieba fallback's cache, UTF-16 without a byte-order mark."""

import json
import os
import shutil
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
