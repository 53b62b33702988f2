"""One training iteration, written as the phases a person can step through.

It reads like the training step of PyTorch's DCGAN example: update D (a real batch, a fake
batch, D's loss, D's step), ``d_steps`` times; then update G (a fake batch, G's loss, G's
step), ``g_steps`` times. With ``updates = "simultaneous"`` both players step together from
the same point instead. Each phase is yielded as it completes, so a live session can pause
between phases and show what changed; `run_iteration` runs them straight through, which is
exactly what `Trainer.step` does.

Speed without changing the maths, kept out of the way in small helpers: real and fake go
through D in one concatenated pass unless D mixes samples within a batch; D's gradients are
off while G's loss is built; the last D update's fake batch is reused (with its graph) for G's
first update, as the DCGAN example does; nothing is read back from the device here.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

import torch
from torch import nn
from torch.func import functional_call

from models import regularizers
from models.engine.state import RunState
from models.objectives import Objective
from models.optimizers import Lookahead, flatten, unflatten

PhaseKind = Literal[
    "d_real", "d_fake", "d_loss", "d_step", "g_fake", "g_unroll", "g_loss", "g_step",
    "real", "fake", "losses", "step",
]  # fmt: skip
Player = Literal["D", "G", "both"]


@dataclass(frozen=True)
class Phase:
    """A phase just completed. ``index`` of ``count``: which update of this player in the
    iteration. ``batch``: the samples the phase drew (as D sees them, noise included);
    ``loss``: the loss once computed. Both stay on the device."""

    kind: PhaseKind
    player: Player
    index: int = 0
    count: int = 1
    batch: torch.Tensor | None = None
    loss: torch.Tensor | None = None


Phases = Generator[Phase, None, torch.Tensor]


def iteration(run: RunState) -> Phases:
    """One iteration, phase by phase; returns the (D loss, G loss) pair."""
    t = run.config.training
    if t.updates == "simultaneous":
        return (yield from simultaneous_update(run))
    unrolled = run.config.regularization.unrolled_steps > 0
    d_loss = torch.zeros((), device=run.device)
    fake = None
    for i in range(t.d_steps):
        reuse = i == t.d_steps - 1 and not unrolled
        d_loss, fake = yield from d_update(run, i, t.d_steps, keep_fake=reuse)
    g_loss = d_loss
    for j in range(t.g_steps):
        g_loss = yield from g_update(run, j, t.g_steps, fake)
        fake = None
    run.step += 1  # schedules (annealed noise) read the iteration count, never a call's
    return torch.stack([d_loss, g_loss])


def run_iteration(run: RunState) -> torch.Tensor:
    """One iteration without stopping between phases (the same code, so the same result)."""
    phases = iteration(run)
    while True:
        try:
            next(phases)
        except StopIteration as done:
            return done.value


def d_update(
    run: RunState, index: int, count: int, keep_fake: bool
) -> Generator[Phase, None, tuple[torch.Tensor, torch.Tensor | None]]:
    """Update D: score real samples as real and G's samples as fake (plus any penalty).
    With keep_fake, G's forward pass keeps its graph so G's next update can reuse it."""
    batch = run.config.training.batch
    std = noise_std(run)
    real = noisy(run, run.real(batch), std)
    yield Phase("d_real", "D", index, count, batch=real)
    if keep_fake:
        fake = run.G(run.z(batch))
        fake_in = fake.detach()
    else:
        with torch.no_grad():
            fake_in = run.G(run.z(batch))
        fake = None
    fake_in = noisy(run, fake_in, std)
    yield Phase("d_fake", "D", index, count, batch=fake_in)
    loss = d_loss(run, real, fake_in, run.rng)
    yield Phase("d_loss", "D", index, count, loss=loss)
    run.opt_d.zero_grad(set_to_none=True)
    loss.backward()
    run.opt_d.step()
    clip_critic(run)
    yield Phase("d_step", "D", index, count, loss=loss.detach())
    return loss.detach(), fake


def g_update(
    run: RunState, index: int, count: int, fake: torch.Tensor | None
) -> Generator[Phase, None, torch.Tensor]:
    """Update G: move its samples so D rates them as more real."""
    if fake is None:
        fake = run.G(run.z(run.config.training.batch))
    yield Phase("g_fake", "G", index, count, batch=fake.detach())
    critic = critic_for_g(run, fake)
    if critic is not run.D:
        yield Phase("g_unroll", "G", index, count)
    loss = g_loss(run, critic, fake)
    yield Phase("g_loss", "G", index, count, loss=loss)
    run.opt_g.zero_grad(set_to_none=True)
    loss.backward()
    run.opt_g.step()
    yield Phase("g_step", "G", index, count, loss=loss.detach())
    return loss.detach()


def simultaneous_update(run: RunState) -> Phases:
    """Both players step from the same point (the gradient-play dynamics of theory)."""
    batch = run.config.training.batch
    std = noise_std(run)
    real = noisy(run, run.real(batch), std)
    yield Phase("real", "both", batch=real)
    fake = run.G(run.z(batch))
    yield Phase("fake", "both", batch=fake.detach())
    loss_g = g_loss(run, run.D, fake)
    run.opt_g.zero_grad(set_to_none=True)
    loss_g.backward()
    loss_d = d_loss(run, real, noisy(run, fake.detach(), std), run.rng)
    run.opt_d.zero_grad(set_to_none=True)
    loss_d.backward()
    losses = torch.stack([loss_d.detach(), loss_g.detach()])
    yield Phase("losses", "both", loss=losses)
    run.opt_g.step()
    run.opt_d.step()
    clip_critic(run)
    yield Phase("step", "both", loss=losses)
    run.step += 1
    return losses


# --------------------------------------------------------------------- the losses
def d_loss(
    run: RunState, real: torch.Tensor, fake: torch.Tensor, rng: torch.Generator | None
) -> torch.Tensor:
    """D's loss on a real and a fake batch, with the gradient penalty and R1 when set."""
    cfg = run.config
    objective = Objective(cfg.training.loss)
    loss = objective.d_loss(*score_pair(run.D, run.D, real, fake))
    pack, gamma = run.D.pack, cfg.regularization.r1_gamma
    gp = (
        regularizers.gradient_penalty(run.D, real, fake, pack, rng)
        if cfg.gradient_penalty > 0
        else None
    )
    r1 = regularizers.r1_penalty(run.D, real, pack) if gamma > 0 else None
    return regularizers.penalised_d_loss(loss, cfg.gradient_penalty, gamma, gp, r1)


