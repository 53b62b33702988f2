"""An interactive training session: the trainer loop the GUI steers, free of any transport.

The loop reads commands from ``inbox`` and reports events through ``outbox``; the app runs it
in a child process (app/worker.py) so training never competes with drawing for Python's GIL.
Commands are handled between training chunks of ~10 ms, so play/pause/step/changes take
effect within about one frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from models.config import ConfigError, TrainConfig
from models.snapshot import DiracState, Snapshot
from models.trainer import Trainer

CHUNK_SECONDS = 0.01  # training between command checks: the control latency floor
FRAME_SECONDS = 1 / 60  # in-between snapshots (samples only, 0.3 ms each): smooth animation
FULL_SECONDS = 1 / 8  # full snapshots (surface, field, metrics) at most this often...
FULL_SHARE = 0.07  # ...and taking at most this share of the time (13-20 ms each on one CPU thread)


@dataclass(frozen=True)
class Command:
    name: str  # play | pause | toggle | step | apply | reset | load | rate | quit
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ChangeResult:
    """What became of one apply() call, for the status bar and the chart markers."""

    step: int
    changes: Mapping[str, Any]
    message: str
    ok: bool
    config: TrainConfig  # the trainer's config afterwards (the old one if refused)
    reset: bool = False  # training restarted from step 0 (seed or device changed)
    optimizer_steps: tuple[int, int] = (0, 0)  # Adam steps in G's and D's state afterwards


@dataclass(frozen=True)
class Frame:
    """An in-between snapshot's new parts; the rest is the last full snapshot's."""

    step: int
    fake: np.ndarray
    dirac: DiracState | None
    diverged: str | None

    def complete(self, full: Snapshot) -> Snapshot:
        return replace(
            full, step=self.step, fake=self.fake, dirac=self.dirac, diverged=self.diverged
        )


@dataclass(frozen=True)
class Event:
    kind: str  # snapshot | frame | change | playing | loaded | failed
    payload: Any = None


Inbox = Callable[[float | None], Command | None]  # wait up to timeout (None: forever)
Outbox = Callable[[Event], None]


def serve(connection: Any, config: TrainConfig, base_dir: Path | None, threads: int = 1) -> None:
    """Child-process entry: a session steered over a multiprocessing connection. One torch
    thread by default, leaving the other core to drawing."""
    import torch

    torch.set_num_threads(threads)

    def inbox(timeout: float | None) -> Command | None:
        return connection.recv() if connection.poll(timeout) else None

    try:
        Session(inbox, connection.send).run(config, base_dir)
    except (EOFError, OSError, KeyboardInterrupt):
        pass  # the app went away: nothing left to report to
    finally:
        connection.close()


@dataclass
class Session:
    inbox: Inbox
    outbox: Outbox
    trainer: Trainer | None = None
    playing: bool = False
    running: bool = True
    rate: float | None = None  # iterations per second cap; None = as fast as it goes
    chunk: int = 1
    handlers: dict[str, Callable[..., None]] = field(default_factory=dict)
    _last_full: Snapshot | None = None
    _full_seconds: float = 0.0  # what the last full snapshot cost

    def __post_init__(self) -> None:
        self.handlers = {
            "play": lambda: self._set_playing(True),
            "pause": lambda: self._set_playing(False),
            "toggle": lambda: self._set_playing(not self.playing),
            "step": self._step,
            "apply": self._apply,
            "reset": self._reset,
            "load": self._load,
            "rate": self._set_rate,
            "quit": self._quit,
        }

    def run(self, config: TrainConfig, base_dir: Path | None) -> None:
        self._load(config, base_dir)
        last_frame = last_full = time.perf_counter()
        while self.running:
            self._handle(timeout=None if not self.playing else 0.0)
            if not (self.running and self.playing and self.trainer):
                continue
            self._train_chunk()
            now = time.perf_counter()
            if now - last_full >= self._full_interval() or self.trainer.diverged:
                self._emit(full=True)
                last_full = last_frame = time.perf_counter()
            elif now - last_frame >= FRAME_SECONDS:
                self._emit(full=False)
                last_frame = now
            if self.trainer.diverged:
                self._set_playing(False)

    # ----------------------------------------------------------------- plumbing
    def _handle(self, timeout: float | None) -> None:
        """Run the first command that arrives within `timeout`, then every queued one."""
        command = self.inbox(timeout)
        while command is not None:
            self.handlers[command.name](*command.args)
            command = self.inbox(0.0)

    def _train_chunk(self) -> None:
        assert self.trainer is not None
        start = time.perf_counter()
        self.trainer.step(self.chunk)
        spent = max(time.perf_counter() - start, 1e-6)
        target = CHUNK_SECONDS * self.chunk / spent
        if self.rate is not None:
            target = min(target, max(1.0, self.rate * CHUNK_SECONDS))
            ahead = self.chunk / self.rate - spent
            deadline = time.perf_counter() + ahead
            while self.running and (left := deadline - time.perf_counter()) > 0:
                before = self.rate
                self._handle(timeout=left)
                if self.rate != before:
                    break
        self.chunk = int(max(1, min(target, 2 * self.chunk)))

    def _full_interval(self) -> float:
        """Seconds between full snapshots while playing: FULL_SECONDS, or longer where they are
        slow (a CPU), so drawing never costs training more than FULL_SHARE of its speed."""
        return max(FULL_SECONDS, self._full_seconds / FULL_SHARE)

    def _emit(self, full: bool) -> None:
        """A full snapshot, or just what changed since the last one (a Frame): the rest of an
        in-between snapshot is the last full one's, so it need not cross the pipe again."""
        assert self.trainer is not None
        start = time.perf_counter()
        snapshot: Snapshot = self.trainer.snapshot(full=full)
        if full:
            self._full_seconds = time.perf_counter() - start
        if full or self._last_full is None or snapshot.metrics is not self._last_full.metrics:
            self._last_full = snapshot
            self.outbox(Event("snapshot", snapshot))
        else:
            self.outbox(
                Event(
                    "frame", Frame(snapshot.step, snapshot.fake, snapshot.dirac, snapshot.diverged)
                )
            )

    def _set_playing(self, playing: bool) -> None:
        playing = playing and self.trainer is not None and not self.trainer.diverged
        if playing != self.playing:
            self.playing = playing
            self.outbox(Event("playing", playing))

    # ----------------------------------------------------------------- commands
    def _step(self, n: int) -> None:
        assert self.trainer is not None
        self._set_playing(False)
        self.trainer.step(n)
        self._emit(full=True)

    def _apply(self, changes: dict[str, Any]) -> None:
        trainer = self.trainer
        assert trainer is not None
        try:
            report = trainer.apply(changes)
        except ConfigError as exc:
            result = ChangeResult(
                trainer.step_count,
                changes,
                str(exc),
                False,
                trainer.config,
                optimizer_steps=trainer.optimizer_steps(),
            )
            self.outbox(Event("change", result))
            return
        result = ChangeResult(
            trainer.step_count,
            changes,
            report.message,
            True,
            trainer.config,
            report.reset,
            trainer.optimizer_steps(),
        )
        self.outbox(Event("change", result))
        self._emit(full=True)  # the change shows on screen within one chunk

    def _reset(self) -> None:
        assert self.trainer is not None
        self.trainer.reset()
        self._emit(full=True)

    def _load(self, config: TrainConfig, base_dir: Path | None) -> None:
        try:
            trainer = Trainer(config, base_dir)
        except ConfigError as exc:
            self.outbox(Event("failed", str(exc)))
            return
        self.trainer = trainer
        self.chunk = 1
        self._set_playing(False)
        self.outbox(Event("loaded", config))
        self._emit(full=True)

    def _set_rate(self, rate: float | None) -> None:
        self.rate = rate
        self.chunk = 1

    def _quit(self) -> None:
        self.running = False
        self.playing = False
