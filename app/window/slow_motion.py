"""Slow motion in the window: Step D / Step G / Step iteration and slow-motion play
(app/teaching/slow_motion.py animates them) wired to the model, the data view, the model
overview and the narration line. One run only: compare mode trains its variants together."""

from __future__ import annotations

from PySide6.QtGui import QAction

from app.model import WindowModel
from app.process.worker import TrainingWorker
from app.teaching.slow_motion import SlowMotion
from app.window.layout import WindowParts


class SlowMotionControl:
    def __init__(
        self, model: WindowModel, parts: WindowParts, worker: TrainingWorker, action: QAction
    ) -> None:
        self.model, self.parts, self.action = model, parts, action
        self.slow = SlowMotion(worker.step_phase, lambda: model.latest, lambda: model.config)
        model.phase_done.connect(self.slow.on_phase)
        model.playing_changed.connect(self._playing_changed)
        model.run_started.connect(lambda _event: self.end())
        self.slow.picture.connect(model.show_picture)
        self.slow.batch.connect(parts.sample_view.show_batch)
        self.slow.narration.connect(self._narrate)
        self.slow.iteration_done.connect(model.show_picture)  # (the model booked its row)
        self.slow.finished.connect(lambda: action.setChecked(False))
        self.slow.player.connect(parts.overview.set_active)

    def _playing_changed(self, playing: bool) -> None:
        if playing:
            self.end()

    def _ready(self) -> bool:
        if self.model.comparing:
            self.model.say("Slow motion shows one run: leave compare mode first.", error=True)
            return False
        return self.model.failed is None and self.model.latest is not None

    def step(self, until: str) -> None:
        """The next D update, G update or whole iteration, animated."""
        if self._ready():
            self.model.ever_played = True
            self.model.set_hint("")
            self.slow.step(until)

    def set_playing(self, on: bool) -> None:
        if on and not self._ready():
            self.action.setChecked(False)
            return
        if on:
            self.model.ever_played = True
            self.model.set_hint("")
        self.slow.set_playing(on)

    def start_when_ready(self) -> None:
        """Slow-motion play as soon as the first snapshot is there (`open --slow`)."""
        if self.model.latest is not None:
            self.action.setChecked(True)
            return

        def start(_index: int, _snapshot: object) -> None:
            self.model.snapshot.disconnect(start)
            self.action.setChecked(True)

        self.model.snapshot.connect(start)

    def end(self) -> None:
        """Normal play, a reset or a new run: slow motion lets go and its line goes."""
        self.slow.stop()
        self.action.setChecked(False)
        self.parts.narration.hide()

    def _narrate(self, text: str) -> None:
        self.parts.narration.setText(text)
        self.parts.narration.show()
