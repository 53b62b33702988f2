"""The guided tour: on first start (and from Help), each view and control in turn, lit up
against a dimmed window, with what it is for in plain words. Next / Back / Skip, or the arrow
keys, Enter and Esc. Nothing trains or changes while it runs; it only points.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

BUBBLE_WIDTH = 380
MARGIN = 6


@dataclass(frozen=True)
class Stop:
    """One stop of the tour: what to light up (found when the stop is shown, since docks
    and views move) and what to say about it."""

    name: str
    target: Callable[[], QWidget | None]
    title: str
    text: str
    before: Callable[[], None] | None = None  # e.g. raise a dock's tab


class Tour(QWidget):
    """The overlay. `visited(name)` as each stop is shown; `ended(completed)` at the end."""

    visited = Signal(str)
    ended = Signal(bool)

    def __init__(self, window: QWidget, stops: list[Stop]) -> None:
        super().__init__(window)
        self.window_ = window
        self.stops = stops
        self.index = 0
        self._hole = QRect()
        self.bubble = QWidget(self)
        self.bubble.setObjectName("bubble")
        self.bubble.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.bubble.setStyleSheet(
            "#bubble { background: white; border: 2px solid #222222; border-radius: 6px; }"
        )
        column = QVBoxLayout(self.bubble)
        self.heading = QLabel()
        self.heading.setStyleSheet("font-weight: bold;")
        self.body = QLabel()
        self.body.setWordWrap(True)
        self.counter = QLabel()
        self.back_button = QPushButton("Back")
        self.next_button = QPushButton("Next")
        self.skip_button = QPushButton("Skip tour")
        for button in (self.back_button, self.next_button, self.skip_button):
            # the tour keeps the keyboard: a clicked button took the focus, and the arrow
            # keys went nowhere after it
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.back_button.clicked.connect(self.back)
        self.next_button.clicked.connect(self.next)
        self.skip_button.clicked.connect(lambda: self.finish(False))
        buttons = QHBoxLayout()
        buttons.addWidget(self.counter)
        buttons.addStretch(1)
        for button in (self.skip_button, self.back_button, self.next_button):
            buttons.addWidget(button)
        column.addWidget(self.heading)
        column.addWidget(self.body)
        column.addLayout(buttons)
        self.bubble.setFixedWidth(BUBBLE_WIDTH)
        window.installEventFilter(self)
        self.hide()

    # ------------------------------------------------------------------ moving on
    def start(self) -> None:
        self.index = 0
        self.setGeometry(self.window_.rect())
        self.show()
        self.raise_()
        self.setFocus()
        self._show_stop()

    def next(self) -> None:
        if self.index + 1 >= len(self.stops):
            self.finish(True)
            return
        self.index += 1
        self._show_stop()

    def back(self) -> None:
        if self.index > 0:
            self.index -= 1
            self._show_stop()

    def finish(self, completed: bool) -> None:
        self.hide()
        self.ended.emit(completed)

    def _show_stop(self) -> None:
        self.setFocus()
        stop = self.stops[self.index]
        if stop.before is not None:
            stop.before()
            self.raise_()  # (raising a dock's tab raises the dock over the overlay)
        target = stop.target()
        if target is not None and target.isVisible():
            corner = target.mapTo(self.window_, QPoint(0, 0))
            self._hole = QRect(corner, target.size()).adjusted(-MARGIN, -MARGIN, MARGIN, MARGIN)
        else:
            self._hole = QRect()
        self.heading.setText(stop.title)
        self.body.setText(stop.text)
        self.counter.setText(f"{self.index + 1} of {len(self.stops)}")
        self.back_button.setEnabled(self.index > 0)
        self.next_button.setText("Done" if self.index + 1 == len(self.stops) else "Next")
        self.bubble.adjustSize()
        self._place_bubble()
        self.update()
        self.visited.emit(stop.name)

    def _place_bubble(self) -> None:
        """Beside the lit area where there is room (right, left, below, above), else centred."""
        size, area, hole = self.bubble.size(), self.rect(), self._hole
        if hole.isNull():
            self.bubble.move(area.center() - QPoint(size.width() // 2, size.height() // 2))
            return
        y = min(max(hole.top(), 0), area.height() - size.height())
        x = min(max(hole.left(), 0), area.width() - size.width())
        if hole.right() + size.width() + 12 < area.width():
            spot = QPoint(hole.right() + 12, y)
        elif hole.left() - size.width() - 12 > 0:
            spot = QPoint(hole.left() - size.width() - 12, y)
        elif hole.bottom() + size.height() + 12 < area.height():
            spot = QPoint(x, hole.bottom() + 12)
        elif hole.top() - size.height() - 12 > 0:
            spot = QPoint(x, hole.top() - size.height() - 12)
        else:
            spot = area.center() - QPoint(size.width() // 2, size.height() // 2)
        self.bubble.move(spot)

    # ------------------------------------------------------------------ drawing and keys
    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        shade = QPainterPath()
        shade.addRect(QRectF(self.rect()))
        if not self._hole.isNull():
            hole = QPainterPath()
            hole.addRoundedRect(QRectF(self._hole), 8, 8)
            shade = shade.subtracted(hole)
        painter.fillPath(shade, QColor(20, 20, 20, 150))
        if not self._hole.isNull():
            painter.setPen(QPen(QColor("#E69F00"), 3))
            painter.drawRoundedRect(QRectF(self._hole), 8, 8)
        painter.end()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.next()
        elif key == Qt.Key.Key_Left:
            self.back()
        elif key == Qt.Key.Key_Escape:
            self.finish(False)

    def mousePressEvent(self, event: object) -> None:
        """A click outside the bubble goes nowhere: the window under it waits for the tour."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize and self.isVisible():
            self.setGeometry(self.window_.rect())
            self._show_stop()
        return False
