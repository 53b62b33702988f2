"""Reading a user's file (a scene, a CSV of points, a session) without trusting it.

Only regular files are read: a FIFO would block the reader for ever, a device (/dev/zero)
never ends, and opening some devices has effects of its own. The type is checked before the
file is opened (stat) and again on the open descriptor (fstat), which is opened without
blocking, so a file swapped for a FIFO in between is refused too, never waited on.

`Path.stat().st_size` is 0 for devices and pipes, so a size check before reading does not bound
the read. Reading at most `limit + 1` bytes does, whatever the file is. A leading byte-order
mark (Windows editors write one) is dropped, not taken as text.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from models.config import ConfigError

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def file_kind(mode: int) -> str:
    """'a folder', 'a FIFO (named pipe)', 'a device'... for a mode that is not a regular file."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def open_regular(path: Path, what: str) -> BinaryIO:
    """The file opened for binary reading, or ConfigError naming `what` if it cannot be
    read or is not a regular file (checked before opening, and on the open file)."""
    shown = one_line(str(path))
    try:
        before = os.stat(path)
        if not stat.S_ISREG(before.st_mode):
            raise ConfigError(
                [f"{what}: {shown!r} is {file_kind(before.st_mode)}, not a regular file"]
            )
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError([f"{what}: cannot read {shown!r} ({exc.strerror or exc})"]) from None
    try:
        after = os.fstat(fd)
        if not stat.S_ISREG(after.st_mode):
            raise ConfigError(
                [f"{what}: {shown!r} is {file_kind(after.st_mode)}, not a regular file"]
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes_bounded(path: Path, limit: int, what: str) -> bytes:
    """At most `limit` bytes of a regular file, or ConfigError naming `what` and the limit."""
    try:
        with open_regular(path, what) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        shown = one_line(str(path))
        raise ConfigError([f"{what}: cannot read {shown!r} ({exc.strerror or exc})"]) from None
    if len(data) > limit:
        shown = one_line(str(path))
        raise ConfigError(
            [f"{what}: {shown!r} is over the {describe_bytes(limit)} limit for this file"]
        )
    return data


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """The file's text (UTF-8, BOM dropped), or ConfigError naming `what` and the limit."""
    data = read_bytes_bounded(path, limit, what)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [
                f"{what}: {one_line(str(path))!r} is not UTF-8 text (byte {exc.start} "
                "cannot be decoded)"
            ]
        ) from None


def describe_bytes(count: int) -> str:
    """1_000_000 -> '1 MB' (decimal units, as file managers show them)."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"


def one_line(text: str, limit: int = 300) -> str:
    """Text from a file made safe to print as part of one line: line breaks and other control
    characters (a terminal's escape sequences) shown as escapes, and long text cut."""
    cleaned = "".join(
        ch if ch.isprintable() or ch == " " else ch.encode("unicode_escape").decode("ascii")
        for ch in text[: limit + 1]
    )
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1] + "…"
