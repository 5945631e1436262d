"""Word segmentation: a Segmenter owns its tokenizer (rjieba, or jieba's algorithm), lexicon and stop-words.

Which tokenizer ``backend="auto"`` gets is decided by ``resolve_backend``
when a segmenter is made or unpickled: rjieba when installed, else jieba,
unless the environment variable ``CPPCC_NLP_TOKENIZER`` says ``jieba`` or
``rjieba`` (so the jieba fallback runs in an install that has rjieba exactly
as in one without it). Both give the same tokens. The jieba fallback is
``JiebaTokenizer``: jieba's algorithm and dictionary, computed faster.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import logging
import marshal
import os
import re
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from importlib import resources
from math import log
from pathlib import Path

from .errors import MissingDependencyError, UsageError

BACKENDS = ("auto", "jieba", "rjieba")
TOKENIZER_VARIABLE = "CPPCC_NLP_TOKENIZER"
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
# jieba and rjieba disagree on ASCII runs joined by - _ / . ("1963-1968", "www.x.cn");
# splitting tokens at those joiners (but not at a decimal point) makes them agree.
_ASCII_JOINER = re.compile(r"([-_/]|(?<!\d)\.|\.(?!\d))")
# Characters that rjieba segments as Chinese and jieba (U+4E00-U+9FD5) does not: CJK extension A, U+9FD6-U+9FFF,
# compatibility ideographs, and (beyond U+FFFF) the other extensions. jieba makes each one a token of its own, and so
# does rjieba with any other character beyond U+FFFF: rjieba is given the text between them.
_RJIEBA_ONLY_HAN = ((0x3400, 0x4DBF), (0x9FD6, 0x9FFF), (0xF900, 0xFAFF), (0x10000, 0x10FFFF))


def split_joined_ascii(token: str) -> list[str]:
    """An ASCII token joined by ``- _ / .`` split at the joiners (jieba and rjieba agree on the parts)."""
    if len(token) > 1 and token.isascii() and _ASCII_JOINER.search(token):
        return [part for part in _ASCII_JOINER.split(token) if part]
    return [token]


def _read_data_lines(name: str) -> list[str]:
    text = resources.files("cppcc_nlp").joinpath("data", name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def default_lexicon() -> tuple[tuple[str, int], ...]:
    """The shipped CPPCC lexicon as ``(word, frequency)`` pairs."""
    pairs = []
    for line in _read_data_lines("lexicon.txt"):
        word, _, freq = line.partition(" ")
        pairs.append((word, int(freq)))
    return tuple(pairs)


def default_stopwords() -> frozenset[str]:
    """The shipped stop-word list."""
    return frozenset(_read_data_lines("stopwords.txt"))


def user_cache_dir() -> Path:
    """Per-user cache directory for jieba's dictionary cache (``$XDG_CACHE_HOME/cppcc_nlp``)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cppcc_nlp"


def rjieba_available() -> bool:
    """Whether rjieba is installed (found, not imported: importing it builds a tokenizer of its own)."""
    if "rjieba" in sys.modules:
        return sys.modules["rjieba"] is not None
    try:
        return importlib.util.find_spec("rjieba") is not None
    except (ImportError, ValueError):
        return False


def _rjieba_class() -> type:
    """rjieba's ``Jieba`` class, loaded without running ``rjieba/__init__.py``.

    That file builds a default tokenizer of its own at import (rjieba's
    dictionary: about 0.1 s, the cost of a second ``Jieba()``), which is
    never used here. When rjieba is imported already or laid out otherwise,
    it is ``import rjieba``.
    """
    if "rjieba" not in sys.modules:
        try:
            spec = importlib.util.find_spec("rjieba")
            for folder in (spec.submodule_search_locations or []) if spec is not None else []:
                for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                    path = os.path.join(folder, "rjieba" + suffix)
                    if os.path.isfile(path):
                        found = importlib.util.spec_from_file_location("rjieba.rjieba", path)
                        extension = importlib.util.module_from_spec(found)
                        found.loader.exec_module(extension)
                        return extension.Jieba
        except (ImportError, AttributeError, OSError, ValueError):
            pass
    import rjieba

    return rjieba.Jieba


