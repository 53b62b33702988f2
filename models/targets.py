"""Target distributions: what the generator must learn.

Every target samples on any device from a caller's ``torch.Generator`` (so runs are seeded) and
knows its modes, which the metrics use: a sample is *high quality* when it lies within three
standard deviations of the target's support, and it *belongs* to the mode nearest to it.
Mixtures (ring, grid, gaussians) have point modes; curves (spiral, moons) and point clouds are
cut into ``modes`` stretches or clusters so "modes covered" means "parts of the shape reached".
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from models.config import ConfigError, TargetConfig, TrainConfig

_CURVE_RESOLUTION = 2000  # points per curve used to measure distance to the support


@dataclass(frozen=True)
class Target:
    """A 2-D distribution with known modes.

    ``support`` holds points on the noise-free shape (mode centres for mixtures, a dense polyline
    for curves); ``support_mode[i]`` is the mode that support point i belongs to and
    ``support_std[i]`` the noise std around it.
    """

    name: str
    centers: torch.Tensor  # (M, 2) one representative point per mode, for drawing and labels
    weights: torch.Tensor  # (M,) mode probabilities, summing to 1
    support: torch.Tensor  # (S, 2)
    support_mode: torch.Tensor  # (S,) long
    support_std: torch.Tensor  # (S,)
    support_prob: torch.Tensor  # (S,) probability of sampling around each support point

    @property
    def _cdf(self) -> torch.Tensor:
        cdf = self.support_prob.cumsum(0)
        return cdf / cdf[-1]

    @property
    def num_modes(self) -> int:
        return int(self.centers.shape[0])

    def to(self, device: torch.device) -> Target:
        moved = {k: getattr(self, k).to(device) for k in self._tensor_fields()}
        return Target(name=self.name, **moved)

    @staticmethod
    def _tensor_fields() -> tuple[str, ...]:
        return ("centers", "weights", "support", "support_mode", "support_std", "support_prob")

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples: a support point drawn by probability, plus Gaussian noise of its std."""
        device = self.support.device
        cdf = self._cdf
        u = torch.rand(n, device=device, generator=generator, dtype=cdf.dtype)
        index = torch.searchsorted(cdf, u).clamp_(max=cdf.shape[0] - 1)
        noise = torch.randn(n, 2, device=device, generator=generator)
        return self.support[index] + noise * self.support_std[index, None]

    def assign(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """For each sample: the mode it belongs to and whether it is high quality (<= 3 std)."""
        if x.shape[0] == 0:
            empty = torch.zeros(0, dtype=torch.long, device=x.device)
            return empty, empty.bool()
        distance = torch.cdist(x.to(self.support.dtype), self.support)
        nearest_distance, nearest = distance.min(dim=1)
        high_quality = nearest_distance <= 3.0 * self.support_std[nearest]
        return self.support_mode[nearest], high_quality

    def bounds(self, margin: float = 0.25) -> tuple[float, float, float, float]:
        """A square view around the whole shape, with a margin (fraction of its size)."""
        reach = self.support.abs() + 3.0 * self.support_std[:, None]
        half = float(reach.max()) * (1.0 + margin)
        return (-half, half, -half, half)


def _mixture(name: str, means: torch.Tensor, stds: torch.Tensor, weights: torch.Tensor) -> Target:
    weights = weights / weights.sum()
    modes = torch.arange(means.shape[0])
    return Target(name, means, weights, means, modes, stds, weights)


def _curve(name: str, pieces: list[torch.Tensor], std: float, modes: int) -> Target:
    """A noisy curve of one or more pieces (dense polylines), its mass spread evenly along
    its length and cut into `modes` stretches of equal length, so every mode carries the
    same mass. (The gap between two pieces is not curve: counting it once left the moons'
    middle modes with 0.058 of the mass against 0.147; points spaced evenly in angle, not
    length, gave the spiral's modes 0.054-0.162.)"""
    points = torch.cat(pieces)
    lengths, arcs, offset = [], [], 0.0
    for piece in pieces:
        steps = (piece[1:] - piece[:-1]).norm(dim=1)
        # each point stands for half of the segment on either side of it
        lengths.append(torch.cat([steps[:1], steps[1:] + steps[:-1], steps[-1:]]) / 2)
        arcs.append(offset + torch.cat([torch.zeros(1, dtype=piece.dtype), steps.cumsum(0)]))
        offset += float(steps.sum())
    arc = torch.cat(arcs)
    support_mode = (arc / offset * modes).long().clamp(max=modes - 1)
    prob = torch.cat(lengths)
    prob = prob / prob.sum()
    centers = torch.stack([_medoid(points[support_mode == m]) for m in range(modes)])
    weights = torch.zeros(modes, dtype=points.dtype).index_add_(0, support_mode, prob)
    stds = torch.full((points.shape[0],), std, dtype=points.dtype)
    return Target(name, centers, weights, points, support_mode, stds, prob)


def _medoid(points: torch.Tensor) -> torch.Tensor:
    """The point of a group nearest to its mean: a mode's marker sits on the data (the mean
    of a curved stretch or a smile's cluster lies off it)."""
    mean = points.mean(0)
    return points[(points - mean).norm(dim=1).argmin()]


def ring(modes: int, radius: float, std: float) -> Target:
    """`modes` Gaussians evenly on a circle, mode k at angle 2*pi*k/modes (no repeated end)."""
    angle = torch.arange(modes, dtype=torch.float32) * (2 * math.pi / modes)
    means = radius * torch.stack([angle.cos(), angle.sin()], dim=1)
    return _mixture("ring", means, torch.full((modes,), std), torch.ones(modes))


def grid(size: int, spacing: float, std: float) -> Target:
    """size x size Gaussians at spacing*(i, j), centred on the origin (25 Gaussians: 5, 2.0)."""
    offsets = (torch.arange(size, dtype=torch.float32) - (size - 1) / 2) * spacing
    xs, ys = torch.meshgrid(offsets, offsets, indexing="ij")
    means = torch.stack([xs.reshape(-1), ys.reshape(-1)], dim=1)
    count = size * size
    return _mixture("grid", means, torch.full((count,), std), torch.ones(count))


def spiral(turns: float, radius: float, std: float, modes: int) -> Target:
    """A swiss-roll spiral r = radius * t / t_max, growing over `turns` turns."""
    t = torch.linspace(0.25, 1.0, _CURVE_RESOLUTION) * (2 * math.pi * turns)
    r = radius * t / t[-1]
    return _curve("spiral", [torch.stack([r * t.cos(), r * t.sin()], dim=1)], std, modes)


def moons(radius: float, std: float, modes: int) -> Target:
    """Two interleaving half circles (scikit-learn's layout), centred on the origin."""
    half = _CURVE_RESOLUTION // 2
    t = torch.linspace(0, math.pi, half)
    upper = torch.stack([t.cos() - 0.5, t.sin() - 0.25], dim=1)
    lower = torch.stack([0.5 - t.cos(), 0.25 - t.sin()], dim=1)
    return _curve("moons", [upper * radius, lower * radius], std, modes)


def gaussians(means: list, stds: list[float], weights: list[float], default_std: float) -> Target:
    count = len(means)
    mean_t = torch.tensor(means, dtype=torch.float32).reshape(count, 2)
    std_t = torch.tensor(stds or [default_std] * count, dtype=torch.float32)
    weight_t = torch.tensor(weights or [1.0] * count, dtype=torch.float32)
    return _mixture("gaussians", mean_t, std_t, weight_t)


def read_points_csv(path: Path) -> torch.Tensor:
    """x,y per line; a first line that is not two numbers is taken as a header."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"target.file: cannot read {str(path)!r} ({exc})"]) from None
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip():
            continue
        try:
            if len(row) != 2:
                raise ValueError
            x, y = float(row[0]), float(row[1])
            if not (math.isfinite(x) and math.isfinite(y)):
                raise ValueError
        except ValueError:
            if number == 1 and not rows:
                continue
            raise ConfigError(
                [f"target.file: line {number} of {path.name} is not 'x,y' with two finite numbers"]
            ) from None
        rows.append((x, y))
    if not rows:
        raise ConfigError([f"target.file: {path.name} holds no points (expected lines of 'x,y')"])
    return torch.tensor(rows, dtype=torch.float32)


def _cluster(points: torch.Tensor, k: int) -> torch.Tensor:
    """Deterministic k-means (farthest-point start, 20 rounds); returns a label per point."""
    centers = points[:1]
    while centers.shape[0] < k:
        far = torch.cdist(points, centers).min(dim=1).values.argmax()
        centers = torch.cat([centers, points[far : far + 1]])
    for _ in range(20):
        labels = torch.cdist(points, centers).argmin(dim=1)
        centers = torch.stack(
            [points[labels == j].mean(0) if (labels == j).any() else centers[j] for j in range(k)]
        )
    return torch.cdist(points, centers).argmin(dim=1)


def point_cloud(points: torch.Tensor, std: float, modes: int) -> Target:
    """An empirical distribution: the points, jittered by `std`, clustered into modes."""
    k = min(modes, points.shape[0])
    labels = _cluster(points, k)
    used = labels.unique()
    labels = torch.searchsorted(used, labels)
    centers = torch.stack([_medoid(points[labels == j]) for j in range(used.numel())])
    counts = torch.bincount(labels).float()
    prob = torch.full((points.shape[0],), 1.0 / points.shape[0])
    stds = torch.full((points.shape[0],), std)
    return Target("points", centers, counts / counts.sum(), points, labels, stds, prob)


def dirac() -> Target:
    """The Dirac-GAN's real data: a point mass at 0 (stored in 2-D; only x is used)."""
    zero = torch.zeros(1, 2)
    one = torch.ones(1)
    return Target("dirac", zero, one, zero, torch.zeros(1, dtype=torch.long), one * 1e-3, one)


def build_target(config: TargetConfig, base_dir: Path | None = None) -> Target:
    """The target a scene's [target] section describes. Relative files resolve to base_dir."""
    std = config.noise_std
    if config.kind == "ring":
        return ring(config.modes, config.radius, std)
    if config.kind == "grid":
        return grid(config.grid_size, config.spacing, std)
    if config.kind == "spiral":
        return spiral(config.turns, config.radius, std, config.modes)
    if config.kind == "moons":
        return moons(config.radius / 2.0, std, config.modes)
    if config.kind == "gaussians":
        return gaussians(config.means, config.stds, config.weights, std)
    if config.kind == "points" and not config.file:
        return point_cloud(torch.tensor(config.points, dtype=torch.float32), std, config.modes)
    if config.kind == "points":
        path = Path(config.file)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        return point_cloud(read_points_csv(path), std, config.modes)
    return dirac()


DIRAC_BOUNDS = (-3.0, 3.0, -3.0, 3.0)


def view_bounds(
    config: TrainConfig, target: Target | None = None, base_dir: Path | None = None
) -> tuple[float, float, float, float]:
    """The square the sample view shows and the D surface is computed on: the scene's
    [view] bounds when given, else a margin around the target (built here if not given)."""
    if config.view.bounds is not None:
        return config.view.bounds
    if config.is_dirac:
        return DIRAC_BOUNDS
    return (target or build_target(config.target, base_dir)).bounds()
