"""Engine v2: phases, run state round trips, session files, and the maths checked against
finite differences."""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from models import fields
from models.config import TrainConfig
from models.engine import Trainer
from models.history import COLUMNS, MetricHistory
from models.objectives import Objective
from models.run import train
from models.session_file import (
    FORMAT_VERSION,
    SessionFileError,
    load_session,
    open_session,
    save_session,
)

Small = Callable[..., TrainConfig]
TIMING = ("wall_s", "steps_per_s")


def weights(trainer: Trainer) -> list[torch.Tensor]:
    return [t.detach().clone() for t in trainer.run.model_tensors()]


def same_weights(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(x, y) for x, y in zip(weights(a), weights(b), strict=True))


PHASE_CASES = {
    "alternating": ({}, ["d_real", "d_fake", "d_loss", "d_step", "g_fake", "g_loss", "g_step"]),
    "three_d_steps": (
        {"training": {"d_steps": 3}},
        ["d_real", "d_fake", "d_loss", "d_step"] * 3 + ["g_fake", "g_loss", "g_step"],
    ),
    "simultaneous": ({"training": {"updates": "simultaneous"}}, ["real", "fake", "losses", "step"]),
    "unrolled": (
        {"regularization": {"unrolled_steps": 2}, "training": {"d_steps": 3, "g_steps": 2}},
        ["d_real", "d_fake", "d_loss", "d_step"] * 3
        + ["g_fake", "g_unroll", "g_loss", "g_step"] * 2,
    ),
}


@pytest.mark.parametrize("name", sorted(PHASE_CASES))
def test_phases_run_through_are_exactly_one_step(small: Small, name: str) -> None:
    extra, expected = PHASE_CASES[name]
    stepped, straight = Trainer(small(**extra)), Trainer(small(**extra))
    for _ in range(3):  # a few iterations, so optimizer state and the streams are in play
        kinds = [phase.kind for phase in stepped.phases()]
        assert kinds == expected
        straight.step(1)
    assert stepped.step_count == straight.step_count == 3
    assert same_weights(stepped, straight)
    assert torch.equal(stepped.run.rng.get_state(), straight.run.rng.get_state())


def test_phases_report_who_moves_and_what_changed(small: Small) -> None:
    trainer = Trainer(small(training={"d_steps": 2}))
    d_before = [p.detach().clone() for p in trainer.run.D.parameters()]
    g_before = [p.detach().clone() for p in trainer.run.G.parameters()]
    phases = trainer.phases()
    real = next(phases)
    assert (real.kind, real.player, real.index, real.count) == ("d_real", "D", 0, 2)
    assert real.batch is not None and real.batch.shape == (64, 2)
    for phase in phases:
        if phase.kind == "d_step" and phase.index == 0:
            moved = [
                not torch.equal(a, b)
                for a, b in zip(d_before, trainer.run.D.parameters(), strict=True)
            ]
            unmoved = [
                torch.equal(a, b) for a, b in zip(g_before, trainer.run.G.parameters(), strict=True)
            ]
            assert all(moved) and all(unmoved)  # a D update moves D only
            assert phase.loss is not None and math.isfinite(float(phase.loss))
    assert trainer.step_count == 1


def test_a_snapshot_between_phases_changes_nothing(small: Small) -> None:
    watched, unwatched = Trainer(small()), Trainer(small())
    for _ in watched.phases():
        watched.snapshot()
    unwatched.step(1)
    assert same_weights(watched, unwatched)


def test_state_dict_round_trip_continues_bit_identically(small: Small) -> None:
    config = small(regularization={"r1_gamma": 1.0, "instance_noise": 0.1})
    straight = Trainer(config)
    straight.step(30)
    saved = straight.state_dict()
    straight.step(30)
    resumed = Trainer(config)
    resumed.load_state_dict(saved)
    resumed.step(30)
    assert same_weights(straight, resumed)
    assert resumed.step_count == 60


def assert_same_metrics(a: MetricHistory, b: MetricHistory) -> None:
    """Every logged value equal (NaN where both are undefined), timing aside."""
    for key in COLUMNS:
        if key not in TIMING:
            np.testing.assert_array_equal(a.column(key), b.column(key), err_msg=key)


