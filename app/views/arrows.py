"""Arrow geometry for vector fields, as line segments pyqtgraph draws in one item."""

from __future__ import annotations

import numpy as np

HEAD_FRACTION = 0.3
HEAD_ANGLE = np.deg2rad(25.0)


def arrow_segments(points: np.ndarray, vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y arrays of 3 segments per arrow (shaft, two head strokes) for connect='pairs'.

    points, vectors: (N, 2). A zero vector gives a zero-length arrow (nothing visible).
    """
    tips = points + vectors
    back = -vectors * HEAD_FRACTION
    cos, sin = np.cos(HEAD_ANGLE), np.sin(HEAD_ANGLE)
    left = np.stack([back[:, 0] * cos - back[:, 1] * sin, back[:, 0] * sin + back[:, 1] * cos], 1)
    right = np.stack([back[:, 0] * cos + back[:, 1] * sin, -back[:, 0] * sin + back[:, 1] * cos], 1)
    segments = np.stack([points, tips, tips, tips + left, tips, tips + right], axis=1)
    flat = segments.reshape(-1, 2)
    return flat[:, 0], flat[:, 1]


def normalised_vectors(vectors: np.ndarray, cell: float) -> np.ndarray:
    """Every arrow 0.8 of a grid cell long: the direction only (a zero vector stays 0)."""
    magnitude = np.linalg.norm(vectors, axis=1, keepdims=True)
    safe = np.where(magnitude > 0, magnitude, 1.0)
    return np.nan_to_num(np.where(magnitude > 0, vectors / safe * 0.8 * cell, 0.0))


FULL_LENGTH_AT = 1.0  # |dL_G/dx| drawn at full length...
DECADES = 4.0  # ...and this many decades below it shrinks to a dot


def log_scaled_vectors(vectors: np.ndarray, cell: float) -> np.ndarray:
    """Arrow vectors in data units, their length on a fixed log scale of the gradient's
    strength: 0.9 of a grid cell at |v| >= FULL_LENGTH_AT, shrinking by a quarter of that per
    decade, a dot DECADES below it.

    The scale is the same in every frame and every scene, so one spike never shrinks the
    other arrows for the rest of a run (a run-wide maximum once made them dots), arrows of
    ordinary strength (0.01-1) stay readable, and a gradient that vanishes visibly does.
    """
    magnitude = np.linalg.norm(vectors, axis=1, keepdims=True)
    safe = np.where(magnitude > 0, magnitude, 1.0)
    decades_below = np.log10(FULL_LENGTH_AT) - np.log10(safe)
    fraction = np.clip(1.0 - decades_below / DECADES, 0.0, 1.0)
    length = np.where(magnitude > 0, 0.9 * cell * fraction, 0.0)
    return np.nan_to_num(vectors / safe * length)
