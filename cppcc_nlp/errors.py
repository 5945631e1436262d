"""Exceptions raised by cppcc_nlp; every message names the file and what is wrong."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def one_line(message: str) -> str:
    """``message`` as one line: line breaks and other control characters (in file names) escaped, as ``\\n``."""
    return _CONTROL.sub(lambda match: repr(match.group())[1:-1], message)


class CppccNlpError(Exception):
    """Base class of every error that cppcc_nlp raises on purpose."""

    exit_code = 1


class OutputBusyError(CppccNlpError):
    """Another run is writing the same output (it holds the output's lock)."""

    exit_code = 11


class OutputError(CppccNlpError):
    """An output file could not be written (a full disk, an I/O error): nothing of the run is kept."""

    exit_code = 12

    @classmethod
    def of(cls, path: object, exc: OSError) -> "OutputError":
        """``path: cannot write: <the system's reason>``."""
        return cls(f"{path}: cannot write: {exc.strerror or exc}")


class UsageError(CppccNlpError):
    """The command was given options that cannot work together (exit code 2, as argparse's)."""

    exit_code = 2


class InputError(CppccNlpError):
    """A report could not be read: missing, empty, binary or undecodable."""

    exit_code = 3


class CorpusError(CppccNlpError):
    """A hand-label file is malformed or does not match its raw report."""

    exit_code = 4


class ModelError(CppccNlpError):
    """A model file was refused: unknown origin, changed content or incompatible versions."""

    exit_code = 5


class FontError(CppccNlpError):
    """No font with Chinese glyphs could be found for a plot's labels."""

    exit_code = 7


class MissingDependencyError(CppccNlpError, ImportError):
    """An optional dependency that the requested feature needs is not installed (the message names the extra)."""

    exit_code = 9
