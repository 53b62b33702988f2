"""Qt for headless exports: an offscreen application, created once, only when frames are
drawn (a CSV export never imports Qt)."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QApplication


def ensure_application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"  # no window, no display needed
        app = QApplication(["ganscope-export"])
    return app  # type: ignore[return-value]
