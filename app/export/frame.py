"""The picture an export is made of: the same views as the window, laid out for a slide,
rendered offscreen to pixels (MP4, GIF, PNG) or to vector paths (SVG)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRectF, QSize
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from app.export.qt import image_to_rgb
from app.plain_text import plain_label
from app.views.charts import ChartsView
from app.views.compare_views import CompareCharts, CompareGrid, variant_legend
from app.views.dirac import DiracLine, PhasePortrait
from app.views.key import DataKey
from app.views.overview import ModelOverview
from app.views.sample_view import SampleView
from app.views.stage import Stage
from models.config import TrainConfig
from models.history import MetricHistory
from models.snapshot import Snapshot

# Panels of the data-space view, and the layers each one turns on.
DATA_PANELS = {
    "samples": ("real", "fake", "modes"),
    "surface": ("surface",),
    "magnitude": ("magnitude",),
    "field": ("arrows",),
    "trails": ("trails",),
    "manifold": ("manifold",),
}


MIN_LAYOUT = (1024, 576)  # smaller frames draw this layout scaled down: every panel fits


class PaintedFrame(QWidget):
    """A widget laid out at the export's pixels divided by its scale, painted offscreen to
    pixels (MP4, GIF, PNG) or to vector paths (SVG)."""

    def __init__(self, title: str, size: tuple[int, int], scale: float) -> None:
        super().__init__()
        self.setStyleSheet("background: white; color: black;")
        self.pixel_size = size
        self.title = title
        width, height = size
        # Below this the panels overlap: a small frame is the same layout, drawn smaller.
        self.scale = min(scale, width / MIN_LAYOUT[0], height / MIN_LAYOUT[1])
        self.resize(round(width / self.scale), round(height / self.scale))

    def render_rgb(self) -> np.ndarray:
        """The frame as an (H, W, 3) uint8 array of exactly `pixel_size`."""
        width, height = self.pixel_size
        image = QImage(width, height, QImage.Format.Format_RGB888)
        image.fill(QColor("white"))
        self._paint(image)
        return image_to_rgb(image)

    def render_svg(self, path: Path) -> None:
        """The frame as vector paths: points, arrows and curves stay sharp at any print size
        (the heatmap underneath is an embedded image, as it is raster data)."""
        width, height = self.pixel_size
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(QSize(width, height))
        generator.setViewBox(QRectF(0, 0, width, height))
        generator.setResolution(96)  # CSS pixels: browsers show it at its pixel size
        generator.setTitle(self.title)
        generator.setDescription("Exported by GANscope")
        with self._vector_mode():
            self._paint(generator)

    def _paint(self, device: QImage | QSvgGenerator) -> None:
        # The scenes apply item changes (new data, ranges) from the event loop: run it first,
        # or a frame repeats the previous one. The widget is never shown, so nothing repaints.
        QApplication.processEvents()
        painter = QPainter(device)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.scale(self.scale, self.scale)
            self.render(painter, QPoint(0, 0))
        finally:
            painter.end()

    @contextlib.contextmanager
    def _vector_mode(self) -> Iterator[None]:
        """Draw everything as paths and text: pyqtgraph draws scatter points from a pixmap
        cache unless told it is exporting, and cached axes and legends would be pixmaps."""
        items = [item for view in self.findChildren(pg.GraphicsView) for item in view.items()]
        cached = [(item, item.cacheMode()) for item in items]
        for item in items:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
            if hasattr(item, "setExportMode"):
                item.setExportMode(True, {"antialias": True})
        try:
            yield
        finally:
            for item, mode in cached:
                item.setCacheMode(mode)
                if hasattr(item, "setExportMode"):
                    item.setExportMode(False)


class ExportFrame(PaintedFrame):
    """The chosen panels on the window's stage (the data view a square, its key under it,
    the charts beside), under an optional caption, sized to the export's pixels divided by
    its scale."""

    def __init__(
        self,
        title: str,
        panels: tuple[str, ...],
        size: tuple[int, int],
        scale: float = 1.0,
        caption: bool = False,
    ) -> None:
        super().__init__(title, size, scale)
        self.caption: QLabel | None = None
        self.sample_view: SampleView | None = None
        self.phase_view: PhasePortrait | None = None
        self.dirac_line: DiracLine | None = None
        self.charts: ChartsView | None = None
        self.key: DataKey | None = None
        self.overview: ModelOverview | None = None
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        if caption:
            self.caption = plain_label(title)  # the scene's title: text, never HTML
            font = QFont()
            font.setPointSize(13)
            self.caption.setFont(font)
            column.addWidget(self.caption)
        layers = {layer for panel in panels for layer in DATA_PANELS.get(panel, ())}
        main: pg.PlotWidget | None = None
        extra = None
        if "phase" in panels:
            self.phase_view = PhasePortrait()
            self.dirac_line = DiracLine()
            main, extra = self.phase_view, self.dirac_line
        elif layers:
            self.sample_view = SampleView()
            for layer in self.sample_view.layers - layers:
                self.sample_view.set_layer(layer, False)
            for layer in layers:
                self.sample_view.set_layer(layer, True)
            main = self.sample_view
        if main is not None:
            self.key = DataKey()
        if "charts" in panels:
            self.charts = ChartsView(interactive=False)
        self.stage = Stage(main, self.key, self.charts, extra)
        column.addWidget(self.stage, 1)
        if "overview" in panels:  # the model diagram along the bottom, a quarter high
            self.overview = ModelOverview()
            self.overview.setFixedHeight(max(self.height() // 4, 150))
            column.addWidget(self.overview)

    def prepare(self, config: TrainConfig, last_step: int) -> None:
        """Chart and key the scene's metrics, over the whole run from the first frame."""
        if self.charts is not None:
            self.charts.set_scene(config)
            self.charts.fix_step_range(last_step)
        if self.key is not None:
            layers = self.sample_view.layers if self.sample_view is not None else set()
            self.key.show_key(config, layers)
        if self.overview is not None:
            self.overview.set_config(config)
        self.stage.settle_now()

    def show_snapshot(self, snap: Snapshot) -> None:
        if self.sample_view is not None:
            self.sample_view.show_snapshot(snap)
        if self.phase_view is not None:
            self.phase_view.show_snapshot(snap)
        if self.dirac_line is not None:
            self.dirac_line.show_snapshot(snap)
        if self.overview is not None:
            self.overview.show_snapshot(snap)
        if self.charts is not None and self.charts.add_metrics(snap.metrics):
            self.charts.refresh()
        if self.caption is not None:
            self.caption.setText(caption_text(self.title, snap))


