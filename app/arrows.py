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


def scale_vectors(
    vectors: np.ndarray, cell: float, reference: float | None, normalised: bool
) -> np.ndarray:
    """Arrow vectors in data units.

    normalised: every arrow 0.8 of a grid cell long (direction only).
    true length: an arrow as strong as `reference` is 0.9 of a cell, so lengths compare across
    frames (a vanishing gradient visibly shrinks); capped at 1.5 cells.
    """
    magnitude = np.linalg.norm(vectors, axis=1, keepdims=True)
    safe = np.where(magnitude > 0, magnitude, 1.0)
    if normalised:
        return np.where(magnitude > 0, vectors / safe * 0.8 * cell, 0.0)
    unit = 0.9 * cell / reference if reference and reference > 0 else 0.0
    length = np.minimum(magnitude * unit, 1.5 * cell)
    return vectors / safe * length


def reference_magnitude(vectors: np.ndarray) -> float:
    """The 90th-percentile arrow strength: what 'a normal arrow' means for this scene."""
    magnitude = np.linalg.norm(vectors.reshape(-1, 2), axis=1)
    finite = magnitude[np.isfinite(magnitude)]
    return float(np.percentile(finite, 90)) if finite.size else 0.0
