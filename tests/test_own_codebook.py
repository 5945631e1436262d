"""A researcher's own codebook end to end, through the installed console script, with no CPPCC theme anywhere.

Three themes for government work reports: the corpus is written here (synthetic reports, two sources),
the test plays the annotator (each sentence's theme is known from the template that made it), and every
step a researcher takes runs as a command: select, merge, agreement, stats, train, label (CSV and
Parquet), profile --shares with a picture, evaluate --quick, and the Label Studio round trip.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cppcc_nlp.codebook import default_codebook, read_codebook
from cppcc_nlp.errors import CorpusError

CODEBOOK = """\
name = "gwr-three"
description = "Three themes of government work reports"

[[theme]]
id = "economy"
name = "经济发展"
colour = "#1f77b4"
definition = "growth, investment and industry"
cues = ["生产总值", "投资", "工业"]

[[theme]]
id = "environment"
name = "生态环境"
colour = "#2ca02c"
definition = "pollution control and ecological protection"
cues = ["污染", "生态", "空气质量"]

[[theme]]
id = "welfare"
name = "民生保障"
colour = "#d62728"
definition = "jobs, pensions, schools and hospitals"
cues = ["就业", "养老", "医疗"]
"""

TEMPLATES = {
    "economy": ["全县地区生产总值增长百分之{n}，工业投资持续扩大。", "新签约招商项目{n}个，固定资产投资稳步增长。",
                "规模以上工业增加值增长{n}%，现代产业体系加快构建。", "全年完成重点项目投资{n}亿元，经济运行稳中向好。"],
    "environment": ["扎实推进大气污染防治，细颗粒物平均浓度下降{n}微克。", "完成植树造林{n}万亩，生态环境持续改善。",
                    "整治黑臭水体{n}条，河湖水质明显好转。", "全年空气质量优良天数达到{n}天。"],
    "welfare": ["城镇新增就业{n}人，零就业家庭动态清零。", "提高城乡居民基础养老金，惠及{n}万名老人。",
                "新建改扩建中小学{n}所，基本医疗保险参保率稳定在95%以上。", "建成社区养老服务中心{n}个。"],
    "": ["会议由县长主持。", "本报告请予审议。", "各位代表：现在，我代表县人民政府作工作报告。"],
}
THEMES = ("economy", "environment", "welfare")
CPPCC_THEMES = default_codebook().ids


def console_script() -> str:
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    return script


def run(*args, cwd: Path, expect: int = 0) -> subprocess.CompletedProcess:
    env = {**os.environ, "CPPCC_NLP_SOURCES": str(cwd / "sources")}
    done = subprocess.run([console_script(), *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == expect, (args, done.stdout[-2000:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr
    return done


def _reports(rng: random.Random, count: int, county: str) -> tuple[list[dict], dict[str, str]]:
    docs, truth = [], {}
    for k in range(count):
        sentences = []
        for theme in rng.sample(list(TEMPLATES), 4) + [rng.choice(THEMES) for _ in range(4)]:
            sentence = rng.choice(TEMPLATES[theme]).format(n=rng.randint(2, 900))
            truth[sentence] = theme
            sentences.append(sentence)
        docs.append({"id": f"{county}-{k:02d}", "title": f"{county}政府工作报告", "text": "".join(sentences)})
    return docs, truth


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A researcher's directory: the codebook, two sources of reports and a corpus registering them."""
    root = tmp_path_factory.mktemp("own")
    rng = random.Random(7)
    (root / "sources").mkdir()
    truth: dict[str, str] = {}
    registry = []
    for name, county in (("north", "北县"), ("south", "南县")):
        docs, known = _reports(rng, 14, county)
        truth.update(known)
        (root / "sources" / f"{name}.jsonl").write_text(
            "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
        registry.append({"name": name, "path": f"{name}.jsonl", "doc_id": "id", "genre": "government report"})
    corpus = root / "corpus"
    (corpus / "labels").mkdir(parents=True)
    (corpus / "codebook.toml").write_text(CODEBOOK, encoding="utf-8")
    (corpus / "sources.json").write_text(json.dumps({"sources": registry}), encoding="utf-8")
    return root, truth


def _annotate(batch: Path, labelled: Path, truth: dict[str, str], annotator: str, flip: int = 0) -> None:
    """Play the annotator: each unit's theme from the template that made it (``flip``: a few mistakes)."""
    lines = [json.loads(line) for line in batch.read_text(encoding="utf-8").splitlines()]
    for k, line in enumerate(lines):
        theme = truth.get(line["text"], "")
        if k < flip:
            theme = THEMES[(THEMES.index(theme) + 1) % 3] if theme else "economy"
        line["labels"] = [theme] if theme else []
        line["annotator"] = annotator
    labelled.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")


def _mentions_cppcc(text: str) -> list[str]:
    return [theme for theme in CPPCC_THEMES if theme in text]


@pytest.mark.slow
def test_a_second_codebook_from_selection_to_shares_evaluation_and_label_studio(workspace):
    root, truth = workspace
    corpus = root / "corpus"
    said = []  # every output the researcher reads

    done = run("annotate", "select", "all", "--strategy", "all", "-n", "1000", "-o", "batch.jsonl", "--corpus",
               corpus, cwd=root)
    _annotate(root / "batch.jsonl", root / "labelled.jsonl", truth, "ann1")
    _annotate(root / "batch.jsonl", root / "second.jsonl", truth, "ann2", flip=5)
    said.append(run("annotate", "agreement", "labelled.jsonl", "second.jsonl", "--corpus", corpus, "--codebook",
                    corpus / "codebook.toml", cwd=root).stdout)
    assert "welfare" in said[-1] and "disagreements: 5 units" in said[-1]
    said.append(run("annotate", "merge", "labelled.jsonl", "--corpus", corpus, cwd=root).stdout)
    said.append(run("annotate", "progress", "labelled.jsonl", "--codebook", corpus / "codebook.toml", cwd=root).stdout)
    stats = run("corpus", "stats", "--corpus", corpus, cwd=root).stdout
    said.append(stats)
    assert "environment" in stats and "north" in stats and "south" in stats

    # a label outside the codebook is refused, naming the file and line
    bad = root / "bad.jsonl"
    line = json.loads((root / "labelled.jsonl").read_text(encoding="utf-8").splitlines()[0])
    bad.write_text(json.dumps({**line, "labels": ["consultation"]}, ensure_ascii=False) + "\n", encoding="utf-8")
    refused = run("annotate", "merge", bad, "--corpus", corpus, "--replace", cwd=root, expect=4)
    assert f"{bad}:1" in refused.stderr and "gwr-three" in refused.stderr

    said.append(run("train", "--corpus", corpus, "--output", root / "model", cwd=root).stdout)
    card = json.loads((root / "model" / "model.json").read_text(encoding="utf-8"))
    assert [t["id"] for t in card["engine"]["codebook"]["themes"]] == list(THEMES)

    report = root / "report.txt"
    report.write_text("东县政府工作报告\n" + "".join(rng_sentences()), encoding="utf-8")
    run("label", report, "-o", root / "out.csv", "--profiles", root / "profiles.csv", "--model", root / "model",
        cwd=root)
    run("label", report, "-o", root / "out.parquet", "--model", root / "model", cwd=root)
    header = (root / "out.csv").read_text(encoding="utf-8").splitlines()[0]
    assert [f"score_{t}" for t in THEMES] == [c for c in header.split(",") if c.startswith("score_")]
    import pyarrow.parquet as pq

    columns = pq.read_table(root / "out.parquet").column_names
    assert [f"score_{t}" for t in THEMES] == [c for c in columns if c.startswith("score_")]
    with (root / "out.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert any("environment" in row["labels"] for row in rows) and any("welfare" in row["labels"] for row in rows)

    shares = run("profile", report, "--model", root / "model", "--shares", "adjusted", "--by", "document",
                 "-o", root / "shares.csv", "--plot", root / "shares.png", cwd=root)
    said.append(shares.stdout)
    assert (root / "shares.png").stat().st_size > 5000
    said.append(run("evaluate", "--quick", "--corpus", corpus, "--json", root / "evaluation.json", cwd=root).stdout)
    evaluation = json.loads((root / "evaluation.json").read_text(encoding="utf-8"))
    assert evaluation["codebook"] == "gwr-three"
    assert set(evaluation["protocols"]["source"]["all"]["model"]["per_theme"]) == set(THEMES)

    run("annotate", "export-labelstudio", "batch.jsonl", "-o", "tasks.json", "--config", "config.xml", "--corpus",
        corpus, cwd=root)
    config = (root / "config.xml").read_text(encoding="utf-8")
    assert all(f'value="{t}"' in config for t in THEMES) and 'hint="生态环境"' in config
    tasks = json.loads((root / "tasks.json").read_text(encoding="utf-8"))
    for task, line in zip(tasks, (root / "labelled.jsonl").read_text(encoding="utf-8").splitlines()):
        chosen = json.loads(line)["labels"]
        task["annotations"] = [{"result": [{"from_name": "themes", "to_name": "text", "type": "choices",
                                            "value": {"choices": chosen}}], "completed_by": 1}]
    (root / "export.json").write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    run("annotate", "import-labelstudio", "export.json", "-o", "back.jsonl", "--corpus", corpus, cwd=root)
    back = {json.loads(line)["id"]: json.loads(line)["labels"]
            for line in (root / "back.jsonl").read_text(encoding="utf-8").splitlines()}
    given = {json.loads(line)["id"]: json.loads(line)["labels"]
             for line in (root / "labelled.jsonl").read_text(encoding="utf-8").splitlines()}
    assert back == given

    written = [(root / name).read_text(encoding="utf-8") for name in
               ("out.csv", "profiles.csv", "shares.csv", "config.xml", "tasks.json", "evaluation.json")]
    written.append((root / "model" / "MODEL_CARD.md").read_text(encoding="utf-8"))
    for text in said + written + columns:
        assert not _mentions_cppcc(text), _mentions_cppcc(text)


def rng_sentences() -> list[str]:
    rng = random.Random(11)
    return [rng.choice(TEMPLATES[theme]).format(n=rng.randint(2, 900)) for theme in THEMES * 3 + ("",)]


def test_a_codebook_error_names_the_file_the_line_and_what_is_wrong(tmp_path):
    path = tmp_path / "codebook.toml"
    path.write_text(CODEBOOK.replace('colour = "#2ca02c"', 'colour = "green"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r"codebook.toml:14: theme 'environment': 'colour' must be #rrggbb"):
        read_codebook(path)
    path.write_text(CODEBOOK.replace('id = "welfare"', 'id = "economy"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r":19: theme .economy.: the id occurs twice"):
        read_codebook(path)
    path.write_text(CODEBOOK.replace('name = "民生保障"', 'nmae = "民生保障"'), encoding="utf-8")
    with pytest.raises(CorpusError, match=r":20: theme 3: unknown key\(s\) \['nmae'\]"):
        read_codebook(path)
    path.write_text(CODEBOOK + "\n[[theme]\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"codebook.toml: not valid TOML: .*line 25"):
        read_codebook(path)
    path.write_text('name = "empty"\n', encoding="utf-8")
    with pytest.raises(CorpusError, match="no \\[\\[theme\\]\\] table"):
        read_codebook(path)


def test_the_default_codebook_is_the_five_cppcc_themes_with_their_cue_words():
    codebook = default_codebook()
    assert codebook.ids == ("party_building", "consultation", "supervision", "poverty_alleviation",
                            "member_management")
    assert codebook.names["poverty_alleviation"] == "脱贫攻坚" and "委员工作室" in codebook.theme("member_management").cues
    assert codebook.label_matrix([("supervision",), ()]).tolist() == [[0, 0, 1, 0, 0], [0, 0, 0, 0, 0]]
