"""The timeline scrubber: the run's checkpoints as positions on a slider. Drag it back and
release to return to that step; change a control and play to start a new branch (the
charts keep the abandoned one, faint)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QWidget


class TimelineBar(QWidget):
    rewind_requested = Signal(int)  # the checkpoint step to go back to

    def __init__(self) -> None:
        super().__init__()
        self.steps: tuple[int, ...] = (0,)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.setPageStep(1)
        self.slider.setToolTip(
            "The run so far, in checkpoints. Drag back and release to return to that step, "
            "then change a control and play: a new branch (the old one stays faint on the "
            "charts)."
        )
        self.label = QLabel("timeline: step 0")
        self.label.setMinimumWidth(150)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 0, 6, 0)
        layout.addWidget(QLabel("Go back:"))
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self.slider.valueChanged.connect(self._show_position)
        self.slider.sliderReleased.connect(self._released)

    def set_steps(self, steps: tuple[int, ...]) -> None:
        """New checkpoints; the handle follows the newest unless it is being dragged."""
        self.steps = steps or (0,)
        dragging = self.slider.isSliderDown()
        self.slider.blockSignals(True)
        self.slider.setRange(0, len(self.steps) - 1)
        if not dragging:
            self.slider.setValue(len(self.steps) - 1)
        self.slider.blockSignals(False)
        self._show_position(self.slider.value())

    def _show_position(self, index: int) -> None:
        step = self.steps[min(index, len(self.steps) - 1)]
        newest = index >= len(self.steps) - 1
        self.label.setText(f"checkpoint: step {step:,}" + ("" if newest else "  (release)"))

    def _released(self) -> None:
        index = self.slider.value()
        if index < len(self.steps) - 1:
            self.rewind_requested.emit(self.steps[index])
