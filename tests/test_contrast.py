"""What a class sees on a projector: the samples stand out on every surface colour, and the
compare variants' colours stay apart for colour-blind eyes (measured, not eyeballed)."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pyqtgraph as pg
import pytest
from conftest import small_config
from PySide6.QtCore import QPointF

from app import colours
from app.views.sample_view import SampleView
from models.engine import Trainer

pytestmark = pytest.mark.usefixtures("qapp")
# WCAG 2.1's minimum for graphics a reader must make out (1.4.11: 3 to 1)
MIN_CONTRAST = 3.0


def rendered(view: SampleView) -> np.ndarray:
    """The view's pixels as (height, width, 3), copied while Qt's image is alive."""
    image = view.grab().toImage()
    image = image.convertToFormat(image.Format.Format_RGB888)
    width, height = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).copy()
    return data.reshape(height, image.bytesPerLine())[:, : width * 3].reshape(height, width, 3)


def _linear(rgb: np.ndarray) -> np.ndarray:
    c = rgb.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


# Machado, Oliveira and Fernandes (2009), full severity, on linear RGB
DEUTERANOPIA = np.array(
    [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]]
)
PROTANOPIA = np.array(
    [
        [0.152286, 1.052583, -0.204868],
        [0.114503, 0.786281, 0.099216],
        [-0.003882, -0.048116, 1.051998],
    ]
)
SRGB_TO_XYZ = np.array(
    [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
)


def _lab(linear: np.ndarray) -> np.ndarray:
    xyz = SRGB_TO_XYZ @ np.clip(linear, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def distance_seen(a: str, b: str) -> float:
    """CIELAB distance of two colours as the least of normal, deuteranopic and protanopic
    vision sees it (10 is clearly different side by side; 2 barely)."""
    la, lb = (_linear(np.array(pg.mkColor(c).getRgb()[:3])) for c in (a, b))
    return min(
        float(np.linalg.norm(_lab(m @ la) - _lab(m @ lb)))
        for m in (np.eye(3), DEUTERANOPIA, PROTANOPIA)
    )


def test_variant_colours_stay_apart_for_colour_blind_eyes() -> None:
    variants = colours.VARIANTS
    pairs = list(itertools.combinations(variants, 2))
    assert min(distance_seen(a, b) for a, b in pairs) >= 14
    first_four = list(itertools.combinations(variants[:4], 2))
    assert min(distance_seen(a, b) for a, b in first_four) >= 48  # seeds 0-3, fix vs failure
    white = np.array([255, 255, 255])
    for colour in variants:
        rgb = np.array(pg.mkColor(colour).getRgb()[:3])
        assert contrast(rgb, white) >= MIN_CONTRAST, f"{colour} is too pale for a line on white"
        for sample in (colours.FAKE, colours.REAL):
            assert distance_seen(colour, sample) >= 20, f"{colour} looks like {sample}"


def luminance(rgb: np.ndarray) -> np.ndarray:
    """WCAG relative luminance of 8-bit sRGB colours (..., 3)."""
    return _linear(rgb) @ np.array([0.2126, 0.7152, 0.0722])


def contrast(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    la, lb = luminance(a), luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


@pytest.mark.parametrize("verdict", [0.0, 0.5, 1.0], ids=["says generated", "unsure", "says real"])
@pytest.mark.parametrize("layer", ["surface", "magnitude"])
def test_samples_stand_out_on_every_background(qtbot, verdict: float, layer: str) -> None:  # type: ignore[no-untyped-def]
    """Each dot's most different pixel from the background under it differs by at least
    3:1: once orange dots sat on D's orange 'generated' side and vanished (1.9:1)."""
    snap = Trainer(small_config(view={"resolution": 16, "arrows": 4, "samples": 16})).snapshot()
    xmin, xmax, ymin, ymax = snap.bounds
    grid = np.array(
        [
            [x, y]
            for x in np.linspace(xmin, xmax, 6)[1:-1]
            for y in np.linspace(ymin, ymax, 6)[1:-1]
        ],
        dtype=np.float32,
    )
    surface = np.full_like(snap.surface, verdict)
    magnitude = np.full_like(snap.field_magnitude, 10.0 ** (-4 + 5 * verdict))
    view = SampleView()
    qtbot.addWidget(view)
    view.resize(520, 480)
    view.set_layers({layer, "fake", "real"})
    view.show()
    for kind, points in (("fake", grid), ("real", grid + 0.01 * (xmax - xmin))):
        other = np.empty((0, 2), np.float32)
        picture = replace(
            snap,
            surface=surface,
            field_magnitude=magnitude,
            surface_center=0.5,
            fake=points if kind == "fake" else other,
            real=points if kind == "real" else other,
            mode_centers=other,
        )
        empty = replace(picture, fake=other, real=other)
        view.show_snapshot(empty)
        qtbot.wait(1)
        background = rendered(view)
        view.show_snapshot(picture)
        qtbot.wait(1)
        with_dots = rendered(view)
        vb = view.getPlotItem().vb
        for x, y in points:
            centre = view.mapFromScene(vb.mapViewToScene(QPointF(float(x), float(y))))
            cx, cy = centre.x(), centre.y()
            patch = np.s_[cy - 5 : cy + 6, cx - 5 : cx + 6]
            changed = np.any(with_dots[patch] != background[patch], axis=-1)
            assert changed.any(), f"no {kind} dot drawn at ({x:.2f}, {y:.2f})"
            seen = contrast(with_dots[patch][changed], background[patch][changed]).max()
            assert seen >= MIN_CONTRAST, (
                f"{kind} sample on {layer} = {verdict}: best contrast {seen:.2f}:1"
            )