def g_loss(run: RunState, critic: Callable[..., torch.Tensor], fake: torch.Tensor) -> torch.Tensor:
    """G's loss on its batch as `critic` scores it. D's own weights get no gradient from it."""
    objective = Objective(run.config.training.loss)
    set_requires_grad(run.d_params, False)
    try:
        return objective.g_loss(critic(noisy(run, fake, noise_std(run))))
    finally:
        set_requires_grad(run.d_params, True)


def score_pair(
    discriminator: nn.Module,
    critic: Callable[..., torch.Tensor],
    real: torch.Tensor,
    fake: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """`critic`'s scores of a real and a fake batch: one concatenated pass unless the
    discriminator mixes samples within a batch (batch norm, minibatch features), where one
    pass would leak between them."""
    if discriminator.mixes_batch:
        return critic(real), critic(fake)
    real_score, fake_score = critic(torch.cat([real, fake])).chunk(2)
    return real_score, fake_score


def critic_for_g(run: RunState, fake: torch.Tensor) -> Callable[..., torch.Tensor]:
    """D as G should see it: D itself, or D after k differentiable updates of its own
    optimizer (unrolled GANs, Metz et al. 2017)."""
    steps = run.config.regularization.unrolled_steps
    if steps == 0:
        return run.D
    names = [name for name, _ in run.D.named_parameters()]
    flat = flatten([p.detach() for p in run.d_params]).requires_grad_(True)
    lookahead = Lookahead(run.opt_d, run.d_params)
    objective = Objective(run.config.training.loss)
    std = noise_std(run)

    def with_weights(flat_weights: torch.Tensor) -> Callable[..., torch.Tensor]:
        weights = unflatten(flat_weights, run.d_params)
        return partial(_functional, run.D, dict(zip(names, weights, strict=True)))

    for _ in range(steps):
        real = noisy(run, run.real(fake.shape[0]), std)
        scores = score_pair(run.D, with_weights(flat), real, noisy(run, fake, std))
        (grads,) = torch.autograd.grad(objective.d_loss(*scores), flat, create_graph=True)
        flat = lookahead.step(flat, grads)
    return with_weights(flat)


# --------------------------------------------------------------------- helpers
def noise_std(run: RunState) -> float:
    reg = run.config.regularization
    return regularizers.instance_noise_std(
        reg.instance_noise, reg.instance_noise_anneal_steps, run.step
    )


def noisy(run: RunState, x: torch.Tensor, std: float) -> torch.Tensor:
    """Instance noise: x plus Gaussian noise of `std` from the training stream."""
    if std <= 0:
        return x
    return x + std * torch.randn(x.shape, device=x.device, generator=run.rng)


def clip_critic(run: RunState) -> None:
    clip = run.config.regularization.weight_clip
    if clip > 0:
        regularizers.clip_weights(run.d_params, clip)


def set_requires_grad(params: Sequence[torch.Tensor], flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


def _functional(
    module: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """The module run with `params` in place of its own (differentiable w.r.t. them)."""
    return functional_call(module, params, (x,))