def test_400_straight_steps_equal_200_saved_loaded_and_200_more(tmp_path: Path) -> None:
    """The session file holds everything: weights, optimizer state, the random stream, the
    loss sums and the history (the issue's test, on the default scene)."""
    config = TrainConfig()
    straight = Trainer(config)
    history = train(straight, 400, 100)
    first = Trainer(config)
    part = train(first, 200, 100)
    path = tmp_path / "run.ganscope"
    save_session(path, first, part, "sandbox_ring")
    resumed, saved = open_session(path)
    assert saved.scene_name == "sandbox_ring" and resumed.step_count == 200
    continued = train(resumed, 200, 100, history=saved.history)
    assert same_weights(straight, resumed)
    assert_same_metrics(continued, history)


def test_a_point_cloud_session_carries_its_points(tmp_path: Path) -> None:
    csv = tmp_path / "cloud.csv"
    csv.write_text("x,y\n" + "\n".join(f"{i % 7 * 0.3},{i % 5 * 0.4}" for i in range(60)))
    config = TrainConfig.model_validate(
        {"target": {"kind": "points", "file": str(csv), "modes": 4}, "training": {"batch": 32}}
    )
    trainer = Trainer(config)
    trainer.step(5)
    path = tmp_path / "cloud.ganscope"
    save_session(path, trainer, MetricHistory())
    csv.unlink()  # the session needs nothing beside it
    resumed, _ = open_session(path)
    assert resumed.config.target.file == "" and len(resumed.config.target.points) == 60
    trainer.step(5)
    resumed.step(5)
    assert same_weights(trainer, resumed)


def _session_bytes(tmp_path: Path) -> bytes:
    trainer = Trainer(TrainConfig.model_validate({"training": {"batch": 32}}))
    trainer.step(2)
    path = tmp_path / "good.ganscope"
    save_session(path, trainer, MetricHistory())
    return path.read_bytes()


def _rewrite(data: bytes, member: str, content: bytes | None) -> bytes:
    import io

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            if info.filename != member:
                archive.writestr(info.filename, source.read(info.filename))
        if content is not None:
            archive.writestr(member, content)
    return out.getvalue()


