"""Regression tests for what a hostile user broke (issue 15): each names the input that crashed,
hung or was silently misread, and asserts the clean outcome instead."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from app.export.files import atomic_output, temp_path_for
from app.export.options import ExportError, build_options
from models.config import MAX_VIEW_WORK, MAX_WORK_PER_STEP, ConfigError, TrainConfig
from models.engine import Trainer
from models.targets import MAX_POINTS, MAX_SCORED_SUPPORT, point_cloud, read_points_csv
from scenes.loader import load_scene_file, parse_scene_text


@pytest.mark.parametrize(
    "regularizer",
    [
        {"regularization": {"r1_gamma": 1.0}},
        {"training": {"loss": "wgan-gp"}},
        {"regularization": {"unrolled_steps": 2}},
    ],
    ids=["R1", "WGAN-GP", "unrolled"],
)
def test_minibatch_features_combine_with_penalties_and_unrolling(
    small: Callable[..., TrainConfig], regularizer: dict
) -> None:
    """Was NotImplementedError: the derivative for '_cdist_backward' is not implemented."""
    config = small(discriminator={"minibatch_discrimination": True}, **regularizer)
    trainer = Trainer(config)
    assert trainer.step(3) == 3
    assert trainer.diverged is None


@pytest.mark.parametrize(
    ("sections", "named"),
    [
        ({"training": {"batch": 1}, "generator": {"batch_norm": True}}, "generator.batch_norm"),
        (
            {
                "training": {"batch": 4},
                "regularization": {"pack": 4},
                "discriminator": {"batch_norm": True},
            },
            "discriminator.batch_norm",
        ),
    ],
)
def test_batch_norm_with_one_row_per_batch_is_refused(
    small: Callable[..., TrainConfig], sections: dict, named: str
) -> None:
    """Was ValueError: Expected more than 1 value per channel, mid-run."""
    with pytest.raises(ConfigError) as caught:
        small(**sections)
    assert named in str(caught.value) and "at least 2" in str(caught.value)


def test_a_network_too_big_to_train_live_is_refused_naming_the_limit(
    small: Callable[..., TrainConfig],
) -> None:
    """Was: the child stopped answering the window for minutes per step."""
    with pytest.raises(ConfigError) as caught:
        small(
            generator={"width": 2048, "depth": 12},
            discriminator={"width": 2048, "depth": 12},
            training={"batch": 65536},
        )
    assert f"{MAX_WORK_PER_STEP:.0e}" in str(caught.value)
    assert "training.batch" in str(caught.value)


def test_a_picture_too_costly_to_draw_live_is_refused_naming_the_keys(
    small: Callable[..., TrainConfig],
) -> None:
    """Was: a 512-wide D with a 256-point surface took 4.7 s per picture (x4 in compare mode),
    and the window's picture lagged training by that much; training itself was allowed."""
    with pytest.raises(ConfigError) as caught:
        small(
            generator={"width": 512},
            discriminator={"width": 512},
            view={"resolution": 256, "arrows": 64},
        )
    assert f"{MAX_VIEW_WORK:.0e}" in str(caught.value)
    assert "view.resolution" in str(caught.value)
    small(generator={"width": 512}, discriminator={"width": 512}, view={"resolution": 64})


