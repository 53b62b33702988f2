"""The data-space view: samples over D's surface and G's gradient field (the Dirac-GAN's
pictures are in app/views/dirac.py). Items are created once; each frame only calls
setData / setImage. Colours come from app/colours.py; what they mean is said in plain words
under the view (app/key.py), never in a legend box over the data."""

from __future__ import annotations

from collections import deque

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsItem, QLabel

from app import colours
from app.views.arrows import arrow_segments, log_scaled_vectors, normalised_vectors
from app.views.layers import DEFAULT_LAYERS, LAYERS
from models.snapshot import Snapshot

# White backgrounds read well on projectors and slides; no antialiasing keeps painting cheap.
# Set here, where every view is defined, so the window and exported frames look the same.
pg.setConfigOptions(background="w", foreground="k", antialias=False)

TRAIL_FRAMES = 12
POINT_SIZE = 6


def _grid_polylines(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows and columns of an (L, L, 2) point grid as one NaN-separated polyline."""
    n = grid.shape[0]
    gap = np.full((n, 1, 2), np.nan, dtype=np.float32)
    rows = np.concatenate([grid, gap], axis=1).reshape(-1, 2)
    cols = np.concatenate([grid.transpose(1, 0, 2), gap], axis=1).reshape(-1, 2)
    lines = np.concatenate([rows, cols])
    return lines[:, 0], lines[:, 1]


def cache_static_items(view: pg.GraphicsView) -> None:
    """Axes and labels change rarely but cost the most to paint (text): keep each as a
    cached pixmap, redrawn only when it changes (45 -> 31 ms per 1280x720 frame)."""
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem | pg.LabelItem):
            item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def style_axes(plot: pg.PlotItem, presenter: bool) -> None:
    """Tick and label fonts readable from the back of a lecture hall in presenter mode."""
    size = 15 if presenter else 9
    font = QFont()
    font.setPointSize(size)
    for name in ("bottom", "left"):
        axis = plot.getAxis(name)
        axis.setStyle(tickFont=font, tickTextOffset=4 if presenter else 2)
        axis.label.setFont(font)


class Overlay(QLabel):
    """A short message over the middle of a plot ("Starting…", "Press Space to play")."""

    def __init__(self, parent: pg.PlotWidget) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setStyleSheet(
            "background: rgba(255, 255, 255, 225); color: #222; border: 1px solid #999;"
            "border-radius: 6px; padding: 10px 18px; font-size: 15pt;"
        )
        self.hide()

    def say(self, text: str) -> None:
        if not text:
            self.hide()
            return
        self.setText(text)
        self.adjustSize()
        self.recentre()
        self.show()
        self.raise_()

    def recentre(self) -> None:
        parent = self.parentWidget()
        assert parent is not None  # (made with one)
        self.move((parent.width() - self.width()) // 2, (parent.height() - self.height()) // 2)


class SampleView(pg.PlotWidget):
    """Real vs generated samples, D's decision surface or |dL_G/dx| underneath, arrows of
    -dL_G/dx, G's manifold and the target's mode centres; every layer can be toggled."""

    def __init__(self) -> None:
        super().__init__()
        self.setAspectLocked(True)
        self.setLabel("bottom", "x")
        self.setLabel("left", "y")
        self.showGrid(x=False, y=False)
        plot = self.getPlotItem()
        plot.hideButtons()
        self.image = pg.ImageItem(axisOrder="col-major")
        plot.addItem(self.image)
        self.surface_map = colours.surface_colormap()
        self.magnitude_map = pg.colormap.get("viridis")
        self.colorbar = pg.ColorBarItem(
            values=(0, 1), colorMap=self.surface_map, label="D(x)", interactive=False, width=14
        )
        self.colorbar.setImageItem(self.image, insert_in=plot)
        self.manifold = pg.PlotDataItem(pen=colours.pen(colours.MANIFOLD, 1, 170), connect="finite")
        self.trails = pg.PlotDataItem(pen=colours.pen(colours.FAKE_DARK, 1, 110), connect="finite")
        for item in (self.manifold, self.trails):
            # drawn as separate segments, not one stroked path: presenter mode's 2 px
            # translucent pens made Qt stroke the 6,600-point manifold path in 6 ms a frame
            # (0.2 ms as segments); the joints' overlap is invisible at this alpha
            item.curve.setSegmentedLineMode("on")
        self.arrows = pg.PlotDataItem(pen=colours.pen(colours.ARROW, 1, 210), connect="pairs")
        # a dark rim on every dot: it stands out on the pale surface, the fill on the dark
        # gradient-strength map (tests/test_contrast.py measures both at 3:1 or more)
        rim = colours.pen(colours.OUTLINE, 1.0)
        self.real = pg.ScatterPlotItem(
            size=POINT_SIZE, pen=rim, brush=colours.brush(colours.REAL_DOT)
        )
        self.fake = pg.ScatterPlotItem(size=POINT_SIZE, pen=rim, brush=colours.brush(colours.FAKE))
        self.modes = pg.ScatterPlotItem(
            size=16, symbol="o", pen=pg.mkPen(0, 0, 0, 150, width=1.5), brush=None
        )
        # slow motion: the batch the current phase drew, ringed in its colour
        self.batch = pg.ScatterPlotItem(size=POINT_SIZE * 2, symbol="o", brush=None)
        for item in (
            self.manifold, self.trails, self.arrows, self.modes, self.real, self.fake, self.batch
        ):  # fmt: skip
            plot.addItem(item)
        cache_static_items(self)
        self.overlay = Overlay(self)
        self.layers = set(DEFAULT_LAYERS)
        self.colorbar_wanted = True  # a compare grid turns it off: one scale for every view
        self._history: deque[np.ndarray] = deque(maxlen=TRAIL_FRAMES)
        self._bounds: tuple[float, float, float, float] | None = None
        self._framed: tuple[float, float, float, float] | None = None
        self._last: Snapshot | None = None
        self._shown_real: np.ndarray | None = None
        self._shown_map: pg.ColorMap | None = None
        self._shown_label = ""
        self._shown_metrics: object = None
        self.presenter = False
        self._apply_visibility()

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)
        overlay = self.__dict__.get("overlay")  # (Qt resizes it once inside __init__)
        if overlay is not None:
            overlay.recentre()
        framed = self.__dict__.get("_framed")
        # an aspect-locked view keeps its old range on a resize (no plot item while closing)
        if framed is not None and self.getPlotItem() is not None:
            self._frame(framed)

    def hide_data_while_drawing(self, hide: bool) -> None:
        """The old data and its modes make way for the drawing (back as the layers say)."""
        if hide:
            self.real.hide()
            self.modes.hide()
        else:
            self._apply_visibility()

    def show_batch(self, points: np.ndarray | None, real: bool = True) -> None:
        """Ring the samples a slow-motion phase drew (None: no ring)."""
        if points is None:
            self.batch.setData([])
            return
        colour = colours.REAL if real else colours.FAKE_DARK
        self.batch.setPen(pg.mkPen(colour, width=2 if self.presenter else 1.2))
        self.batch.setData(pos=points)

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        scale = 1.8 if on else 1.0
        self.batch.setSize(POINT_SIZE * 2 * scale)
        self.real.setSize(POINT_SIZE * scale)
        self.fake.setSize(POINT_SIZE * scale)
        self.modes.setSize(16 * scale)
        self.arrows.setPen(colours.pen(colours.ARROW, 2 if on else 1, 210))
        self.manifold.setPen(colours.pen(colours.MANIFOLD, 2 if on else 1, 170))
        self.trails.setPen(colours.pen(colours.FAKE_DARK, 2 if on else 1, 110))
        style_axes(self.getPlotItem(), on)
        font = QFont()
        font.setPointSize(12 if on else 9)
        self.colorbar.getAxis("left").label.setFont(font)
        self.colorbar.getAxis("right").setStyle(tickFont=font)

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

    def set_layers(self, layers: set[str]) -> None:
        """Show exactly these layers (the window model's choice)."""
        unknown = set(layers) - set(LAYERS)
        if unknown:
            raise KeyError(", ".join(sorted(unknown)))
        if set(layers) == self.layers:
            return
        self.layers = set(layers)
        self._apply_visibility()
        self._shown_metrics = None  # redraw everything with the new layer set
        if self._last is not None:
            self.show_snapshot(self._last)

    def _apply_visibility(self) -> None:
        background = "surface" in self.layers or "magnitude" in self.layers
        self.image.setVisible(background)
        self.colorbar.setVisible(background and self.colorbar_wanted)
        self.arrows.setVisible("arrows" in self.layers)
        self.real.setVisible("real" in self.layers)
        self.fake.setVisible("fake" in self.layers)
        self.trails.setVisible("trails" in self.layers)
        self.manifold.setVisible("manifold" in self.layers)
        self.modes.setVisible("modes" in self.layers)

    def restart(self) -> None:
        """A new scene or a reset: forget trails and re-fit the view."""
        self._history.clear()
        self._bounds = None
        self._last = None
        self._shown_metrics = None

    def expect_bounds(self, bounds: tuple[float, float, float, float]) -> None:
        """Frame the scene's square before its first snapshot arrives (the engine takes
        seconds to start), so the empty view already has the right axes."""
        self._frame(bounds)

    def _frame(self, bounds: tuple[float, float, float, float]) -> None:
        """Show exactly `bounds` (where the surface is computed) and keep zooming inside it."""
        self._framed = bounds
        xmin, xmax, ymin, ymax = bounds
        vb = self.getPlotItem().vb
        vb.setLimits(xMin=None, xMax=None, yMin=None, yMax=None)  # (limits would clip the fit)
        self.setRange(xRange=(xmin, xmax), yRange=(ymin, ymax), padding=0)
        vb.setLimits(xMin=xmin, xMax=xmax, yMin=ymin, yMax=ymax)

    # ------------------------------------------------------------------ drawing
    def show_snapshot(self, snap: Snapshot) -> None:
        self._last = snap
        if snap.bounds != self._bounds:
            self._bounds = snap.bounds
            self._frame(snap.bounds)
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
        cell = (xmax - xmin) / max(n - 1, 1)
        if "normalised" in self.layers:
            scaled = normalised_vectors(vectors, cell)
        else:
            scaled = log_scaled_vectors(vectors, cell)
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
