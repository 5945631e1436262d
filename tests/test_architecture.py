"""The package's shape (issue 21): every import between its rooms points down one declared order, no two rooms
import each other (directly or round a loop), and no module is over 500 lines nor any function over 80.

A room is a sub-package (``batch/``) or a top-level module (``engine.py``) of ``cppcc_nlp``. Every ``import``
statement counts, wherever it stands: at the top, inside a function (a lazy import only hides an arrow, and a
cycle with it) or under ``TYPE_CHECKING``. The root ``__init__.py`` is the package's public face and may import
from any room; no room may import from it. Imports by name at run time (``importlib.import_module``) are not seen.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "cppcc_nlp"
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80

# The rooms from the bottom up: a room imports only rooms before it. Rooms not in the package are skipped.
ORDER = [
    "errors",       # the exception hierarchy
    "interrupts",   # holding Ctrl-C back
    "optional",     # optional imports
    "progress",     # progress bars
    "codebook",     # themes as data
    "evaluation.metrics",  # the one F1 (numpy and the codebook only): the model's threshold search and agreement use it
    "themes",       # the CPPCC codebook's ids and names
    "records",      # the sentence record and the section profile
    "outputs",      # files a command writes: the lock, output checks, atomic writes
    "reader",       # bytes and text -> Report
    "segment",      # Segmenter
    "context",      # a sentence's title, heading and neighbours
    "features",     # one file per feature type
    "engine",       # the fitted arrays and the one prediction path
    "sklearn_features",  # scikit-learn's side of the features
    "model",        # ThemeClassifier
    "persist",      # model files: arrays + JSON, the card, hashes
    "predictor",    # as_engine: the one conversion of a model; the shipped model loaded once
    "about",        # --version: the package and the shipped model's card
    "corpus",       # label files, sources, stand-off resolution, stats
    "evaluation",   # splits, the out-of-fold runner, metrics, baselines, report tables
    "training",     # fitting on the corpus and saving the model with its card
    "annotate",     # select, merge, audit, Label Studio
    "batch",        # many inputs -> records and profiles
    "shares",       # share estimation with intervals (--by FIELD reads inputs through batch)
    "plots",        # fonts and figures
    "html_report",  # the self-contained HTML page
    "api",          # classify, label_report, label_text; a labelled report shows itself as the HTML page
    "research",     # tables and HTML for notebooks
    "profiles",     # cppcc-nlp profile: profiles or shares of report files
    "cli",          # parsing; one library call per command
]

def _modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _imported(name: str, path: Path, node: ast.Import | ast.ImportFrom, modules: dict) -> list[str]:
    """The package's modules an import statement of module ``name`` (at ``path``) reaches."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    elif node.level:
        base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        module = ".".join(base + ([node.module] if node.module else []))
        targets = [f"{module}.{alias.name}" for alias in node.names] if node.module is None else [module]
    else:
        targets = [node.module or ""]
    found = []
    for target in targets:
        while target not in modules and "." in target:  # a name imported from a module: the module
            target = target.rsplit(".", 1)[0]
        if target in modules:
            found.append(target)
    return found


# Modules that are a room of their own, below their package: they import only what sits under them in ORDER,
# and their package's ``__init__`` imports nothing, so importing them does not load the rest of the package.
OWN_ROOMS = {"cppcc_nlp.evaluation.metrics"}


def _room(module: str) -> str:
    if module in OWN_ROOMS:
        return module.split(".", 1)[1]
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def room_arrows() -> dict[tuple[str, str], list[str]]:
    """``(room, room it imports) -> ["module:line", ...]`` over every import statement of the package."""
    modules = _modules()
    arrows: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                for target in _imported(name, path, node, modules):
                    source, room = _room(name), _room(target)
                    if source != room and source != "__init__":
                        arrows[(source, room)].append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return dict(arrows)


def _cycles(arrows) -> list[list[str]]:
    """The strongly connected groups of more than one room (Tarjan): each holds a cycle."""
    graph = defaultdict(set)
    for source, target in arrows:
        graph[source].add(target)
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(room):
        index[room] = low[room] = len(index)
        stack.append(room)
        on_stack.add(room)
        for other in sorted(graph[room]):
            if other not in index:
                visit(other)
                low[room] = min(low[room], low[other])
            elif other in on_stack:
                low[room] = min(low[room], index[other])
        if low[room] == index[room]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == room:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for room in sorted(set(graph) | {t for targets in graph.values() for t in targets}):
        if room not in index:
            visit(room)
    return groups


def test_every_room_of_the_package_has_one_place_in_the_order():
    rooms = {_room(name) for name in _modules()} - {"__init__"}
    assert len(ORDER) == len(set(ORDER)), "a room is listed twice in ORDER"
    missing = sorted(rooms - set(ORDER))
    assert not missing, f"rooms without a place in ORDER (tests/test_architecture.py): {missing}"


def test_no_two_rooms_import_each_other_round_a_loop():
    arrows = set(room_arrows())
    cycles = _cycles(arrows)
    assert not cycles, "rooms that import each other (directly or round a loop): " + "; ".join(
        " <-> ".join(group) for group in cycles)


def test_every_import_between_rooms_points_down_the_order():
    place = {room: k for k, room in enumerate(ORDER)}
    arrows = room_arrows()
    upward = []
    for (source, target), where in sorted(arrows.items()):
        if target == "__init__" or place.get(target, -1) >= place.get(source, len(ORDER)):
            upward.append(f"{source} -> {target} ({', '.join(where)})")
    assert not upward, "imports up the order (a room may import only rooms before it in ORDER):\n" + "\n".join(upward)


def _over_limit() -> dict[str, int]:
    """``path`` or ``path::function`` -> its lines, for every module and function over the limits."""
    over = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            over[name] = len(text.splitlines())
        scopes = [(node, "") for node in ast.parse(text).body]
        while scopes:
            node, prefix = scopes.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                qualified = prefix + node.name
                length = node.end_lineno - node.lineno + 1
                if not isinstance(node, ast.ClassDef) and length > MAX_FUNCTION_LINES:
                    over[f"{name}::{qualified}"] = length
                scopes += [(child, qualified + ".") for child in ast.iter_child_nodes(node)]
            else:
                scopes += [(child, prefix) for child in ast.iter_child_nodes(node)]
    return over


def test_no_module_over_500_lines_and_no_function_over_80():
    over = sorted(f"{name}: {lines} lines" for name, lines in _over_limit().items())
    assert not over, f"over {MAX_MODULE_LINES} lines (a module) or {MAX_FUNCTION_LINES} (a function):\n" + "\n".join(over)


def test_a_module_with_a_room_of_its_own_does_not_load_its_package():
    for module in OWN_ROOMS:
        init = PACKAGE.joinpath(*module.split(".")[1:-1], "__init__.py")
        imports = [node.lineno for node in ast.walk(ast.parse(init.read_text(encoding="utf-8")))
                   if isinstance(node, (ast.Import, ast.ImportFrom)) and node.module != "__future__"]
        assert not imports, f"{init.relative_to(ROOT)} imports (lines {imports}): {module} would load its package"
