"""Writing files so that nothing is ever half written or clobbered by accident.

Rules for every file GANscope writes (sessions, autosaves, scenes, CSVs, exports):
- only a regular file is ever replaced: a destination that exists as a device (/dev/null), a
  FIFO, a socket or a folder is refused, and so is a symbolic link (writing through a planted
  link would replace its target; replacing the link would surprise whoever made it);
- the data goes to a temporary sibling first and is renamed over the destination when
  complete (a rename never follows a link), so a failed write leaves the old file as it was;
- the temporary file's name carries the writer's pid, so a killed writer's leftover is told
  from a live writer's work and removed by the next write;
- a new file gets the user's usual permissions (0666 less the umask), a replaced file keeps
  its own (mkstemp alone would make every file 0600).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import sys
from pathlib import Path

from models.pids import is_running
from models.textfile import file_kind

PART_SUFFIX = ".part"
MAX_NAME_BYTES = 200  # the temporary sibling adds ~25 bytes; most file systems allow 255


class DestinationRefused(OSError):
    """A destination that must not be written: not a regular file, or a symbolic link.
    `strerror` is the reason in words (callers show it as they show other OS errors)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EPERM, message)


def destination_refusal(path: Path) -> str | None:
    """Why writing `path` would replace something other than a regular file; None if it is
    a regular file or does not exist yet. (lstat: a link is judged as the link.)"""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be checked ({exc.strerror or exc})"
    if stat.S_ISLNK(info.st_mode):
        return f"{path} is a symbolic link: give the file itself (links are never written through)"
    if not stat.S_ISREG(info.st_mode):
        return f"{path} exists and is {file_kind(info.st_mode)}: only a regular file is replaced"
    return None


def checked_destination(path: Path) -> Path:
    """`path`, or DestinationRefused if it exists as anything but a regular file."""
    reason = destination_refusal(Path(path))
    if reason:
        raise DestinationRefused(reason)
    return Path(path)


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux shows
    it in /proc); elsewhere set and restored at once."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def new_file_mode(path: Path) -> int:
    """The permissions the written file gets: the replaced file's, else 0666 less the umask."""
    try:
        return stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def temp_prefix(path: Path, pid: int | None = None) -> str:
    """The temporary sibling's name up to its random part: '.NAME.PID-'."""
    return f".{Path(path).name}.{os.getpid() if pid is None else pid}-"


def leftover_parts(path: Path) -> dict[Path, int]:
    """Temporary files of earlier writes of `path` still there, with their writers' pids
    (matched by exact name, not a glob)."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)-[0-9a-f]{{8}}{re.escape(PART_SUFFIX)}")
    try:
        names = os.listdir(path.parent or ".")
    except OSError:
        return {}
    found = {}
    for name in names:
        match = pattern.fullmatch(name)
        if match:
            found[path.parent / name] = int(match.group(1))
    return found


def remove_dead_parts(path: Path) -> list[Path]:
    """Delete regular temporary files of `path` whose writer has died (a kill gives it no
    chance to clean up); a live writer's file, or one whose writer cannot be told, stays."""
    removed = []
    for leftover, pid in leftover_parts(path).items():
        if pid == os.getpid() or is_running(pid, unknown=True):
            continue
        with contextlib.suppress(OSError):
            if stat.S_ISREG(os.lstat(leftover).st_mode):
                leftover.unlink()
                removed.append(leftover)
    return removed


def write_atomic(path: Path, data: bytes | str) -> None:
    """Write via a temporary file in the same folder and a rename, so a failed or interrupted
    write never leaves a half-written file or damages the old one. Raises DestinationRefused
    (an OSError) if `path` exists as a symbolic link or anything but a regular file, and
    OSError (ENOSPC for a full disk) if the write fails; the old file is then unchanged."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    path = checked_destination(Path(path))
    folder = path.parent or Path(".")
    remove_dead_parts(path)
    mode = new_file_mode(path)
    tmp = folder / f"{temp_prefix(path)}{secrets.token_hex(4)}{PART_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(tmp, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
            if hasattr(os, "fchmod") and sys.platform != "win32":
                os.fchmod(handle.fileno(), mode)
        checked_destination(path)  # again: nothing planted there while writing
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def describe_os_error(exc: OSError) -> str:
    """An OS error in words for one line: 'the disk is full', 'permission denied'..."""
    if isinstance(exc, DestinationRefused):
        return str(exc.strerror)
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "permission denied"
    return exc.strerror or str(exc)


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
    if os.path.lexists(path) and not os.path.islink(path) and path.is_dir():
        return f"{flag}: {path} is a folder; give a file name inside it"
    refusal = destination_refusal(path)
    if refusal:
        return f"{flag}: {refusal}"
    if path.exists() and not overwrite:
        return f"{flag}: {path} exists; pass --overwrite to replace it"
    try:
        fd, probe = _probe(folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        return f"{flag}: cannot write in {folder} ({exc.strerror or exc})"
    return None


def _probe(folder: Path) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(prefix=".ganscope-probe.", dir=folder)
