"""The status bar: the model's status line (plain text, red for errors) and the step, the
training speed, the frames drawn per second and the device, at the right."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow

from app import colours
from app.model import Status, WindowModel


class StatusBar:
    def __init__(self, window: QMainWindow, model: WindowModel, record_label: QLabel) -> None:
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # file names and scene titles
        self.step = QLabel("step 0")
        self.rate = QLabel("paused")
        self.fps = QLabel("0 fps")
        self.device = QLabel()
        bar = window.statusBar()
        bar.addWidget(self.message, 1)
        bar.addPermanentWidget(record_label)
        for label in (self.step, self.rate, self.fps, self.device):
            bar.addPermanentWidget(label)
        self.show_status(model.status)
        model.status_changed.connect(self.show_status)

    def show_status(self, status: Status) -> None:
        self.message.setStyleSheet(f"color: {colours.ERROR};" if status.error else "")
        self.message.setText(status.text)
