"""The model overview: the whole GAN as one live diagram (GAN Lab's best idea, kept).

noise z -> generator -> generated samples -> discriminator <- real samples, then D's
predictions on both and the two losses, with the two gradient paths drawn back through it:
D's update (purple, from D's loss into D) and G's update (orange, from G's loss back through
D into G). Each node carries a live thumbnail or live numbers; the architecture, the loss and
the regularizers follow the config at once. Slow motion lights up the path of the update being
shown. Clicking a node asks the window to show the matching layer of the data view.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QImage,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from app import colours
from models.config import TrainConfig
from models.narration import d_formula, g_formula, judge
from models.snapshot import Snapshot

# node name -> the data-view layer a click shows
FOCUS = {"noise": "manifold", "G": "manifold", "fake": "fake", "real": "real", "D": "surface"}
COLUMNS = ("noise", "G", "samples", "D", "predictions", "losses")  # real over fake in "samples"
TITLES = {
    "noise": "noise z",
    "G": "generator",
    "fake": "generated",
    "real": "real data",
    "predictions": "predictions",
    "losses": "losses",
}
MIN_HEIGHT = 180


@dataclass(frozen=True)
class Layout:
    """Where each node's box lies, for a widget of a given size."""

    boxes: dict[str, QRectF]

    @staticmethod
    def for_size(width: float, height: float, line: float) -> Layout:
        """line: the text's line height; the two gradient paths and their labels take two
        lines under the boxes (presenter fonts once drew them over the boxes' edges)."""
        gap = width * 0.03
        box_w = (width - gap * (len(COLUMNS) + 1)) / len(COLUMNS)
        top = height * 0.04
        box_h = min(height * 0.62, height - top - gradient_room(line))
        boxes = {
            name: QRectF(gap + i * (box_w + gap), top, box_w, box_h)
            for i, name in enumerate(COLUMNS)
        }
        samples = boxes.pop("samples")
        half = (samples.height() - gap / 2) / 2
        boxes["real"] = QRectF(samples.left(), samples.top(), samples.width(), half)
        boxes["fake"] = QRectF(samples.left(), samples.bottom() - half, samples.width(), half)
        return Layout(boxes)

    def node_at(self, point: QPointF) -> str | None:
        return next((name for name, box in self.boxes.items() if box.contains(point)), None)


def gradient_room(line: float) -> float:
    """Height under the boxes for the two backward paths, each under its label."""
    return 2 * line + 12


def architecture(config: TrainConfig, net: str) -> str:
    """'3 x 64 ReLU, BN' for the generator or discriminator section of the config."""
    if config.is_dirac:  # Mescheder et al.'s one-parameter pair
        return "G(z) = θ" if net == "G" else "D(x) = ψ·x"
    part = config.generator if net == "G" else config.discriminator
    text = f"{part.depth} × {part.width} {part.activation}"
    extras = []
    if part.batch_norm:
        extras.append("batch norm")
    if net == "D":
        r = config.regularization
        if r.spectral_norm:
            extras.append("spectral norm")
        if config.discriminator.minibatch_discrimination:
            extras.append("minibatch features")
        if r.pack > 1:
            extras.append(f"packs {r.pack}")
        if r.unrolled_steps:
            extras.append(f"unrolled {r.unrolled_steps}")
    return text + ("\n" + ", ".join(extras) if extras else "")


