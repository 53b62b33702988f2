"""The control panel: one widget per knob of the knob table (models/knobs.py), in collapsible
sections, each with the knob's plain-words help as its tooltip.

Edits are gathered for a moment and sent as one change; the panel always shows the trainer's
actual config, so a refused value snaps back. Sliders move through values people say aloud
(1, 2, 5 per decade) over the range where a setting teaches something, and apply while they
are dragged: the training process makes a whole drag one edit (one chart marker).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from superqt import QCollapsible

from models.config import TrainConfig
from models.knobs import KNOBS, Knob

FLUSH_MS = 120
SECTION_TITLES = {
    "training": "Training",
    "regularization": "Regularization",
    "generator": "Generator",
    "discriminator": "Discriminator",
    "target": "Target data",
}
OPEN_SECTIONS = ("training", "regularization")  # the others start folded (short at 720p)
# set elsewhere (the toolbar's seed), or not a live control
LEFT_OUT = {"training.seed", "training.device", "training.optimizer", "target.theta0"}
LEFT_OUT |= {"target.psi0"}
EFFECT_WORDS = {
    "hot": "takes effect at the next update; training state is kept",
    "optimizer": "gives that network a fresh optimizer; its weights are kept",
    "generator": "rebuilds the generator from its initial weights",
    "discriminator": "rebuilds the discriminator from its initial weights",
    "target": "rebuilds the data; the networks keep training",
    "view": "changes only what is drawn",
    "restart": "starts training again from step 0",
}


def panel_knobs() -> list[Knob]:
    return [k for k in KNOBS if k.section in SECTION_TITLES and k.key not in LEFT_OUT]


def tooltip(knob: Knob) -> str:
    return (
        f"{knob.help}\n\nAllowed: {knob.describe_range()}. Changing it {EFFECT_WORDS[knob.effect]}."
    )


def nice_values(low: float, high: float, with_zero: bool) -> list[float]:
    """1, 2, 5 per decade from low to high (0 first when the knob can be off)."""
    values = [0.0] if with_zero else []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = float(f"{mantissa}e{exponent}")
            if low * (1 - 1e-9) <= value <= high * (1 + 1e-9):
                values.append(value)
    return values


class SciSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades: 3 significant digits, steps of x1.25."""

    def __init__(self, minimum: float, maximum: float) -> None:
        super().__init__()
        self.setDecimals(12)
        self.setRange(minimum, maximum)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.3g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def stepBy(self, steps: int) -> None:
        value = self.value()
        self.setValue(value * 1.25**steps if value > 0 else self.minimum() or 1e-3)


class NiceSlider(QWidget):
    """A slider over nice values (see `nice_values`) with an exact value box beside it; the
    box takes any allowed value, the slider shows the nearest nice one."""

    value_changed = Signal(float)

    def __init__(self, values: list[float], minimum: float, maximum: float) -> None:
        super().__init__()
        self.values = values
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, len(values) - 1)
        self.slider.setPageStep(1)
        self.box = SciSpinBox(minimum, maximum)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider, 3)
        layout.addWidget(self.box, 2)
        self.slider.valueChanged.connect(self._from_slider)
        self.box.valueChanged.connect(self._from_box)

    def value(self) -> float:
        return self.box.value()

    def setValue(self, value: float) -> None:
        self.box.blockSignals(True)
        self.slider.blockSignals(True)
        self.box.setValue(value)
        self.slider.setValue(self._nearest(value))
        self.box.blockSignals(False)
        self.slider.blockSignals(False)

    def _nearest(self, value: float) -> int:
        def distance(index: int) -> float:
            nice = self.values[index]
            if nice <= 0 or value <= 0:
                return abs(nice - value) * 1e9
            return abs(math.log(nice / value))

        return min(range(len(self.values)), key=distance)

    def _from_slider(self, position: int) -> None:
        value = self.values[position]
        self.box.blockSignals(True)
        self.box.setValue(value)
        self.box.blockSignals(False)
        self.value_changed.emit(value)

    def _from_box(self, value: float) -> None:
        self.setValue(value)
        self.value_changed.emit(value)