def test_a_scene_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    """Was: 'not valid TOML (Invalid statement (at line 1, column 1))'."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbfschema_version = 1\n[training]\nlr_d = 2e-3\n")
    assert load_scene_file(path).config.training.lr_d == 2e-3


def test_deeply_nested_toml_is_a_clean_error() -> None:
    """Was RecursionError out of tomllib (also in `ganscope open` and the window's Open...)."""
    with pytest.raises(ConfigError, match="nested too deeply"):
        parse_scene_text("x = " + "[" * 3000 + "]" * 3000)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_as_scene_or_points_file_is_refused(tmp_path: Path) -> None:
    """Was: reading /dev/zero until memory ran out (st_size is 0 for devices); then read
    bounded. Now refused before it is opened: only regular files are read."""
    with pytest.raises(ConfigError, match="is a device, not a regular file"):
        load_scene_file(Path("/dev/zero"))
    with pytest.raises(ConfigError, match="is a device, not a regular file"):
        read_points_csv(Path("/dev/zero"))


def test_a_large_scene_or_points_file_is_read_bounded(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(1_000_001)  # sparse: no disk used
    with pytest.raises(ConfigError, match="over the 1 MB limit"):
        load_scene_file(big)


def test_csv_with_a_byte_order_mark_keeps_its_first_point(tmp_path: Path) -> None:
    """Was: the first line, BOM and all, taken for a header and dropped."""
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf0.5,1\n1,2\n3,4\n")
    assert read_points_csv(path).tolist() == [[0.5, 1.0], [1.0, 2.0], [3.0, 4.0]]


def test_csv_whose_first_line_is_not_finite_is_an_error_not_a_header(tmp_path: Path) -> None:
    """Was: 'inf,1' silently skipped as a header."""
    path = tmp_path / "inf.csv"
    path.write_text("inf,1\n1,2\n3,4\n")
    with pytest.raises(ConfigError, match=r"line 1 of inf\.csv"):
        read_points_csv(path)


def test_csv_header_is_skipped_and_a_bad_line_is_named(tmp_path: Path) -> None:
    path = tmp_path / "points.csv"
    path.write_text("x,y\n1,2\n3,4\n5\n")
    with pytest.raises(ConfigError, match=r"line 4 of points\.csv"):
        read_points_csv(path)
    path.write_text("x,y\n1,2\n\n3,4\n")
    assert read_points_csv(path).shape == (2, 2)


def test_csv_field_longer_than_the_csv_module_allows_is_a_clean_error(tmp_path: Path) -> None:
    """Was _csv.Error: field larger than field limit (131072)."""
    path = tmp_path / "long.csv"
    path.write_text("1," + "2" * 200_000 + "\n")
    with pytest.raises(ConfigError, match=r"line 1 of long\.csv"):
        read_points_csv(path)


def test_csv_over_the_point_limit_names_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("0,0\n" * (MAX_POINTS + 1))
    with pytest.raises(ConfigError, match=f"the limit is {MAX_POINTS:,}"):
        read_points_csv(path)


def test_large_point_clouds_are_scored_against_a_fixed_summary() -> None:
    """Was a 2,500 x N distance matrix per snapshot (20k points: 18 s per 20 steps)."""
    points = torch.randn(50_000, 2, generator=torch.Generator().manual_seed(0))
    target = point_cloud(points, 0.03, 8)
    assert target.scored is not None and target.scored.numel() == MAX_SCORED_SUPPORT
    again = point_cloud(points, 0.03, 8)
    assert torch.equal(target.scored, again.scored)  # the same summary every run
    samples = target.sample(2500, torch.Generator().manual_seed(1))
    modes, high_quality = target.assign(samples)
    assert modes.shape == (2500,) and high_quality.float().mean() > 0.9
    assert point_cloud(points[:1000], 0.03, 8).scored is None  # small clouds: every point


def test_an_infinite_gradient_is_divergence_even_with_finite_weights(
    small: Callable[..., TrainConfig],
) -> None:
    """Was: runs reported 'diverged: null' while the gradient norms were infinite."""
    trainer = Trainer(small())
    trainer.step(2)
    good = [p.detach().clone() for p in trainer.run.parameters()]
    next(iter(trainer.run.G.parameters())).grad.fill_(float("inf"))
    assert trainer.book(torch.zeros(1, 2), None) == 0
    assert trainer.diverged is not None
    assert all(torch.equal(a, b) for a, b in zip(good, trainer.run.parameters(), strict=True))


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_killed_exports_leftover_is_removed_by_the_next_export(tmp_path: Path) -> None:
    """Was: a SIGKILLed export's hidden .part file stayed for ever."""
    out = tmp_path / "a[1].mp4"
    dead = temp_path_for(out, _dead_pid())
    alive = temp_path_for(out, os.getpid())  # another export, still writing
    lookalike = temp_path_for(tmp_path / "a1.mp4", _dead_pid())  # glob 'a[1]' matches 'a1'
    for path in (dead, alive, lookalike):
        path.write_bytes(b"partial")
    with atomic_output(out) as temp:
        temp.write_bytes(b"new")
    assert out.read_bytes() == b"new"
    assert not dead.exists()
    assert alive.exists() and lookalike.exists()


def test_an_export_onto_a_symbolic_link_is_refused(tmp_path: Path) -> None:
    """Was: the link replaced by a plain file; then written through (a planted link made an
    export replace its target). Issue 21: links are never written through, nor replaced."""
    real = tmp_path / "real.gif"
    real.write_bytes(b"old")
    link = tmp_path / "link.gif"
    link.symlink_to(real)
    with pytest.raises(ExportError, match="symbolic link"), atomic_output(link) as temp:
        temp.write_bytes(b"new")
    assert link.is_symlink() and real.read_bytes() == b"old"


def test_a_gif_too_long_to_build_in_memory_is_refused_before_training(tmp_path: Path) -> None:
    """Was: every frame held in memory with no warning (tens of GB for a long 1080p GIF)."""
    with pytest.raises(ExportError, match="at most 2,777"):
        build_options(tmp_path / "long.gif", steps=100_000, every=10)
    build_options(tmp_path / "fine.gif", steps=20_000, every=10)  # 2,001 frames fit