def tokenizer_choice() -> str:
    """What ``$CPPCC_NLP_TOKENIZER`` asks ``backend="auto"`` to be: "auto" (unset or empty), "jieba" or "rjieba"."""
    value = os.environ.get(TOKENIZER_VARIABLE, "").strip().lower() or "auto"
    if value not in BACKENDS:
        raise UsageError(
            f"{TOKENIZER_VARIABLE}={os.environ[TOKENIZER_VARIABLE]!r} is not a tokenizer: "
            f"set it to one of {', '.join(BACKENDS)}, or leave it unset"
        )
    return value


def resolve_backend(backend: str = "auto") -> str:
    """The tokenizer ``backend`` gets here, "jieba" or "rjieba".

    "auto" follows ``$CPPCC_NLP_TOKENIZER``; left at "auto" it is rjieba when
    installed, else jieba. rjieba asked for (by the backend or the variable)
    but not installed is a ``MissingDependencyError``.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    asked_by = "backend='rjieba'"
    if backend == "auto":
        backend = tokenizer_choice()
        asked_by = f"{TOKENIZER_VARIABLE}=rjieba"
        if backend == "auto":
            return "rjieba" if rjieba_available() else "jieba"
    if backend == "rjieba" and not rjieba_available():
        raise MissingDependencyError(
            f"{asked_by} needs rjieba, which is not installed: pip install rjieba "
            f"(or set {TOKENIZER_VARIABLE}=jieba, which gives the same tokens, slower)"
        )
    return backend


class JiebaTokenizer:
    """jieba's accurate mode with HMM (``jieba.Tokenizer.lcut``), computed in one pass over each text.

    jieba builds a graph of the dictionary words at every position, then a
    second pass scores the routes through it, calling ``log`` for every word.
    Here the dictionary is a table of ``log(freq) - log(total)`` per word
    (0.0 for a prefix of words that is no word itself), and one backward pass
    scores the words starting at each position as it finds them: the same
    floating-point sums, compared in the same order (a tie goes to the longer
    word, as in jieba), so the same route and the same tokens. Runs of single
    characters unknown as a whole go to jieba's own HMM (``jieba.finalseg``).
    """

    def __init__(self, table: dict[str, float], logtotal: float) -> None:
        self.table = table
        self.unknown = 0.0 - logtotal  # the score of a character that starts no word: log(1) - log(total)
        from jieba import re_han_default, re_skip_default
        from jieba.finalseg import cut as hmm_cut

        self._han = re_han_default
        self._skip = re_skip_default
        self._hmm_cut = hmm_cut

    @classmethod
    def load(cls, lexicon: tuple[tuple[str, int], ...], cache_dir: Path) -> "JiebaTokenizer":
        """The tokenizer of jieba's dictionary plus ``lexicon``, its table read from ``cache_dir`` when kept there.

        The first process builds the table from a ``jieba.Tokenizer`` (its own
        dictionary cache in ``cache_dir`` too) and writes it there; later ones
        read only the table: one dictionary load per process.
        """
        import jieba
        from jieba import finalseg

        try:
            cache_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError:
            pass
        private = _private_directory(cache_dir)  # a cache others can write could change the tokens: not used
        path = cache_dir / f"jieba-logfreq-{_table_key(lexicon)}.marshal"
        for word, freq in lexicon:
            if freq == 0:
                finalseg.add_force_split(word)  # what jieba's add_word does for such a word
        if private:
            try:
                with open(path, "rb") as handle:
                    logtotal, table = marshal.load(handle)
                if isinstance(table, dict) and isinstance(logtotal, float):
                    return cls(table, logtotal)
            except (OSError, EOFError, ValueError, TypeError):
                pass
        logging.getLogger("jieba").setLevel(logging.WARNING)
        with tempfile.TemporaryDirectory(prefix="cppcc_nlp-jieba-") as scratch:  # jieba's own cache, when not ours
            tokenizer = jieba.Tokenizer()
            tokenizer.tmp_dir = str(cache_dir) if private else scratch
            tokenizer.initialize()
        for word, freq in lexicon:
            tokenizer.add_word(word, freq)
        logtotal = log(tokenizer.total)
        scores = {freq: log(freq) - logtotal if freq else 0.0 for freq in set(tokenizer.FREQ.values())}
        table = {word: scores[freq] for word, freq in tokenizer.FREQ.items()}  # one float per frequency: a smaller file
        if private:
            _write_atomically(path, marshal.dumps((logtotal, table)))
        return cls(table, logtotal)

    def lcut(self, text: str) -> list[str]:
        """The tokens of ``text``: ``jieba.Tokenizer.lcut(text)`` (HMM on)."""
        out: list[str] = []
        han, skip = self._han, self._skip
        for block in han.split(text):
            if not block:
                continue
            if han.match(block):
                self._cut_block(block, out)
            else:
                for piece in skip.split(block):
                    if skip.match(piece):
                        out.append(piece)
                    else:
                        out.extend(piece)
        return out

    cut = lcut

    def _cut_block(self, block: str, out: list[str]) -> None:
        get = self.table.get
        n = len(block)
        best = [0.0] * (n + 1)  # best[k]: score of the best route through block[k:]
        stop = [0] * n  # its first word is block[k:stop[k]]
        for k in range(n - 1, -1, -1):
            score = None
            i = k + 1
            value = get(block[k])
            while value is not None:  # block[k:i] starts a word
                if value:  # and is one
                    candidate = value + best[i]
                    if score is None or candidate >= score:
                        score, end = candidate, i
                if i == n:
                    break
                i += 1
                value = get(block[k:i])
            if score is None:
                score, end = self.unknown + best[k + 1], k + 1
            best[k] = score
            stop[k] = end
        x, run = 0, ""
        while x < n:
            y = stop[x]
            if y - x == 1:
                run += block[x]
            else:
                if run:
                    self._add_run(run, out)
                    run = ""
                out.append(block[x:y])
            x = y
        if run:
            self._add_run(run, out)

    def _add_run(self, run: str, out: list[str]) -> None:
        """A run of single-character words: one token, or the HMM's words when the run is no word, else its characters."""
        if len(run) == 1:
            out.append(run)
        elif not self.table.get(run):
            out.extend(self._hmm_cut(run))
        else:
            out.extend(run)


