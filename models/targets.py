"""Target distributions: what the generator must learn.

Every target samples on any device from a caller's ``torch.Generator`` (so runs are seeded) and
knows its modes, which the metrics use: a sample is *high quality* when it lies within three
standard deviations of the target's support, and it *belongs* to the mode nearest to it.
Mixtures (ring, grid, gaussians) have point modes; curves (spiral, moons) and point clouds are
cut into ``modes`` stretches or clusters so "modes covered" means "parts of the shape reached".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.config import COORDINATE_LIMIT, ConfigError, TargetConfig, TrainConfig
from models.textfile import read_text_bounded

_CURVE_RESOLUTION = 2000  # points per curve used to measure distance to the support
MAX_CSV_BYTES = 100_000_000
MAX_POINTS = 1_000_000
# Scoring a sample means its distance to every support point: 2,500 samples against a
# 20,000-point cloud took 18 s per 20 steps. Larger clouds are scored against a fixed,
# evenly drawn subset of this many of their points (the metrics' summary of the cloud).
MAX_SCORED_SUPPORT = 4096


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
    scored: torch.Tensor | None = None  # support indices the metrics score against; None: all

    @property
    def _cdf(self) -> torch.Tensor:
        cdf = self.support_prob.cumsum(0)
        return cdf / cdf[-1]

    @property
    def num_modes(self) -> int:
        return int(self.centers.shape[0])

    def to(self, device: torch.device) -> Target:
        moved = {k: getattr(self, k).to(device) for k in self._tensor_fields()}
        scored = None if self.scored is None else self.scored.to(device)
        return Target(name=self.name, scored=scored, **moved)

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
        support, modes, stds = self.support, self.support_mode, self.support_std
        if self.scored is not None:
            support, modes, stds = support[self.scored], modes[self.scored], stds[self.scored]
        distance = torch.cdist(x.to(support.dtype), support)
        nearest_distance, nearest = distance.min(dim=1)
        high_quality = nearest_distance <= 3.0 * stds[nearest]
        return modes[nearest], high_quality

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
    """x,y per line; a first line with no number in it (a header such as 'x,y') is skipped.
    A first line that holds a number or looks like one ('1,2a', 'inf,1', '1e5e,2') is data,
    and an error if malformed: it is never dropped as a header without a word.

    Bounded (MAX_CSV_BYTES read at most, MAX_POINTS rows) and parsed by numpy's C reader:
    a million rows load in well under a second. A line that holds numbers which are not
    finite (inf, nan) is an error, never a header.
    """
    text = read_text_bounded(path, MAX_CSV_BYTES, "target.file")
    lines = text.splitlines()
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    if start < len(lines) and _is_header(lines[start]):
        start += 1  # a header
    body = [line for line in lines[start:] if line.strip()]
    if not body:
        raise ConfigError([f"target.file: {path.name} holds no points (expected lines of 'x,y')"])
    if len(body) > MAX_POINTS:
        raise ConfigError(
            [f"target.file: {path.name} has {len(body):,} points; the limit is {MAX_POINTS:,}"]
        )
    try:
        points = np.loadtxt(body, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError:
        points = np.empty((0, 0))
    if points.ndim != 2 or points.shape != (len(body), 2) or not np.isfinite(points).all():
        number = start + 1 + _first_bad(body)
        raise ConfigError(
            [f"target.file: line {number} of {path.name} is not 'x,y' with two finite numbers"]
        )
    if np.abs(points).max() > COORDINATE_LIMIT:
        raise ConfigError(
            [f"target.file: {path.name} has a coordinate beyond +-{COORDINATE_LIMIT:g}"]
        )
    return torch.from_numpy(points.astype(np.float32))


def _numbers(line: str) -> list[float] | None:
    """The line's comma-separated fields as floats, or None if one is not a number at all."""
    try:
        return [float(field) for field in line.split(",")]
    except ValueError:
        return None


_NUMBER_LIKE = re.compile(r"\s*[+-]?(\d|\.\d|(inf|infinity|nan)\s*$)", re.IGNORECASE)


def _is_header(line: str) -> bool:
    """A header names its columns: no field is a number or begins like one."""
    return not any(_NUMBER_LIKE.match(field) for field in line.split(","))


def _first_bad(body: list[str]) -> int:
    """Index of the first line that is not two finite numbers (after a bulk parse failed)."""
    for index, line in enumerate(body):
        values = _numbers(line)
        if values is None or len(values) != 2 or not all(math.isfinite(v) for v in values):
            return index
    return 0


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
    scored = None
    if points.shape[0] > MAX_SCORED_SUPPORT:
        draw = torch.Generator().manual_seed(0)  # the same summary every run
        scored = torch.randperm(points.shape[0], generator=draw)[:MAX_SCORED_SUPPORT].sort().values
    return Target("points", centers, counts / counts.sum(), points, labels, stds, prob, scored)


def dirac(std: float) -> Target:
    """The Dirac-GAN's real data: a point mass at 0 (stored in 2-D; only x is used).

    The lessons jitter it by std 1e-3 (the default) so that a student who adds noise or
    penalties sees D react to data, not to a constant; the paper reproductions set std = 0,
    the paper's exact point, so their decay rates are not floored at the jitter (R1 0.3 after
    500 steps: 2e-7 exact, 2e-4 jittered).
    """
    zero = torch.zeros(1, 2)
    one = torch.ones(1)
    return Target("dirac", zero, one, zero, torch.zeros(1, dtype=torch.long), one * std, one)


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
    return dirac(std)


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
