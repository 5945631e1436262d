"""The README's "Labelling your own archive" walk-through, run exactly as written, from a clone and from a wheel.

The ```sh block of that section runs in bash (``set -euo pipefail``) in an empty directory whose ``$HOME``
holds an archive (``~/reports.jsonl``: synthetic county reports whose every sentence comes from a template of
one theme, or of none) and ``~/new-reports/``. At the block's "# annotators:" line the test plays the
annotators: each unit of ``batch.jsonl`` gets the theme of the template that made it. Everything else is the
README's text, run by the ``cppcc-nlp`` found on ``PATH``: the console script of this environment, or one that
runs a wheel installed in a directory of its own (``--target``) from elsewhere.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import ROOT, source_copy

pytestmark = pytest.mark.slow

ANNOTATORS_LINE = "# annotators:"
TEMPLATES = {
    "party_building": ["县政协党组落实第一议题制度，开展理论学习中心组学习{n}次。", "成立功能型党支部{n}个，推动党的组织覆盖。",
                       "加强政协党的建设，落实全面从严治党主体责任。"],
    "consultation": ["围绕停车难问题召开专题协商会，委员提出建议{n}条。", "开展协商议政活动{n}次，形成调研报告。",
                     "召开双周协商座谈会，围绕营商环境建言献策。"],
    "supervision": ["对农村饮水安全工程开展专项民主监督。", "组织委员对重点提案办理情况开展跟踪督办{n}次。",
                    "开展民主评议，对部门工作进行监督。"],
    "poverty_alleviation": ["委员结对帮扶低收入户{n}户，助力脱贫攻坚。", "帮助易地扶贫搬迁安置点群众就近就业{n}人。",
                            "推进产业扶贫，巩固拓展脱贫攻坚成果。"],
    "member_management": ["建立委员履职档案，实行年度履职考核。", "举办新任委员履职培训班{n}期。",
                          "加强委员队伍建设，开展委员述职。"],
    "": ["全年接待来访群众{n}人次。", "会议由主席主持。", "本报告请予审议。"],
}


def readme_block() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.split(r"\n##+ ", readme.split("### Labelling your own archive", 1)[1], maxsplit=1)[0]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, re.S | re.M)
    assert blocks, "the walk-through's sh block is gone"
    return blocks[0]


def archive(rng: random.Random, documents: int, county: str) -> tuple[list[dict], dict[str, list[str]]]:
    docs, truth = [], {}
    for k in range(documents):
        sentences = []
        for theme in rng.sample(list(TEMPLATES), 3) + [rng.choice(list(TEMPLATES))]:
            sentence = rng.choice(TEMPLATES[theme]).format(n=rng.randint(2, 999))
            truth[sentence] = [theme] if theme else []
            sentences.append(sentence)
        docs.append({"id": f"{county}-{k:03d}", "title": f"{county}政协工作报告", "text": "".join(sentences)})
    return docs, truth


ANNOTATOR = """\
import json, sys
truth = json.load(open(sys.argv[2], encoding="utf-8"))
path = sys.argv[1]
lines = [json.loads(line) for line in open(path, encoding="utf-8")]
for line in lines:
    line["labels"] = truth.get(line["text"], [])
with open(path, "w", encoding="utf-8") as handle:
    handle.writelines(json.dumps(line, ensure_ascii=False) + "\\n" for line in lines)
"""


def wheel_command(tmp_path: Path) -> Path:
    """A directory holding ``cppcc-nlp``: the package built as a wheel, installed with ``--target`` elsewhere."""
    work = tmp_path / "wheel"
    tree = source_copy(work / "tree")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w",
                            str(work / "dist"), str(tree)], capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = (work / "dist").glob("cppcc_nlp-*.whl")
    target = work / "site"
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    shutil.rmtree(tree)  # nothing of the source tree is left to read
    bin_dir = work / "bin"
    bin_dir.mkdir()
    path = os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]])
    script = bin_dir / "cppcc-nlp"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{path}" exec "{sys.executable}" -m cppcc_nlp.cli "$@"\n',
                      encoding="utf-8")
    script.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("install", ["clone", "wheel"])
def test_the_readme_walk_through_runs_as_written(install, tmp_path):
    home = tmp_path / "home"
    (home / "new-reports").mkdir(parents=True)
    rng = random.Random(23)
    docs, truth = archive(rng, 160, "东县")
    (home / "reports.jsonl").write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs),
                                        encoding="utf-8")
    new, _ = archive(rng, 1, "西县")
    (home / "new-reports" / "west.txt").write_text("一、工作回顾\n" + new[0]["text"], encoding="utf-8")
    (tmp_path / "truth.json").write_text(json.dumps(truth, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "annotate.py").write_text(ANNOTATOR, encoding="utf-8")

    block = readme_block()
    lines = block.splitlines()
    [mark] = [k for k, line in enumerate(lines) if line.startswith(ANNOTATORS_LINE)]
    lines.insert(mark + 1, f'"{sys.executable}" "{tmp_path / "annotate.py"}" batch.jsonl "{tmp_path / "truth.json"}"')
    bin_dir = wheel_command(tmp_path) if install == "wheel" else Path(sys.executable).parent
    work = tmp_path / "empty"
    work.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith("CPPCC_NLP_")}
    env.update(HOME=str(home), PATH=os.pathsep.join([str(bin_dir), env.get("PATH", "")]),
               XDG_DATA_HOME=str(tmp_path / "data"), XDG_CACHE_HOME=str(tmp_path / "cache"))
    done = subprocess.run(["bash", "-c", "set -euo pipefail\n" + "\n".join(lines)], cwd=work, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, (done.stdout[-3000:], done.stderr[-3000:])
    assert "Traceback" not in done.stderr

    study = work / "study"
    labels = study / "corpus" / "labels" / "reports.jsonl"
    records = [json.loads(line) for line in labels.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 300 and all(r["annotator"] == "me" and r["selection"] == "random" for r in records)
    assert f"-> {labels}" in done.stdout  # merge says where it wrote
    assert "units: 300 " in done.stdout and "labelled so far: 300 of 300 units" in done.stdout
    card = json.loads((study / "my-model" / "model_card.json").read_text(encoding="utf-8"))
    assert card["training_units"] == 300
    header, *rows = (study / "labels.csv").read_text(encoding="utf-8").splitlines()
    assert header.startswith("doc,section") and len(rows) == 5
    assert re.search(r"^\| reports \| \d+ \| \d+ \| \*\*\d\.\d{3}\*\*", done.stdout, re.M)  # evaluate's table
    if install == "wheel":  # the package's own corpus was never written to
        assert not list((tmp_path / "wheel" / "site").rglob("labels/reports.jsonl"))
