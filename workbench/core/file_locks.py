"""Advisory file locks (flock on POSIX, msvcrt on Windows), released by the OS when the
holding process dies: a killed trainer never leaves a run or a sweep locked."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

# ---- file locks (flock on POSIX, msvcrt on Windows); released by the OS if the process dies --
try:
    import fcntl

    def acquire_lock(path: Path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd

    def release_lock(fd) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @contextmanager
    def blocking_lock(path: Path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the flock

except ImportError:  # pragma: no cover - Windows
    import msvcrt

    def acquire_lock(path: Path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            return None
        return fd

    def release_lock(fd) -> None:
        os.lseek(fd, 0, 0)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        os.close(fd)

    @contextmanager
    def blocking_lock(path: Path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)  # less the umask
        try:
            msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
            yield
        finally:
            release_lock(fd)


def lock_is_held(path: Path) -> bool:
    if not path.exists():
        return False
    handle = acquire_lock(path)
    if handle is None:
        return True
    release_lock(handle)
    return False


@contextmanager
def held_lock(path: Path, busy: Callable[[], Exception]):
    """Hold the lock at `path` for the block; raises `busy()` when another process holds it.
    Retries briefly, because a reader's probe holds the lock for microseconds."""
    handle = None
    for _ in range(5):
        handle = acquire_lock(path)
        if handle is not None:
            break
        time.sleep(0.05)
    if handle is None:
        raise busy()
    try:
        yield
    finally:
        release_lock(handle)
