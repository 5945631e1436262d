"""The Label Studio round trip against a real Label Studio server, as an annotator uses it.

A corpus of one's own is made (``corpus init``, ``corpus add-source``), a batch selected with the model's
suggestions and exported with ``annotate export-labelstudio``; then a Label Studio server, started here on
127.0.0.1 with a temporary data directory, gets a project with that labelling interface and the tasks with
their predictions. Annotations are submitted through its API as the annotator's browser does: several themes,
no theme, a changed mind (submitted, then updated), a prediction accepted as it is, one theme alone, a skipped
task and an untouched one. Its JSON and JSON-MIN exports are read back with ``annotate import-labelstudio`` and
merged: every label arrives at the unit where it was given.

Label Studio comes from the extra ``labelstudio`` (``pip install -e ".[labelstudio]"``; ``.ci/run`` installs
it and sets CPPCC_NLP_REQUIRE_LABEL_STUDIO=1, so there a missing server fails instead of skipping).
CPPCC_NLP_LABEL_STUDIO=/path/to/label-studio runs the test against another installation (another version).
Nothing is installed at run time and no address but 127.0.0.1 is used; the server is stopped at the end.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

TOKEN = "c0ffee" * 6 + "c0ff"  # 40 hex digits: the legacy API token the server is started with
START_SECONDS = 300  # first start runs the database migrations: about a minute on 2 busy cores
THEMES_FOR = {  # position in the batch -> what the annotator does
    0: ("submit", ["consultation", "party_building"]),  # several themes
    1: ("submit", []),  # read, no theme
    2: ("change", ["supervision"], ["member_management", "poverty_alleviation"]),  # a changed mind
    3: ("accept",),  # the model's pre-annotation accepted as it is
    4: ("skip",),  # skipped (cancelled): no decision
    5: ("none",),  # never opened
    6: ("submit", ["supervision"]),  # one theme alone (JSON-MIN writes it as a string)
}

REPORTS = [
    {"id": "county-2021", "title": "县政协2021年工作报告",
     "text": "一、加强党的建设\n县政协党组落实第一议题制度，开展理论学习。\n组织委员参加专题培训。\n"
             "二、协商议政\n围绕停车难问题召开专题协商会，委员提出建议三十条。\n对重点提案开展跟踪督办。\n"},
    {"id": "county-2022", "title": "县政协2022年工作报告",
     "text": "一、民主监督\n对农村饮水安全工程开展专项民主监督。\n二、助力乡村振兴\n委员结对帮扶低收入户。\n"
             "三、委员队伍建设\n建立委员履职档案，实行年度履职考核。\n全年接待来访群众五百余人次。\n"},
]


def label_studio_command() -> list[str] | None:
    """The ``label-studio`` executable: CPPCC_NLP_LABEL_STUDIO, else the one beside this Python (the extra)."""
    chosen = os.environ.get("CPPCC_NLP_LABEL_STUDIO")
    if chosen:
        return [chosen]
    found = shutil.which("label-studio", path=str(Path(sys.executable).parent))
    return [found] if found else None


def console_script() -> str:
    script = shutil.which("cppcc-nlp", path=str(Path(sys.executable).parent))
    assert script, "the cppcc-nlp console script is not installed"
    return script


def cli(*args, cwd: Path) -> subprocess.CompletedProcess:
    done = subprocess.run([console_script(), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A Label Studio server on 127.0.0.1, spoken to as its web client does (token authentication)."""

    def __init__(self, base: str, process: subprocess.Popen, log: Path) -> None:
        self.base, self.process, self.log = base, process, log

    def call(self, method: str, path: str, body=None, raw: bool = False):
        data = json.dumps(body).encode("utf-8") if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                content = response.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:1000]!r}") from None
        return content if raw else (json.loads(content) if content else None)

    def tasks(self, project: int) -> list[dict]:
        found = self.call("GET", f"/api/tasks?project={project}&page_size=1000")
        return found["tasks"] if isinstance(found, dict) else found


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    command = label_studio_command()
    if command is None:
        reason = ('label-studio is not installed (the extra "labelstudio": pip install -e ".[labelstudio]"; '
                  ".ci/run installs it)")
        if os.environ.get("CPPCC_NLP_REQUIRE_LABEL_STUDIO"):
            pytest.fail(reason)
        pytest.skip(reason)
    data = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    help_text = subprocess.run([*command, "start", "--help"], capture_output=True, text=True, timeout=120).stdout
    options = ["--enable-legacy-api-token"] if "--enable-legacy-api-token" in help_text else []  # 1.19 and later
    env = {**os.environ, "HOME": str(data), "LABEL_STUDIO_BASE_DATA_DIR": str(data / "base"),
           "COLLECT_ANALYTICS": "false", "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
           "FEATURE_FLAGS_OFFLINE": "true", "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "false"}
    log = data / "server.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [*command, "start", "--no-browser", "--internal-host", "127.0.0.1", "--port", str(port),
             "--data-dir", str(data / "data"), "--username", "annotator@example.com", "--password", "not-a-secret-1",
             "--user-token", TOKEN, "--log-level", "WARNING", *options],
            stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"label-studio stopped with {process.returncode}: {log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"label-studio did not answer within {START_SECONDS} s: "
                            f"{log.read_text(errors='replace')[-3000:]}")
            time.sleep(1)
        yield Server(base, process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=30)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A corpus of one's own with one source, a batch of all its units with suggestions, its Label Studio files."""
    root = tmp_path_factory.mktemp("ls-corpus")
    (root / "news.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in REPORTS),
                                     encoding="utf-8")
    cli("corpus", "init", "corpus", cwd=root)
    cli("corpus", "add-source", "news", "news.jsonl", "--corpus", "corpus", cwd=root)
    cli("annotate", "select", "news", "--strategy", "all", "-n", "100", "--suggest", "-o", "batch.jsonl",
        "--corpus", "corpus", cwd=root)
    cli("annotate", "export-labelstudio", "batch.jsonl", "-o", "tasks.json", "--config", "ui.xml", "--corpus", "corpus",
        cwd=root)
    batch = [json.loads(line) for line in (root / "batch.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(batch) >= len(THEMES_FOR)
    return root, batch


def result(choices: list[str]) -> list[dict]:
    return [{"from_name": "themes", "to_name": "text", "type": "choices", "value": {"choices": choices}}]


def test_labels_given_in_label_studio_arrive_where_they_were_given(server, exported):
    root, batch = exported
    config = (root / "ui.xml").read_text(encoding="utf-8")
    project = server.call("POST", "/api/projects", {"title": "cppcc-nlp round trip", "label_config": config})["id"]
    tasks_file = json.loads((root / "tasks.json").read_text(encoding="utf-8"))
    imported = server.call("POST", f"/api/projects/{project}/import", tasks_file)
    assert imported["task_count"] == len(batch) and imported["prediction_count"] == len(batch)
    tasks = {task["data"]["unit_id"]: task for task in server.tasks(project)}
    assert set(tasks) == {line["id"] for line in batch}

    expected: dict[str, list[str]] = {}
    for position, (action, *choices) in THEMES_FOR.items():
        unit = batch[position]["id"]
        task = tasks[unit]
        if action == "submit":
            server.call("POST", f"/api/tasks/{task['id']}/annotations", {"result": result(choices[0])})
            expected[unit] = sorted(choices[0])
        elif action == "change":
            first = server.call("POST", f"/api/tasks/{task['id']}/annotations", {"result": result(choices[0])})
            server.call("PATCH", f"/api/annotations/{first['id']}", {"result": result(choices[1])})
            expected[unit] = sorted(choices[1])
        elif action == "accept":  # the pre-annotation: the themes the model scored 0.5 or more
            [prediction] = [p for p in tasks_file if p["data"]["unit_id"] == unit][0]["predictions"]
            server.call("POST", f"/api/tasks/{task['id']}/annotations", {"result": prediction["result"]})
            expected[unit] = sorted(prediction["result"][0]["value"]["choices"])
        elif action == "skip":
            server.call("POST", f"/api/tasks/{task['id']}/annotations", {"result": [], "was_cancelled": True})
    assert expected[batch[2]["id"]] == ["member_management", "poverty_alleviation"]

    version = server.call("GET", "/api/version").get("release")
    print(f"Label Studio {version}")  # which version this run tested (pytest -s shows it)
    for kind in ("JSON", "JSON_MIN"):
        body = server.call("GET", f"/api/projects/{project}/export?exportType={kind}", raw=True)
        (root / f"export-{kind}.json").write_bytes(body)
        out = root / f"back-{kind}.jsonl"
        said = cli("annotate", "import-labelstudio", f"export-{kind}.json", "-o", out, "--corpus", "corpus",
                   cwd=root).stderr
        back = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        got = {line["id"]: line["labels"] for line in back}
        assert got == expected, (kind, version, got)
        assert all(line["annotator"].startswith("labelstudio") and line["selection"] == "all" for line in back)
        assert f"{len(expected)} annotated tasks" in said

    cli("annotate", "merge", "back-JSON_MIN.jsonl", "--corpus", "corpus", cwd=root)
    stored = [json.loads(line) for line in (root / "corpus" / "labels" / "news.jsonl").read_text(encoding="utf-8")
              .splitlines()]
    assert {record["id"]: record["labels"] for record in stored} == expected
    by_id = {line["id"]: line for line in batch}
    for record in stored:  # each label sits on the span and text of the unit it was given to
        assert record["span"] == by_id[record["id"]]["span"] and record["sha256"] == by_id[record["id"]]["sha256"]
    stats = cli("corpus", "stats", "--corpus", "corpus", cwd=root).stdout
    assert f"units: {len(expected)} " in stats
