"""The bridge between the window and the training process.

Training runs in a child process (models/session.py): on 2 cores, a training *thread* and
pyqtgraph's Python painting fight over the GIL, and training dropped to 0.13-0.2 of its
headless speed (measured, see `ganscope bench`). This QThread only waits on the pipe, with the
GIL released, and turns what arrives into queued Qt signals; the GUI sends commands down the
same pipe. Neither side ever waits on the other.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QThread, Signal

from models.config import TrainConfig
from models.session import ChangeResult, Command, Event, serve
from models.snapshot import Snapshot

__all__ = ["ChangeResult", "TrainingWorker"]

_CONTEXT = multiprocessing.get_context("spawn")  # never fork a process that runs Qt


class TrainingWorker(QThread):
    snapshot_ready = Signal(object)  # Snapshot
    change_done = Signal(object)  # ChangeResult
    playing_changed = Signal(bool)
    scene_loaded = Signal(object)  # TrainConfig
    failed = Signal(str)

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        super().__init__()
        self._pipe, child_end = _CONTEXT.Pipe(duplex=True)
        self._process = _CONTEXT.Process(
            target=serve, args=(child_end, config, base_dir), name="ganscope-training", daemon=True
        )
        self._child_end = child_end
        self._signals = {
            "snapshot": self.snapshot_ready,
            "change": self.change_done,
            "playing": self.playing_changed,
            "loaded": self.scene_loaded,
            "failed": self.failed,
        }

    # ------------------------------------------------------------- GUI-thread API
    def start(self) -> None:  # type: ignore[override]
        self._process.start()
        self._child_end.close()  # the child holds its own copy
        super().start()

    def play(self) -> None:
        self._send("play")

    def pause(self) -> None:
        self._send("pause")

    def toggle(self) -> None:
        self._send("toggle")

    def step_once(self, n: int = 1) -> None:
        self._send("step", n)

    def apply(self, changes: Mapping[str, Any]) -> None:
        self._send("apply", dict(changes))

    def reset(self) -> None:
        self._send("reset")

    def load(self, config: TrainConfig, base_dir: Path | None) -> None:
        self._send("load", config, base_dir)

    def set_rate(self, steps_per_second: float | None) -> None:
        self._send("rate", steps_per_second)

    def stop(self) -> None:
        """End the training process and this thread; safe to call twice, never hangs."""
        self._send("quit")
        if self._process.pid is not None:
            self._process.join(timeout=5)
            if self._process.is_alive():
                self._process.terminate()
                self._process.join(timeout=5)
        self.wait(5000)
        self._pipe.close()

    def _send(self, name: str, *args: Any) -> None:
        # OSError/ValueError: the process has ended (closing, or it failed and said so already)
        with contextlib.suppress(OSError, ValueError):
            self._pipe.send(Command(name, args))

    # ------------------------------------------------------------- this thread
    def run(self) -> None:
        last_full: Snapshot | None = None
        while True:
            try:
                event: Event = self._pipe.recv()
            except (EOFError, OSError):
                return
            if event.kind == "frame":
                if last_full is not None:
                    self.snapshot_ready.emit(event.payload.complete(last_full))
                continue
            if event.kind == "snapshot":
                last_full = event.payload
            self._signals[event.kind].emit(event.payload)
