"""Metric charts over training steps: each chart's key is in its title (nothing covers a
curve), step axes count whole iterations, flat lines get a sensible minimum span, and every
edit is a marker whose label never overlaps another or leaves the chart.

The charts draw a `MetricHistory` (models/history.py): the rows, the edit markers and the
abandoned branches of the timeline (faint). Which charts show depends on the scene: a Dirac
scene has no modes to count; presenter mode and small exports keep the three that matter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QFont, QFontMetrics

from app import colours
from app.views.axes import SparseLogAxis, StepAxis
from app.views.sample_view import cache_static_items, style_axes
from app.views.wrapping_label import wrap_within_width
from models.config import TrainConfig
from models.history import COLUMNS, Marker, MetricHistory


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    dashed: bool = False


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    y_label: str
    series: tuple[Series, ...]
    log_y: bool = False
    min_span: float = 0.0  # the y axis never shows less (decades on a log axis)
    y_range: tuple[float, float] | None = None  # a fixed y range


CHARTS = (
    Chart(
        "losses",
        "Losses",
        "loss",
        (Series("d_loss", "D", colours.DISC), Series("g_loss", "G", colours.FAKE_DARK)),
        min_span=0.2,
    ),
    Chart(
        "d_outputs",
        "D's verdict",
        "mean D(x)",
        (
            Series("d_real", "real", colours.REAL),
            Series("d_fake", "generated", colours.FAKE_DARK),
        ),
        min_span=0.2,
    ),
    Chart(
        "grad_norms",
        "Gradient norms",
        "norm (log)",
        (Series("grad_norm_g", "G", colours.FAKE_DARK), Series("grad_norm_d", "D", colours.DISC)),
        log_y=True,
        min_span=1.0,
    ),
    Chart(
        "modes",
        "Modes covered",
        "modes",
        (
            Series("modes_covered", "≥1", colours.FAKE_DARK),
            Series("modes_covered_20", "≥20", colours.FAKE_DARK, dashed=True),
            Series("modes_total", "all", colours.NEUTRAL, dashed=True),
        ),
        min_span=2.0,
    ),
    Chart(
        "w1",
        "Distance to data",
        "sliced W1",
        (
            Series("w1", "W1", colours.FAKE_DARK),
            Series("w1_floor", "floor", colours.NEUTRAL, dashed=True),
        ),
        min_span=0.5,
    ),
    Chart(
        "distance",
        "Distance to goal",
        "|(θ, ψ)|",
        (Series("distance", "distance", colours.FAKE_DARK),),
        min_span=0.5,
    ),
    Chart(
        "clip",
        "D weights pinned at ±c",
        "fraction",
        (Series("d_weights_at_clip", "at ±c", colours.DISC),),
        y_range=(0.0, 1.0),
    ),
)
CHART_BY_KEY = {chart.key: chart for chart in CHARTS}
# which chart shows each metric a scene may make claims about
CHART_OF_METRIC = {series.key: chart.key for chart in CHARTS for series in chart.series} | {
    "high_quality": "modes",
    "dominant_mode": "modes",
    "reverse_kl": "modes",
}
CHART_OF_METRIC |= {"theta": "distance", "psi": "distance"}
COMPACT = 3  # charts kept in presenter mode and small exports


def charts_for(config: TrainConfig, clipped: bool) -> list[str]:
    """Every chart that means something for this scene, in reading order."""
    if config.is_dirac:
        keys = ["distance", "d_outputs", "losses", "grad_norms"]
    else:
        keys = ["modes", "w1", "d_outputs", "losses", "grad_norms"]
    return [*keys, "clip"] if clipped else keys


def relevant_charts(config: TrainConfig, clipped: bool, limit: int = COMPACT) -> list[str]:
    """The `limit` charts that matter most: those the scene's claims are about, first."""
    available = charts_for(config, clipped)
    chosen: list[str] = []
    for check in config.checks:
        key = CHART_OF_METRIC.get(check.metric)
        if key in available and key not in chosen:
            chosen.append(key)
    for key in available:
        if key not in chosen:
            chosen.append(key)
    return chosen[:limit]


def title_html(chart: Chart, size_pt: int) -> str:
    """The chart's title and its key in one line: '■ D  ■ G' in the series' colours."""
    keys = "&nbsp; ".join(  # a line may break between two keys, never inside one
        f"<span style='color:{s.colour}'>{'┅' if s.dashed else '━'}&nbsp;{s.label}</span>"
        for s in chart.series
    )
    title = chart.title.replace(" ", "&nbsp;")  # (wrapped, the key goes under the title)
    return f"<span style='font-size:{size_pt}pt'><b>{title}</b>&nbsp; {keys}</span>"


