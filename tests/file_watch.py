"""Knowing whether a file was opened, whatever the mount's atime rules: inotify (Linux),
through ctypes. Used by the markup tests (issue 21): markup in a scene or a session points
at a marker image, and the test asserts nothing ever opened it."""

from __future__ import annotations

import ctypes
import os
import struct
import sys
from pathlib import Path
from types import TracebackType

IN_ACCESS, IN_OPEN, IN_NONBLOCK = 0x1, 0x20, 0o4000

AVAILABLE = sys.platform.startswith("linux")


class OpenWatch:
    """`with OpenWatch(path) as watch: ...; watch.opened()` counts opens and reads of `path`
    (by any code in any thread of any process) since the watch began."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.events = 0
        self._fd = -1

    def __enter__(self) -> OpenWatch:
        libc = ctypes.CDLL(None, use_errno=True)
        self._fd = libc.inotify_init1(IN_NONBLOCK)
        if self._fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        wd = libc.inotify_add_watch(self._fd, os.fsencode(self.path), IN_OPEN | IN_ACCESS)
        if wd < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {self.path}")
        return self

    def opened(self) -> int:
        """Opens and reads seen so far."""
        while True:
            try:
                data = os.read(self._fd, 65536)
            except BlockingIOError:
                return self.events
            offset = 0
            while offset + 16 <= len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                if mask & (IN_OPEN | IN_ACCESS):
                    self.events += 1
                offset += 16 + length

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
