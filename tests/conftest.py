from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def source_copy(destination: Path) -> Path:
    """The project's files copied to ``destination``, to build from: a build writes build/ and *.egg-info
    where it runs, and two builds in one tree at once fail."""
    import shutil

    skip = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "work",
                                  ".ipynb_checkpoints", ".pytest_cache")
    return Path(shutil.copytree(ROOT, destination, ignore=skip))
EXTERNAL = ROOT.parent / "shared" / "external"
SEED_DOC = "hebei-2019-cppcc-highlights"


def mount_tmpfs(tmp_path: Path, size: str, simulated: str) -> Path:
    """A tmpfs of ``size`` (``"64k"``) mounted at ``tmp_path/disk`` (needs root); skips, saying why, where it cannot
    be mounted. ``simulated``: what it stands for, for the skip message. Unmount it with ``unmount_tmpfs``."""
    import os
    import shutil
    import subprocess

    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip(f"{simulated} is simulated with a small tmpfs, which only root can mount")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    return mount


def fill_disk(directory: Path, leave: int = 0) -> None:
    """Write to ``directory/filler`` until its disk is full, then free ``leave`` bytes."""
    import os

    fd = os.open(directory / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass
    finally:
        os.close(fd)
    size = (directory / "filler").stat().st_size
    os.truncate(directory / "filler", max(0, size - leave))


def unmount_tmpfs(mount: Path) -> None:
    """Unmount a ``mount_tmpfs`` lazily: a file left open must not keep it mounted."""
    import subprocess

    subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture(scope="session", autouse=True)
def private_user_cache(tmp_path_factory):
    """Keep the tests' jieba cache out of the real ~/.cache."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("user-cache")))
        yield


@pytest.fixture(scope="session", autouse=True)
def external_sources():
    """Stand-off labels resolve against ../shared/external, as in CI (the README says so too)."""
    if not EXTERNAL.is_dir():
        pytest.exit(f"{EXTERNAL} is missing: the corpus's stand-off labels resolve against it", returncode=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CPPCC_NLP_SOURCES", str(EXTERNAL))
        yield EXTERNAL


@pytest.fixture(scope="session")
def records():
    """The whole hand-labelled corpus, stand-off records resolved."""
    from cppcc_nlp.corpus import load_corpus

    return load_corpus()


@pytest.fixture(scope="session")
def seed_records(records):
    """The seed report's records only: small enough to fit models in a unit test."""
    return [r for r in records if r.source == SEED_DOC]


@pytest.fixture(scope="session")
def small_model(seed_records):
    """A model fitted on the seed report without the threshold search (fast)."""
    from cppcc_nlp.model import ThemeClassifier

    return ThemeClassifier(threshold_folds=0).fit([r.text for r in seed_records], [r.labels for r in seed_records])


@pytest.fixture(scope="session")
def seed_corpus_dir(tmp_path_factory):
    """A corpus directory holding only the seed report and its labels: commands that train stay fast."""
    import shutil

    root = tmp_path_factory.mktemp("seed-corpus") / "corpus"
    shutil.copytree(ROOT / "corpus" / "raw", root / "raw")
    (root / "labels").mkdir()
    shutil.copy(ROOT / "corpus" / "labels" / f"{SEED_DOC}.jsonl", root / "labels")
    return root


STANDOFF_DOCS = [
    {"id": "n1", "title": "政协常委会", "text": "全国政协召开双周协商座谈会。\n委员们建议加强民主监督；会议由主席主持。"},
    {"id": "n2", "title": "扶贫", "text": "各地推进精准扶贫。\n贫困户收入增加。"},
]


@pytest.fixture
def standoff_corpus(tmp_path):
    """A corpus with the seed report and one registered source of two documents, half of its units labelled:
    ``(corpus, source copies, the source's units)``."""
    import json
    import shutil

    from cppcc_nlp.corpus import document_units, iter_documents, read_registry

    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus" / "raw", corpus / "raw")
    (corpus / "labels").mkdir()
    shutil.copy(ROOT / "corpus" / "labels" / "hebei-2019-cppcc-highlights.jsonl", corpus / "labels")
    (corpus / "sources.json").write_text(
        json.dumps({"sources": [{"name": "news", "path": "news/items.jsonl", "doc_id": "id"}]}), encoding="utf-8"
    )
    sources = tmp_path / "copies"
    (sources / "news").mkdir(parents=True)
    (sources / "news" / "items.jsonl").write_text(
        "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in STANDOFF_DOCS), encoding="utf-8"
    )
    spec = read_registry(corpus)["news"]
    units = [u for d in iter_documents(spec, sources / "news" / "items.jsonl") for u in document_units(d)]
    labels = {0: ["consultation"], 1: ["consultation", "supervision"], 3: ["poverty_alleviation"]}
    lines = [
        {"id": u.id, "source": "news", "doc": u.doc, "span": list(u.span), "sha256": u.sha256,
         "labels": labels[i], "annotator": "a", "selection": "random"}
        for i, u in enumerate(units) if i in labels
    ]
    (corpus / "labels" / "news.jsonl").write_text(
        "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
    )
    return corpus, sources, units


# -- the feature parts' tests (tests/features/) ---------------------------------------------------

ODD_TEXTS = ["", " ", "APP www.x.cn 1963-1968 年", "ＡＢＣ　　１２３", "中\t\t文  空格", "党建\x00工作", "\x00",
             "政协\x00\x00委员", "协商 \n 民主", "委员\n履职", "协商\r\n议政"]


def external_sentences(limit: int = 4000) -> list[str]:
    """About ``limit`` sentences of the external sources, a quarter from each of the first files."""
    import json

    from cppcc_nlp.reader import parse_report

    sentences = []
    paths = sorted(EXTERNAL.glob("*/*.jsonl"))
    for number, path in enumerate(paths):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                sentences += [s.text for s in parse_report(json.loads(line)["text"]).sentences]
                if len(sentences) >= limit * (1 + number) // 4:
                    break
    return sentences


@pytest.fixture(scope="session")
def feature_texts(seed_records):
    """(training texts: the seed report's units, probe texts: external sentences and odd strings)."""
    return [r.text for r in seed_records], external_sentences() + ODD_TEXTS


def same_matrix(a, b, stored: bool = False) -> None:
    """Assert two sparse matrices hold the same numbers to the bit; ``stored``: in the same storage order too."""
    a, b = a.tocsr().copy(), b.tocsr().copy()
    if not stored:
        for matrix in (a, b):
            matrix.has_sorted_indices = False  # a flag left over from before a change of the indices must not skip the sort
            matrix.sort_indices()
    assert a.shape == b.shape
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.data, b.data)
