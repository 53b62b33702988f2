"""The toolbar's own fields: the speed cap, the seed and slow motion's seconds per update.
The speed follows each scene's suggestion; the seed shows the run's (a new seed restarts)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QLabel, QSpinBox, QWidget

from app.model import WindowModel
from app.process.worker import TrainingWorker
from app.teaching.slow_motion import SECONDS_PER_UPDATE, SlowMotion
from models.config import TrainConfig

SPEEDS = {
    "max": None,
    "1000 it/s": 1000.0,
    "300 it/s": 300.0,
    "100 it/s": 100.0,
    "30 it/s": 30.0,
    "10 it/s": 10.0,
    "3 it/s": 3.0,
}


class TrainingBar:
    def __init__(self, model: WindowModel, worker: TrainingWorker, slow: SlowMotion) -> None:
        self.model, self.worker = model, worker
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setToolTip("Iterations per second at most: slow it down to follow each step")
        self.speed.currentTextChanged.connect(lambda text: worker.set_rate(SPEEDS[text]))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip(
            "Picks the initial weights and every random draw; changing it starts again"
        )
        self.seed.valueChanged.connect(lambda v: worker.apply({"training.seed": v}))
        self.slow_seconds = QDoubleSpinBox()
        self.slow_seconds.setRange(0.2, 5.0)
        self.slow_seconds.setSingleStep(0.1)
        self.slow_seconds.setDecimals(1)
        self.slow_seconds.setValue(SECONDS_PER_UPDATE)
        self.slow_seconds.setSuffix(" s")
        self.slow_seconds.setToolTip("How long slow motion takes over each D or G update")
        self.slow_seconds.valueChanged.connect(lambda v: setattr(slow, "seconds", v))
        model.run_started.connect(self._run_started)
        model.config_changed.connect(self._config_changed)

    def _config_changed(self, index: int, result: Any) -> None:
        if index == 0:
            self.show_seed(result.config)

    def widgets_after(self) -> dict[str, list[QWidget]]:
        """Where they sit on the toolbar: after Reset, and after Slow motion."""
        self.seed_label = QLabel(" Seed ")
        return {
            "reset": [QLabel(" Speed "), self.speed, self.seed_label, self.seed],
            "slow": [self.slow_seconds],
        }

    def spare(self) -> set[QWidget]:
        """What presenter mode leaves off the toolbar (the seed stays in the controls' reach:
        Ctrl+K and the lesson's knobs are what a lecture needs)."""
        return {self.seed_label, self.seed, self.slow_seconds}

    def _run_started(self, event: object) -> None:
        config = self.model.config
        if getattr(event, "reason", "") in ("load", "session", "compare"):
            self.set_speed(config.view.steps_per_second)
        self.show_seed(config)

    def set_speed(self, steps_per_second: float | None) -> None:
        """Show and apply the scene's suggested speed (the nearest choice offered)."""
        if steps_per_second is None:
            label = "max"
        else:
            capped = {k: v for k, v in SPEEDS.items() if v is not None}
            label = min(capped, key=lambda k: abs(capped[k] - steps_per_second))
        self.speed.blockSignals(True)
        self.speed.setCurrentText(label)
        self.speed.blockSignals(False)
        self.worker.set_rate(SPEEDS[label])

    def show_seed(self, config: TrainConfig) -> None:
        self.seed.blockSignals(True)
        self.seed.setValue(min(config.training.seed, self.seed.maximum()))
        self.seed.blockSignals(False)