class CompareExportFrame(PaintedFrame):
    """Compare mode for slides: every variant's data view in a grid, labelled with what
    differs, beside one set of charts overlaying them, under an optional caption. `panels`
    as for one run: the data panels pick the grid views' layers, "charts" the charts; with
    no data panel the charts fill the frame, without "charts" the grid does. (The model
    overview is one run's diagram: a grid of runs leaves it out.)"""

    def __init__(
        self,
        title: str,
        labels: list[str],
        size: tuple[int, int],
        scale: float = 1.0,
        caption: bool = False,
        panels: tuple[str, ...] = ("samples", "surface", "field", "charts"),
    ) -> None:
        super().__init__(title, size, scale)
        column = QVBoxLayout(self)
        column.setContentsMargins(4, 4, 4, 4)
        self.caption: QLabel | None = None
        if caption:
            self.caption = plain_label(title)
            font = QFont()
            font.setPointSize(13)
            self.caption.setFont(font)
            column.addWidget(self.caption)
        row = QHBoxLayout()
        column.addLayout(row, 1)
        layers = {layer for panel in panels for layer in DATA_PANELS.get(panel, ())}
        self.grid: CompareGrid | None = None
        if layers:
            self.grid = CompareGrid()
            self.grid.set_variants(labels)
            self.grid.set_layers(layers)
            row.addWidget(self.grid, 3)
        self.charts: CompareCharts | None = None
        if "charts" in panels or self.grid is None:
            self.charts = CompareCharts(interactive=False)
            legend = QLabel(variant_legend(labels))
            legend.setWordWrap(True)
            right = QVBoxLayout()
            right.addWidget(legend)
            right.addWidget(self.charts, 1)
            row.addLayout(right, 2)

    def prepare(self, config: TrainConfig, last_step: int, variants: int) -> None:
        if self.charts is not None:
            self.charts.set_scene(config)
            self.charts.set_variants([MetricHistory() for _ in range(variants)])
            self.charts.fix_step_range(last_step)

    def show_snapshots(self, snaps: list[Snapshot]) -> None:
        added = False
        for variant, snap in enumerate(snaps):
            if self.grid is not None:
                self.grid.show_snapshot(variant, snap)
            if self.charts is not None:
                added = self.charts.add_variant_metrics(variant, dict(snap.metrics)) or added
        if added and self.charts is not None:
            self.charts.refresh()
        if self.caption is not None:
            self.caption.setText(caption_text(self.title, snaps[0]))


def caption_text(title: str, snap: Snapshot) -> str:
    metrics = snap.metrics
    parts = [title, f"step {snap.step}"]
    for key, label in (("d_loss", "D loss"), ("g_loss", "G loss")):
        value = metrics.get(key, float("nan"))
        if value == value:
            parts.append(f"{label} {value:.3f}")
    covered, total = metrics.get("modes_covered"), metrics.get("modes_total")
    if covered is not None and total is not None and covered == covered and total == total:
        parts.append(f"modes {covered:.0f}/{total:.0f}")
    return "   ·   ".join(parts)
