"""Snapshot: an immutable picture of the training state, safe to hand to another thread.

Arrays are float32 numpy copies marked read-only; no torch tensor crosses into the GUI.
Grids are indexed [ix, iy] (x varies along the first axis), matching pyqtgraph's ImageItem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import torch


def frozen_array(tensor: torch.Tensor) -> np.ndarray:
    """A read-only float32 numpy copy of a tensor (detached, moved to the CPU)."""
    array = tensor.detach().to("cpu", torch.float32).numpy().copy()
    array.flags.writeable = False
    return array


class FrozenMetrics(dict):
    """A read-only dict of metric values that still pickles (to cross a process boundary)."""

    def _refuse(self, *args: object, **kwargs: object) -> None:
        raise TypeError("snapshot metrics are read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _refuse  # type: ignore[assignment]

    def __reduce__(self) -> tuple[type, tuple[dict[str, float]]]:
        return (FrozenMetrics, (dict(self),))


def frozen_metrics(values: Mapping[str, float]) -> Mapping[str, float]:
    return FrozenMetrics(values)


def _refreeze(state: dict[str, object]) -> None:
    """Unpickled numpy arrays come back writable: make them read-only again."""
    for value in state.values():
        if isinstance(value, np.ndarray):
            value.flags.writeable = False


@dataclass(frozen=True)
class DiracState:
    """The Dirac-GAN in its (theta, psi) phase plane."""

    theta: float
    psi: float
    thetas: np.ndarray  # (K,) grid of theta values
    psis: np.ndarray  # (K,) grid of psi values
    flow: np.ndarray  # (K, K, 2): (d theta/dt, d psi/dt) of gradient play at each grid point

    def __setstate__(self, state: dict[str, object]) -> None:
        _refreeze(state)
        self.__dict__.update(state)


@dataclass(frozen=True)
class Snapshot:
    step: int
    metrics: Mapping[str, float]
    bounds: tuple[float, float, float, float]  # xmin, xmax, ymin, ymax of every grid
    fake: np.ndarray  # (N, 2) generated from a fixed latent batch, so points move smoothly
    real: np.ndarray  # (N, 2)
    surface: np.ndarray  # (R, R) D's output shown as 'D(x)'
    # the neutral value of `surface`: 0.5 probability, 0 hinge score, None for a WGAN critic
    # (a score defined up to a constant)
    surface_center: float | None
    surface_label: str
    field: np.ndarray  # (A, A, 2) -dL_G/dx at an arrow grid over `bounds`
    field_magnitude: np.ndarray  # (R, R) |dL_G/dx|
    manifold: np.ndarray  # (L, L, 2) G applied to a latent grid
    mode_centers: np.ndarray  # (M, 2)
    config_version: int  # bumps with every applied change, so a view can tell it arrived
    device: str = "cpu"
    dirac: DiracState | None = None
    diverged: str | None = None

    def __setstate__(self, state: dict[str, object]) -> None:
        _refreeze(state)
        self.__dict__.update(state)

    def with_frame(self, frame: Frame) -> Snapshot:
        """This full snapshot with an in-between frame's newer samples: the one place where
        a frame becomes a snapshot (the rest has not changed since the full one)."""
        return replace(
            self, step=frame.step, fake=frame.fake, dirac=frame.dirac, diverged=frame.diverged
        )


def between(before: Snapshot, after: Snapshot, t: float) -> Snapshot:
    """The picture a fraction `t` (0..1) of the way from `before` to `after`: samples, arrows,
    surface and manifold blended linearly, so slow motion can glide from one to the other.
    The fake samples come from a fixed latent batch, so sample i of both is the same point
    moving. Anything that cannot blend (a change of shape) shows `after`."""
    if t >= 1.0 or before.fake.shape != after.fake.shape or before.bounds != after.bounds:
        return after

    def mix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if a.shape != b.shape:
            return b
        blended = (a + (b - a) * np.float32(t)).astype(np.float32)
        blended.flags.writeable = False
        return blended

    dirac = after.dirac
    if before.dirac is not None and after.dirac is not None:
        dirac = replace(
            after.dirac,
            theta=before.dirac.theta + (after.dirac.theta - before.dirac.theta) * t,
            psi=before.dirac.psi + (after.dirac.psi - before.dirac.psi) * t,
        )
    return replace(
        after,
        metrics=frozen_metrics(after.metrics),  # a new object: views redraw the fields
        fake=mix(before.fake, after.fake),
        surface=mix(before.surface, after.surface),
        field=mix(before.field, after.field),
        field_magnitude=mix(before.field_magnitude, after.field_magnitude),
        manifold=mix(before.manifold, after.manifold),
        dirac=dirac,
    )


@dataclass(frozen=True)
class Frame:
    """An in-between snapshot's new parts (0.3 ms to take, a few KB to send): the samples
    move smoothly between full snapshots, which cost 13-20 ms each on one CPU thread."""

    step: int
    fake: np.ndarray
    dirac: DiracState | None
    diverged: str | None
    config_version: int

    def __setstate__(self, state: dict[str, object]) -> None:
        _refreeze(state)
        self.__dict__.update(state)
