"""The Layers box: a check box per layer of the data view, following the window model's
visible layers (a click asks the model; the model says what is shown)."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QCheckBox, QGroupBox, QVBoxLayout

from app.views.layers import LAYER_HELP, LAYERS


class LayersBox(QGroupBox):
    def __init__(self, model: Any) -> None:
        """model: the window model (its `layers`, `set_layer` and `layers_changed`)."""
        super().__init__("Layers")
        layout = QVBoxLayout(self)
        self.boxes: dict[str, QCheckBox] = {}
        for name, text in LAYERS.items():
            check = QCheckBox(text)
            check.setObjectName(f"layer.{name}")
            check.setToolTip(LAYER_HELP[name])
            check.toggled.connect(lambda on, n=name: model.set_layer(n, on))
            layout.addWidget(check)
            self.boxes[name] = check
        self.show_layers(model.layers)
        model.layers_changed.connect(self.show_layers)

    def show_layers(self, layers: set[str]) -> None:
        for name, check in self.boxes.items():
            check.blockSignals(True)
            check.setChecked(name in layers)
            check.blockSignals(False)
