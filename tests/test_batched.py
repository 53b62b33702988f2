"""The batched engine: K runs stacked into one model give, run for run, exactly the numbers
of K separate runs (the guarantee `ganscope calibrate` rests on)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from models.config import TrainConfig
from models.engine import Trainer
from models.engine.batched import BatchedTrainer, RunGroup, batch_key
from models.history import COLUMNS
from models.run import train, train_group

Small = Callable[..., TrainConfig]

MIXES: dict[str, list[dict[str, Any]]] = {
    "seeds": [{"training": {"seed": s}} for s in range(3)],
    "hot settings": [
        {"training": {"seed": 0, "lr_d": 3e-3}},
        {"training": {"seed": 1, "loss": "wgan-gp"}},
        {"training": {"seed": 2, "loss": "hinge", "betas": [0.0, 0.9]}},
        {
            "regularization": {
                "r1_gamma": 1.0,
                "instance_noise": 0.1,
                "instance_noise_anneal_steps": 5,
            }
        },
        {"training": {"loss": "lsgan", "lr_g": 5e-4}},
    ],
    "step counts": [
        {"training": {"d_steps": 3, "g_steps": 2}},
        {"training": {"d_steps": 1}},
        {"training": {"d_steps": 2, "g_steps": 3, "loss": "minimax"}},
    ],
    "optimizers and clipping": [
        {
            "training": {"loss": "wgan", "optimizer_d": "sgd", "lr_d": 0.05},
            "regularization": {"weight_clip": 0.02},
        },
        {"training": {"optimizer": "rmsprop"}},
    ],
    "batch norm, minibatch features, packing": [
        {
            "generator": {"batch_norm": True},
            "discriminator": {"batch_norm": True, "minibatch_discrimination": True},
            "regularization": {"pack": 4},
            "training": {"seed": s},
        }
        for s in range(2)
    ],
    "simultaneous": [
        {"training": {"updates": "simultaneous", "seed": 0}},
        {"training": {"updates": "simultaneous", "seed": 1, "loss": "wgan-gp"}},
    ],
}


def same(a: Trainer, b: Trainer) -> bool:
    return all(
        torch.equal(x, y) for x, y in zip(a.run.model_tensors(), b.run.model_tensors(), strict=True)
    )


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_stacked_runs_are_the_separate_runs_bit_for_bit(small: Small, mix: str) -> None:
    configs = [small(**extra) for extra in MIXES[mix]]
    separate = [Trainer(c) for c in configs]
    for trainer in separate:
        for _ in range(4):
            trainer.step(5)
    batched = BatchedTrainer(configs)
    for _ in range(4):
        batched.step(5)
    for alone, stacked in zip(separate, batched.trainers, strict=True):
        assert same(alone, stacked)
        assert torch.equal(alone.run.rng.get_state(), stacked.run.rng.get_state())
        assert alone.snapshot().metrics["d_loss"] == stacked.snapshot().metrics["d_loss"]


def test_a_layer_shape_first_met_without_gradients_stacks(
    small: Small, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With d_steps > 1, D's first fake batch is made under no_grad: the one-off check of a
    new layer shape must still run (it crashed calibrate on WGAN-GP's d_steps = 5)."""
    from models.engine import batched as batched_module

    monkeypatch.setattr(batched_module, "_EXACT", {})
    configs = [small(training={"d_steps": 5, "seed": s, "batch": 48}) for s in range(2)]
    stacked = BatchedTrainer(configs)
    stacked.step(2)
    alone = Trainer(configs[1])
    alone.step(2)
    assert same(alone, stacked.trainers[1])


def test_logged_histories_match_seed_by_seed(small: Small) -> None:
    configs = [small(training={"seed": s}) for s in range(3)]
    alone = [train(Trainer(c), 60, 20) for c in configs]
    together = train_group(RunGroup(configs), 60, 20)
    for a, b in zip(alone, together, strict=True):
        for key in COLUMNS:
            if key not in ("wall_s", "steps_per_s"):
                np.testing.assert_array_equal(a.column(key), b.column(key), err_msg=key)


def test_a_run_that_blows_up_stops_alone(small: Small) -> None:
    blowing = small(training={"loss": "wgan", "optimizer": "sgd", "lr_g": 5.0, "lr_d": 5.0})
    calm = small()
    batched = BatchedTrainer([blowing, calm])
    for _ in range(40):
        batched.step(5)
    exploded, fine = batched.trainers
    assert exploded.diverged and not fine.diverged
    assert fine.step_count == 200 and exploded.step_count < 200
    reference = Trainer(calm)
    reference.step(200)
    assert same(reference, fine)  # its neighbour's explosion never touched it


def test_shapes_that_cannot_stack_train_alone_in_a_group(small: Small) -> None:
    configs = [
        small(training={"seed": 0}),
        small(training={"seed": 1}),
        small(generator={"width": 48}),  # another shape
        small(regularization={"spectral_norm": True}),  # not stacked: spectral norm
        small(target={"kind": "dirac"}, training={"batch": 1}),
    ]
    assert batch_key(configs[3]) is None and batch_key(configs[4]) is None
    group = RunGroup(configs)
    assert group.batched == 2 and len(group.parts) == 4
    group.step(10)
    for config, trainer in zip(configs, group.trainers, strict=True):
        alone = Trainer(config)
        alone.step(10)
        assert same(alone, trainer)


def test_batched_runs_still_save_and_change_like_trainers(small: Small) -> None:
    batched = BatchedTrainer([small(training={"seed": s}) for s in range(2)])
    batched.step(10)
    first = batched.trainers[0]
    state = first.state_dict()
    resumed = Trainer(first.config)
    resumed.load_state_dict(state)
    batched.step(10)
    resumed.step(10)
    assert same(resumed, first)  # a stacked run's state is a plain run's state
    first.apply({"training.lr_d": 2e-4})  # a hot change goes to that run only
    assert first.run.opt_d.param_groups[0]["lr"] == 2e-4
    assert batched.trainers[1].run.opt_d.param_groups[0]["lr"] == 1e-3