BAD_FILES: dict[str, tuple[Callable[[bytes], bytes], str]] = {
    "truncated": (lambda d: d[: len(d) // 2], "truncated or corrupt"),
    "empty": (lambda d: b"", "truncated or corrupt"),
    "text": (lambda d: b"hello, this is not a zip\n" * 10, "not a GANscope session"),
    "foreign zip": (lambda d: _rewrite(d, "format.json", None), "without format.json"),
    "foreign format": (
        lambda d: _rewrite(d, "format.json", json.dumps({"format": "other"}).encode()),
        "foreign",
    ),
    "future version": (
        lambda d: _rewrite(
            d, "format.json", json.dumps({"format": "ganscope-session", "version": 99}).encode()
        ),
        "newer GANscope",
    ),
    "missing tensors": (lambda d: _rewrite(d, "state.safetensors", None), "missing"),
    "corrupt tensors": (lambda d: _rewrite(d, "state.safetensors", b"\x00" * 64), "corrupt"),
    "bad scene": (
        lambda d: _rewrite(d, "scene.toml", b"[training]\nlr_d = -1\n"),
        "scene.toml: training.lr_d",
    ),
    "scene of another shape": (
        lambda d: _rewrite(d, "scene.toml", b"[generator]\nwidth = 8\n[training]\nbatch = 32\n"),
        "does not fit",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_session_file_says_what_is_wrong(tmp_path: Path, case: str) -> None:
    damage, expected = BAD_FILES[case]
    path = tmp_path / "bad.ganscope"
    path.write_bytes(damage(_session_bytes(tmp_path)))
    with pytest.raises(SessionFileError) as info:
        open_session(path)
    [line] = info.value.problems
    assert line.startswith("bad.ganscope:") or line.startswith("session:")
    assert expected in line, line


def test_a_flipped_byte_is_caught_by_the_zip_checksum(tmp_path: Path) -> None:
    data = bytearray(_session_bytes(tmp_path))
    data[len(data) // 3] ^= 0xFF
    path = tmp_path / "flipped.ganscope"
    path.write_bytes(bytes(data))
    with pytest.raises(SessionFileError):
        load_session(path)


def test_format_version_is_recorded(tmp_path: Path) -> None:
    data = _session_bytes(tmp_path)
    import io

    about = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("format.json"))
    assert about["format"] == "ganscope-session" and about["version"] == FORMAT_VERSION


# ------------------------------------------------------------------ maths vs finite differences


def _finite_difference(f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """Central differences of a scalar function, in float64."""
    grad = torch.zeros_like(x)
    h = 1e-6
    flat, out = x.reshape(-1), grad.reshape(-1)
    for i in range(flat.numel()):
        step = torch.zeros_like(flat)
        step[i] = h
        out[i] = (f((flat + step).view_as(x)) - f((flat - step).view_as(x))) / (2 * h)
    return grad


@pytest.mark.parametrize("loss", ["ns", "minimax", "wgan", "hinge", "lsgan"])
def test_objective_gradients_match_finite_differences(loss: str) -> None:
    objective = Objective(loss)  # type: ignore[arg-type]
    torch.manual_seed(0)
    real, fake = torch.randn(5, dtype=torch.float64), torch.randn(5, dtype=torch.float64)
    x = fake.clone().requires_grad_(True)
    (auto,) = torch.autograd.grad(objective.d_loss(real, x), x)
    numeric = _finite_difference(lambda f: objective.d_loss(real, f), fake)
    torch.testing.assert_close(auto, numeric, rtol=1e-5, atol=1e-7)
    (auto,) = torch.autograd.grad(objective.g_loss(x), x)
    numeric = _finite_difference(objective.g_loss, fake)
    torch.testing.assert_close(auto, numeric, rtol=1e-5, atol=1e-7)


def test_the_gradient_field_is_minus_the_generators_loss_slope() -> None:
    """The arrows show -dL_G/dx at each point: checked against finite differences of G's
    per-sample loss through a real discriminator."""
    torch.manual_seed(1)
    discriminator = torch.nn.Sequential(
        torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)
    ).double()
    discriminator.pack = 1  # type: ignore[attr-defined]
    objective = Objective("ns")

    def critic(x: torch.Tensor, reference: torch.Tensor | None = None) -> torch.Tensor:
        return discriminator(x).squeeze(1)

    critic.pack = 1  # type: ignore[attr-defined]
    points = torch.randn(6, 2, dtype=torch.float64)
    _, pull = fields.surface_and_field(critic, objective, points, points)  # type: ignore[arg-type]
    for i in range(points.shape[0]):
        numeric = _finite_difference(
            lambda p: objective.g_loss_per_sample(critic(p[None]))[0], points[i]
        )
        torch.testing.assert_close(pull[i], -numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("setting", [(0.0, 0.0), (1.0, 0.0), (0.0, 0.35)])
def test_the_dirac_flow_is_gradient_play_of_the_real_losses(setting: tuple[float, float]) -> None:
    """The phase portrait's arrows are (-dL_G/dtheta, -dL_D/dpsi) of the losses the Dirac
    trainer minimises, R1 or the WGAN-GP penalty included."""
    r1, gp = setting
    loss = "wgan-gp" if gp else "minimax"
    objective = Objective(loss)  # type: ignore[arg-type]
    thetas = torch.tensor([-1.5, 0.3, 1.2], dtype=torch.float64)
    psis = torch.tensor([-0.7, 0.4, 1.8], dtype=torch.float64)
    flow = fields.dirac_flow(objective, thetas, psis, r1, gp)
    for i, theta in enumerate(thetas):
        for j, psi in enumerate(psis):

            def d_loss(p: torch.Tensor, t: torch.Tensor = theta) -> torch.Tensor:
                real, fake = objective.d_terms(torch.zeros(1, dtype=p.dtype), -p * t)
                penalty = 0.5 * r1 * p.square() + gp * (p.abs() - 1).square()
                return (real + fake + penalty).sum()

            def g_loss(t: torch.Tensor, p: torch.Tensor = psi) -> torch.Tensor:
                return objective.g_loss_per_sample(-p * t).sum()

            d_theta = _finite_difference(g_loss, theta.reshape(1))
            d_psi = _finite_difference(d_loss, psi.reshape(1))
            assert float(flow[i, j, 0]) == pytest.approx(-float(d_theta), rel=1e-5, abs=1e-7)
            assert float(flow[i, j, 1]) == pytest.approx(-float(d_psi), rel=1e-5, abs=1e-7)


def test_annealed_noise_follows_the_iteration_not_the_logging_interval(small: Small) -> None:
    """`--log-every 1`, `10` and `50` once ended at different points: the schedule read the
    step counter once per step(n) call (a staircase as wide as the logging interval)."""
    config = small(regularization={"instance_noise": 0.5, "instance_noise_anneal_steps": 40})
    runs = []
    for chunk in (1, 10, 50):
        trainer = Trainer(config)
        for _ in range(50 // chunk):
            trainer.step(chunk)
        runs.append(trainer)
    assert same_weights(runs[0], runs[1]) and same_weights(runs[0], runs[2])


def test_batch_norm_views_show_the_d_that_g_trains_against() -> None:
    """With batch norm in D, the probe values and the surface are D as training uses it
    (each batch normalised by its own statistics); running averages mixed over real, fake
    and interpolates once showed D(real) 0.49 / D(fake) 0.45 where training saw 0.85 / 0.17."""
    trainer = Trainer(TrainConfig.model_validate({"discriminator": {"batch_norm": True}}))
    trainer.step(300)  # the ring sandbox; at step 500 training sees 0.85 / 0.17
    snap = trainer.snapshot()
    run = trainer.run
    run.D.train()
    with torch.no_grad():
        d_real = float(torch.sigmoid(run.D(run.probe_real)).mean())
        d_fake = float(torch.sigmoid(run.D(run.G(run.probe_z))).mean())
        fake = run.G(run.view_z)
        as_trained = torch.sigmoid(run.D(fake))
    assert snap.metrics["d_real"] == pytest.approx(d_real, abs=1e-6)
    assert snap.metrics["d_fake"] == pytest.approx(d_fake, abs=1e-6)
    assert d_real - d_fake > 0.4  # D separates them, as it does in training
    shown, _ = fields.surface_and_field(run.D, Objective("ns"), fake, fake)
    torch.testing.assert_close(shown, as_trained, rtol=0, atol=1e-4)  # float32 statistics


def test_the_dirac_flow_with_instance_noise_is_the_average_pull() -> None:
    """Instance noise (std 0.5) turns the pure rotation at (1, 1) into a pull towards the
    equilibrium (a fifth of the arrow points in): the arrows are the Monte-Carlo average of
    the noisy field, as in Mescheder et al.'s notebook, not the noise-free rotation."""
    objective = Objective("minimax")
    one = torch.tensor([1.0], dtype=torch.float64)
    clean = fields.dirac_flow(objective, one, one, 0.0, 0.0)[0, 0]
    noisy = fields.dirac_flow(objective, one, one, 0.0, 0.0, noise_std=0.5)[0, 0]
    radial = float(clean @ torch.tensor([1.0, 1.0], dtype=torch.float64))
    assert abs(radial) < 1e-12  # without noise: a pure rotation
    inward = -float(noisy @ torch.tensor([1.0, 1.0], dtype=torch.float64)) / 2**0.5
    assert 0.15 < inward / float(noisy.norm()) < 0.3  # a fifth of the arrow points inwards
    generator = torch.Generator().manual_seed(0)
    noise = torch.randn(2, 400_000, generator=generator, dtype=torch.float64)
    eps_fake, eps_real = noise * 0.5
    theta, psi = 1.0, 1.0
    # the paper's noisy field: v1 = -psi f'(psi th), v2 = th f'(psi th) - x f'(-psi x)
    th = theta + eps_fake
    v1 = (-psi * torch.sigmoid(-psi * th)).mean()
    v2 = (th * torch.sigmoid(-psi * th) - eps_real * torch.sigmoid(eps_real * psi)).mean()
    assert float(noisy[0]) == pytest.approx(float(v1), abs=2e-3)
    assert float(noisy[1]) == pytest.approx(float(v2), abs=2e-3)