class ChartsView(pg.GraphicsLayoutWidget):
    """The metric charts, x axes linked; hover shows every value at that step."""

    def __init__(self, columns: int = 2, interactive: bool = True) -> None:
        """columns: charts per row; interactive: hover readout under the charts (off for
        exported frames, where nobody can hover)."""
        super().__init__()
        self.history = MetricHistory()
        self.columns = columns
        self.presenter = False
        self.interactive = interactive
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.faint: dict[str, pg.PlotDataItem] = {}  # abandoned branches, one item per series
        self.cursors: list[pg.InfiniteLine] = []
        self.markers: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self.marker_labels: list[pg.TextItem] = []
        self._drawn_markers: tuple[Marker, ...] = ()
        self._config: TrainConfig | None = None
        self._compact = False
        self._limit = COMPACT
        self._fixed_steps: int | None = None  # exports fix the step axis to the whole run
        self.shown: list[str] = []
        for chart in CHARTS:
            axes: dict[str, pg.AxisItem] = {"bottom": StepAxis(orientation="bottom")}
            if chart.log_y:
                axes["left"] = SparseLogAxis(orientation="left")
            plot = pg.PlotItem(axisItems=axes)
            plot.setLabel("bottom", "step")
            plot.setLabel("left", chart.y_label)
            plot.showGrid(x=True, y=True, alpha=0.2)
            for axis in ("bottom", "left"):
                plot.getAxis(axis).enableAutoSIPrefix(False)
            if chart.log_y:
                plot.setLogMode(y=True)
            plot.setMouseEnabled(x=False, y=False)  # the charts follow the run, not the mouse
            plot.hideButtons()
            if chart.y_range is not None:
                plot.setYRange(*chart.y_range, padding=0.05)
                plot.enableAutoRange(y=False)
            for series in chart.series:
                style = Qt.PenStyle.DashLine if series.dashed else Qt.PenStyle.SolidLine
                faint = pg.mkPen(series.colour, width=1, style=Qt.PenStyle.DotLine)
                self.faint[series.key] = plot.plot([], [], pen=faint, connect="finite")
                self.faint[series.key].setOpacity(0.45)
                curve_pen = pg.mkPen(series.colour, width=2, style=style)
                self.curves[series.key] = plot.plot([], [], pen=curve_pen)
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#888", width=1))
            cursor.setVisible(False)
            plot.addItem(cursor, ignoreBounds=True)
            self.cursors.append(cursor)
            plot.vb.sigRangeChanged.connect(self._place_marker_labels)
            self.plots[chart.key] = plot
        self.readout = pg.LabelItem(justify="left")
        wrap_within_width(self.readout)
        if interactive:
            self._proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._hover)
        self._titles()
        self.show_charts(charts_for(TrainConfig(), False))
        cache_static_items(self)

    # ------------------------------------------------------------------ which charts
    def set_scene(self, config: TrainConfig) -> None:
        """Chart what means something for this scene."""
        self._config = config
        self._arrange()

    def set_compact(self, compact: bool, limit: int = COMPACT) -> None:
        """Only the `limit` charts that matter most (presenter mode, small exports)."""
        self._compact, self._limit = compact, limit
        self._arrange()

    def set_columns(self, columns: int) -> None:
        if columns != self.columns:
            self.columns = columns
            self._arrange(force=True)

    def _keys(self, compact: bool) -> list[str]:
        config = self._config or TrainConfig()
        clipped = bool(np.isfinite(self.history.column("d_weights_at_clip")).any())
        if compact:
            return relevant_charts(config, clipped, self._limit)
        return charts_for(config, clipped)

    def count(self, compact: bool) -> int:
        """How many charts the scene shows, all of them or only those that matter most."""
        config = self._config or TrainConfig()
        clipped = bool(np.isfinite(self.history.column("d_weights_at_clip")).any())
        return len(relevant_charts(config, clipped) if compact else charts_for(config, clipped))

    def _arrange(self, force: bool = False) -> None:
        keys = self._keys(self._compact)
        if keys != self.shown or force:
            self.show_charts(keys)

    def show_charts(self, keys: list[str]) -> None:
        layout = self.ci
        for item in list(layout.items):
            layout.removeItem(item)
        for plot in self.plots.values():
            plot.setVisible(False)
        for index, key in enumerate(keys):
            row, col = divmod(index, self.columns)
            layout.addItem(self.plots[key], row, col)
            self.plots[key].setVisible(True)
        # step axes follow the first chart shown (a hidden chart's axis would not move)
        leader = self.plots[keys[0]] if keys else None
        for key, plot in self.plots.items():
            plot.setXLink(leader if key in keys and plot is not leader else None)
        if leader is not None and self._fixed_steps is not None:
            leader.setXRange(0, self._fixed_steps, padding=0.02)
            leader.enableAutoRange(x=False)
        rows = -(-len(keys) // self.columns)
        if self.interactive:
            layout.addItem(self.readout, row=rows, col=0, colspan=self.columns)
        _collapse_unused(layout.layout, rows + int(self.interactive), self.columns)
        layout.layout.invalidate()
        layout.setGeometry(self.range)  # the grid fills the view again (as on a resize)
        self.shown = list(keys)
        self._draw_markers()

    # ------------------------------------------------------------------ style
    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        width = 4 if on else 2
        for chart in CHARTS:
            for series in chart.series:
                style = Qt.PenStyle.DashLine if series.dashed else Qt.PenStyle.SolidLine
                self.curves[series.key].setPen(pg.mkPen(series.colour, width=width, style=style))
                # the abandoned branch too: a 1 px dotted line vanished on a projector
                faint = pg.mkPen(series.colour, width=3 if on else 1, style=Qt.PenStyle.DotLine)
                self.faint[series.key].setPen(faint)
        for plot in self.plots.values():
            style_axes(plot, on)
        self._titles()
        self._draw_markers()

    def _titles(self) -> None:
        size = 15 if self.presenter else 9
        for chart in CHARTS:
            plot = self.plots[chart.key]
            plot.setTitle(title_html(chart, size))
            # a title may be cut at its end on a narrow chart, but never widens the grid
            # past the window (a title's width is otherwise its minimum)
            wrap_within_width(plot.titleLabel, plot)

    # ------------------------------------------------------------------ data
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

    def fix_step_range(self, last_step: int) -> None:
        """Fix the (linked) step axes at 0..last_step: curves grow left to right instead of
        the axes rescaling every frame (calmer to watch, and cheaper to draw)."""
        self._fixed_steps = max(last_step, 1)
        self.show_charts(self.shown)

    def refresh(self) -> None:
        steps = self.history.column("step")
        for key, curve in self.curves.items():
            curve.setData(steps, self._values(self.history.column(key), key), connect="finite")
            faint_x, faint_y = self._abandoned(key)
            self.faint[key].setData(faint_x, faint_y, connect="finite")
        self._arrange()
        self._keep_spans(steps)
        if tuple(self.history.markers) != self._drawn_markers:
            self._draw_markers()

    def _keep_spans(self, steps: np.ndarray) -> None:
        """Flat lines stay flat: a y axis never spans less than its chart's minimum, and the
        step axis starts at 0 with room for the first hundred iterations."""
        if not self.shown:
            return
        first = self.plots[self.shown[0]]
        if self._fixed_steps is None:
            last = float(np.nanmax(steps)) if steps.size else 0.0
            span = max(10.0, min(100.0, last))
            if first.vb.state["limits"]["xRange"][0] != span:
                # a new limit can move the range, and moving it turns x auto-range off: the
                # step axis then froze at 0..100 for good (seen on ring_fix_r1). Turn it back
                # on only here, so a user's zoom later is left alone.
                first.vb.setLimits(xMin=0, minXRange=span)
                first.enableAutoRange(x=True)
        for chart in CHARTS:
            if not chart.min_span or chart.y_range is not None:
                continue
            values = np.concatenate(
                [self._values(self.history.column(s.key), s.key) for s in chart.series]
            )
            values = values[np.isfinite(values)]
            if chart.log_y:
                values = np.log10(values[values > 0])
            if not values.size:
                continue
            low, high = float(values.min()), float(values.max())
            plot = self.plots[chart.key]
            if high - low < chart.min_span:
                middle = (high + low) / 2
                plot.vb.setYRange(
                    middle - chart.min_span / 2, middle + chart.min_span / 2, padding=0.05
                )
            else:
                plot.enableAutoRange(y=True)

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

    # ------------------------------------------------------------------ markers
    def add_marker(self, marker: Marker) -> None:
        """An edit's marker from the training process (a continuing drag replaces its own)."""
        self.history.put_marker(marker)
        self._draw_markers()

    def _draw_markers(self) -> None:
        """A line per edit or branch on every chart; the labels on the top chart only."""
        for plot, line in self.markers:
            plot.removeItem(line)
        self.markers.clear()
        for label in self.marker_labels:
            if label.scene() is not None:
                label.scene().removeItem(label)
        self.marker_labels.clear()
        if not self.shown:
            return
        top = self.plots[self.shown[0]]
        font = QFont()
        font.setPointSize(13 if self.presenter else 8)
        for marker in self.history.markers:
            colour = colours.EDIT if marker.kind == "edit" else colours.NEUTRAL
            style = Qt.PenStyle.SolidLine if marker.kind == "edit" else Qt.PenStyle.DashLine
            for key in self.shown:
                plot = self.plots[key]
                line = pg.InfiniteLine(
                    pos=marker.step,
                    angle=90,
                    movable=False,
                    pen=pg.mkPen(colour, width=1.5, style=style),
                )
                plot.addItem(line, ignoreBounds=True)
                self.markers.append((plot, line))
            text = pg.TextItem(marker.label, color=colour, fill=pg.mkBrush(255, 255, 255, 220))
            text.setFont(font)
            top.addItem(text, ignoreBounds=True)
            self.marker_labels.append(text)
        self._drawn_markers = tuple(self.history.markers)
        self._place_marker_labels()

    def _place_marker_labels(self, *_: object) -> None:
        """Labels in lanes from the top: a label that would overlap its neighbour drops to
        the next lane; one near the right edge sits left of its line; one too long for the
        room either side is shortened with '…' (its tooltip has it whole), so none runs past
        the chart (a drawn-data label once ran over the axis and the chart's left edge)."""
        if not self.marker_labels or not self.shown:
            return
        top = self.plots[self.shown[0]]
        (x0, x1), (y0, y1) = top.vb.viewRange()
        pixel = top.vb.viewPixelSize()[0] or 1.0
        lanes = (0.93, 0.79, 0.65, 0.51)
        lane_ends = [-math.inf] * len(lanes)
        # the markers these labels were drawn for: the history may have been replaced since
        # (a scene switch, a rewind) and is redrawn on the next refresh
        pairs = sorted(zip(self._drawn_markers, self.marker_labels, strict=True), key=_step)
        for marker, label in pairs:
            right_room, left_room = (x1 - marker.step) / pixel, (marker.step - x0) / pixel
            fits_right = label_width(label, marker.label) <= right_room
            left_of_line = not fits_right and left_room > right_room
            room = max(left_room if left_of_line else right_room, 0.0) - 8  # the fill's margin
            metrics = QFontMetrics(label.textItem.font())
            label.setPlainText(
                metrics.elidedText(marker.label, Qt.TextElideMode.ElideRight, int(room))
            )
            label.setToolTip(marker.label)
            width = label.boundingRect().width() * pixel
            start = marker.step - width if left_of_line else marker.step
            lane = next((i for i, end in enumerate(lane_ends) if start > end), len(lanes) - 1)
            lane_ends[lane] = start + width + 6 * pixel
            label.setAnchor((1.0, 0.5) if left_of_line else (0.0, 0.5))
            label.setPos(marker.step, y0 + lanes[lane] * (y1 - y0))

    # ------------------------------------------------------------------ hover
    def _hover(self, event: tuple[QPointF]) -> None:
        position = event[0]
        for key in self.shown:
            plot = self.plots[key]
            if plot.sceneBoundingRect().contains(position):
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


def _collapse_unused(grid: Any, rows: int, columns: int) -> None:
    """A grid keeps the rows and columns it once had: give the unused ones no room (they went
    on taking space after the charts moved), the used ones all they need."""
    for row in range(grid.rowCount()):
        grid.setRowMaximumHeight(row, 1e6 if row < rows else 0)
        grid.setRowSpacing(row, 4 if row < rows else 0)
    for column in range(grid.columnCount()):
        grid.setColumnMaximumWidth(column, 1e6 if column < columns else 0)
        grid.setColumnSpacing(column, 4 if column < columns else 0)


def label_width(label: pg.TextItem, text: str) -> float:
    """The pixels `text` takes in `label`'s font, with the label's own margins."""
    margins = label.boundingRect().width() - label.textItem.boundingRect().width()
    return QFontMetrics(label.textItem.font()).horizontalAdvance(text) + margins + 8


def _step(pair: tuple[Marker, pg.TextItem]) -> int:
    return pair[0].step
