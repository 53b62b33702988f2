"""Compare values…: pick one setting and 2-8 values of it; each value becomes a variant."""

from __future__ import annotations

import tomllib

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from app import colours
from app.panels.controls import panel_knobs
from app.plain_text import plain
from app.variants import MAX_VARIANTS
from models.config import ConfigError, TrainConfig
from models.knobs import KNOB_BY_KEY


class CompareDialog(QDialog):
    """Pick one setting and 2-8 values of it: each value becomes a variant."""

    def __init__(self, parent: QWidget | None, config: TrainConfig) -> None:
        super().__init__(parent)
        self.setWindowTitle("Compare values of one setting")
        self.config = config
        self.choice: tuple[str, tuple[object, ...]] | None = None
        self.knob = QComboBox()
        for knob in panel_knobs():
            if knob.kind in ("float", "int", "choice", "bool"):
                self.knob.addItem(f"{knob.label}  ({knob.key})", knob.key)
        self.values = QLineEdit()
        self.values.setPlaceholderText("e.g. 1e-4, 1e-3, 1e-2")
        self.knob.currentIndexChanged.connect(self._suggest)
        self.errors = plain(QLabel())
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet(f"color: {colours.ERROR};")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Compare")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow("Setting", self.knob)
        form.addRow("Values", self.values)
        form.addRow("", self.errors)
        form.addRow(buttons)
        self._suggest()

    def _suggest(self) -> None:
        knob = KNOB_BY_KEY[self.knob.currentData()]
        if knob.kind == "choice":
            self.values.setText(", ".join(knob.choices[:4]))
        elif knob.kind == "bool":
            self.values.setText("false, true")
        else:
            current = self.config.value(knob.key)
            if isinstance(current, int | float) and current:
                self.values.setText(", ".join(f"{current * f:g}" for f in (0.1, 1, 10)))
            else:
                self.values.setText("")

    def accept(self) -> None:
        key = self.knob.currentData()
        try:
            values = parse_values(self.values.text())
        except ValueError as exc:
            self.errors.setText(str(exc))
            return
        if not 2 <= len(values) <= MAX_VARIANTS:
            self.errors.setText(f"give 2 to {MAX_VARIANTS} values, separated by commas")
            return
        problems = []
        for value in values:
            try:
                self.config.with_changes({key: value})
            except ConfigError as exc:
                problems += exc.problems
        if problems:
            self.errors.setText("\n".join(problems))
            return
        self.choice = (key, tuple(values))
        super().accept()


def parse_values(text: str) -> list[object]:
    """'1e-4, 1e-3' -> [0.0001, 0.001]; words stay words (choices), true/false are booleans."""
    values: list[object] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            values.append(tomllib.loads(f"v = {part}")["v"])
        except tomllib.TOMLDecodeError:
            values.append(part)
    if not values:
        raise ValueError("give the values to compare, separated by commas")
    return values
