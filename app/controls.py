"""The control panel: one widget per training knob of the scene schema, built from a table.

Edits are gathered for a moment and sent as one change (a slider drag is not a hundred
rebuilds); the panel always shows the trainer's actual config, so a refused value snaps back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from models.config import Activation, LossKind, OptimizerKind, TrainConfig

Kind = Literal["log", "float", "int", "bool", "choice", "pair"]
FLUSH_MS = 120


@dataclass(frozen=True)
class Control:
    key: str
    label: str
    kind: Kind
    minimum: float = 0.0
    maximum: float = 1.0
    choices: tuple[str, ...] = ()
    tip: str = ""


ACTIVATIONS = get_args(Activation)
OPTIMIZERS = get_args(OptimizerKind)
SECTIONS: tuple[tuple[str, tuple[Control, ...]], ...] = (
    (
        "Training",
        (
            Control(
                "training.loss",
                "Loss",
                "choice",
                choices=get_args(LossKind),
                tip="ns: non-saturating; minimax: the original saturating loss",
            ),
            Control("training.lr_g", "G learning rate", "log", 1e-5, 1.0),
            Control("training.lr_d", "D learning rate", "log", 1e-5, 1.0),
            Control("training.optimizer_g", "G optimizer", "choice", choices=OPTIMIZERS),
            Control("training.optimizer_d", "D optimizer", "choice", choices=OPTIMIZERS),
            Control("training.betas", "Adam betas", "pair", 0.0, 0.9999),
            Control("training.d_steps", "D steps per iteration", "int", 1, 50),
            Control("training.g_steps", "G steps per iteration", "int", 1, 50),
            Control(
                "training.updates", "Updates", "choice", choices=("alternating", "simultaneous")
            ),
            Control("training.batch", "Batch size", "int", 1, 4096),
        ),
    ),
    (
        "Regularization",
        (
            Control(
                "regularization.gradient_penalty",
                "Gradient penalty (GP)",
                "float",
                0,
                100,
                tip="WGAN-GP lambda: (|grad D| - 1)^2 on real/fake interpolates",
            ),
            Control(
                "regularization.r1_gamma",
                "R1 gamma",
                "float",
                0,
                100,
                tip="gamma/2 |grad D|^2 on real data",
            ),
            Control("regularization.spectral_norm", "Spectral norm (D)", "bool"),
            Control("regularization.instance_noise", "Instance noise std", "float", 0, 2),
            Control(
                "regularization.instance_noise_anneal_steps", "Noise anneal steps", "int", 0, 100000
            ),
            Control(
                "regularization.weight_clip",
                "Weight clip c",
                "float",
                0,
                1,
                tip="WGAN clipping; 0 = off",
            ),
            Control("regularization.unrolled_steps", "Unrolled D steps", "int", 0, 10),
            Control("regularization.pack", "Packing m (PacGAN)", "int", 1, 8),
        ),
    ),
    (
        "Generator",
        (
            Control("generator.depth", "Hidden layers", "int", 1, 8),
            Control("generator.width", "Width", "int", 2, 512),
            Control("generator.activation", "Activation", "choice", choices=ACTIVATIONS),
            Control("generator.batch_norm", "Batch norm", "bool"),
            Control("generator.z_dim", "Latent dimension", "int", 1, 64),
            Control(
                "generator.z_dist", "Latent distribution", "choice", choices=("normal", "uniform")
            ),
        ),
    ),
    (
        "Discriminator",
        (
            Control("discriminator.depth", "Hidden layers", "int", 1, 8),
            Control("discriminator.width", "Width", "int", 2, 512),
            Control("discriminator.activation", "Activation", "choice", choices=ACTIVATIONS),
            Control("discriminator.batch_norm", "Batch norm", "bool"),
            Control("discriminator.minibatch_discrimination", "Minibatch discrimination", "bool"),
        ),
    ),
    (
        "Target",
        (
            Control(
                "target.kind",
                "Shape",
                "choice",
                choices=("ring", "grid", "spiral", "moons", "gaussians", "points", "dirac"),
            ),
            Control("target.modes", "Modes", "int", 1, 64),
            Control("target.radius", "Radius", "float", 0.1, 10),
            Control("target.std", "Noise std", "log", 1e-3, 1.0),
            Control("target.grid_size", "Grid size", "int", 1, 10),
        ),
    ),
)
ALL_CONTROLS = {c.key: c for _, controls in SECTIONS for c in controls}


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

    def validate(self, text: str, pos: int) -> object:
        from PySide6.QtGui import QValidator

        try:
            float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Acceptable, text, pos

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 1.25**steps)


class LogSlider(QWidget):
    """A slider on a log scale with an exact value box beside it."""

    value_changed = Signal(float)
    STEPS = 1000

    def __init__(self, minimum: float, maximum: float) -> None:
        super().__init__()
        self._low, self._high = math.log10(minimum), math.log10(maximum)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, self.STEPS)
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
        fraction = (math.log10(max(value, 1e-300)) - self._low) / (self._high - self._low)
        self.slider.setValue(round(min(max(fraction, 0.0), 1.0) * self.STEPS))
        self.box.blockSignals(False)
        self.slider.blockSignals(False)

    def _from_slider(self, position: int) -> None:
        value = 10 ** (self._low + (self._high - self._low) * position / self.STEPS)
        value = float(f"{value:.3g}")
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
        self._setters: dict[str, Callable[[Any], None]] = {}
        self._pending: dict[str, Any] = {}
        self._flush = QTimer(self)
        self._flush.setSingleShot(True)
        self._flush.setInterval(FLUSH_MS)
        self._flush.timeout.connect(self.flush)
        layout = QVBoxLayout(self)
        for title, controls in SECTIONS:
            box = QGroupBox(title)
            form = QFormLayout(box)
            for control in controls:
                widget = self._build(control)
                widget.setToolTip(control.tip or control.key)
                widget.setObjectName(control.key)
                self.widgets[control.key] = widget
                form.addRow(control.label, widget)
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

    def _build(self, control: Control) -> QWidget:
        key = control.key
        if control.kind == "log":
            slider = LogSlider(control.minimum, control.maximum)
            slider.value_changed.connect(lambda v: self._request(key, v))
            self._setters[key] = slider.setValue
            return slider
        if control.kind == "float":
            box = QDoubleSpinBox()
            box.setRange(control.minimum, control.maximum)
            box.setDecimals(3)
            box.setSingleStep((control.maximum - control.minimum) / 100)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = box.setValue
            return box
        if control.kind == "int":
            spin = QSpinBox()
            spin.setRange(int(control.minimum), int(control.maximum))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = spin.setValue
            return spin
        if control.kind == "bool":
            check = QCheckBox()
            check.toggled.connect(lambda v: self._request(key, v))
            self._setters[key] = check.setChecked
            return check
        if control.kind == "choice":
            combo = QComboBox()
            combo.addItems(list(control.choices))
            combo.currentTextChanged.connect(lambda v: self._request(key, v))
            self._setters[key] = combo.setCurrentText
            return combo
        return self._build_pair(control)

    def _build_pair(self, control: Control) -> QWidget:
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        boxes = []
        for _ in range(2):
            box = QDoubleSpinBox()
            box.setRange(control.minimum, control.maximum)
            box.setDecimals(4)
            box.setSingleStep(0.05)
            box.setKeyboardTracking(False)
            row.addWidget(box)
            boxes.append(box)

        def send() -> None:
            self._request(control.key, [boxes[0].value(), boxes[1].value()])

        def show(value: Any) -> None:
            boxes[0].setValue(float(value[0]))
            boxes[1].setValue(float(value[1]))

        for box in boxes:
            box.valueChanged.connect(send)
        self._setters[control.key] = show
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
    if key == "regularization.gradient_penalty":
        return config.gradient_penalty
    if key == "target.std":
        return config.target.noise_std
    if key in ("training.optimizer_g", "training.optimizer_d"):
        return config.training.optimizer_for(key[-1])  # type: ignore[arg-type]
    node: Any = config
    for part in key.split("."):
        node = getattr(node, part)
    return node
