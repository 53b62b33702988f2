"""Discriminator regularizers: gradient penalties, instance noise and weight clipping."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch

Critic = Callable[[torch.Tensor], torch.Tensor]


def _input_grad_norm_sq(critic: Critic, x: torch.Tensor, pack: int) -> torch.Tensor:
    """|dD/dx|^2 per packed group, kept in the graph so it can be penalised."""
    x = x.detach().requires_grad_(True)
    score = critic(x)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    return grad.reshape(-1, 2 * pack).square().sum(dim=1)


# The penalties' formulas, once: the single-run step (models/engine/step.py) and the stacked
# one (models/engine/batched.py) compute the norms their own way and share these.


def interpolates(
    real: torch.Tensor, fake: torch.Tensor, pack: int, generator: torch.Generator | None
) -> torch.Tensor:
    """WGAN-GP's points: one random mix of a real and a fake packed group per group."""
    groups = real.shape[0] // pack
    alpha = torch.rand(groups, 1, 1, device=real.device, generator=generator)
    real_g, fake_g = real.view(groups, pack, 2), fake.view(groups, pack, 2)
    return (alpha * real_g + (1 - alpha) * fake_g).view(-1, 2)


def gradient_penalty_of(norm_sq: torch.Tensor) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (|grad D| - 1)^2, from |grad D|^2 at the interpolates."""
    return ((norm_sq + 1e-12).sqrt() - 1.0).square().mean()


def penalised_d_loss(
    loss: torch.Tensor,
    gp_lambda: float,
    r1_gamma: float,
    gp: torch.Tensor | None,
    r1: torch.Tensor | None,
) -> torch.Tensor:
    """D's objective plus lambda x WGAN-GP plus gamma / 2 x R1 (Mescheder et al. 2018; R1 is
    the mean |grad D|^2 on real data). A new penalty is added here, for every engine."""
    if gp is not None:
        loss = loss + gp_lambda * gp
    if r1 is not None:
        loss = loss + 0.5 * r1_gamma * r1
    return loss


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    pack: int,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """WGAN-GP on random real/fake interpolates, for one run's critic."""
    mix = interpolates(real, fake, pack, generator)
    return gradient_penalty_of(_input_grad_norm_sq(critic, mix, pack))


def r1_penalty(critic: Critic, real: torch.Tensor, pack: int) -> torch.Tensor:
    """R1: |grad D|^2 on real data, averaged (`penalised_d_loss` scales it by gamma / 2)."""
    return _input_grad_norm_sq(critic, real, pack).mean()


def instance_noise_std(base: float, anneal_steps: int, step: int) -> float:
    """Noise std at this iteration: constant, or linearly annealed to 0 over anneal_steps."""
    if anneal_steps <= 0:
        return base
    return base * max(0.0, 1.0 - step / anneal_steps)


@torch.no_grad()
def clip_weights(parameters: Sequence[torch.Tensor], limit: float) -> None:
    """WGAN's Lipschitz hack: clamp every critic weight to [-limit, limit]."""
    torch._foreach_clamp_min_(list(parameters), -limit)
    torch._foreach_clamp_max_(list(parameters), limit)


@torch.no_grad()
def share_at_limit(parameters: Sequence[torch.Tensor], limit: float) -> float:
    """Fraction of the entries in the top 1% of [0, limit] in magnitude: the weights clipping
    has pinned. (An unclipped initial weight beyond the limit is not counted: nothing pinned
    it yet.) The more are pinned, the closer the critic is to a fixed, nearly linear function."""
    pinned = sum(
        int(((p.abs() >= 0.99 * limit) & (p.abs() <= limit * (1 + 1e-6))).sum()) for p in parameters
    )
    return pinned / sum(p.numel() for p in parameters)
