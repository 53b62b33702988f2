"""Reading a user's text file (a scene, a CSV of points) without trusting its size.

`Path.stat().st_size` is 0 for devices and pipes (/dev/zero, a FIFO), so a size check before
reading does not bound the read. Reading at most `limit + 1` bytes does, whatever the file is.
A leading byte-order mark (Windows editors write one) is dropped, not taken as text.
"""

from __future__ import annotations

from pathlib import Path

from models.config import ConfigError


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """The file's text (UTF-8, BOM dropped), or ConfigError naming `what` and the limit."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ConfigError([f"{what}: cannot read {str(path)!r} ({exc.strerror or exc})"]) from None
    if len(data) > limit:
        raise ConfigError(
            [f"{what}: {str(path)!r} is over the {describe_bytes(limit)} limit for this file"]
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            [f"{what}: {str(path)!r} is not UTF-8 text (byte {exc.start} cannot be decoded)"]
        ) from None


def describe_bytes(count: int) -> str:
    """1_000_000 -> '1 MB' (decimal units, as file managers show them)."""
    for unit, size in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if count >= size:
            return f"{count / size:g} {unit}"
    return f"{count} bytes"
