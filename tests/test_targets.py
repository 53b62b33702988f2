"""Targets match the literature's recipes exactly and know their modes."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from models.config import ConfigError, TargetConfig
from models.targets import build_target, read_points_csv


def test_eight_gaussians_recipe() -> None:
    target = build_target(TargetConfig(kind="ring", modes=8, radius=2.0, std=0.02))
    angles = torch.atan2(target.centers[:, 1], target.centers[:, 0]) % (2 * math.pi)
    expected = torch.arange(8) * (2 * math.pi / 8)
    assert torch.allclose(angles.sort().values, expected, atol=1e-5)
    assert torch.allclose(target.centers.norm(dim=1), torch.full((8,), 2.0))
    assert torch.allclose(target.support_std, torch.full((8,), 0.02))


def test_metz_ring_has_no_duplicated_endpoint() -> None:
    target = build_target(TargetConfig(kind="ring", modes=8, radius=1.0, std=0.01))
    distances = torch.cdist(target.centers, target.centers) + torch.eye(8) * 10
    assert distances.min() > 0.7  # neighbours are 2 sin(pi/8) = 0.765 apart; no twin modes


def test_twenty_five_gaussians_recipe() -> None:
    target = build_target(TargetConfig(kind="grid", grid_size=5, spacing=2.0, std=0.05))
    expected = {(2 * i, 2 * j) for i in range(-2, 3) for j in range(-2, 3)}
    got = {(round(float(x)), round(float(y))) for x, y in target.centers}
    assert got == expected
    assert torch.allclose(target.support_std, torch.full((25,), 0.05))


@pytest.mark.parametrize("kind", ["ring", "grid", "spiral", "moons"])
def test_samples_are_high_quality_and_cover_every_mode(kind: str) -> None:
    target = build_target(TargetConfig(kind=kind, modes=8))
    x = target.sample(5000, torch.Generator().manual_seed(0))
    mode, high_quality = target.assign(x)
    # In 2-D, P(|x - mu| <= 3 std) = 1 - exp(-9/2) = 0.989; curves are closer to their support.
    assert high_quality.float().mean() > 0.98
    assert torch.bincount(mode, minlength=target.num_modes).min() > 0


def test_sampling_is_seeded() -> None:
    target = build_target(TargetConfig())
    a = target.sample(100, torch.Generator().manual_seed(3))
    b = target.sample(100, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_gaussian_mixture_respects_weights() -> None:
    config = TargetConfig(kind="gaussians", means=[(0, 0), (3, 0)], stds=[0.1, 0.1], weights=[3, 1])
    target = build_target(config)
    mode, _ = target.assign(target.sample(20000, torch.Generator().manual_seed(0)))
    share = torch.bincount(mode, minlength=2).float() / 20000
    assert abs(float(share[0]) - 0.75) < 0.02


def test_csv_with_header_and_without(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n0,0\n1,2\n")
    (tmp_path / "b.csv").write_text("0,0\n1,2\n\n")
    assert read_points_csv(tmp_path / "a.csv").tolist() == [[0, 0], [1, 2]]
    assert read_points_csv(tmp_path / "b.csv").tolist() == [[0, 0], [1, 2]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("x,y\n1,2\n3,oops\n", "line 3"),
        ("x,y\n", "holds no points"),
        ("0,0\n1,2,3\n", "line 2"),
        ("0,0\nnan,1\n", "line 2"),
    ],
)
def test_bad_csv_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "pts.csv"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        read_points_csv(path)
    assert info.value.problems[0].startswith("target.file:") and message in str(info.value)


def test_point_cloud_modes_from_clusters(tmp_path: Path) -> None:
    rows = [f"{cx + 0.01 * i},{0.01 * i}" for cx in (-3, 0, 3) for i in range(20)]
    (tmp_path / "p.csv").write_text("\n".join(rows))
    target = build_target(TargetConfig(kind="points", file="p.csv", modes=3), tmp_path)
    assert sorted(round(float(c[0])) for c in target.centers) == [-3, 0, 3]


@pytest.mark.parametrize("kind", ["moons", "spiral"])
def test_curves_give_every_mode_the_same_mass(kind: str) -> None:
    """Reverse KL compares against these weights: they must be what the shape means
    (equal), and sampling must follow them."""
    target = build_target(TargetConfig(kind=kind, modes=8))
    assert torch.allclose(target.weights, torch.full((8,), 1 / 8), atol=0.004)
    samples = target.sample(80_000, torch.Generator().manual_seed(0))
    mode, _ = target.assign(samples)
    share = torch.bincount(mode, minlength=8).float() / samples.shape[0]
    assert torch.allclose(share, target.weights, atol=0.01)


def test_mode_markers_lie_on_the_data() -> None:
    """A curved stretch's mean lies off the curve: its marker is the data point nearest it."""
    target = build_target(TargetConfig(kind="moons", modes=6))
    for center in target.centers:
        assert (target.support == center).all(dim=1).any()
