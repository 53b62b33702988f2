"""The findings the doctor can name: one list shared by the detectors and the scene files
(a failure scene's `[[diagnosis]] name` must be one of them)."""

from __future__ import annotations

from typing import Literal, get_args

FindingName = Literal[
    "mode_collapse",
    "mode_hopping",
    "oscillation",
    "vanishing_gradients",
    "d_overpowers_g",
    "d_fooled",
    "lr_too_high",
    "divergence",
    "clipping_saturation",
]
FINDING_NAMES: tuple[str, ...] = get_args(FindingName)
