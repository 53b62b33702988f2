"""The trainer: seeded, safe under bad dynamics, truthful gradients, live changes."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch

from models.config import ConfigError, TrainConfig
from models.engine import Trainer
from models.networks import MinibatchDiscrimination
from models.optimizers import Lookahead, flatten, make_optimizer, unflatten

Small = Callable[..., TrainConfig]


def params(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in [*trainer.run.G.parameters(), *trainer.run.D.parameters()]]


def test_same_seed_same_run_and_snapshots_do_not_disturb_it(small: Small) -> None:
    watched, unwatched = Trainer(small()), Trainer(small())
    for _ in range(4):
        watched.step(10)
        watched.snapshot()
    unwatched.step(40)
    assert all(torch.equal(a, b) for a, b in zip(params(watched), params(unwatched), strict=True))
    assert np.array_equal(watched.snapshot().fake, unwatched.snapshot().fake)


def test_different_seed_different_run(small: Small) -> None:
    a = Trainer(small(training={"seed": 1}))
    b = Trainer(small(training={"seed": 2}))
    a.step(5)
    b.step(5)
    assert not np.array_equal(a.snapshot().fake, b.snapshot().fake)


VARIANTS = {
    "ns": {},
    "minimax": {"training": {"loss": "minimax"}},
    "wgan_clip": {"training": {"loss": "wgan"}, "regularization": {"weight_clip": 0.05}},
    "wgan_gp": {"training": {"loss": "wgan-gp"}},
    "hinge_sn": {"training": {"loss": "hinge"}, "regularization": {"spectral_norm": True}},
    "lsgan": {"training": {"loss": "lsgan"}},
    "r1_noise": {
        "regularization": {
            "r1_gamma": 1.0,
            "instance_noise": 0.1,
            "instance_noise_anneal_steps": 10,
        }
    },
    "unrolled": {"regularization": {"unrolled_steps": 3}},
    "pack_mbd": {
        "regularization": {"pack": 4},
        "discriminator": {"minibatch_discrimination": True},
    },
    "batch_norm": {"generator": {"batch_norm": True}, "discriminator": {"batch_norm": True}},
    "tanh_uniform": {
        "generator": {"activation": "tanh", "z_dist": "uniform", "z_dim": 4},
        "discriminator": {"activation": "sigmoid"},
    },
    "simultaneous_rmsprop": {"training": {"updates": "simultaneous", "optimizer": "rmsprop"}},
    "steps_sgd": {"training": {"d_steps": 3, "g_steps": 2, "optimizer_d": "sgd"}},
    "grid_target": {"target": {"kind": "grid"}},
    "spiral_target": {"target": {"kind": "spiral"}},
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_every_objective_and_regularizer_trains_and_snapshots(small: Small, name: str) -> None:
    trainer = Trainer(small(**VARIANTS[name]))
    before = params(trainer)
    assert trainer.step(6) == 6 and trainer.diverged is None
    after = params(trainer)
    assert not all(torch.equal(a, b) for a, b in zip(before, after, strict=True))
    snap = trainer.snapshot()
    assert snap.step == 6
    assert snap.surface.shape == (16, 16) and snap.field.shape == (8, 8, 2)
    assert snap.fake.shape == (64, 2) and snap.manifold.shape == (24, 24, 2)
    for array in (snap.surface, snap.field, snap.field_magnitude, snap.fake, snap.manifold):
        assert array.dtype == np.float32 and not array.flags.writeable
        assert np.isfinite(array).all()
    for key in ("d_loss", "g_loss", "grad_norm_g", "grad_norm_d", "w1"):
        assert math.isfinite(snap.metrics[key]), key


def test_weight_clipping_keeps_every_critic_weight_in_range(small: Small) -> None:
    trainer = Trainer(
        small(training={"loss": "wgan", "lr_d": 0.05}, regularization={"weight_clip": 0.01})
    )
    trainer.step(5)
    weights = torch.cat([p.detach().flatten() for p in trainer.run.D.parameters()])
    assert float(weights.abs().max()) <= 0.01 + 1e-7
    pinned = float((weights.abs() >= 0.0099).float().mean())
    assert trainer.snapshot().metrics["d_weights_at_clip"] == pytest.approx(pinned)
    assert 0 < pinned < 1


def test_pinned_weights_metric_is_undefined_without_clipping(small: Small) -> None:
    assert math.isnan(Trainer(small()).snapshot().metrics["d_weights_at_clip"])


def test_packing_feeds_d_groups_of_m_samples(small: Small) -> None:
    trainer = Trainer(small(regularization={"pack": 4}))
    assert trainer.run.D.features[0].in_features == 8
    assert trainer.run.D(torch.zeros(64, 2)).shape == (16,)


def test_unrolling_changes_what_g_learns(small: Small) -> None:
    plain = Trainer(small())
    unrolled = Trainer(small(regularization={"unrolled_steps": 3}))
    plain.step(1)
    unrolled.step(1)
    g_plain = [p.detach() for p in plain.run.G.parameters()]
    g_unrolled = [p.detach() for p in unrolled.run.G.parameters()]
    assert not all(torch.equal(a, b) for a, b in zip(g_plain, g_unrolled, strict=True))
    # D's own update is the same: unrolling only changes G's view of D
    assert all(
        torch.equal(a.detach(), b.detach())
        for a, b in zip(plain.run.D.parameters(), unrolled.run.D.parameters(), strict=True)
    )


@pytest.mark.parametrize("kind", ["adam", "sgd", "rmsprop"])
def test_unrolled_steps_are_the_optimizers_own_steps(kind: str) -> None:
    """The unroll looks ahead with D's real optimizer, from its current state: two lookahead
    steps land where two real steps with the same gradients do."""
    torch.manual_seed(0)
    weights = [torch.nn.Parameter(torch.randn(4, 3)), torch.nn.Parameter(torch.randn(3))]
    optimizer = make_optimizer(kind, weights, 1e-2, (0.5, 0.999), torch.device("cpu"))
    gradients = [[torch.randn_like(w) for w in weights] for _ in range(3)]
    for w, g in zip(weights, gradients[0], strict=True):
        w.grad = g
    optimizer.step()  # the lookahead must start from a non-empty state
    lookahead = Lookahead(optimizer, weights)
    ahead = flatten([w.detach() for w in weights])
    for grads in gradients[1:]:
        ahead = lookahead.step(ahead, flatten(grads))
        for w, g in zip(weights, grads, strict=True):
            w.grad = g
        optimizer.step()
    for predicted, actual in zip(unflatten(ahead, weights), weights, strict=True):
        torch.testing.assert_close(predicted, actual.detach(), rtol=1e-5, atol=1e-6)


def test_saturating_loss_starves_g_where_d_is_confident(small: Small) -> None:
    trainer = Trainer(small(training={"loss": "minimax", "lr_d": 1e-2, "d_steps": 5}))
    trainer.step(150)
    saturating = trainer.snapshot()
    assert saturating.metrics["d_fake"] < 0.2  # D rejects the fakes confidently
    trainer.apply({"training.loss": "ns"})
    non_saturating = trainer.snapshot()
    ratio = saturating.metrics["grad_norm_g"] / non_saturating.metrics["grad_norm_g"]
    assert ratio < 0.25


def test_hot_change_keeps_optimizer_state(small: Small) -> None:
    trainer = Trainer(small())
    trainer.step(10)
    state = {id(p): s["exp_avg"].clone() for p, s in trainer.run.opt_d.state.items()}
    d_before = trainer.run.D
    report = trainer.apply({"training.lr_d": 2e-4, "training.loss": "hinge"})
    assert report.rebuilt == () and not report.reset
    assert trainer.run.D is d_before
    assert trainer.run.opt_d.param_groups[0]["lr"] == 2e-4
    assert all(torch.equal(s["exp_avg"], state[id(p)]) for p, s in trainer.run.opt_d.state.items())
    assert trainer.step_count == 10 and trainer.config.training.loss == "hinge"
    trainer.step(1)
    assert trainer.step_count == 11


def test_structural_change_rebuilds_only_that_network(small: Small) -> None:
    trainer = Trainer(small())
    trainer.step(5)
    d_before = trainer.run.D
    report = trainer.apply({"generator.width": 48})
    assert report.rebuilt == ("generator",) and "rebuilt generator" in report.message
    assert trainer.run.G.net[0].out_features == 48 and trainer.run.D is d_before
    assert trainer.step_count == 5
    assert trainer.apply({"training.seed": 9}).reset and trainer.step_count == 0


def test_invalid_change_is_refused_and_nothing_changes(small: Small) -> None:
    trainer = Trainer(small())
    version = trainer.config_version
    with pytest.raises(ConfigError) as info:
        trainer.apply({"training.lr_d": -1.0})
    assert info.value.problems[0].startswith("training.lr_d:")
    assert trainer.config.training.lr_d == 1e-3 and trainer.config_version == version


def test_unavailable_device_is_bad_input(small: Small) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError) as info:
        Trainer(small(training={"device": "cuda"}))
    assert info.value.problems[0].startswith("training.device:")


def test_nan_stops_training_and_keeps_last_finite_state(small: Small) -> None:
    trainer = Trainer(
        small(training={"loss": "wgan", "optimizer": "sgd", "lr_g": 5.0, "lr_d": 5.0})
    )
    assert trainer.step(3) == 3 or trainer.diverged
    good = params(trainer)
    good_step = trainer.step_count
    trainer.step(200)
    assert trainer.diverged is not None
    assert "NaN/Inf at step" in trainer.diverged and "learning rates are high" in trainer.diverged
    assert trainer.step_count == good_step
    assert all(torch.equal(a, b) for a, b in zip(params(trainer), good, strict=True))
    snap = trainer.snapshot()
    assert snap.diverged == trainer.diverged and np.isfinite(snap.fake).all()
    assert trainer.step(10) == 0  # stays stopped until the user changes something
    trainer.apply({"training.lr_d": 1e-4, "training.lr_g": 1e-4})
    assert trainer.diverged is None and trainer.step(2) == 2


def dirac(small: Small, updates: str, **regularization: float) -> Trainer:
    return Trainer(
        small(
            target={"kind": "dirac"},
            training={
                "loss": "minimax",
                "optimizer": "sgd",
                "lr_g": 0.1,
                "lr_d": 0.1,
                "batch": 1,
                "updates": updates,
            },
            regularization=regularization,
        )
    )


def test_dirac_gan_runs_through_the_same_trainer(small: Small) -> None:
    trainer = dirac(small, "simultaneous")
    start = trainer.snapshot()
    assert start.dirac is not None and math.isclose(start.metrics["distance"], math.sqrt(2))
    assert start.dirac.flow.shape == (21, 21, 2)
    trainer.step(300)
    assert trainer.snapshot().metrics["distance"] > start.metrics["distance"]


def test_dirac_r1_converges(small: Small) -> None:
    trainer = dirac(small, "alternating", r1_gamma=1.0)
    trainer.step(300)
    assert trainer.snapshot().metrics["distance"] < 0.01


def test_minibatch_features_push_a_collapsed_batch_apart() -> None:
    """The closeness kernel's slope does not vanish as samples meet: a batch collapsed to
    within 1e-4 is pushed apart about as hard as one spread over 1e-2 (a Gaussian kernel's
    push would shrink a hundredfold)."""
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(in_features=16)
    centre, jitter = torch.randn(1, 16), torch.randn(64, 16)

    def push(spread: float) -> float:
        h = (centre + spread * jitter).requires_grad_(True)
        closeness = layer(h)[:, 16:].sum()
        (grad,) = torch.autograd.grad(closeness, h)
        return float(grad.norm())

    assert push(1e-4) > 0.5 * push(1e-2) > 0
