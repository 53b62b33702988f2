"""The Dirac-GAN's pictures: its phase portrait in (theta, psi) and the one-dimensional
data line under it. Items are created once; each frame only calls setData."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app import colours
from app.views.arrows import arrow_segments, normalised_vectors
from app.views.sample_view import Overlay, cache_static_items, style_axes
from models.snapshot import Snapshot


class PhasePortrait(pg.PlotWidget):
    """The Dirac-GAN's state (theta, psi) moving through its expected gradient-play field,
    drawn as in Mescheder et al. (2018): theta across, psi up, the same signs."""

    def __init__(self) -> None:
        super().__init__()
        self.setAspectLocked(True)
        self.setLabel("bottom", "θ: where G's point is")
        self.setLabel("left", "ψ: D's slope (sign as in Mescheder et al.)")
        self.showGrid(x=True, y=True, alpha=0.2)
        self.getPlotItem().hideButtons()
        self.flow = pg.PlotDataItem(pen=pg.mkPen(120, 120, 120, 180), connect="pairs")
        self.path = pg.PlotDataItem(pen=colours.pen(colours.FAKE_DARK, 2, 230))
        self.point = pg.ScatterPlotItem(size=12, brush=colours.brush(colours.FAKE), pen="k")
        self.equilibrium = pg.ScatterPlotItem(
            [0.0], [0.0], size=14, symbol="x", pen=pg.mkPen(colours.REAL, width=3)
        )
        for item in (self.flow, self.path, self.equilibrium, self.point):
            self.addItem(item)
        cache_static_items(self)
        for axis in ("bottom", "left"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        self.presenter = False
        # the field's square until the first snapshot (seconds away); auto-range then follows
        # the trajectory, even one that spirals out
        self.setRange(xRange=(-2.0, 2.0), yRange=(-2.0, 2.0), disableAutoRange=False)
        self.overlay = Overlay(self)
        self._theta: list[float] = []
        self._psi: list[float] = []

    def set_presenter(self, on: bool) -> None:
        # at presenter fonts the whole name ran past the square's height
        self.setLabel(
            "left", "ψ: D's slope" if on else "ψ: D's slope (sign as in Mescheder et al.)"
        )
        scale = 2.0 if on else 1.0
        self.path.setPen(colours.pen(colours.FAKE_DARK, 2 * scale, 230))
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
        vectors = normalised_vectors(state.flow.reshape(-1, 2), cell)
        self.flow.setData(*arrow_segments(points, vectors))
        self.path.setData(self._theta, self._psi)
        self.point.setData([state.theta], [state.psi])


class DiracLine(pg.PlotWidget):
    """The Dirac-GAN as data: the real point at 0, G's point at theta and D's verdict along
    the line, so the phase portrait's two numbers have a picture."""

    def __init__(self) -> None:
        super().__init__()
        self.setLabel("bottom", "x")
        self.setLabel("left", "D(x)")
        self.getPlotItem().hideButtons()
        self.setMouseEnabled(x=False, y=False)
        self.verdict = pg.PlotDataItem(pen=colours.pen(colours.DISC, 2))
        self.real = pg.ScatterPlotItem(size=14, brush=colours.brush(colours.REAL), pen="w")
        self.fake = pg.ScatterPlotItem(size=14, brush=colours.brush(colours.FAKE), pen="k")
        self.push = pg.ArrowItem(
            angle=180, headLen=16, tailLen=28, tailWidth=5, brush=colours.brush(colours.FAKE_DARK)
        )
        for item in (self.verdict, self.real, self.fake, self.push):
            self.addItem(item)
        for axis in ("bottom", "left"):
            self.getAxis(axis).enableAutoSIPrefix(False)
        self.presenter = False

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        style_axes(self.getPlotItem(), on)

    def show_snapshot(self, snap: Snapshot) -> None:
        state = snap.dirac
        if state is None:
            return
        reach = float(max(abs(state.thetas[0]), abs(state.thetas[-1]), 2.0))
        x = np.linspace(-reach, reach, 121)
        score = -state.psi * x  # D(x) = -psi x: the paper's psi, our "real is high"
        probabilistic = snap.surface_center == 0.5
        # the logistic as 0.5 (1 + tanh(s / 2)): equal, and no overflow for |psi x| > 700
        shown = 0.5 * (1.0 + np.tanh(score / 2.0)) if probabilistic else score
        at = float(np.interp(state.theta, x, shown))
        self.verdict.setData(x, shown)
        self.real.setData([0.0], [float(np.interp(0.0, x, shown))])
        self.fake.setData([state.theta], [at])
        pull = float(
            state.flow[_nearest(state.thetas, state.theta), _nearest(state.psis, state.psi), 0]
        )
        self.push.setVisible(abs(pull) > 1e-9)
        self.push.setStyle(angle=180 if pull > 0 else 0)
        offset = 0.12 * reach * (1 if pull > 0 else -1)
        self.push.setPos(state.theta + offset, at)
        # a short axis at presenter fonts: a short name, three ticks (six ticks and
        # 'D(x) = P(real)' once ran off the strip's ends)
        name = "D(x)" if self.presenter else "D(x) = P(real)" if probabilistic else "D(x) score"
        self.setLabel("left", name)
        self.setXRange(-reach, reach, padding=0.02)
        left = self.getAxis("left")
        if probabilistic:
            self.setYRange(0, 1, padding=0.05)
            left.setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        else:
            left.setTicks(None)


def _nearest(axis: np.ndarray, value: float) -> int:
    return int(np.argmin(np.abs(axis - value)))
