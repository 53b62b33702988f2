"""Your own data: brush strokes on the data view become a point cloud to train on.

While drawing is on, the left button paints points around the cursor (a soft round brush),
the right button or Shift + left erases those within the brush, and the view stops panning.
Finishing hands the points to the window, which trains on them at once as a `points` target
held inline in the config, so they are saved with the scene and with sessions and exports.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QPointF, Qt, Signal
from PySide6.QtGui import QMouseEvent

from app import colours
from models.config import MAX_INLINE_POINTS

BRUSH_SHARE = 0.03  # the brush's radius, as a share of the view's width
POINTS_PER_MOVE = 6  # painted per mouse move: a slow stroke is dense, a fast one sparse
MIN_POINTS = 20  # fewer cannot be clustered into modes or trained on sensibly


class DataDrawer(QObject):
    """Brush strokes on a SampleView. `finished(points)` when drawing ends with enough
    points; `refused(message)` when it ends with too few, or once when the drawing reaches
    MAX_INLINE_POINTS (it holds exactly that many at most: a drawing past it was discarded)."""

    finished = Signal(object)
    refused = Signal(str)

    def __init__(self, view: pg.PlotWidget) -> None:
        super().__init__(view)
        self.view = view
        self.points = np.zeros((0, 2), dtype=np.float32)
        self.drawing = False
        self._button: Qt.MouseButton | None = None
        self._rng = np.random.default_rng(0)  # the same strokes give the same cloud
        self._said_full = False  # the cap was reported for this stroke
        self.preview = pg.ScatterPlotItem(
            size=7, pen=pg.mkPen(colours.REAL, width=1), brush=colours.brush(colours.REAL, 120)
        )
        self.preview.setZValue(20)
        self.preview.hide()
        view.getPlotItem().addItem(self.preview)

    def start(self, points: np.ndarray | None = None) -> None:
        """Drawing on: start from `points` (the current data, to edit it) or from nothing."""
        self.points = np.zeros((0, 2), np.float32) if points is None else points.astype(np.float32)
        self.points = self.points[:MAX_INLINE_POINTS]  # never more than a scene can keep
        self._said_full = False
        self.drawing = True
        self.view.getPlotItem().vb.setMouseEnabled(x=False, y=False)
        self.view.viewport().installEventFilter(self)
        self.view.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.preview.show()
        self._refresh()

    def clear(self) -> None:
        self.points = np.zeros((0, 2), dtype=np.float32)
        self._refresh()

    def finish(self) -> None:
        """Drawing off: hand the points over (or say why not) and give the view back."""
        if not self.drawing:
            return
        self.cancel()
        if len(self.points) < MIN_POINTS:
            self.refused.emit(
                f"Draw at least {MIN_POINTS} points to train on (drawn: {len(self.points)}); "
                "the data is unchanged."
            )
            return
        self.finished.emit(self.points.copy())

    def cancel(self) -> None:
        """Drawing off without using it."""
        self.drawing = False
        self._button = None
        self.view.viewport().removeEventFilter(self)
        self.view.viewport().unsetCursor()
        self.view.getPlotItem().vb.setMouseEnabled(x=True, y=True)
        self.preview.hide()

    # ------------------------------------------------------------------ strokes
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if not isinstance(event, QMouseEvent):
            return False
        if kind == QEvent.Type.MouseButtonPress:
            self._button = event.button()
            self._stroke(event)
            return True
        if kind == QEvent.Type.MouseMove and self._button is not None:
            self._stroke(event)
            return True
        if kind == QEvent.Type.MouseButtonRelease:
            self._button = None
            return True
        return False

    def _stroke(self, event: QMouseEvent) -> None:
        erase = self._button == Qt.MouseButton.RightButton or bool(
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        )
        self.brush_at(self._to_data(event.position()), erase)

    def brush_at(self, centre: tuple[float, float], erase: bool = False) -> None:
        """Paint (or erase) one dab of the brush at a point in data coordinates."""
        radius = self._radius()
        if erase:
            keep = np.hypot(*(self.points - np.asarray(centre, np.float32)).T) > radius
            self.points = self.points[keep]
        else:
            room = MAX_INLINE_POINTS - len(self.points)
            if room < POINTS_PER_MOVE and not self._said_full:
                self._said_full = True
                self.refused.emit(
                    f"The drawing holds {MAX_INLINE_POINTS:,} points, the most a scene keeps "
                    "inline: erase some to paint more."
                )
            if room > 0:
                dab = self._rng.normal(centre, radius / 2, size=(POINTS_PER_MOVE, 2))[:room]
                self.points = np.concatenate([self.points, dab.astype(np.float32)])
        if len(self.points) < MAX_INLINE_POINTS - POINTS_PER_MOVE:
            self._said_full = False
        self._refresh()

    def _radius(self) -> float:
        (xmin, xmax), _ = self.view.getPlotItem().vb.viewRange()
        return BRUSH_SHARE * (xmax - xmin)

    def _to_data(self, position: QPointF) -> tuple[float, float]:
        scene_point = self.view.mapToScene(position.toPoint())
        data = self.view.getPlotItem().vb.mapSceneToView(scene_point)
        return float(data.x()), float(data.y())

    def _refresh(self) -> None:
        self.preview.setData(pos=self.points)
