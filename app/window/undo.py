"""Undo (Ctrl+Z): the last change of a setting, taken back as a change of its own.

Each change the training process confirms is remembered with the values it replaced; a
slider drag that the session made one edit (one chart marker) is one undo. Undoing applies
the old values as a new, marked edit ("undo: R1 gamma = 0"), so the charts keep the story
of what was tried. A new scene, session, compare or rewind starts the list afresh.
"""

from __future__ import annotations

from typing import Any

from app.model import WindowModel
from app.process.worker import TrainingWorker
from models import messages as msg

MAX_UNDO = 100


class UndoStack:
    def __init__(self, model: WindowModel, worker: TrainingWorker) -> None:
        self.model, self.worker = model, worker
        self.done: list[tuple[int, int, dict[str, Any]]] = []  # (run, marker ident, old values)
        model.config_changed.connect(self._changed)
        model.run_started.connect(self._run_started)
        self._last_configs = [run.config for run in model.runs]

    def _run_started(self, event: msg.RunStarted) -> None:
        if event.reason != "reset":
            self.done.clear()
        self._last_configs = [run.config for run in self.model.runs]

    def _changed(self, index: int, result: msg.ChangeResult) -> None:
        before = self._last_configs[index] if index < len(self._last_configs) else None
        self._last_configs = [run.config for run in self.model.runs]
        if before is None or not result.ok or result.marker is None or result.source == "undo":
            return
        old = {
            key: before.value(key)
            for key in result.changes
            if key in before.changes_to(result.config)
        }
        if not old:
            return
        ident = result.marker.ident
        if self.done and self.done[-1][:2] == (index, ident):  # a drag goes on: one edit
            old = self.done[-1][2] | {k: v for k, v in old.items() if k not in self.done[-1][2]}
            self.done[-1] = (index, ident, old)
        else:
            self.done.append((index, ident, old))
            del self.done[:-MAX_UNDO]

    def undo(self) -> None:
        if not self.done:
            self.model.say("Nothing to undo: no setting was changed in this run.")
            return
        index, _ident, old = self.done.pop()
        variant = index if self.model.comparing else None
        self.worker.apply(old, variant, source="undo")
