"""A fix set live works when the lecturer gets to it, not only from step 0.

The quick tests build a D whose units are dead and check what a live fix on D does to it; the
slow one forks ring_collapse at step 15,000 (the step where R1 once did nothing at all, |grad
G| = 0) and checks ring_fix_r1's claims counted from the change.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from models.config import TrainConfig
from models.engine import Trainer
from scenes.live_fix import fix_changes, is_live, live_fixes
from scenes.loader import library, resolve

SCENES = {scene.name: scene for scene in library()}


def killed_trainer(activation: str = "relu") -> Trainer:
    """A small ring run whose D's last hidden layer never fires: every bias far below zero."""
    config = TrainConfig().with_changes(
        {
            "discriminator.width": 32,
            "generator.width": 32,
            "discriminator.activation": activation,
            "training.batch": 64,
            "training.device": "cpu",
        }
    )
    trainer = Trainer(config)
    trainer.step(5)
    last = [m for m in trainer.run.D.features if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        last.bias.fill_(-1e3)
    return trainer


def scores(trainer: Trainer) -> torch.Tensor:
    with torch.no_grad():
        return trainer.run.D(trainer.run.probe_real).clone()


def test_a_live_fix_on_d_redraws_its_dead_units_without_changing_its_scores() -> None:
    trainer = killed_trainer()
    before = scores(trainer)
    report = trainer.apply({"regularization.r1_gamma": 1.0})
    assert report.revived >= 32  # the killed layer, and any unit dead before
    assert f"D's {report.revived} dead units re-initialised" in report.message
    assert torch.equal(scores(trainer), before)  # the picture does not jump
    trainer.step(20)
    real = trainer.run.probe_real.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(trainer.run.D(real).sum(), real)
    assert grad.abs().sum() > 0  # D has slopes again


def test_no_unit_is_touched_by_a_change_that_is_not_a_fix_on_d_or_on_a_leaky_d() -> None:
    trainer = killed_trainer()
    assert trainer.apply({"training.lr_g": 5e-4}).revived == 0
    assert killed_trainer("leaky_relu").apply({"regularization.r1_gamma": 1.0}).revived == 0


def test_every_lesson_fix_is_a_live_change_of_its_failure() -> None:
    fixes = [s for s in SCENES.values() if s.config.scene.role == "fix"]
    for fix in fixes:
        failure = SCENES[fix.config.scene.pair]
        assert fix_changes(failure, fix), fix.name
        assert is_live(failure, fix), fix.name


@pytest.mark.slow
def test_r1_set_at_step_15000_of_the_collapse_brings_g_back_onto_the_ring() -> None:
    """Once, R1 set here left D flat and G still (W1 1.52 a thousand steps on, seed 0); now
    ring_fix_r1's first claim (W1 <= 0.5 1,000 steps after the change) holds on >= 2 of 3.
    Its strict spread (7 modes holding 20 samples) is slower live: 6 on seeds 0 and 1."""
    failure, fix = resolve("ring_collapse"), resolve("ring_fix_r1")
    (result,) = live_fixes(failure, [fix], (0, 1, 2), fork_steps=(15000,))
    first = [row[0] for row in result.outcomes.values()]
    assert first[0].check.metric == "w1" and first[0].check.steps == 1000
    assert sum(o.passed for o in first) >= 2, [o.describe() for o in first]
