"""Discriminator regularizers: gradient penalties, instance noise and weight clipping."""

from __future__ import annotations

from collections.abc import Callable

import torch

Critic = Callable[[torch.Tensor], torch.Tensor]


def _input_grad_norm_sq(critic: Critic, x: torch.Tensor, pack: int) -> torch.Tensor:
    """|dD/dx|^2 per packed group, kept in the graph so it can be penalised."""
    x = x.detach().requires_grad_(True)
    score = critic(x)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    return grad.reshape(-1, 2 * pack).square().sum(dim=1)


def gradient_penalty(
    critic: Critic,
    real: torch.Tensor,
    fake: torch.Tensor,
    pack: int,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): (|grad D| - 1)^2 on random real/fake interpolates."""
    groups = real.shape[0] // pack
    alpha = torch.rand(groups, 1, 1, device=real.device, generator=generator)
    real_g, fake_g = real.view(groups, pack, 2), fake.view(groups, pack, 2)
    mix = (alpha * real_g + (1 - alpha) * fake_g).view(-1, 2)
    norm = (_input_grad_norm_sq(critic, mix, pack) + 1e-12).sqrt()
    return (norm - 1.0).square().mean()


def r1_penalty(critic: Critic, real: torch.Tensor, pack: int) -> torch.Tensor:
    """R1 (Mescheder et al. 2018): |grad D|^2 on real data; the caller scales it by gamma / 2."""
    return _input_grad_norm_sq(critic, real, pack).mean()


def instance_noise_std(base: float, anneal_steps: int, step: int) -> float:
    """Noise std at this iteration: constant, or linearly annealed to 0 over anneal_steps."""
    if anneal_steps <= 0:
        return base
    return base * max(0.0, 1.0 - step / anneal_steps)


@torch.no_grad()
def clip_weights(parameters: list[torch.Tensor], limit: float) -> None:
    """WGAN's Lipschitz hack: clamp every critic weight to [-limit, limit]."""
    torch._foreach_clamp_min_(parameters, -limit)
    torch._foreach_clamp_max_(parameters, limit)


@torch.no_grad()
def share_at_limit(parameters: list[torch.Tensor], limit: float) -> float:
    """Fraction of the entries in the top 1% of [0, limit] in magnitude: the weights clipping
    has pinned. (An unclipped initial weight beyond the limit is not counted: nothing pinned
    it yet.) The more are pinned, the closer the critic is to a fixed, nearly linear function."""
    pinned = sum(
        int(((p.abs() >= 0.99 * limit) & (p.abs() <= limit * (1 + 1e-6))).sum()) for p in parameters
    )
    return pinned / sum(p.numel() for p in parameters)