class RjiebaTokenizer:
    """rjieba with the lexicon, cutting as jieba does also where their ideas of a Chinese character differ."""

    def __init__(self, lexicon: tuple[tuple[str, int], ...]) -> None:
        import numpy as np

        self._jieba = _rjieba_class()()
        for word, freq in lexicon:
            self._jieba.add_word(word, freq, None)
        self._apart = np.zeros(sys.maxunicode + 1, dtype=bool)  # code point -> a token of its own, cut around
        for first, last in _RJIEBA_ONLY_HAN:
            self._apart[first:last + 1] = True

    def cut(self, text: str) -> list[str]:
        """The tokens of ``text``, those of ``jieba.Tokenizer.lcut(text)`` (HMM on)."""
        import numpy as np

        cut = self._jieba.cut
        codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
        apart = np.flatnonzero(self._apart[codes])  # a table lookup: several times faster than a regex
        if not len(apart):
            return cut(text)
        out: list[str] = []
        start = 0
        for at in apart.tolist():
            if at > start:
                out.extend(cut(text[start:at]))
            out.append(text[at])
            start = at + 1
        if start < len(text):
            out.extend(cut(text[start:]))
        return out


def _table_key(lexicon: tuple[tuple[str, int], ...]) -> str:
    """What the table depends on: jieba's version and dictionary file, and the lexicon."""
    import jieba

    dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    digest = hashlib.sha256(f"{jieba.__version__}\0{dictionary.stat().st_size}\0".encode())
    for word, freq in lexicon:
        digest.update(f"{word}\0{freq}\0".encode())
    return digest.hexdigest()[:20]


