"""Atomic file writes: write a temporary file beside the target, flush, then rename.

A reader (or a process killed mid-write) sees the old file or the new one, never half of one.
The file gets the mode any other new file gets, 0666 less the umask (0644 under umask 022, 0600
under 077): the temporary file is created that way, not with `mkstemp`'s private 0600.
"""

from __future__ import annotations

import errno
import io
import json
import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


class DiskFull(OSError):
    """No space left for a write: says which file, in which folder, what it needed and what
    was free, so the user knows how much to free."""

    def __init__(self, path: Path, needed: int, free: int | None):
        self.path, self.needed, self.free = Path(path), needed, free
        free_text = "unknown" if free is None else format_size(free)
        super().__init__(errno.ENOSPC, f"No space left on the disk for {self.path.name} in {self.path.parent}: "
                                       f"the write needed {format_size(needed)}, {free_text} is free",
                         str(path))

    def __str__(self) -> str:
        return self.strerror


def format_size(count: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:.0f} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} GB"


def free_bytes(folder: Path) -> int | None:
    """Free space where `folder` is (its nearest existing parent), or None if unknown."""
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def describe_write_error(error: OSError, path=None) -> str:
    """One sentence for a failed write to a path the user chose (or the app's home): the path
    and the reason in plain words — a full disk, a file in the way, a read-only disk, no
    permission, a folder where nothing new can be made."""
    path = Path(path if path is not None else (error.filename or "?"))
    if error.errno == errno.ENOSPC:
        return str(error) if isinstance(error, DiskFull) else (
            f"Cannot write {path}: the disk is full ({format_size(free_bytes(path.parent) or 0)} free).")
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe != path and probe.is_file():
        reason = f"{probe} is a file, where a folder should be"
    elif error.errno == errno.EEXIST or (path.exists() and path.is_file() and error.errno == errno.ENOTDIR):
        reason = f"a file is in the way: {path} exists and is not a folder"
    elif error.errno == errno.EROFS:
        reason = f"{probe} is on a read-only disk"
    elif error.errno in (errno.EACCES, errno.EPERM):
        reason = f"you do not have permission to write in {probe}"
    elif error.errno == errno.ENOENT:  # the folder exists, yet nothing can be made in it (/proc, /sys)
        reason = f"no new files or folders can be made in {probe}"
    else:
        reason = f"the system refused it ({error.strerror or error})"
    return f"Cannot write {path}: {reason}."


def write_with(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Call `write(file)` into memory, then write that atomically to `path`."""
    buffer = io.BytesIO()
    write(buffer)
    write_bytes(path, buffer.getvalue())


def write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to a temporary file beside `path`, flush it to disk, then rename. A failure
    is an OSError naming `path` (not the temporary file), a full disk a DiskFull."""
    write_streamed(path, lambda f: f.write(data), len(data))


def write_streamed(path: Path, write: Callable[[BinaryIO], None], size: int) -> None:
    """Like `write_with`, but `write(file)` goes straight into the temporary file: for large
    files (a prepared image folder) that must not be held in memory twice. `size` is what the
    write needs, for the message of a full disk."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _new_temporary(path)
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        if isinstance(e, OSError):
            raise _named(e, path, size) from e
        raise


NEW_FILE_MODE = 0o666  # what open() asks for; the kernel takes the umask off


def _new_temporary(path: Path) -> tuple[int, str]:
    """A new, empty temporary file beside `path`, opened for writing, with the mode the umask
    gives (read without changing the umask, which other threads share)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(name, flags, NEW_FILE_MODE), name
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "No free temporary name", str(path))


def _named(error: OSError, path: Path, needed: int) -> OSError:
    """The error as the user's write of `path` saw it."""
    if error.errno == errno.ENOSPC:
        return DiskFull(path, needed, free_bytes(path.parent))
    return OSError(error.errno, error.strerror, str(path))


def write_json(path: Path, obj) -> None:
    write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode("utf-8"))


def append_line(path: Path, line: str) -> None:
    """Append one line and flush it to disk (metrics are appended per epoch)."""
    text = line.rstrip("\n") + "\n"
    try:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        raise _named(e, Path(path), len(text.encode("utf-8"))) from e
