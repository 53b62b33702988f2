"""The training thread: runs a Trainer in a loop and hands snapshots to the GUI.

The GUI talks to it only through thread-safe commands (a queue) and hears back only through
queued Qt signals carrying immutable snapshots, so neither side ever waits on the other.
Commands are handled between training chunks of ~10 ms, so play/pause/step/changes take
effect within about one frame.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from PySide6.QtCore import QThread, Signal

from models.config import ConfigError, TrainConfig
from models.trainer import Trainer

CHUNK_SECONDS = 0.01  # training between command checks: the control latency floor
FRAME_SECONDS = 1 / 30  # in-between snapshots (samples only): smooth animation
FULL_SECONDS = 1 / 8  # full snapshots (surface, field, metrics): ~16 ms each on 2 cores


@dataclass(frozen=True)
class ChangeResult:
    """What became of one apply() call, for the status bar and the chart markers."""

    step: int
    changes: Mapping[str, Any]
    message: str
    ok: bool
    config: TrainConfig  # the trainer's config afterwards (the old one if refused)
    reset: bool = False  # training restarted from step 0 (seed or device changed)


class TrainingWorker(QThread):
    snapshot_ready = Signal(object)  # Snapshot
    change_done = Signal(object)  # ChangeResult
    playing_changed = Signal(bool)
    scene_loaded = Signal(object)  # TrainConfig
    failed = Signal(str)

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        super().__init__()
        self._commands: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]]
        self._commands = queue.SimpleQueue()
        self._initial = (config, base_dir)
        self._trainer: Trainer | None = None
        self._playing = False
        self._running = True
        self._rate: float | None = None  # iterations per second cap; None = as fast as it goes
        self._chunk = 1

    # ------------------------------------------------------------- GUI-thread API
    def play(self) -> None:
        self._send(self._do_play, True)

    def pause(self) -> None:
        self._send(self._do_play, False)

    def toggle(self) -> None:
        self._send(self._do_toggle)

    def step_once(self, n: int = 1) -> None:
        self._send(self._do_step, n)

    def apply(self, changes: Mapping[str, Any]) -> None:
        self._send(self._do_apply, dict(changes))

    def reset(self) -> None:
        self._send(self._do_reset)

    def load(self, config: TrainConfig, base_dir: Path | None) -> None:
        self._send(self._do_load, config, base_dir)

    def set_rate(self, steps_per_second: float | None) -> None:
        self._send(self._do_rate, steps_per_second)

    def stop(self) -> None:
        """Quit the loop and wait for the thread: safe to call from closeEvent."""
        self._send(self._do_quit)
        self.wait()

    def _send(self, handler: Callable[..., None], *args: Any) -> None:
        self._commands.put((handler, args))

    # ------------------------------------------------------------- worker thread
    def run(self) -> None:
        torch.set_num_threads(1)  # leave the other core to drawing
        try:
            self._trainer = Trainer(*self._initial)
        except ConfigError as exc:
            self.failed.emit(str(exc))
            return
        self._emit(full=True)
        last_frame = last_full = time.perf_counter()
        while self._running:
            self._handle_commands(block=not self._playing)
            if not (self._running and self._playing):
                continue
            self._train_chunk()
            now = time.perf_counter()
            if now - last_full >= FULL_SECONDS or self._trainer.diverged:
                self._emit(full=True)
                last_full = last_frame = now
            elif now - last_frame >= FRAME_SECONDS:
                self._emit(full=False)
                last_frame = now
            if self._trainer.diverged:
                self._set_playing(False)

    def _handle_commands(self, block: bool) -> None:
        try:
            handler, args = (
                self._commands.get(timeout=0.1) if block else self._commands.get_nowait()
            )
        except queue.Empty:
            return
        handler(*args)
        while True:
            try:
                handler, args = self._commands.get_nowait()
            except queue.Empty:
                return
            handler(*args)

    def _train_chunk(self) -> None:
        trainer = self._trainer
        assert trainer is not None
        start = time.perf_counter()
        trainer.step(self._chunk)
        spent = max(time.perf_counter() - start, 1e-6)
        per_step = spent / self._chunk
        target = CHUNK_SECONDS / per_step
        if self._rate is not None:
            target = min(target, max(1.0, self._rate * CHUNK_SECONDS))
            ahead = self._chunk / self._rate - spent
            if ahead > 0:
                self._handle_commands_for(ahead)
        self._chunk = int(max(1, min(target, 2 * self._chunk)))

    def _handle_commands_for(self, seconds: float) -> None:
        """Wait (for a speed cap) while still answering commands at once."""
        deadline = time.perf_counter() + seconds
        while self._running and (left := deadline - time.perf_counter()) > 0:
            try:
                handler, args = self._commands.get(timeout=left)
            except queue.Empty:
                return
            handler(*args)

    def _emit(self, full: bool) -> None:
        assert self._trainer is not None
        self.snapshot_ready.emit(self._trainer.snapshot(full=full))

    def _set_playing(self, playing: bool) -> None:
        if playing != self._playing:
            self._playing = playing
            self.playing_changed.emit(playing)

    def _do_play(self, playing: bool) -> None:
        assert self._trainer is not None
        self._set_playing(playing and not self._trainer.diverged)

    def _do_toggle(self) -> None:
        self._do_play(not self._playing)

    def _do_step(self, n: int) -> None:
        assert self._trainer is not None
        self._set_playing(False)
        self._trainer.step(n)
        self._emit(full=True)

    def _do_apply(self, changes: dict[str, Any]) -> None:
        trainer = self._trainer
        assert trainer is not None
        try:
            report = trainer.apply(changes)
        except ConfigError as exc:
            result = ChangeResult(trainer.step_count, changes, str(exc), False, trainer.config)
            self.change_done.emit(result)
            return
        result = ChangeResult(
            trainer.step_count, changes, report.message, True, trainer.config, report.reset
        )
        self.change_done.emit(result)
        self._emit(full=True)  # the change shows on screen within one chunk

    def _do_reset(self) -> None:
        assert self._trainer is not None
        self._trainer.reset()
        self._emit(full=True)

    def _do_load(self, config: TrainConfig, base_dir: Path | None) -> None:
        try:
            trainer = Trainer(config, base_dir)
        except ConfigError as exc:
            self.failed.emit(str(exc))
            return
        self._trainer = trainer
        self._set_playing(False)
        self.scene_loaded.emit(config)
        self._emit(full=True)

    def _do_rate(self, rate: float | None) -> None:
        self._rate = rate
        self._chunk = 1

    def _do_quit(self) -> None:
        self._running = False
        self._playing = False
