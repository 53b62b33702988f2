"""Chart axes that read well: step axes in whole iterations with compact labels (2k, 10k),
and log axes that label only 1, 2 and 5 of each decade."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF


class StepAxis(pg.AxisItem):
    """Iterations: whole numbers only, compact labels (2k, 10k) and no more ticks than fit."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span = max(maxVal - minVal, 1.0)
        # room for labels 1.5 label-widths apart, and at least three: presenter fonts left the
        # lower charts a single tick (2k on a 0-2.9k axis)
        room = max(int(size / (self._label_pixels() * 1.5)), 3)
        raw = span / room
        magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
        nice = [f * magnitude for f in (0.5, 1, 2, 5, 10)]
        spacing = next(s for s in nice if s >= raw)
        # at least two labelled ticks on any axis: a 1-2-5 step rounded up can leave one
        while span / spacing < 2 and nice.index(spacing) > 0:
            spacing = nice[nice.index(spacing) - 1]
        return [(max(spacing, 1.0), 0.0)]

    def _label_pixels(self) -> float:
        font = self.style.get("tickFont") or QFont()
        return QFontMetricsF(font).horizontalAdvance("10.5k")

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [_compact(v) for v in values]


def _compact(value: float) -> str:
    if abs(value) >= 1000:
        text = f"{value / 1000:.1f}".rstrip("0").rstrip(".")
        return f"{text}k"
    return f"{value:.0f}"


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
