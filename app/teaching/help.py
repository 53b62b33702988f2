"""The help overlay: every keyboard shortcut, over the plots, until a key or click."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

SHORTCUTS = (
    ("Space", "play / pause"),
    ("S", "one training iteration"),
    ("R", "reset to step 0 (after a failure: start training again)"),
    ("D / G / I", "slow motion: show one D update / one G update / one iteration"),
    ("M", "slow-motion play, update by update"),
    ("B", "draw your own data on the plot (again to train on it)"),
    ("O", "show / hide the model overview"),
    ("1 – 9", "open scene 1 – 9 of the list"),
    ("P", "presenter mode: the data view large, three charts, big text"),
    ("F11", "full screen"),
    ("Ctrl+O / Ctrl+S", "open / save a scene file"),
    ("Ctrl+D", "train on points from a CSV file (or drop one on the window)"),
    ("Ctrl+Shift+O / Ctrl+Shift+S", "open / save a whole session (weights, history)"),
    ("Ctrl+E", "export an animation, a still or the metrics"),
    ("Ctrl+R", "record what the window shows (again to stop)"),
    ("F1 or ?", "this help; Esc or a click closes it"),
    ("Mouse", "wheel zooms, drag pans the data view; hover a chart to read every value"),
)


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("HelpOverlay { background: rgba(20, 20, 20, 200); }")
        rows = "".join(
            f"<tr><td style='padding:6px 24px 6px 0'><b>{key}</b></td><td>{what}</td></tr>"
            for key, what in SHORTCUTS
        )
        label = QLabel(f"<h2>Keyboard shortcuts</h2><table>{rows}</table>")
        label.setStyleSheet("color: white; font-size: 15pt;")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.addWidget(label, alignment=Qt.AlignmentFlag.AlignCenter)
        parent.installEventFilter(self)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self.setGeometry(self.parentWidget().rect())
            self.raise_()
            self.show()

    def mousePressEvent(self, event: object) -> None:
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.parentWidget().rect())
        return False
