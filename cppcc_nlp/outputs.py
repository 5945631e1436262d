"""Files a command writes: the one lock, which paths may be written, and replacing a file atomically.

- ``FileLock``: an exclusive lock (``flock``) on ``<file>.lock`` holding the
  pid of the process that has it. ``label`` takes one per file it writes,
  ``annotate merge`` one for the corpus's label files; a second process stops
  (or waits a while) and names that pid.
- ``check_output_file``: an output is a regular file or a new name, never a
  device, a FIFO, a socket, a directory or a symbolic link (renaming a part
  file over ``/dev/full`` as root replaces the device with a file).
- ``check_output_path``: that, in an existing directory, and not an input.
- ``check_output_suffixes``: an output's suffix names a format that is written.
- ``write_atomically``: bytes to ``<file>.part``, made durable, renamed; on an
  error the part file is removed and an ``OutputError`` names the file.
- ``read_regular_file``: an input file opened without blocking, refused unless
  regular (a FIFO would block for good, ``/dev/zero`` never ends), of bounded size.
"""

from __future__ import annotations

import errno
import os
import stat
import time
from pathlib import Path

from .errors import OutputBusyError, OutputError, UsageError

LOCK_SUFFIX = ".lock"
_POLL_SECONDS = 0.01


def lock_path(path: str | os.PathLike) -> Path:
    """``out.jsonl`` -> ``out.jsonl.lock``."""
    path = Path(path)
    return path.with_name(path.name + LOCK_SUFFIX)


class FileLock:
    """An exclusive lock on the file ``path`` (flock), which holds the pid of the process that has it.

    ``busy``: the message when another process holds it; ``{pid}`` is
    replaced by that process's id. ``acquire(wait=...)`` tries again for up
    to ``wait`` seconds before giving up with ``OutputBusyError`` (exit 11).
    A holder removes the file before it lets go (``release(remove=True)``); a
    process that got the lock on a file that was removed meanwhile tries again
    on the new one, so two processes never hold locks on two files of one name.
    Without ``fcntl`` (not POSIX) nothing is locked.
    """

    def __init__(self, path: str | os.PathLike, busy: str) -> None:
        self.path = Path(path)
        self.busy = busy
        self.handle = None

    def acquire(self, wait: float = 0.0) -> "FileLock":
        try:
            import fcntl
        except ImportError:  # not POSIX: no lock
            return self
        deadline = time.monotonic() + wait
        while True:
            try:
                handle = open(self.path, "a+b", buffering=0)  # unbuffered: nothing left to flush on close
            except OSError as exc:
                raise OutputError.of(self.path, exc) from None
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    handle.close()
                    raise OutputError(f"{self.path}: cannot lock: {exc.strerror or exc}") from None
                handle.seek(0)
                other = handle.read(32).decode("ascii", "replace").strip() or "unknown"
                handle.close()
                if time.monotonic() < deadline:
                    time.sleep(_POLL_SECONDS)
                    continue
                raise OutputBusyError(self.busy.format(pid=other)) from None
            if not self._still_named(handle):  # its holder removed it before letting go: lock the new one
                handle.close()
                continue
            try:
                handle.seek(0)
                handle.truncate()
                if handle.write(f"{os.getpid()}\n".encode("ascii")) is None:
                    raise BlockingIOError(errno.EAGAIN, "could not write the pid")
            except OSError as exc:  # a full disk: the run could not write its files either
                os.unlink(self.path)
                handle.close()
                raise OutputError.of(self.path, exc) from None
            self.handle = handle
            return self

    def _still_named(self, handle) -> bool:
        try:
            named = os.stat(self.path)
        except OSError:
            return False
        held = os.fstat(handle.fileno())
        return (named.st_dev, named.st_ino) == (held.st_dev, held.st_ino)

    def release(self, remove: bool = True) -> None:
        """Let go; with ``remove``, first remove the file (no other process holds it: it is ours until closed)."""
        handle, self.handle = self.handle, None
        if handle is None:
            return
        if remove:
            try:
                os.unlink(self.path)
            except OSError:
                pass
        handle.close()

    def __enter__(self) -> "FileLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def lock_files(paths, wait: float = 0.0) -> list[FileLock]:
    """Lock ``<path>.lock`` of each of ``paths`` (in order); all or none: a busy one releases those taken.

    The first path is the run's main output: its message says "this output".
    """
    locks: list[FileLock] = []
    try:
        for number, path in enumerate(paths):
            what = "this output" if number == 0 else "this file"
            busy = (f"{path}: another run (pid {{pid}}) is writing {what}; wait for it to end, "
                    "or write to another file")
            locks.append(FileLock(lock_path(path), busy).acquire(wait))
    except BaseException:
        release_all(locks)
        raise
    return locks


