"""Autosave: the session is saved every few minutes, and offered back after a crash.

A lecture's half hour of training must survive a power cut or a killed process. Every
AUTOSAVE_SECONDS, if training moved on since the last save, the training process writes the
whole session (weights, optimizer state, history, timeline; ~10 ms) to a file named after the
window's process. A clean close deletes it, so a file whose process is gone is a crash's
leftover: the next start offers it back, newest first, and deletes it either way.

The data folder is input like any other: only a regular file owned by this user is offered
(lstat: a planted symbolic link, a dangling one, a folder or another user's file is passed
over, never followed), autosaves are written with write_atomic (which never writes through a
link), and a killed save's temporary file is removed at the next start once its writer is
dead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer

from models.atomic import PART_SUFFIX, remove_dead_parts
from models.pids import is_running
from models.session_file import SUFFIX

AUTOSAVE_SECONDS = 180
_NAME = re.compile(rf"autosave-(\d+){re.escape(SUFFIX)}")


def autosave_folder() -> Path:
    """The per-user data folder (under XDG_DATA_HOME on Linux)."""
    location = QStandardPaths.StandardLocation.AppLocalDataLocation
    folder = Path(QStandardPaths.writableLocation(location) or Path.home() / ".ganscope")
    return folder


def autosave_path(folder: Path | None = None, pid: int | None = None) -> Path:
    folder = autosave_folder() if folder is None else folder
    return folder / f"autosave-{os.getpid() if pid is None else pid}{SUFFIX}"


def own_regular_file(path: Path) -> os.stat_result | None:
    """The file's lstat if it is a regular file of this user's (not a link, not a folder),
    else None."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return None
    return info


def crashed_sessions(folder: Path | None = None) -> list[Path]:
    """Autosaves whose window is no longer running, newest first: regular files of this
    user's only. Dead writers' temporary files are removed on the way."""
    folder = autosave_folder() if folder is None else folder
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found: list[tuple[float, Path]] = []
    for name in names:
        match = _NAME.fullmatch(name)
        if (
            match
            and int(match.group(1)) != os.getpid()
            and not is_running(int(match.group(1)), unknown=False)
        ):
            info = own_regular_file(folder / name)
            if info is not None:
                found.append((info.st_mtime, folder / name))
    remove_dead_leftovers(folder)
    return [path for _, path in sorted(found, key=lambda pair: pair[0], reverse=True)]


_PART = re.compile(
    rf"\.(autosave-\d+{re.escape(SUFFIX)})\.\d+-[0-9a-f]{{8}}{re.escape(PART_SUFFIX)}"
)


def remove_dead_leftovers(folder: Path) -> None:
    """Temporary files of killed autosaves (whose autosave itself may be gone): removed
    when their writer is dead (a live one's are left alone)."""
    with contextlib.suppress(OSError):
        for name in os.listdir(folder):
            match = _PART.fullmatch(name)
            if match:
                remove_dead_parts(folder / match.group(1))


def describe(path: Path) -> str:
    """'saved 14:02 today' for the offer's text."""
    info = own_regular_file(path)
    saved = dt.datetime.fromtimestamp(info.st_mtime if info is not None else 0)
    day = "today" if saved.date() == dt.date.today() else saved.strftime("%d %b %Y")
    return f"saved {saved:%H:%M} {day}"


def forget(paths: list[Path]) -> None:
    """Delete crashed sessions the user chose not to restore."""
    for path in paths:
        with contextlib.suppress(OSError):
            path.unlink()


class Autosaver(QObject):
    """Asks for a session save every AUTOSAVE_SECONDS while there is something new to keep.

    `save(path)` sends the request (the training process writes the file); `progress()`
    says how far training is, so an idle window does not rewrite the same session."""

    def __init__(
        self,
        save: Callable[[Path], None],
        progress: Callable[[], object],
        folder: Path | None = None,
        seconds: float = AUTOSAVE_SECONDS,
    ) -> None:
        super().__init__()
        self.path = autosave_path(folder)
        self._save, self._progress = save, progress
        self._saved_at: object = None
        self._timer = QTimer(self)
        self._timer.setInterval(int(seconds * 1000))
        self._timer.timeout.connect(self.save_now)
        self._timer.start()

    def save_now(self) -> None:
        progress = self._progress()
        if progress is None or progress == self._saved_at:
            return
        self._saved_at = progress
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._save(self.path)

    def adopt(self, crashed: Path) -> None:
        """Take a crashed window's autosave as this window's own (then open it): it is kept,
        and overwritten by later autosaves, until this window closes cleanly. Only a regular
        file of this user's is taken (OSError otherwise)."""
        if own_regular_file(crashed) is None:
            raise OSError(0, f"{crashed.name} is not a regular file of yours")
        os.replace(crashed, self.path)

    def discard(self) -> None:
        """A clean close: nothing to recover."""
        self._timer.stop()
        with contextlib.suppress(OSError):
            self.path.unlink()
