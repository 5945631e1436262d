"""Word segmentation: a Segmenter owns its jieba tokenizer, lexicon and stop-words."""

from __future__ import annotations

import logging
import os
import re
import threading
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


BACKENDS = ("auto", "jieba", "rjieba")
_WORD = re.compile(r"[\w\u3400-\u9fff]", re.UNICODE)
# jieba and rjieba disagree on ASCII runs joined by - _ / . ("1963-1968", "www.x.cn");
# splitting tokens at those joiners (but not at a decimal point) makes them agree.
_ASCII_JOINER = re.compile(r"([-_/]|(?<!\d)\.|\.(?!\d))")


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
    try:
        import rjieba  # noqa: F401
    except ImportError:
        return False
    return True


@dataclass(eq=False)
class Segmenter:
    """Segment Chinese text into tokens with a domain lexicon and stop-words.

    Holds only plain data, so it pickles and clones; the tokenizer is built on
    first use in each process. ``backend="auto"`` uses rjieba when installed
    (same tokens as jieba, several times faster) and jieba otherwise.
    """

    lexicon: tuple[tuple[str, int], ...] = field(default_factory=default_lexicon)
    stopwords: frozenset[str] = field(default_factory=default_stopwords)
    backend: str = "auto"
    cache_dir: str | None = None
    _tokenizer: object = field(default=None, init=False, repr=False)
    _lock: object = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        self.lexicon = tuple((str(w), int(f)) for w, f in self.lexicon)
        self.stopwords = frozenset(self.stopwords)
        self._lock = threading.Lock()

    @property
    def resolved_backend(self) -> str:
        if self.backend == "auto":
            return "rjieba" if rjieba_available() else "jieba"
        return self.backend

    def _build(self) -> object:
        backend = self.resolved_backend
        if backend == "rjieba":
            import rjieba

            tokenizer = rjieba.Jieba()
            for word, freq in self.lexicon:
                tokenizer.add_word(word, freq, None)
            return tokenizer
        import jieba

        logging.getLogger("jieba").setLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        cache = Path(self.cache_dir) if self.cache_dir else user_cache_dir()
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        tokenizer.tmp_dir = str(cache)
        for word, freq in self.lexicon:
            tokenizer.add_word(word, freq)
        return tokenizer

    @property
    def tokenizer(self) -> object:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    self._tokenizer = self._build()
        return self._tokenizer

    def raw_cut(self, text: str) -> list[str]:
        """The tokenizer's own tokens, as a list (jieba's ``cut`` is a generator, rjieba's a list)."""
        tokenizer = self.tokenizer
        return getattr(tokenizer, "lcut", tokenizer.cut)(text)

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

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segmenter):
            return NotImplemented
        return (self.lexicon, self.stopwords, self.backend) == (other.lexicon, other.stopwords, other.backend)

    def __hash__(self) -> int:
        return hash((self.lexicon, self.stopwords, self.backend))