class ControlPanel(QWidget):
    """Every knob; `changes_requested` carries {dotted key: value} to apply."""

    changes_requested = Signal(dict)

    def __init__(self) -> None:
        super().__init__()
        self.widgets: dict[str, QWidget] = {}
        self.rows: dict[str, tuple[QFormLayout, QWidget]] = {}
        self.sections: dict[str, QCollapsible] = {}
        self._setters: dict[str, Callable[[Any], None]] = {}
        self._pending: dict[str, Any] = {}
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        by_section: dict[str, list[Knob]] = {}
        for knob in panel_knobs():
            by_section.setdefault(knob.section, []).append(knob)
        for section, knobs in by_section.items():
            box = QCollapsible(SECTION_TITLES[section])
            box.setDuration(0)  # no animation: it would redraw the plots behind it
            content = QWidget()
            form = QFormLayout(content)
            form.setContentsMargins(4, 0, 4, 4)
            for knob in knobs:
                widget = self._build(knob)
                widget.setToolTip(tooltip(knob))
                widget.setObjectName(knob.key)
                self.widgets[knob.key] = widget
                form.addRow(knob.label, widget)
                label = form.labelForField(widget)
                if label is not None:
                    label.setToolTip(tooltip(knob))
                self.rows[knob.key] = (form, widget)
            box.addWidget(content)
            if section in OPEN_SECTIONS:
                box.expand(animate=False)
            self.sections[section] = box
            layout.addWidget(box)
        layout.addStretch(1)

    def _request(self, key: str, value: Any) -> None:
        self._pending[key] = value
        self._flush.start()

    def flush(self) -> None:
        """Send the gathered edits now (also used by tests instead of waiting)."""
        self._flush.stop()
        if self._pending:
            changes, self._pending = self._pending, {}
            self.changes_requested.emit(changes)

    def show_only(self, keys: Iterable[str] | None) -> None:
        """Presenter mode: only these knobs (their sections opened); None shows every one."""
        wanted = set(keys) if keys is not None else None
        for key, (form, widget) in self.rows.items():
            form.setRowVisible(widget, wanted is None or key in wanted)
        for section, box in self.sections.items():
            keys_here = [k for k in self.rows if k.startswith(section + ".")]
            used = wanted is None or any(k in wanted for k in keys_here)
            box.setVisible(used)
            if wanted is not None and used:
                box.expand(animate=False)

    def _build(self, knob: Knob) -> QWidget:
        key = knob.key
        low, high = knob.ui_range
        if knob.kind == "float" and (knob.scale == "log" or low == 0):
            values = nice_values(low if low > 0 else high / 1e4, high, with_zero=low == 0)
            maximum = knob.high if knob.high is not None else high
            minimum = knob.low if knob.low is not None and not knob.above_low else low
            slider = NiceSlider(values, minimum, maximum)
            slider.value_changed.connect(lambda v: self._request(key, v))
            self._setters[key] = slider.setValue
            return slider
        if knob.kind == "float":
            box = QDoubleSpinBox()
            box.setRange(low, high)
            box.setDecimals(3)
            box.setSingleStep((high - low) / 100)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = box.setValue
            return box
        if knob.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(low), int(high))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = spin.setValue
            return spin
        if knob.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(lambda v: self._request(key, v))
            self._setters[key] = check.setChecked
            return check
        if knob.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(knob.choices))
            combo.currentTextChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = combo.setCurrentText
            return combo
        return self._build_pair(knob)

    def _build_pair(self, knob: Knob) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        boxes = []
        low, high = knob.ui_range
        for _ in range(2):
            box = QDoubleSpinBox()
            box.setRange(low, high)
            box.setDecimals(4)
            box.setSingleStep(0.05)
            box.setKeyboardTracking(False)
            row.addWidget(box)
            boxes.append(box)

        def send() -> None:
            self._request(knob.key, [boxes[0].value(), boxes[1].value()])

        def show(value: Any) -> None:
            boxes[0].setValue(float(value[0]))
            boxes[1].setValue(float(value[1]))

        for box in boxes:
            box.valueChanged.connect(send)
        self._setters[knob.key] = show
        return holder

    def set_config(self, config: TrainConfig) -> None:
        """Show `config` without sending anything back."""
        for key, setter in self._setters.items():
            value = _value_of(config, key)
            widget = self.widgets[key]
            blockers = [widget, *widget.findChildren(QWidget)]
            for w in blockers:
                w.blockSignals(True)
            setter(value)
            for w in blockers:
                w.blockSignals(False)
        self._pending.clear()


def _value_of(config: TrainConfig, key: str) -> Any:
    """The value a knob has in effect (optional knobs follow another setting when unset)."""
    if key == "regularization.gradient_penalty":
        return config.gradient_penalty
    if key == "target.std":
        return config.target.noise_std
    if key in ("training.optimizer_g", "training.optimizer_d"):
        return config.training.optimizer_for(key[-1])  # type: ignore[arg-type]
    return config.value(key)
