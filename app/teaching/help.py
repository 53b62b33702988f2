"""The help sheet (F1): every keyboard shortcut, over the plots, until a key or a click. Its
rows come from the window's command table, so it lists exactly the keys that work; it picks
the largest text that fits the window (at 1280x720 in presenter mode the 15 pt sheet once
ran off the right and bottom edges)."""

from __future__ import annotations

import html
from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

SIZES_PT = (15, 13, 12, 11, 10, 9, 8)
MARGIN = 24


class HelpOverlay(QWidget):
    def __init__(self, parent: QWidget, rows: Sequence[tuple[str, str]]) -> None:
        """rows: (keys, what they do), in plain words."""
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("HelpOverlay { background: rgba(20, 20, 20, 200); }")
        cells = "".join(
            f"<tr><td style='padding:4px 24px 4px 0'><b>{html.escape(keys)}</b></td>"
            f"<td>{html.escape(what)}</td></tr>"
            for keys, what in rows
        )
        self.label = QLabel(f"<h2>Keyboard shortcuts</h2><table>{cells}</table>")
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(MARGIN, MARGIN, MARGIN, MARGIN)
        layout.addWidget(self.label, alignment=Qt.AlignmentFlag.AlignCenter)
        parent.installEventFilter(self)
        self.hide()

    def toggle(self) -> None:
        if self.isVisible():
            self.hide()
        else:
            self._fill_parent()
            self.raise_()
            self.show()

    def _fill_parent(self) -> None:
        parent = self.parentWidget()
        assert parent is not None  # (made with one)
        self.setGeometry(parent.rect())
        room_w, room_h = parent.width() - 2 * MARGIN, parent.height() - 2 * MARGIN
        for size in SIZES_PT:
            self.label.setStyleSheet(f"color: white; font-size: {size}pt;")
            self.label.setMaximumWidth(max(room_w, 100))
            width = min(self.label.sizeHint().width(), room_w)
            if self.label.heightForWidth(width) <= room_h:
                break
        self.label.setFixedWidth(min(self.label.sizeHint().width(), max(room_w, 100)))

    def mousePressEvent(self, event: object) -> None:
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self._fill_parent()
        return False
