"""The data-space view (samples over D's surface and G's gradient field) and the Dirac-GAN
phase portrait. Items are created once; each frame only calls setData / setImage."""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem

from app.arrows import arrow_segments, reference_magnitude, scale_vectors
from models.snapshot import Snapshot

# White backgrounds read well on projectors and slides; no antialiasing keeps painting cheap.
# Set here, where every view is defined, so the window and exported frames look the same.
pg.setConfigOptions(background="w", foreground="k", antialias=False)
# Legends sit over the curves: a translucent white box keeps their text readable and the
# curves behind it visible.
LEGEND_BRUSH = pg.mkBrush(255, 255, 255, 170)

REAL_BRUSH = pg.mkBrush(31, 119, 180, 170)
FAKE_BRUSH = pg.mkBrush(255, 127, 14, 200)
ARROW_PEN = pg.mkPen(20, 20, 20, 200, width=1)  # width 1 = cosmetic: Qt's fast line path
TRAIL_PEN = pg.mkPen(255, 127, 14, 70, width=1)
MANIFOLD_PEN = pg.mkPen(44, 160, 44, 150, width=1)

LAYERS = {
    "real": "Real data",
    "fake": "Generated samples",
    "trails": "Sample trails",
    "surface": "D surface",
    "magnitude": "Gradient magnitude",
    "arrows": "Gradient arrows",
    "normalised": "Normalised arrows",
    "manifold": "Generator manifold",
    "modes": "Mode centres",
}
DEFAULT_LAYERS = {"real", "fake", "surface", "arrows", "modes"}
TRAIL_FRAMES = 12


