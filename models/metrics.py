"""Sample-quality metrics: the VEEGAN/PacGAN mode protocol and a Wasserstein-1 estimate.

Protocol (Srivastava et al. 2017; Lin et al. 2018): draw 2,500 generated samples; a sample is
*high quality* when it lies within 3 standard deviations of its nearest mode; a mode is
*captured* when at least one high-quality sample is nearest to it (the papers' count,
``modes_covered``); the reverse KL is KL(histogram of high-quality samples over modes || the
target's mode weights). ``modes_covered_20`` is the stricter count of modes holding at least
``MIN_COUNT`` (20, 0.8%) high-quality samples: one stray sample does not make a mode covered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from models.targets import Target

PROTOCOL_SAMPLES = 2500
MIN_COUNT = 20  # high-quality samples a mode needs to count as covered (0.8% of 2,500)
SLICES = 64


@dataclass(frozen=True)
class ModeMetrics:
    modes_covered: int  # modes nearest to at least one high-quality sample (the papers')
    modes_covered_20: int  # modes holding at least MIN_COUNT high-quality samples
    high_quality: float  # fraction of all samples
    reverse_kl: float  # nan when no sample is high quality
    dominant_mode: float = math.nan  # the mode holding most high-quality samples


def mode_metrics(samples: torch.Tensor, target: Target, min_count: int = MIN_COUNT) -> ModeMetrics:
    if samples.shape[0] == 0:
        return ModeMetrics(0, 0, 0.0, math.nan)
    finite = torch.isfinite(samples).all(dim=1)
    mode, high_quality = target.assign(torch.where(finite[:, None], samples, 1e30))
    high_quality &= finite
    counts = torch.bincount(mode[high_quality], minlength=target.num_modes).to(torch.float64)
    total = float(counts.sum())
    captured = int((counts >= 1).sum())
    covered = int((counts >= min_count).sum())
    if total == 0:
        return ModeMetrics(captured, covered, 0.0, math.nan)
    dominant = float(counts.argmax()) if counts.max() >= min_count else math.nan
    p = counts / total
    q = target.weights.to(torch.float64)
    present = p > 0
    kl = float((p[present] * (p[present] / q[present]).log()).sum())
    return ModeMetrics(captured, covered, total / samples.shape[0], max(kl, 0.0), dominant)


def sliced_w1(a: torch.Tensor, b: torch.Tensor, slices: int = SLICES) -> float:
    """Sliced Wasserstein-1 between two equal-size 2-D sample sets.

    Exact W1 needs an O(n^3) assignment; projecting on `slices` evenly spaced directions and
    averaging the exact 1-D W1 (sorted differences) is deterministic, O(n log n) and goes to 0
    exactly when the two sets match. It is a lower bound on W1, in the same units.
    """
    return SlicedW1(b, slices)(a)


class SlicedW1:
    """`sliced_w1` against a fixed reference set, its sorted projections computed once
    (the trainer measures every snapshot against the same real samples)."""

    def __init__(self, reference: torch.Tensor, slices: int = SLICES) -> None:
        angle = np.arange(slices) * (math.pi / slices)
        self._directions = np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (slices, 2)
        self._reference = self._sorted_projections(reference)

    def _sorted_projections(self, x: torch.Tensor) -> np.ndarray:
        # numpy: its sort is an order of magnitude faster than torch's on the CPU for this shape
        return np.sort(self._directions @ _numpy(x).T, axis=1)

    def __call__(self, samples: torch.Tensor) -> float:
        if samples.shape[0] == 0 or self._reference.shape[1] == 0:
            return math.nan
        if samples.shape[0] != self._reference.shape[1]:
            raise ValueError("sliced W1 compares sets of equal size")
        return float(np.abs(self._sorted_projections(samples) - self._reference).mean())


def _numpy(x: torch.Tensor) -> np.ndarray:
    return x.detach().to("cpu", torch.float64).numpy()
