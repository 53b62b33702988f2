"""The stage: the data view as a square as large as fits, its key beneath, and the charts
beside or below it, whichever leaves the square larger. The square is what the D surface
and the arrows are computed on, so nothing shown lies outside them (a wide, aspect-locked
view once showed -4..4 around a -2.6..2.6 surface). In presenter mode and whenever the
charts would be too small to read, they reduce to the three that matter for the scene.
The window and exported frames both lay out their panels here.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QWidget

from app.views.charts import COMPACT, ChartsView

MIN_CHART_WIDTH = 300  # beside the square
# presenter mode: the data view first. 360 px still reads three stacked charts at presenter
# fonts (their titles wrap no word) now that the controls dock is 250 px, not 310
PRESENTER_MIN_CHART_WIDTH = 360
MAX_SQUARE_SHARE = 0.6  # of the width, beside the charts: they need room to be read too
PRESENTER_MAX_SQUARE_SHARE = 0.7
MIN_CHART_HEIGHT = 200  # below it
READABLE_CHART = (240, 150)  # width, height below which a chart is too small to read
PRESENTER_CHART_WIDTH = 360  # presenter fonts: two columns of 300 px cut the titles mid-word
# presenter fonts: title and step axis take ~100 px of a chart; three in 417 px (the
# diagram shown at 1280x720) left 40 px plots with their ticks on top of each other
PRESENTER_CHART_HEIGHT = 180
KEY_MAX_SHARE = 0.3  # of the height: a key that would take more goes under the charts
# presenter mode: the data view dominates (at 1280x720 a kept key left it 280 px of 600)
PRESENTER_KEY_MAX_SHARE = 0.2
EXTRA_SHARE = 0.28  # the strip under the square (the Dirac-GAN's line), of its side
PRESENTER_EXTRA_SHARE = 0.36  # at presenter fonts its axes take half of 0.28
GAP = 6


class Stage(QWidget):
    def __init__(
        self,
        main: pg.PlotWidget | None,
        key: QWidget | None,
        charts: ChartsView | None,
        extra: QWidget | None = None,
    ) -> None:
        """main: the square view; extra: a strip under it (the Dirac-GAN's line); both can
        be swapped with `set_views`; key: the text under the view. An export may leave out
        the view (charts only) or the charts (the view alone)."""
        super().__init__()
        self.charts = charts
        self.key = key
        self.main: pg.PlotWidget | None = None
        self.extra: QWidget | None = None
        self.presenter = False
        self.side_by_side = True
        self._settler = QTimer(self)  # owned: it dies with the stage (an export's is short-lived)
        self._settler.setSingleShot(True)
        self._settler.setInterval(0)
        self._settler.timeout.connect(self.relayout)
        for widget in (charts, key):
            if widget is not None:
                widget.setParent(self)
        self.set_views(main, extra)

    def set_views(self, main: pg.PlotWidget | None, extra: QWidget | None) -> None:
        """Which view takes the square (the sample view, or the phase portrait)."""
        for widget in (self.main, self.extra):
            if widget is not None and widget not in (main, extra):
                widget.hide()
        self.main, self.extra = main, extra
        for widget in (main, extra):
            if widget is not None:
                widget.setParent(self)
                widget.show()
        self.relayout()

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        self.relayout()

    def resizeEvent(self, event: object) -> None:
        self.relayout()

    # ------------------------------------------------------------------ layout
    def relayout(self) -> None:
        width, height = self.width(), self.height()
        if width < 50 or height < 50:
            return
        if self.main is None or self.charts is None:
            self._one_panel(width, height)
            return
        share = self._extra_share()
        if self.key is not None:
            self.key.setVisible(True)
        side, key_width, key_h = self._square_and_key(width, height, share)
        limit = PRESENTER_KEY_MAX_SHARE if self.presenter else KEY_MAX_SHARE
        under_charts = False
        if self.key is not None and key_h > limit * height:
            # a narrow square wraps the key into a tall column, which shrank the square
            # further (at 1280x720 with the diagram shown, the view ended a 125 px
            # thumbnail): the view first. The key moves under the charts, where it is wide
            # and short; in presenter mode it is left out (the lecturer's words replace it)
            self.key.setVisible(False)
            side, key_width, key_h = self._square_and_key(width, height, share)
            under_charts = self.side_by_side and not self.presenter
        left = 0 if self.side_by_side else (width - side) // 2
        over_w, over_h = self._overhead()
        view_h = int(side - over_w + over_h)
        bottom = self._place_view(QRect(left, 0, side, view_h), key_width, key_h, share)
        if self.side_by_side:
            chart_rect = QRect(side + GAP, 0, width - side - GAP, height)
        else:
            chart_rect = QRect(0, bottom + GAP, width, height - bottom - GAP)
        if under_charts and self.key is not None:
            below = self.key.heightForWidth(chart_rect.width())
            if below <= limit * height:
                self.key.setVisible(True)
                self.key.setGeometry(chart_rect.left(), height - below, chart_rect.width(), below)
                chart_rect.setHeight(height - below - GAP)
        self.charts.setGeometry(chart_rect)
        self._fit_charts(chart_rect.width(), chart_rect.height())

    def _square_and_key(self, width: int, height: int, share: float) -> tuple[int, int, int]:
        """The view's width (its plotting square plus what its axes and colour bar take), the
        key's width and height, and whether they sit beside the charts (self.side_by_side),
        for the key as it is shown now. The square is sized inside the axes: sized as the
        widget, the colour bar's 140 px at presenter fonts came off the square's height too
        (a 270 px square and a 95 px empty band under it at 1280x720 with the diagram)."""
        key_h = key_width = 0
        side = 120
        over_w, over_h = self._overhead()
        charts = PRESENTER_MIN_CHART_WIDTH if self.presenter else MIN_CHART_WIDTH
        for _ in range(3):  # the key's height depends on the square's width, and back
            beside = over_w + min(
                (height - key_h - GAP - over_h) / (1 + share),
                width - charts - GAP - over_w,
                width * (PRESENTER_MAX_SQUARE_SHARE if self.presenter else MAX_SQUARE_SHARE)
                - over_w,
            )
            above = over_w + min(
                width - over_w,
                (height - key_h - MIN_CHART_HEIGHT - 2 * GAP - over_h) / (1 + share),
            )
            self.side_by_side = beside >= 0.9 * above  # beside keeps every chart readable
            side = int(max(beside if self.side_by_side else above, 120))
            key_width = side if self.side_by_side else width
            key_h = self._key_height(key_width)
        return side, key_width, key_h

    def _extra_share(self) -> float:
        if self.extra is None:
            return 0.0
        return PRESENTER_EXTRA_SHARE if self.presenter else EXTRA_SHARE

    def _overhead(self) -> tuple[float, float]:
        """What the view's axes, title and colour bar take beside and above its plotting
        square (measured; a first guess before it has been laid out)."""
        main = self.main
        assert main is not None
        rect = main.getPlotItem().vb.sceneBoundingRect()
        over_w = max(main.width() - rect.width(), 0) if rect.width() > 10 else 90
        over_h = max(main.height() - rect.height(), 0) if rect.height() > 10 else 50
        return over_w, over_h

    def _one_panel(self, width: int, height: int) -> None:
        """Only the view (as large a square as fits, the key under it) or only the charts."""
        if self.charts is not None:
            self.charts.setGeometry(0, 0, width, height)
            self._fit_charts(width, height)
            return
        if self.main is None:
            return
        share = self._extra_share()
        self._show_key_if_it_fits(width)
        key_h = self._key_height(width)
        side = int(max(min(width, (height - key_h - GAP) / (1 + share)), 60))
        self._place_view(QRect((width - side) // 2, 0, side, side), width, key_h, share)

    def _place_view(self, square: QRect, key_width: int, key_h: int, share: float) -> int:
        """The view in `square`, the strip and the key right under it; returns the bottom."""
        placed = self._place_square(square)
        bottom = placed.bottom() + 1
        if self.extra is not None:
            extra_h = int(square.width() * share)
            self.extra.setGeometry(square.left(), bottom + GAP // 2, square.width(), extra_h)
            bottom += extra_h + GAP // 2
        if self.key is not None:
            key_left = square.left() if key_width == square.width() else 0
            self.key.setGeometry(key_left, bottom + GAP, key_width, key_h)
            bottom += GAP + key_h
        return bottom

    def _key_height(self, width: int) -> int:
        if self.key is None or self.key.isHidden():
            return 0
        return max(self.key.heightForWidth(width), 0)

    def _show_key_if_it_fits(self, width: int) -> None:
        """The key under a view this wide, unless it would take more than its share of
        the height (see `relayout`)."""
        if self.key is not None:
            share = PRESENTER_KEY_MAX_SHARE if self.presenter else KEY_MAX_SHARE
            fits = self.key.heightForWidth(width) <= share * self.height()
            self.key.setVisible(fits)

    def _place_square(self, square: QRect) -> QRect:
        """Size the view so that its plotting area (inside axes, title and colour bar) is
        the square: measure what the axes take, and give the widget that much more."""
        main = self.main
        assert main is not None
        over_w, over_h = self._overhead()
        side = max(min(square.width() - over_w, square.height() - over_h), 60)
        geometry = QRect(square.left(), square.top(), int(side + over_w), int(side + over_h))
        geometry.moveLeft(square.left() + (square.width() - geometry.width()) // 2)
        if main.geometry() != geometry:
            main.setGeometry(geometry)
            self._settler.start()  # the axes' size settles after a layout pass: measure again
        return geometry

    def settle_now(self) -> None:
        """Lay out until the view's axes stop changing size (an export has no event loop
        running between frames, so it asks for this before painting)."""
        for _ in range(3):
            self.relayout()

    def _fit_charts(self, width: int, height: int) -> None:
        """All the scene's charts when they are readable at this size, else the three that
        matter most; two columns where there is width for them."""
        assert self.charts is not None
        full = self.charts.count(compact=False)
        columns = 2 if width >= 2 * READABLE_CHART[0] else 1
        fits = height / -(-full // columns) >= READABLE_CHART[1]
        compact = self.presenter or not fits
        limit = COMPACT
        if compact:
            stacked = height >= 3 * READABLE_CHART[1]
            readable = PRESENTER_CHART_WIDTH if self.presenter else READABLE_CHART[0]
            columns = 1 if stacked else max(min(3, width // readable), 1)
            if self.presenter and columns == 1:
                limit = max(min(COMPACT, height // PRESENTER_CHART_HEIGHT), 1)
        self.charts.set_columns(columns)
        self.charts.set_compact(compact, limit)
