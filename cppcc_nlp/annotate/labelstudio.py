"""Label Studio interchange: batches out as tasks (model suggestions as pre-annotations), exports back in.

Tasks follow Label Studio's documented task format (``data`` plus
``predictions`` whose ``result`` holds a ``choices`` region); the project's
labelling interface is ``label_config(codebook)`` (a multiple-choice ``Choices``
over the ``Text``, one choice per theme). Imports accept Label Studio's JSON export (``annotations`` per
task) and its JSON-MIN export (one flat object per task).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from xml.sax.saxutils import quoteattr

from ..codebook import Codebook, default_codebook
from ..corpus.records import check_text
from ..errors import CorpusError
from ..outputs import read_regular_file, write_atomically

FROM_NAME = "themes"
TO_NAME = "text"

def label_config(codebook: Codebook | None = None) -> str:
    """The labelling interface for a codebook's themes: the unit between its neighbours, one choice per theme."""
    codebook = codebook or default_codebook()
    return (
        "<View>\n"
        '  <Header value="$heading"/>\n'
        '  <Text name="before" value="$before"/>\n'
        f'  <Text name="{TO_NAME}" value="$text"/>\n'
        '  <Text name="after" value="$after"/>\n'
        f'  <Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="multiple" showInline="true">\n'
        + "".join(f"    <Choice value={quoteattr(t.id)} hint={quoteattr(t.name)}/>\n" for t in codebook.themes)
        + "  </Choices>\n"
        "</View>\n"
    )


def batch_to_tasks(batch_lines: list[dict], model_version: str = "", codebook: Codebook | None = None) -> list[dict]:
    """Label Studio tasks for batch lines; a line's ``suggested`` becomes a prediction with the themes over 0.5."""
    theme_ids = (codebook or default_codebook()).ids
    tasks = []
    for line in batch_lines:
        data = {key: line.get(key, "") for key in ("id", "text", "before", "after", "heading", "source", "doc", "selection")}
        data["unit_id"] = data.pop("id")
        task: dict = {"data": data}
        suggested = line.get("suggested")
        if suggested:
            chosen = [theme for theme in theme_ids if suggested.get(theme, 0.0) >= 0.5]
            task["predictions"] = [
                {
                    "model_version": model_version or "cppcc_nlp",
                    "score": round(max(suggested.values()), 4),
                    "result": [{"from_name": FROM_NAME, "to_name": TO_NAME, "type": "choices",
                                "value": {"choices": chosen}}],
                }
            ]
        tasks.append(task)
    return tasks


def write_tasks(batch_lines: list[dict], path: str | os.PathLike, model_version: str = "",
                codebook: Codebook | None = None) -> int:
    """Write a Label Studio task file (JSON list) for a batch, atomically; return the number of tasks."""
    tasks = batch_to_tasks(batch_lines, model_version, codebook)
    write_atomically(path, json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8"))
    return len(tasks)


def write_batch_lines(lines: list[dict], path: str | os.PathLike) -> None:
    """Batch lines (``read_export``'s) as a JSON-lines batch file, written atomically: all of it or nothing."""
    write_atomically(path, "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines).encode("utf-8"))


def _choices_of(result, where: str) -> list[str]:
    if not isinstance(result, list):
        raise CorpusError(f"{where}: the annotation's 'result' must be a list of regions, got a {_kind(result)}")
    chosen: list[str] = []
    for region in result:
        if not isinstance(region, dict) or region.get("from_name") != FROM_NAME:
            continue
        value = region.get("value", {})
        if not isinstance(value, dict):
            raise CorpusError(f"{where}: the 'value' of a {FROM_NAME!r} region must be an object, got a {_kind(value)}")
        choices = value.get("choices", [])
        if not isinstance(choices, list):
            raise CorpusError(f"{where}: 'choices' of {FROM_NAME!r} must be a list")
        chosen.extend(choices)
    return chosen


def _kind(value) -> str:
    return {dict: "object", list: "list", str: "string", int: "number", float: "number", bool: "true/false",
            type(None): "null"}.get(type(value), type(value).__name__)


def _check_themes(choices: list, where: str, codebook: Codebook) -> list[str]:
    unknown = sorted(set(map(str, choices)) - set(codebook.ids), key=repr)
    if unknown:
        raise CorpusError(f"{where}: unknown theme(s) {unknown} in the Label Studio export; known: {list(codebook.ids)}")
    return sorted(set(choices))


def read_export(path: str | os.PathLike, codebook: Codebook | None = None) -> tuple[list[dict], int]:
    """Batch lines (``id``, ``labels``, ``annotator``) from a Label Studio export, and the count of tasks with no annotation.

    For a task with several annotations the last one that was not cancelled
    counts; a submitted annotation without any choice means "no theme".
    """
    path = Path(path)
    codebook = codebook or default_codebook()
    raw = read_regular_file(path, error=CorpusError)
    try:
        tasks = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CorpusError(f"{path}: not a Label Studio JSON export ({exc})") from None
    except RecursionError:
        raise CorpusError(f"{path}: JSON nested too deeply to be a Label Studio export") from None
    if not isinstance(tasks, list):
        raise CorpusError(f"{path}: a Label Studio export is a JSON list of tasks")
    lines, unannotated = [], 0
    for number, task in enumerate(tasks, start=1):
        where = f"{path}: task {number}"
        if not isinstance(task, dict):
            raise CorpusError(f"{where}: not a JSON object")
        data = task.get("data", task)
        unit = data.get("unit_id") if isinstance(data, dict) else None
        if not isinstance(unit, str):
            raise CorpusError(f"{where}: no 'unit_id' in the task data (was it exported from cppcc-nlp annotate export?)")
        check_text(unit, "unit_id", where)
        if "annotations" in task:
            if not isinstance(task["annotations"], list):
                raise CorpusError(f"{where}: 'annotations' must be a list, got a {_kind(task['annotations'])}")
            done = [a for a in task["annotations"] if isinstance(a, dict) and not a.get("was_cancelled")]
            if not done:
                unannotated += 1
                continue
            annotation = done[-1]
            labels = _check_themes(_choices_of(annotation.get("result", []), where), where, codebook)
            who = annotation.get("completed_by", "")
            if isinstance(who, dict):
                who = who.get("email") or who.get("id", "")
        else:  # JSON-MIN: the choices under the control's name; absent when nothing was chosen
            if "annotation_id" not in task and FROM_NAME not in task:
                unannotated += 1
                continue
            value = task.get(FROM_NAME, [])
            if isinstance(value, dict):
                value = value.get("choices", [])
            if not isinstance(value, (str, list)):
                raise CorpusError(f"{where}: {FROM_NAME!r} must be a theme, a list of themes or an object with "
                                  f"'choices', got a {_kind(value)}")
            labels = _check_themes([value] if isinstance(value, str) else list(value), where, codebook)
            who = task.get("annotator", "")
        if isinstance(who, (dict, list)):
            raise CorpusError(f"{where}: the annotator must be a name or a number, got a {_kind(who)}")
        line = {"id": unit, "labels": labels,
                "annotator": check_text(f"labelstudio:{who}" if who != "" else "labelstudio", "annotator", where)}
        if data.get("selection"):
            line["selection"] = check_text(data["selection"], "selection", where)
        if isinstance(data.get("text"), str):  # what the annotator saw: merge checks it against the sentence
            line["text"] = check_text(data["text"], "text", where)
        lines.append(line)
    return lines, unannotated
