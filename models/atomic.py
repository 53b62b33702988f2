"""Writing files so that nothing is ever half written or clobbered by accident."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file in the same folder and a rename, so a failed or interrupted
    write never leaves a half-written file or damages the old one. Writing onto a symbolic
    link writes the file it points to (the link stays a link)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = real_destination(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def real_destination(path: Path) -> Path:
    """Where writing `path` must land: the file a symbolic link points to (renaming a new
    file over the link would replace the link itself), else the path."""
    return Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)


MAX_NAME_BYTES = 200  # the temporary sibling adds ~25 bytes; most file systems allow 255


def destination_problem(path: Path, flag: str, overwrite: bool = True) -> str | None:
    """Why `path` cannot be written, in one line naming `flag`; None if it can. Checked before
    any training, by creating (and removing) a temporary file where the output will go."""
    path = Path(path).expanduser()
    if not path.name or path.name in (".", ".."):
        return f"{flag}: give a file name, e.g. {flag.lstrip('-')}.csv"
    if len(path.name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"{flag}: the file name is too long (at most {MAX_NAME_BYTES} bytes)"
    folder = path.parent
    if not folder.is_dir():
        return f"{flag}: folder {folder} does not exist"
    if path.is_dir():
        return f"{flag}: {path} is a folder; give a file name inside it"
    if path.exists() and not overwrite:
        return f"{flag}: {path} exists; pass --overwrite to replace it"
    try:
        fd, probe = tempfile.mkstemp(prefix=".ganscope-probe.", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{flag}: cannot write in {folder} ({exc.strerror or exc})"
    return None
