"""Metric charts over training steps, with hover readout and markers for every change."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt

from app.views import LEGEND_BRUSH, cache_static_items, style_axes
from models.history import COLUMNS, Marker, MetricHistory

BLUE, ORANGE, GREEN, RED, PURPLE = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd"


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str


@dataclass(frozen=True)
class Chart:
    title: str
    y_label: str
    series: tuple[Series, ...]
    log_y: bool = False


CHARTS = (
    Chart("Losses", "loss", (Series("d_loss", "D loss", BLUE), Series("g_loss", "G loss", ORANGE))),
    Chart(
        "D outputs",
        "mean D",
        (Series("d_real", "D(real)", GREEN), Series("d_fake", "D(fake)", RED)),
    ),
    Chart(
        "Gradient norms",
        "norm (log)",
        (Series("grad_norm_g", "|grad G|", ORANGE), Series("grad_norm_d", "|grad D|", BLUE)),
        log_y=True,
    ),
    Chart(
        "Modes covered",
        "modes",
        (Series("modes_covered", "covered", PURPLE), Series("modes_total", "all modes", "#999999")),
    ),
    Chart("Sliced W1 to target", "W1", (Series("w1", "W1", BLUE),)),
    Chart("Dirac distance", "|(theta, psi)|", (Series("distance", "distance", BLUE),)),
    Chart(
        "D weights pinned at ±c",
        "fraction",
        (Series("d_weights_at_clip", "at ±c (1%)", RED),),
    ),
)
CHART_BY_TITLE = {chart.title: chart for chart in CHARTS}
MODES_CHART, DIRAC_CHART, CLIP_CHART = "Modes covered", "Dirac distance", "D weights pinned at ±c"


class SparseLogAxis(pg.AxisItem):
    """A log axis that labels 1, 2 and 5 of each decade: 0.3 0.4 0.6 … overlapped."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings = super().tickStrings(values, scale, spacing)
        if not self.logMode:
            return strings
        keep = []
        for value, text in zip(values, strings, strict=True):
            mantissa = round(10 ** (value - math.floor(value + 1e-9)), 3)
            keep.append(text if mantissa in (1.0, 2.0, 5.0) else "")
        return keep


