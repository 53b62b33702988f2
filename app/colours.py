"""GANscope's one colour language, used by every view, chart, key and export.

Blue is real, orange is the generator: real samples are blue dots, generated ones orange;
the discriminator's surface is blue where it says "real" and orange where it says "generated",
through white where it cannot tell; chart series of the real side are blue, of the generator
orange, of the discriminator itself purple. The hues are Okabe and Ito's colour-blind-safe
palette (they stay apart for deuteranopes and protanopes, and in greyscale blue is the darker).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

REAL = "#0072B2"  # blue: real data, D's "real" side, D(real)
FAKE = "#E69F00"  # orange: generated samples, G's losses and gradients, D's "fake" side
FAKE_DARK = "#B36B00"  # orange dark enough for thin lines and text on white
DISC = "#CC79A7"  # reddish purple: D's own loss, gradients and weights
MANIFOLD = "#009E73"  # bluish green: G's manifold (the image of a latent grid)
NEUTRAL = "#555555"  # grey: totals, reference lines, the W1 noise floor
EDIT = "#222222"  # near black: markers of the user's edits
NOTE = "#f4f1e8"  # warm paper: the slow-motion narration line
ERROR = "#c0392b"  # red: refusals and failures in the status line and dialogs
OUTLINE = "#1a1a1a"  # the rim of every sample dot
# real samples' fill: REAL a little lighter, so a dot stands out on the gradient-strength
# map's dark end too (REAL itself measured 2.94:1 there, under the 3:1 a reader needs)
REAL_DOT = "#2f8ac6"
ARROW = (25, 25, 25)  # G's gradient arrows: dark, to read over either side of the surface

# compare mode, a colour per variant, black first (the base), chosen so that any two stay
# apart (CIELAB distance >= 14, and >= 48 among the first four) for normal, deuteranopic
# and protanopic eyes, each reads on white (3:1) and none is near the samples' orange or
# blue (>= 20). The Okabe-Ito set made seeds 2 and 3 one grey for deuteranopes and put its
# vermillion next to "generated" orange. tests/test_contrast.py measures all of it.
VARIANTS = (
    "#000000",
    "#CC79A7",
    "#CC3311",
    "#332288",
    "#882255",
    "#EE6677",
    "#228833",
    "#009E73",
)

# The surface: pale orange (D is sure the point is generated) - white - pale blue (sure it
# is real). Never the samples' own colours: full orange ends once hid the orange dots on D's
# "generated" side (1.9:1); these ends leave the dots' fills and dark rims 3:1 or more.
SURFACE_STOPS = (
    (0.0, (240, 190, 110)),
    (0.25, (248, 222, 178)),
    (0.5, (255, 255, 255)),
    (0.75, (190, 218, 238)),
    (1.0, (125, 178, 216)),
)


def surface_colormap() -> pg.ColorMap:
    positions = np.array([p for p, _ in SURFACE_STOPS])
    colours = np.array([c for _, c in SURFACE_STOPS], dtype=np.ubyte)
    return pg.ColorMap(positions, colours, name="ganscope-real-fake")


def brush(colour: str, alpha: int = 255) -> pg.QtGui.QBrush:
    qcolour = pg.mkColor(colour)
    qcolour.setAlpha(alpha)
    return pg.mkBrush(qcolour)


def pen(colour: str | tuple[int, int, int], width: float = 1.0, alpha: int = 255) -> pg.QtGui.QPen:
    qcolour = pg.mkColor(colour)
    qcolour.setAlpha(alpha)
    return pg.mkPen(qcolour, width=width)


def gif_palette() -> list[tuple[int, int, int]]:
    """A GIF's fixed 256-colour palette: every colour a frame uses on purpose, its blends
    with white (antialiased lines), the surface and magnitude maps, greys, and the
    surface's colours darkened (arrows over it). Each frame maps to it, so no series colour
    is ever merged away (an adaptive palette once turned D(real) grey) and frames agree."""
    named = [REAL, REAL_DOT, FAKE, FAKE_DARK, DISC, MANIFOLD, NEUTRAL, EDIT, OUTLINE]
    colours: list[tuple[int, int, int]] = [(0, 0, 0), (255, 255, 255)]
    for name in named:
        r, g, b = pg.mkColor(name).getRgb()[:3]
        for share in np.linspace(1.0, 0.2, 8):  # the colour, fading into white
            colours.append(_mix((r, g, b), (255, 255, 255), share))
    colours += _ramp(surface_colormap(), 64)
    colours += _ramp(pg.colormap.get("viridis"), 32)
    colours += [(v, v, v) for v in np.linspace(0, 255, 32).astype(int)]
    for _, stop in SURFACE_STOPS:
        for share in np.linspace(0.85, 0.35, 6):  # dark lines drawn over the surface
            colours.append(_mix(stop, (0, 0, 0), share))
    unique = list(dict.fromkeys(colours))
    return unique[:256]


def _mix(a: tuple[int, ...], b: tuple[int, ...], share: float) -> tuple[int, int, int]:
    mixed = (round(share * x + (1 - share) * y) for x, y in zip(a, b, strict=True))
    return tuple(mixed)  # type: ignore[return-value]


def _ramp(cmap: pg.ColorMap, n: int) -> list[tuple[int, int, int]]:
    table = cmap.getLookupTable(0.0, 1.0, n, alpha=False)
    return [tuple(int(v) for v in row[:3]) for row in table]  # type: ignore[misc]