class ModelOverview(QWidget):
    """The live diagram. `focus_requested(layer)` when a node is clicked."""

    focus_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumHeight(MIN_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMouseTracking(True)
        self.config: TrainConfig | None = None
        self.snapshot: Snapshot | None = None
        self.active: str | None = None  # "D", "G" or "both": the update slow motion shows
        self.presenter = False
        self._surface_image: QImage | None = None
        self._surface_lut = colours.surface_colormap().getLookupTable(nPts=256, alpha=False)
        self._noise = np.random.default_rng(0).standard_normal((200, 2)).astype(np.float32)

    # ------------------------------------------------------------------ inputs
    def set_config(self, config: TrainConfig) -> None:
        self.config = config
        self.setToolTip(
            f"D's loss: {d_formula(config)}\nG's loss: {g_formula(config)}\n"
            "Click a node to show it in the data view."
        )
        self.update()

    def show_snapshot(self, snap: Snapshot) -> None:
        if self.snapshot is None or snap.surface is not self.snapshot.surface:
            self._surface_image = self._image(snap)
        self.snapshot = snap
        self.update()

    def set_active(self, player: str | None) -> None:
        """Light up D's update path ('D'), G's ('G'), both, or none."""
        if player != self.active:
            self.active = player
            self.update()

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        self.update()

    def _image(self, snap: Snapshot) -> QImage | None:
        if snap.surface_center != 0.5:
            surface = snap.surface - np.nanmedian(snap.surface)
            reach = float(np.nanmax(np.abs(surface))) or 1.0
            unit = 0.5 + surface / (2 * reach)
        else:
            unit = snap.surface
        index = np.clip(np.nan_to_num(unit, nan=0.5) * 255, 0, 255).astype(np.uint8)
        rgb = np.ascontiguousarray(self._surface_lut[index.T[::-1]], dtype=np.uint8)
        height, width = rgb.shape[:2]
        return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        node = self.node_layout().node_at(event.position())
        if node in FOCUS:
            self.focus_requested.emit(FOCUS[node])

    # ------------------------------------------------------------------ drawing
    def _text_font(self) -> QFont:
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * (1.0 if self.presenter else 0.9))
        return font

    def node_layout(self) -> Layout:
        """Where the boxes lie at this size and font (clicks are mapped with it too)."""
        line = QFontMetricsF(self._text_font()).height()
        return Layout.for_size(self.width(), self.height(), line)

    def paintEvent(self, _event: object) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("white"))
        if self.config is None:
            return
        layout = self.node_layout()
        painter.setFont(self._text_font())
        self._draw_flow(painter, layout)
        self._draw_gradients(painter, layout)
        for name, box in layout.boxes.items():
            self._draw_node(painter, name, box)
        painter.end()

    def _draw_flow(self, painter: QPainter, layout: Layout) -> None:
        """Forward arrows: z -> G -> fake -> D, real -> D, D -> predictions -> losses."""
        b = layout.boxes
        painter.setPen(QPen(QColor(colours.NEUTRAL), 1.5))
        middle = b["G"].center().y()
        self._arrow(painter, QPointF(b["noise"].right(), middle), QPointF(b["G"].left(), middle))
        self._arrow(painter, QPointF(b["G"].right(), middle), b["fake"].topLeft() + QPointF(0, 8))
        for source in ("real", "fake"):
            self._arrow(painter, QPointF(b[source].right(), b[source].center().y()),
                        QPointF(b["D"].left(), middle))  # fmt: skip
        for a, c in (("D", "predictions"), ("predictions", "losses")):
            self._arrow(painter, QPointF(b[a].right(), middle), QPointF(b[c].left(), middle))

    def _arrow(self, painter: QPainter, start: QPointF, end: QPointF) -> None:
        start, end = start + QPointF(2, 0), end - QPointF(2, 0)
        painter.drawLine(start, end)
        direction = end - start
        length = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-6)
        ux, uy = direction.x() / length, direction.y() / length
        head = QPainterPath(end)
        head.lineTo(end.x() - 7 * ux + 4 * uy, end.y() - 7 * uy - 4 * ux)
        head.lineTo(end.x() - 7 * ux - 4 * uy, end.y() - 7 * uy + 4 * ux)
        head.closeSubpath()
        painter.fillPath(head, painter.pen().color())

    def _draw_gradients(self, painter: QPainter, layout: Layout) -> None:
        """The two backward paths under the boxes, lit when slow motion shows that update."""
        b = layout.boxes
        base = b["losses"].bottom()
        line = painter.fontMetrics().height()
        for player, colour, lines, target in (
            ("D", colours.DISC, 1, "D"),
            ("G", colours.FAKE_DARK, 2, "G"),
        ):
            lit = self.active in (player, "both")
            pen = QPen(QColor(colour), 3 if lit else 1.5)
            pen.setStyle(Qt.PenStyle.SolidLine if lit else Qt.PenStyle.DashLine)
            colour_q = QColor(colour)
            colour_q.setAlpha(255 if lit or self.active is None else 90)
            pen.setColor(colour_q)
            painter.setPen(pen)
            y = base + lines * (line + 5)
            x0, x1 = b["losses"].center().x(), b[target].center().x()
            path = QPainterPath(QPointF(x0, base))
            path.lineTo(x0, y)
            path.lineTo(x1, y)
            path.lineTo(x1, b[target].bottom())
            painter.drawPath(path)
            name = judge(self.config) if player == "D" else "G"  # type: ignore[arg-type]
            label = f"{name}'s update: −∇ of its loss"
            painter.drawText(QRectF(x1 + 6, y - line - 1, x0 - x1, line), label)

    def _draw_node(self, painter: QPainter, name: str, box: QRectF) -> None:
        config = self.config
        assert config is not None
        lit = (name in ("D",) and self.active in ("D", "both")) or (
            name in ("G", "noise") and self.active in ("G", "both")
        )
        painter.setPen(QPen(QColor("#222222" if lit else "#999999"), 2.5 if lit else 1))
        painter.setBrush(QColor("#fbfbfb"))
        painter.drawRoundedRect(box, 6, 6)
        title = TITLES.get(name) or ("critic" if judge(config) == "the critic" else "discriminator")
        line = painter.fontMetrics().height()
        painter.setPen(QColor("#222222"))
        painter.drawText(
            QRectF(box.left(), box.top() + 2, box.width(), line),
            Qt.AlignmentFlag.AlignHCenter,
            title,
        )
        body = box.adjusted(6, line + 4, -6, -4)
        snap = self.snapshot
        if name in ("G", "D"):
            arch = architecture(config, name)
            lines = arch.count("\n") + 1
            painter.drawText(
                QRectF(body.left(), body.bottom() - lines * line, body.width(), lines * line),
                Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap,
                arch,
            )
            body = body.adjusted(0, 0, 0, -lines * line)
        thumb = self._square(body)
        if name == "noise":
            self._scatter(painter, thumb, self._noise, (-3.0, 3.0, -3.0, 3.0), colours.NEUTRAL)
        elif snap is None:
            return
        elif name == "G":
            self._polyline(painter, thumb, snap.manifold, snap.bounds)
        elif name == "fake":
            self._scatter(painter, thumb, snap.fake, snap.bounds, colours.FAKE)
        elif name == "real":
            self._scatter(painter, thumb, snap.real, snap.bounds, colours.REAL)
        elif name == "D" and self._surface_image is not None:
            painter.drawImage(thumb, self._surface_image)
        elif name == "predictions":
            self._bars(painter, body, snap, ("d_real", "d_fake"), ("on real", "on generated"))
        elif name == "losses":
            self._bars(painter, body, snap, ("d_loss", "g_loss"), (f"{judge(config)}", "G"))

    def _square(self, body: QRectF) -> QRectF:
        side = max(min(body.width(), body.height()), 1.0)
        return QRectF(body.center().x() - side / 2, body.top(), side, side)

    def _to_box(self, points: np.ndarray, box: QRectF, bounds: tuple[float, ...]) -> np.ndarray:
        xmin, xmax, ymin, ymax = bounds
        x = box.left() + (points[:, 0] - xmin) / (xmax - xmin) * box.width()
        y = box.bottom() - (points[:, 1] - ymin) / (ymax - ymin) * box.height()
        return np.stack([x, y], axis=1)

    def _scatter(
        self,
        painter: QPainter,
        box: QRectF,
        points: np.ndarray,
        bounds: tuple[float, ...],
        colour: str,
    ) -> None:
        """Up to 300 dots, in one call: round 3 px points (one drawEllipse per dot took a
        third of a normal-mode frame)."""
        mapped = self._to_box(points[:300], box, bounds)
        mapped = mapped[np.isfinite(mapped).all(axis=1)]
        polygon = pg.functions.create_qpolygonf(len(mapped))
        pg.functions.ndarray_from_qpolygonf(polygon)[:] = mapped
        pen = QPen(QColor(colour), 3.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.save()
        painter.setClipRect(box)
        painter.setPen(pen)
        painter.drawPoints(polygon)
        painter.restore()

    def _polyline(
        self, painter: QPainter, box: QRectF, grid: np.ndarray, bounds: tuple[float, ...]
    ) -> None:
        """G's image of a noise grid: every grid line in one path, rows apart by NaNs."""
        lines = np.concatenate([grid, grid.transpose(1, 0, 2)])  # (lines, points, 2)
        mapped = self._to_box(lines.reshape(-1, 2), box, bounds).reshape(*lines.shape)
        gaps = np.full((len(lines), 1, 2), np.nan)
        joined = np.concatenate([mapped, gaps], axis=1).reshape(-1, 2)
        path = pg.functions.arrayToQPath(joined[:, 0], joined[:, 1], connect="finite")
        painter.save()
        painter.setClipRect(box)
        painter.setPen(QPen(QColor(colours.MANIFOLD), 1))
        painter.drawPath(path)
        painter.restore()

    def _bars(
        self,
        painter: QPainter,
        body: QRectF,
        snap: Snapshot,
        keys: tuple[str, str],
        labels: tuple[str, str],
    ) -> None:
        """Two live numbers as bars, on a scale that fits both (probabilities on 0..1)."""
        values = [snap.metrics.get(k, float("nan")) for k in keys]
        finite = [abs(v) for v in values if np.isfinite(v)]
        scale = 1.0 if keys[0] == "d_real" and snap.surface_center == 0.5 else max(finite or [1.0])
        line = painter.fontMetrics().height()
        row = body.height() / 2
        for i, (value, label, colour) in enumerate(
            zip(
                values,
                labels,
                (colours.REAL, colours.FAKE)
                if keys[0] == "d_real"
                else (colours.DISC, colours.FAKE),
                strict=True,
            )
        ):
            top = body.top() + i * row
            painter.setPen(QColor("#222222"))
            shown = "—" if not np.isfinite(value) else f"{value:.3g}"
            painter.drawText(QRectF(body.left(), top, body.width(), line), f"{label}: {shown}")
            length = 0.0 if not np.isfinite(value) else abs(value) / (scale or 1.0)
            bar = QRectF(
                body.left(), top + line + 2, body.width() * min(length, 1.0), row - line - 6
            )
            painter.fillRect(bar, QColor(colour))
