"""Compare mode: 2 to 8 variants of a scene side by side, trained at the same time.

Each variant has its own small data view (samples, surface, arrows) under a label saying
what differs ("R1 gamma = 1"); one set of charts overlays every variant's metrics, a colour
per variant (the line style tells a chart's series apart). The window, its controls and
exports all act on every variant; what a variant is comes from app/variants.py.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QWidget,
)

from app import colours
from app.views.charts import CHARTS, ChartsView
from app.views.sample_view import SampleView
from app.views.stage import READABLE_CHART
from app.views.wrapping_label import wrap_within_width
from models.history import MetricHistory
from models.snapshot import Snapshot

SERIES_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine)
SHARED_SERIES = ("modes_total", "w1_floor")  # properties of the data, not of a variant


class CompareCharts(ChartsView):
    """The charts with one curve per variant and series: colour = variant, style = series."""

    def __init__(self, interactive: bool = True) -> None:
        super().__init__(interactive=interactive)
        self.histories: list[MetricHistory] = [self.history]
        self.variant_curves: dict[tuple[int, str], tuple[pg.PlotItem, pg.PlotDataItem]] = {}
        for curve in self.curves.values():
            curve.setVisible(False)
        self._markers_of: list[int] = []

    def set_variants(self, histories: Sequence[MetricHistory]) -> None:
        for plot, item in self.variant_curves.values():
            plot.removeItem(item)
        self.variant_curves.clear()
        self.histories = list(histories)
        self.history = self.histories[0] if self.histories else MetricHistory()
        width = 3 if self.presenter else 2
        for chart in CHARTS:
            plot = self.plots[chart.key]
            for style, series in zip(SERIES_STYLES, chart.series, strict=False):
                shared = series.key in SHARED_SERIES  # the same for every variant: drawn once
                for variant in range(1 if shared else len(self.histories)):
                    colour = colours.NEUTRAL if shared else colours.VARIANTS[variant]
                    pen = pg.mkPen(colour, width=width, style=style)
                    curve = plot.plot([], [], pen=pen)
                    self.variant_curves[(variant, series.key)] = (plot, curve)
        self._titles()
        self.refresh()

    def _titles(self) -> None:
        """The series' line styles, in grey: here colour means the variant."""
        size = 15 if self.presenter else 9
        marks = ("━", "┅", "┈")
        for chart in CHARTS:
            keys = "&nbsp; ".join(
                f"{mark}&nbsp;{series.label}"
                for mark, series in zip(marks, chart.series, strict=False)
            )
            self.plots[chart.key].setTitle(
                f"<span style='font-size:{size}pt'><b>{chart.title.replace(' ', '&nbsp;')}</b>"
                "&nbsp; "
                f"<span style='color:{colours.NEUTRAL}'>{keys}</span></span>"
            )
            wrap_within_width(self.plots[chart.key].titleLabel, self.plots[chart.key])

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        if "variant_curves" not in self.__dict__:
            return  # (Qt resizes it once inside ChartsView.__init__)
        width, height = self.width(), self.height()
        columns = 2 if width >= 600 else 1  # two charts with their axes need ~300 px each
        fits = height / -(-self.count(compact=False) // columns) >= READABLE_CHART[1]
        self.set_columns(columns if fits else 1)
        self.set_compact(self.presenter or not fits)

    def add_variant_metrics(self, variant: int, metrics: dict[str, float]) -> bool:
        if variant >= len(self.histories):
            return False
        return self.histories[variant].append(metrics)

    def refresh(self) -> None:
        super().refresh()
        for (variant, key), (_, curve) in self.variant_curves.items():
            history = self.histories[variant]
            curve.setData(
                history.column("step"), self._values(history.column(key), key), connect="finite"
            )


class CompareGrid(QWidget):
    """Every variant's data view under its label, each a square, in the grid of rows and
    columns that makes the squares largest."""

    def __init__(self) -> None:
        super().__init__()
        self.views: list[SampleView] = []
        self.labels: list[QLabel] = []
        self.presenter = False
        self.layers: set[str] | None = None  # None: each view's own defaults

    def set_variants(self, labels: Sequence[str]) -> None:
        old: list[QWidget] = [*self.views, *self.labels]
        for widget in old:
            widget.setParent(None)
            widget.deleteLater()
        self.views, self.labels = [], []
        for index, text in enumerate(labels):
            colour = colours.VARIANTS[index]
            caption = QLabel(f"<b style='color:{colour}'>■</b> {html.escape(text)}", self)
            caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
            view = SampleView()
            view.setParent(self)
            view.getPlotItem().hideAxis("left")
            view.getPlotItem().hideAxis("bottom")
            view.colorbar_wanted = False  # one scale for all: the squares stay square
            view.colorbar.hide()
            view.set_presenter(self.presenter)
            self._show_layers(view)
            for widget in (caption, view):
                widget.show()
            self.views.append(view)
            self.labels.append(caption)
        self._arrange()

    def set_layers(self, layers: set[str]) -> None:
        """Which layers every view draws (an export's chosen panels)."""
        self.layers = set(layers)
        for view in self.views:
            self._show_layers(view)

    def _show_layers(self, view: SampleView) -> None:
        if self.layers is not None:
            view.set_layers(self.layers)

    def resizeEvent(self, event: object) -> None:
        self._arrange()

    def _arrange(self) -> None:
        count = len(self.views)
        if not count:
            return
        label_h = self.labels[0].sizeHint().height()
        width, height = self.width(), self.height()
        best = (0.0, 1)
        for columns in range(1, count + 1):
            rows = math.ceil(count / columns)
            side = min(width / columns, height / rows - label_h) - 4
            best = max(best, (side, columns))
        side, columns = int(max(best[0], 40)), best[1]
        rows = math.ceil(count / columns)
        # centred: what the squares leave over is shared out on both sides, not left in one
        # strip on the right or at the bottom
        x0 = max((width - columns * (side + 4) + 4) // 2, 0)
        y0 = max((height - rows * (side + label_h + 4) + 4) // 2, 0)
        for index, (view, caption) in enumerate(zip(self.views, self.labels, strict=True)):
            row, col = divmod(index, columns)
            left, top = x0 + col * (side + 4), y0 + row * (side + label_h + 4)
            caption.setGeometry(left, top, side, label_h)
            view.setGeometry(left, top + label_h, side, side)

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        for view in self.views:
            view.set_presenter(on)
        size = 16 if on else 10
        for caption in self.labels:
            caption.setStyleSheet(f"font-size: {size}pt;")
        self._arrange()

    def show_snapshot(self, variant: int, snap: Snapshot) -> None:
        if 0 <= variant < len(self.views):
            self.views[variant].show_snapshot(snap)

    def restart(self) -> None:
        for view in self.views:
            view.restart()


def variant_legend(labels: Sequence[str]) -> str:
    """'■ as is   ■ R1 gamma = 1': the variants' colours, for the charts' caption."""
    return "&nbsp;&nbsp;&nbsp;".join(
        # a label never breaks inside ("Seed =" at a line's end, "4" on the next)
        f"<span style='color:{colours.VARIANTS[i]}'>━</span>&nbsp;"
        f"{html.escape(text).replace(' ', '&nbsp;')}"
        for i, text in enumerate(labels)
    )
