"""Qt helpers for exports: an offscreen application for headless runs (created only when
frames are drawn: a CSV export never imports Qt), and QImage -> numpy pixels."""

from __future__ import annotations

import os
import sys

import numpy as np
from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QMessageLogContext,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget


def ensure_application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, no display needed
        qInstallMessageHandler(_quiet_offscreen)
        app = QApplication(["ganscope-export"])
    return app  # type: ignore[return-value]


def _quiet_offscreen(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """The offscreen platform warns that it cannot propagate size hints, which is harmless
    for rendering; every other Qt message still reaches stderr."""
    if "propagateSizeHints" not in message:
        sys.stderr.write(message + "\n")


def image_to_rgb(image: QImage) -> np.ndarray:
    """An (H, W, 3) uint8 copy of the image's pixels (rows may be padded in a QImage)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=stride * height)
    return data.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def release(widget: QWidget) -> None:
    """Delete a widget now, while the application exists: left to interpreter shutdown, Python
    may free the QApplication first and Qt then crashes on exit (seen as exit code 139)."""
    widget.close()
    widget.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
