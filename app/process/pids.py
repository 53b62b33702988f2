"""Whether a process is still running (the Qt-free code lives in models/pids.py, where the
session files' temporary-file clean-up uses it too)."""

from __future__ import annotations

from models.pids import is_running

__all__ = ["is_running"]