def _private_directory(directory: Path) -> bool:
    """Whether ``directory`` is this user's and no one else can write into it (where there are such modes)."""
    if not hasattr(os, "getuid"):
        return directory.is_dir()  # no POSIX owners and modes here
    try:
        info = os.stat(directory)
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o022


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it; a cache that cannot be written is skipped."""
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError:
        pass


@dataclass(eq=False)
class Segmenter:
    """Segment Chinese text into tokens with a domain lexicon and stop-words.

    Holds only plain data, so it pickles and clones; the tokenizer is built on
    first use in each process. ``backend="auto"`` is rjieba when installed
    (same tokens as jieba, several times faster) and jieba otherwise, unless
    ``$CPPCC_NLP_TOKENIZER`` chooses (``resolve_backend``); a choice that
    cannot be served is an error when the segmenter is made or unpickled.
    """

    lexicon: tuple[tuple[str, int], ...] = field(default_factory=default_lexicon)
    stopwords: frozenset[str] = field(default_factory=default_stopwords)
    backend: str = "auto"
    cache_dir: str | None = None
    _tokenizer: object = field(default=None, init=False, repr=False)
    _lock: object = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        resolve_backend(self.backend)
        self.lexicon = tuple((str(w), int(f)) for w, f in self.lexicon)
        self.stopwords = frozenset(self.stopwords)
        self._lock = threading.Lock()

    @property
    def resolved_backend(self) -> str:
        """The tokenizer this segmenter uses here: "jieba" or "rjieba"."""
        return resolve_backend(self.backend)

    def _build(self) -> object:
        if self.resolved_backend == "rjieba":
            return RjiebaTokenizer(self.lexicon)
        return JiebaTokenizer.load(self.lexicon, Path(self.cache_dir) if self.cache_dir else user_cache_dir())

    @property
    def tokenizer(self) -> object:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
        return self._tokenizer

    def raw_cut(self, text: str) -> list[str]:
        """The tokenizer's own tokens, as a list: jieba's ``lcut`` (HMM on), or rjieba's ``cut``."""
        return self.tokenizer.cut(text)

    def cut(self, text: str) -> list[str]:
        """All tokens, punctuation and whitespace included (jieba's ``cut``, HMM on)."""
        out: list[str] = []
        for token in self.raw_cut(text):
            out.extend(split_joined_ascii(token))
        return out

    def keep(self, raw: str) -> list[str]:
        """What ``tokens`` keeps of one raw token of the tokenizer: the one token filter.

        Joined ASCII is split (as ``cut`` does), then white space, punctuation
        and stop-words are dropped. ``tokens`` and the prediction engine both
        filter through this method.
        """
        stop = self.stopwords
        if not raw.isascii() or len(raw) == 1:  # nothing to split (``split_joined_ascii``): the token itself, or none
            return [raw] if raw not in stop and _WORD.search(raw) and not raw.isspace() else []
        return [part for part in split_joined_ascii(raw) if part not in stop and _WORD.search(part) and not part.isspace()]

    def tokens(self, text: str) -> list[str]:
        """Content tokens: no whitespace, punctuation or stop-words."""
        keep = self.keep
        return [token for raw in self.raw_cut(text) for token in keep(raw)]

    def __call__(self, text: str) -> list[str]:
        return self.tokens(text)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_tokenizer"] = None
        state["_lock"] = None
        state["stopwords"] = tuple(sorted(self.stopwords))  # a frozenset pickles in hash-seed order
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.stopwords = frozenset(self.stopwords)
        self._lock = threading.Lock()
        resolve_backend(self.backend)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segmenter):
            return NotImplemented
        return (self.lexicon, self.stopwords, self.backend) == (other.lexicon, other.stopwords, other.backend)

    def __hash__(self) -> int:
        return hash((self.lexicon, self.stopwords, self.backend))