def _grid_polylines(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of an (L, L, 2) point grid as one NaN-separated polyline."""
    n = grid.shape[0]
    gap = np.full((n, 1, 2), np.nan, dtype=np.float32)
    rows = np.concatenate([grid, gap], axis=1).reshape(-1, 2)
    cols = np.concatenate([grid.transpose(1, 0, 2), gap], axis=1).reshape(-1, 2)
    lines = np.concatenate([rows, cols])
    return lines[:, 0], lines[:, 1]


def cache_static_items(view: pg.GraphicsView) -> None:
    """Axes, labels and legends change rarely but cost the most to paint (text): keep each
    as a cached pixmap, redrawn only when it changes (45 -> 31 ms per 1280x720 frame)."""
    for item in view.scene().items():
        if isinstance(item, (pg.AxisItem, pg.LabelItem, pg.LegendItem)):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def style_axes(plot: pg.PlotItem, presenter: bool) -> None:
    """Tick and label fonts readable from the back of a lecture hall in presenter mode."""
    size = 16 if presenter else 9
    font = QFont()
    font.setPointSize(size)
    for name in ("bottom", "left"):
        axis = plot.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.label.setFont(font)
    plot.titleLabel.setText(plot.titleLabel.text, size=f"{size + 2}pt")


class SampleView(pg.PlotWidget):
    """Real vs generated samples, D's decision surface or |dL_G/dx| underneath, arrows of
    -dL_G/dx, G's manifold and the target's mode centres; every layer can be toggled."""

    def __init__(self) -> None:
        super().__init__()
        self.setAspectLocked(True)
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.setTitle("Samples, D(x) and the generator's gradient field")
        self.showGrid(x=False, y=False)
        plot = self.getPlotItem()
        self.legend = plot.addLegend(offset=(8, 8), brush=LEGEND_BRUSH)
        self.image = pg.ImageItem(axisOrder="col-major")
        plot.addItem(self.image)
        self.surface_map = pg.colormap.get("CET-D1")
        self.magnitude_map = pg.colormap.get("viridis")
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), colorMap=self.surface_map, label="D(x)", interactive=False, width=14
        )
        self.colorbar.setImageItem(self.image, insert_in=plot)
        self.manifold = pg.PlotDataItem(pen=MANIFOLD_PEN, connect="finite")
        self.trails = pg.PlotDataItem(pen=TRAIL_PEN, connect="finite")
        self.arrows = pg.PlotDataItem(pen=ARROW_PEN, connect="pairs")
        self.real = pg.ScatterPlotItem(size=5, pen=None, brush=REAL_BRUSH)
        self.fake = pg.ScatterPlotItem(size=5, pen=None, brush=FAKE_BRUSH)
        self.modes = pg.ScatterPlotItem(
            size=16, symbol="o", pen=pg.mkPen(0, 0, 0, 160, width=1.5), brush=None
        )
        for item in (self.manifold, self.trails, self.arrows, self.modes, self.real, self.fake):
            plot.addItem(item)
        for item, name in (
            (self.real, "real"),
            (self.fake, "generated"),
            (self.arrows, "-dL_G/dx"),
            (self.manifold, "G manifold"),
            (self.modes, "mode centres"),
        ):
            self.legend.addItem(item, name)
        cache_static_items(self)
        self.layers = set(DEFAULT_LAYERS)
        self._history: deque[np.ndarray] = deque(maxlen=TRAIL_FRAMES)
        self._arrow_reference: float | None = None
        self._bounds: tuple[float, float, float, float] | None = None
        self._last: Snapshot | None = None
        self._shown_real: np.ndarray | None = None
        self._shown_map: pg.ColorMap | None = None
        self._shown_label = ""
        self._shown_metrics: object = None
        self._apply_visibility()

    def set_presenter(self, on: bool) -> None:
        scale = 2.0 if on else 1.0
        self.real.setSize(5 * scale)
        self.fake.setSize(5 * scale)
        self.arrows.setPen(pg.mkPen(20, 20, 20, 200, width=scale))
        self.manifold.setPen(pg.mkPen(44, 160, 44, 150, width=scale))
        style_axes(self.getPlotItem(), on)
        self.legend.setLabelTextSize("14pt" if on else "9pt")

    # ------------------------------------------------------------------ layers
    def set_layer(self, name: str, visible: bool) -> None:
        if name not in LAYERS:
            raise KeyError(name)
        if visible:
            self.layers.add(name)
            if name == "surface":
                self.layers.discard("magnitude")
            if name == "magnitude":
                self.layers.discard("surface")
        else:
            self.layers.discard(name)
        self._apply_visibility()
        self._shown_metrics = None  # redraw everything with the new layer set
        if self._last is not None:
            self.show_snapshot(self._last)

    def _apply_visibility(self) -> None:
        background = "surface" in self.layers or "magnitude" in self.layers
        self.image.setVisible(background)
        self.colorbar.setVisible(background)
        self.arrows.setVisible("arrows" in self.layers)
        self.real.setVisible("real" in self.layers)
        self.fake.setVisible("fake" in self.layers)
        self.trails.setVisible("trails" in self.layers)
        self.manifold.setVisible("manifold" in self.layers)
        self.modes.setVisible("modes" in self.layers)

    def restart(self) -> None:
        """A new scene or a reset: forget trails, re-fit the view, re-scale the arrows."""
        self._history.clear()
        self._arrow_reference = None
        self._bounds = None

    def expect_bounds(self, bounds: tuple[float, float, float, float]) -> None:
        """Frame the scene's square before its first snapshot arrives (the engine takes
        seconds to start), so the empty view already has the right axes."""
        xmin, xmax, ymin, ymax = bounds
        self.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.02)

    # ------------------------------------------------------------------ drawing
    def show_snapshot(self, snap: Snapshot) -> None:
        self._last = snap
        if snap.bounds != self._bounds:
            self._bounds = snap.bounds
            xmin, xmax, ymin, ymax = snap.bounds
            self.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0.02)
        if self._shown_real is None or not np.array_equal(snap.real, self._shown_real):
            self._shown_real = snap.real  # redraw real points only when the target changed
            self.real.setData(pos=snap.real)
            self.modes.setData(pos=snap.mode_centers)
        self.fake.setData(pos=snap.fake)
        if snap.metrics is not self._shown_metrics:  # a new full snapshot: fields changed too
            self._shown_metrics = snap.metrics
            self._draw_background(snap)
            self._draw_arrows(snap)
            if "manifold" in self.layers:
                self.manifold.setData(*_grid_polylines(snap.manifold))
        self._draw_trails(snap)

    def _draw_background(self, snap: Snapshot) -> None:
        if "surface" in self.layers:
            surface, label, center = snap.surface, snap.surface_label, snap.surface_center
            if center is None:
                # A WGAN critic's score is defined up to a constant: show it relative to its
                # median, so the colours (and short colour-bar labels) follow its shape.
                surface = surface - np.nanmedian(surface)
                label, center = f"{label} − median", 0.0
            if center == 0.5:
                levels = (0.0, 1.0)
            else:
                reach = float(np.nanmax(np.abs(surface - center))) or 1.0
                levels = (center - reach, center + reach)
            self._show_image(surface, self.surface_map, label, levels)
        elif "magnitude" in self.layers:
            log_magnitude = np.log10(np.maximum(snap.field_magnitude, 1e-8))
            self._show_image(log_magnitude, self.magnitude_map, "log10 |dL_G/dx|", (-4.0, 1.0))

    def _show_image(
        self, data: np.ndarray, cmap: pg.ColorMap, label: str, levels: tuple[float, float]
    ) -> None:
        if cmap is not self._shown_map:
            self._shown_map = cmap
            self.colorbar.setColorMap(cmap)
        if label != self._shown_label:
            self._shown_label = label
            self.colorbar.setLabel("left", label)
        self.image.setImage(data, levels=levels)
        # After setImage, always: the rect maps the image's pixels (pyqtgraph needs the image
        # to exist first, or one pixel is stretched over the whole view). Values were taken
        # at grid points from edge to edge, so each pixel is centred on its point.
        xmin, xmax, ymin, ymax = self._bounds or (0.0, 1.0, 0.0, 1.0)
        nx, ny = data.shape
        hx, hy = (xmax - xmin) / max(nx - 1, 1) / 2, (ymax - ymin) / max(ny - 1, 1) / 2
        self.image.setRect(QRectF(xmin - hx, ymin - hy, xmax - xmin + 2 * hx, ymax - ymin + 2 * hy))
        self.colorbar.setLevels(levels)

    def _draw_arrows(self, snap: Snapshot) -> None:
        if "arrows" not in self.layers:
            return
        n = snap.field.shape[0]
        xmin, xmax, ymin, ymax = snap.bounds
        xs, ys = np.linspace(xmin, xmax, n), np.linspace(ymin, ymax, n)
        gx, gy = np.meshgrid(xs, ys, indexing="ij")
        points = np.stack([gx.ravel(), gy.ravel()], axis=1)
        vectors = snap.field.reshape(-1, 2)
        # The scale only ever grows within a run, so a gradient that vanishes visibly shrinks
        # instead of being re-normalised away.
        self._arrow_reference = max(self._arrow_reference or 0.0, reference_magnitude(vectors))
        cell = (xmax - xmin) / max(n - 1, 1)
        scaled = scale_vectors(vectors, cell, self._arrow_reference, "normalised" in self.layers)
        self.arrows.setData(*arrow_segments(points, scaled))

    def _draw_trails(self, snap: Snapshot) -> None:
        if not self._history or self._history[-1] is not snap.fake:
            self._history.append(snap.fake)
        if "trails" not in self.layers or len(self._history) < 2:
            self.trails.setData([], [])
            return
        stack = np.stack(self._history, axis=1)  # (N, frames, 2)
        gap = np.full((stack.shape[0], 1, 2), np.nan, dtype=np.float32)
        lines = np.concatenate([stack, gap], axis=1).reshape(-1, 2)
        self.trails.setData(lines[:, 0], lines[:, 1])


class PhasePortrait(pg.PlotWidget):
    """The Dirac-GAN's state (theta, psi) moving through its gradient-play vector field."""

    def __init__(self) -> None:
        super().__init__()
        self.setAspectLocked(True)
        self.setTitle("Dirac-GAN phase portrait")
        self.setLabel("bottom", "theta (generator)")
        self.setLabel("left", "psi (discriminator)")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.flow = pg.PlotDataItem(pen=pg.mkPen(120, 120, 120, 180), connect="pairs")
        self.path = pg.PlotDataItem(pen=pg.mkPen(31, 119, 180, 220, width=2))
        self.point = pg.ScatterPlotItem(size=12, brush=pg.mkBrush(255, 127, 14), pen="k")
        self.equilibrium = pg.ScatterPlotItem(
            [0.0], [0.0], size=14, symbol="x", pen=pg.mkPen("k", width=2)
        )
        for item in (self.flow, self.path, self.equilibrium, self.point):
            self.addItem(item)
        cache_static_items(self)
        for axis in ("bottom", "left"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        # the field's square until the first snapshot (seconds away); auto-range then follows
        # the trajectory, even one that spirals out
        self.setRange(xRange=(-2.0, 2.0), yRange=(-2.0, 2.0), disableAutoRange=False)
        self._theta: list[float] = []
        self._psi: list[float] = []

    def set_presenter(self, on: bool) -> None:
        scale = 2.0 if on else 1.0
        self.path.setPen(pg.mkPen(31, 119, 180, 220, width=2 * scale))
        self.point.setSize(12 * scale)
        style_axes(self.getPlotItem(), on)

    def restart(self) -> None:
        self._theta.clear()
        self._psi.clear()

    def show_snapshot(self, snap: Snapshot) -> None:
        state = snap.dirac
        if state is None:
            return
        if not self._theta or (self._theta[-1], self._psi[-1]) != (state.theta, state.psi):
            self._theta.append(state.theta)
            self._psi.append(state.psi)
        gt, gp = np.meshgrid(state.thetas, state.psis, indexing="ij")
        points = np.stack([gt.ravel(), gp.ravel()], axis=1)
        cell = float(state.thetas[1] - state.thetas[0])
        vectors = scale_vectors(state.flow.reshape(-1, 2), cell, None, normalised=True)
        self.flow.setData(*arrow_segments(points, vectors))
        self.path.setData(self._theta, self._psi)
        self.point.setData([state.theta], [state.psi])
