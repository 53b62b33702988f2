"""Slow motion: iterations walked through phase by phase, each D and G update animated.

The training process runs one phase when asked (models/session.py) and reports the state right
after it; this controller asks for one phase at a time, shows what the phase drew (the batch,
ringed) and glides the picture from the state before to the state after over a share of
`seconds`, then asks for the next phase, until the requested update is shown in full (Step D,
Step G, Step iteration) or, in slow-motion play, for ever. Nothing waits or sleeps in the
training loop: the pace is a GUI timer's (GAN Lab's slow motion slowed its training loop).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from models import messages as msg
from models.config import TrainConfig
from models.narration import narrate
from models.snapshot import Snapshot, between

TICK_MS = 16
SECONDS_PER_UPDATE = 1.0  # GAN Lab's slow motion takes about a second per update too
STEP_SHARE = 0.55  # of an update's time: the step itself (the part that moves)
LOOK_SHARE = 0.15  # each other phase (drawing the batches, the loss)
MOVING = {"d_step", "g_step", "step"}  # the phases after which the weights have changed
ENDS = {  # the phases that complete each kind of request
    "d_update": {"d_step", "step"},
    "g_update": {"g_step", "step"},
    "iteration": set(),  # ends with the iteration (PhaseDone.iteration_done)
}
REAL_BATCH = {"d_real", "real"}


def ease(t: float) -> float:
    """Slow in, slow out: the eye follows a glide that starts and stops gently."""
    return t * t * (3 - 2 * t)


class SlowMotion(QObject):
    """Step D / Step G / Step iteration and slow-motion play, animated.

    `picture` carries what to draw now (an in-between Snapshot), `batch` the ringed samples
    (None to clear; the flag says real), `narration` the line for the phase, `finished` the
    end of a requested step (and `iteration_done` each completed iteration's snapshot, for the
    charts)."""

    picture = Signal(object)
    batch = Signal(object, bool)
    narration = Signal(str)
    finished = Signal()
    iteration_done = Signal(object)
    player = Signal(object)  # "D", "G", "both" while an update is shown; None when idle

    def __init__(
        self,
        request_phase: Callable[[], None],
        current: Callable[[], Snapshot | None],
        config: Callable[[], TrainConfig],
    ) -> None:
        super().__init__()
        self._request_phase = request_phase
        self._current = current
        self._config = config
        self.seconds = SECONDS_PER_UPDATE  # per D or G update
        self.playing = False
        self._until: str | None = None  # the request being shown, None when idle
        self._waiting = False  # a phase was asked for and has not arrived
        self._before: Snapshot | None = None
        self._event: msg.PhaseDone | None = None
        self._started = 0.0
        self._duration = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)

    @property
    def busy(self) -> bool:
        return self._until is not None

    # ------------------------------------------------------------------ requests
    def step(self, until: str) -> None:
        """Show the next D update, G update or whole iteration ('d_update', 'g_update',
        'iteration'). Ignored while one is being shown (a second click would only queue)."""
        if until not in ENDS:
            raise ValueError(f"unknown step {until!r}")
        if self.busy:
            return
        self._until = until
        self._ask()

    def set_playing(self, on: bool) -> None:
        """Slow-motion play: phase after phase until switched off (the current phase ends)."""
        self.playing = on
        if on and not self.busy:
            self._until = "iteration"
            self._ask()

    def stop(self) -> None:
        """Forget what is being shown (a reset, a new scene, normal play)."""
        self.playing = False
        self._until, self._waiting, self._event = None, False, None
        self._timer.stop()
        self.batch.emit(None, True)
        self.player.emit(None)

    def _ask(self) -> None:
        self._waiting = True
        self._before = self._current()
        self._request_phase()

    # ------------------------------------------------------------------ phases
    def on_phase(self, event: msg.PhaseDone) -> None:
        """A phase arrived from the training process: narrate it and start its animation."""
        if not self._waiting:
            return  # asked for by someone else (a test, the command line): nothing to animate
        self._waiting = False
        self._event = event
        self.player.emit(event.player)
        self.narration.emit(
            narrate(event.kind, event.index, event.count, event.loss, self._config())
        )
        if event.batch is not None:
            self.batch.emit(event.batch, event.kind in REAL_BATCH)
        elif event.kind in MOVING:
            self.batch.emit(None, True)
        share = STEP_SHARE if event.kind in MOVING else LOOK_SHARE
        self._duration = max(self.seconds * share, 0.0)
        self._started = time.perf_counter()
        self._tick()
        if self._event is not None:
            self._timer.start()

    def _tick(self) -> None:
        event = self._event
        if event is None:
            self._timer.stop()
            return
        done = self._duration <= 0 or time.perf_counter() - self._started >= self._duration
        if event.kind in MOVING and self._before is not None and not done:
            t = (time.perf_counter() - self._started) / self._duration
            self.picture.emit(between(self._before, event.snapshot, ease(t)))
            return
        self.picture.emit(event.snapshot)
        if done:
            self._timer.stop()
            self._phase_shown(event)

    def _phase_shown(self, event: msg.PhaseDone) -> None:
        self._event = None
        if event.iteration_done:
            self.iteration_done.emit(event.snapshot)
        until = self._until
        complete = event.iteration_done or (until is not None and event.kind in ENDS[until])
        if complete and not self.playing:
            self._until = None
            self.batch.emit(None, True)
            self.player.emit(None)
            self.finished.emit()
            return
        self._ask()