class ChartsView(pg.GraphicsLayoutWidget):
    """The metric charts, x axes linked; hover shows every value at that step."""

    def __init__(self, columns: int = 3, interactive: bool = True) -> None:
        """columns: charts per row; interactive: hover readout under the charts (off for
        exported frames, where nobody can hover)."""
        super().__init__()
        self.history = MetricHistory()
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.faint: dict[str, pg.PlotDataItem] = {}  # abandoned branches, one item per series
        self.cursors: list[pg.InfiniteLine] = []
        self.markers: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._drawn_markers: tuple[Marker, ...] = ()
        first: pg.PlotItem | None = None
        # the Dirac chart takes the modes chart's cell when shown (set_dirac), so no cell of
        # the grid is ever left empty; the clipping chart fills the cell after the last chart
        # while the metrics say D's weights are clipped
        in_grid = [chart for chart in CHARTS if chart.title not in (DIRAC_CHART, CLIP_CHART)]
        self._swap_cell = divmod(in_grid.index(CHART_BY_TITLE[MODES_CHART]), columns)
        self._clip_cell = divmod(len(in_grid), columns)
        for chart in CHARTS:
            axes = {"left": SparseLogAxis(orientation="left")} if chart.log_y else None
            plot = pg.PlotItem(title=chart.title, axisItems=axes)
            if chart in in_grid:
                self.addItem(plot, *divmod(in_grid.index(chart), columns))
            plot.setLabel("bottom", "step")
            plot.setLabel("left", chart.y_label)
            plot.showGrid(x=True, y=True, alpha=0.2)
            for axis in ("bottom", "left"):
                plot.getAxis(axis).enableAutoSIPrefix(False)
            plot.addLegend(offset=(-4, 4), labelTextSize="8pt", brush=LEGEND_BRUSH)
            if chart.log_y:
                plot.setLogMode(y=True)
            if first is None:
                first = plot
            else:
                plot.setXLink(first)
            for series in chart.series:
                faint = pg.mkPen(series.colour, width=1, style=Qt.PenStyle.DashLine)
                self.faint[series.key] = plot.plot([], [], pen=faint, connect="finite")
                self.faint[series.key].setOpacity(0.35)
                pen = pg.mkPen(series.colour, width=2)
                self.curves[series.key] = plot.plot([], [], pen=pen, name=series.label)
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
            cursor.setVisible(False)
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
            self.plots[chart.title] = plot
        self.readout = pg.LabelItem(justify="left")
        if interactive:
            rows = -(-len(in_grid) // columns)
            self.addItem(self.readout, row=rows, col=0, colspan=columns)
            self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._hover)
        cache_static_items(self)
        self.plots[CLIP_CHART].setYRange(0, 1, padding=0.05)
        self.plots[CLIP_CHART].enableAutoRange(y=False)
        self.set_dirac(False)
        self._show_clip_chart(False)

    def set_presenter(self, on: bool) -> None:
        width = 4 if on else 2
        for chart in CHARTS:
            for series in chart.series:
                self.curves[series.key].setPen(pg.mkPen(series.colour, width=width))
        for plot in self.plots.values():
            style_axes(plot, on)
            plot.legend.setLabelTextSize("12pt" if on else "8pt")

    def set_dirac(self, dirac: bool) -> None:
        """Dirac scenes chart the distance to equilibrium where the others chart modes."""
        shown = self.plots[DIRAC_CHART if dirac else MODES_CHART]
        hidden = self.plots[MODES_CHART if dirac else DIRAC_CHART]
        layout = self.ci
        if hidden in layout.items:
            layout.removeItem(hidden)
        if shown not in layout.items:
            layout.addItem(shown, *self._swap_cell)
        hidden.setVisible(False)
        shown.setVisible(True)

    def _show_clip_chart(self, shown: bool) -> None:
        plot = self.plots[CLIP_CHART]
        if shown and plot not in self.ci.items:
            self.ci.addItem(plot, *self._clip_cell)
        elif not shown and plot in self.ci.items:
            self.ci.removeItem(plot)
        plot.setVisible(shown)

    def fix_step_range(self, last_step: int) -> None:
        """Fix the (linked) step axes at 0..last_step: curves grow left to right instead of
        the axes rescaling every frame (calmer to watch, and cheaper to draw)."""
        first = next(iter(self.plots.values()))
        first.setXRange(0, max(last_step, 1), padding=0.02)
        first.enableAutoRange(x=False)

    def set_history(self, history: MetricHistory) -> None:
        """Chart this history (a new run, a rewind or a restored session) from now on."""
        self.history = history
        self.refresh()

    def reset_history(self) -> None:
        """Forget all rows, markers and branches. (Not `clear`: pyqtgraph binds the layout's
        own clear, which would remove the plots, onto every GraphicsLayoutWidget.)"""
        self.set_history(MetricHistory())

    def add_metrics(self, metrics: Mapping[str, float]) -> bool:
        return self.history.append(metrics)

    def refresh(self) -> None:
        steps = self.history.column("step")
        for key, curve in self.curves.items():
            curve.setData(steps, self._values(self.history.column(key), key), connect="finite")
            faint_x, faint_y = self._abandoned(key)
            self.faint[key].setData(faint_x, faint_y, connect="finite")
        self._show_clip_chart(bool(np.isfinite(self.history.column("d_weights_at_clip")).any()))
        if tuple(self.history.markers) != self._drawn_markers:
            self._draw_markers()

    @staticmethod
    def _values(values: np.ndarray, key: str) -> np.ndarray:
        return np.maximum(values, 1e-12) if key.startswith("grad_norm") else values

    def _abandoned(self, key: str) -> tuple[np.ndarray, np.ndarray]:
        """Every abandoned branch of one series as a single NaN-separated polyline."""
        if not self.history.abandoned:
            return np.zeros(0), np.zeros(0)
        column = COLUMNS.index(key)
        gap = np.full((1, len(COLUMNS)), np.nan)
        rows = np.concatenate([part for branch in self.history.abandoned for part in (branch, gap)])
        return rows[:, 0], self._values(rows[:, column], key)

    def _draw_markers(self) -> None:
        """A labelled vertical line per edit or branch on every chart: cause and effect."""
        for plot, line in self.markers:
            plot.removeItem(line)
        self.markers.clear()
        for marker in self.history.markers:
            colour = "#d62728" if marker.kind == "edit" else "#555555"
            for plot in self.plots.values():
                line = pg.InfiniteLine(
                    pos=marker.step,
                    angle=90,
                    movable=False,
                    pen=pg.mkPen(colour, width=1.5),
                    label=marker.label,
                    labelOpts={"position": 0.9, "color": colour, "rotateAxis": (1, 0)},
                )
                plot.addItem(line, ignoreBounds=True)
                self.markers.append((plot, line))
        self._drawn_markers = tuple(self.history.markers)

    def add_marker(self, marker: Marker) -> None:
        """An edit's marker from the training process (a continuing drag replaces its own)."""
        self.history.put_marker(marker)
        self._draw_markers()

    def _hover(self, event: tuple[QPointF]) -> None:
        position = event[0]
        for plot in self.plots.values():
            if plot.isVisible() and plot.sceneBoundingRect().contains(position):
                self.show_values_at(plot.vb.mapSceneToView(position).x())
                return

    def show_values_at(self, step: float) -> str:
        """Move the cursor to the logged row nearest `step` and show all its values."""
        row = self.history.value_at(step)
        if not row:
            return ""
        for line in self.cursors:
            line.setPos(row["step"])
            line.setVisible(True)
        parts = [f"step {row['step']:.0f}"] + [
            f"{k} {v:.4g}" for k, v in row.items() if k != "step" and not math.isnan(v)
        ]
        text = "   ".join(parts)
        self.readout.setText(text)
        return text