def release_all(locks: list[FileLock], remove: bool = True) -> None:
    for held in reversed(locks):
        held.release(remove)
    locks.clear()


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def check_output_file(path: str | os.PathLike, flag: str = "the output") -> None:
    """UsageError unless ``path`` is a new name or an existing regular file (not a link, device, FIFO, directory).

    Writing goes through a part file renamed over ``path``: over a device
    (``/dev/full``), a FIFO or a link that would replace it with a file.
    """
    try:
        mode = os.lstat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return  # a new name (a parent that is no directory is refused by the caller's own checks)
    except OSError as exc:
        raise UsageError(f"{path}: {flag} cannot be checked: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode):
        return
    kind = file_kind(mode)
    if stat.S_ISDIR(mode):
        raise UsageError(f"{path}: {flag} is a directory; name a file")
    raise UsageError(f"{path}: {flag} is {kind}, not a regular file; refusing to replace it "
                     "(name a regular file, or - for standard output)")


def check_output_path(path: str | os.PathLike, flag: str = "-o", inputs=()) -> Path:
    """UsageError (exit 2) unless ``path`` can be written: a regular file or a new name (``check_output_file``),
    in an existing directory, and none of ``inputs`` (writing it would destroy what is being read)."""
    path = Path(path)
    check_output_file(path, flag)
    parent = path.parent
    if not parent.is_dir():
        what = "is not a directory" if parent.exists() else "does not exist"
        raise UsageError(f"{path}: {flag}'s directory {parent} {what}")
    for source in inputs:
        try:
            same = os.path.samefile(source, path)
        except OSError:
            same = False
        if same:
            raise UsageError(f"{path}: {flag} is also an input; it would be overwritten before it is read")
    return path


def check_output_suffixes(outputs, allowed: tuple[str, ...] | None = None) -> None:
    """UsageError (exit 2) for an output file, of ``(flag, path)`` pairs, whose suffix names no format written
    (``allowed``, default every one of ``records.OUTPUT_SUFFIXES``): never JSON lines in ``out.txt``.
    None and ``-`` (standard output) pass."""
    from .records import OUTPUT_SUFFIXES, check_output_suffix

    for flag, path in outputs:
        if path not in (None, "-"):
            try:
                check_output_suffix(path, flag, allowed or tuple(OUTPUT_SUFFIXES))
            except ValueError as exc:
                raise UsageError(str(exc)) from None


def check_still_writable(path: Path) -> None:
    """OutputError if ``path`` became something else than a regular file while the run wrote its part file."""
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return
    if not stat.S_ISREG(mode):
        raise OutputError(f"{path}: became {file_kind(mode)} while the run wrote; refusing to replace it")


def write_atomically(path: str | os.PathLike, data: bytes) -> None:
    """``data`` into ``path`` through ``<path>.part`` (made durable, then renamed); OutputError on failure, no part left."""
    path = Path(path)
    check_still_writable(path)
    part = path.with_name(path.name + ".part")
    try:
        with open(part, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, path)
    except OSError as exc:
        try:
            part.unlink()
        except OSError:
            pass
        raise OutputError.of(path if exc.filename in (None, str(path)) else part, exc) from None


def read_regular_file(path: str | os.PathLike, limit: int | None = None, error=None) -> bytes:
    """The bytes of a regular file, opened without blocking (a FIFO is refused, never waited on).

    ``limit``: a larger file is refused. ``error``: the exception class to
    raise (default ``InputError``); its message names the file and what is wrong.
    """
    from .errors import InputError

    error = error or InputError
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: {file_kind(info.st_mode)}, not a regular file; refusing to read it")
        if limit is not None and info.st_size > limit:
            raise error(f"{path}: {info.st_size:,} bytes, more than the {limit:,} this file may hold")
        try:  # read(n) allocates n bytes at once: ask for the size the file has (and one more, to see it grow)
            data = handle.read() if limit is None else handle.read(min(limit, info.st_size) + 1)
        except OSError as exc:
            raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if limit is not None and len(data) > min(limit, info.st_size):
        raise error(f"{path}: changed while it was read, or more than the {limit:,} bytes this file may hold")
    return data
