"""Chart labels that wrap: pyqtgraph's LabelItem asks its grid for its text's whole width,
so a long title or hover reading widens the grid past its widget (issue 20.3)."""

from __future__ import annotations

import types

import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextOption


def wrap_within_width(label: pg.LabelItem, plot: pg.PlotItem | None = None) -> None:
    """Make a chart's label (a title, the hover readout) wrap within the width the grid gives
    it. A LabelItem asks its grid for its text's whole width on every change: a hover
    reading, or a title at presenter fonts, once widened the grid past its widget and cut
    every chart's right end off. A plot's title (`plot` given) gets its row as high as its
    lines: pyqtgraph fixes the title row at 30 px."""
    label.updateMin = types.MethodType(lambda self: _wrapping_min(self, plot), label)
    label.updateMin()


def _wrapping_min(self: pg.LabelItem, plot: pg.PlotItem | None) -> None:
    """LabelItem.updateMin, asking for no width and for the height of the wrapped lines."""
    width = max(self.size().width(), 120.0)
    if self.item.textWidth() != width:
        option = self.item.document().defaultTextOption()
        option.setWrapMode(QTextOption.WrapMode.WordWrap)  # at spaces only, never mid-word
        self.item.document().setDefaultTextOption(option)
        self.item.setTextWidth(width)
    height = self.itemRect().height()
    layout = plot.layout if plot is not None and shiboken6.isValid(plot) else None
    if layout is not None and shiboken6.isValid(layout) and layout.rowMaximumHeight(0) != height:
        self.setMaximumHeight(height)
        layout.setRowFixedHeight(0, height)
    self.setMinimumWidth(0)
    self.setMinimumHeight(height)
    self._sizeHint = {
        Qt.SizeHint.MinimumSize: (0, height),
        Qt.SizeHint.PreferredSize: (0, height),
        Qt.SizeHint.MaximumSize: (-1, -1),
        Qt.SizeHint.MinimumDescent: (0, 0),
    }
    self.updateGeometry()
