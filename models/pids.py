"""Whether a process is still running, by pid: how leftovers of dead processes (an export's
temporary file, a crashed window's autosave) are told apart from a live process's work."""

from __future__ import annotations

import os


def is_running(pid: int, unknown: bool) -> bool:
    """True if `pid` runs. Where there is no safe probe (Windows: os.kill would end the
    process), `unknown` is the answer: the caller says which mistake is the harmless one."""
    if os.name != "posix":
        return unknown
    try:
        os.kill(pid, 0)  # signal 0: only checks that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is someone else's
    return True
