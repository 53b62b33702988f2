"""What the views draw underneath the samples: D's surface, G's gradient field, G's manifold.

All of them are computed without touching the training RNG or any training state, so taking
snapshots never changes a run.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.objectives import Objective


def grid_points(
    bounds: tuple[float, float, float, float], n: int, device: torch.device
) -> torch.Tensor:
    """(n*n, 2) points of an n x n grid, ordered so `.view(n, n, 2)` is indexed [ix, iy]."""
    xmin, xmax, ymin, ymax = bounds
    xs = torch.linspace(xmin, xmax, n, device=device)
    ys = torch.linspace(ymin, ymax, n, device=device)
    gx, gy = torch.meshgrid(xs, ys, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def _scores(discriminator: nn.Module, x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """D's score for each point alone, as if it were a whole pack of copies of itself."""
    pack = discriminator.pack
    reference = reference[: reference.shape[0] - reference.shape[0] % pack]
    return discriminator(x.repeat_interleave(pack, dim=0), reference)


def surface_and_field(
    discriminator: nn.Module, objective: Objective, points: torch.Tensor, reference: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """D's displayed output at each point and -dL_G/dx there (the pull G's samples feel).

    For a packed D the point fills the whole pack and the gradient is averaged over the pack
    slots: the direction a sample moves when every member of its pack moves with it.
    """
    x = points.detach().requires_grad_(True)
    with torch.enable_grad():
        score = _scores(discriminator, x, reference)
        loss = objective.g_loss_per_sample(score).sum()
        (grad,) = torch.autograd.grad(loss, x)
    return objective.display(score.detach()), -grad / discriminator.pack


def latent_grid(z_dim: int, n: int, uniform: bool, device: torch.device) -> torch.Tensor:
    """An n x n grid over the first two latent dimensions (others 0): the manifold's domain."""
    reach = 1.0 if uniform else 2.5
    axis = torch.linspace(-reach, reach, n, device=device)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    z = torch.zeros(n * n, z_dim, device=device)
    z[:, 0] = a.reshape(-1)
    if z_dim > 1:
        z[:, 1] = b.reshape(-1)
    return z


def dirac_flow(
    objective: Objective,
    thetas: torch.Tensor,
    psis: torch.Tensor,
    r1_gamma: float,
    gp_lambda: float,
) -> torch.Tensor:
    """(K, K, 2) gradient-play vector field (-dL_G/dtheta, -dL_D/dpsi) of the Dirac-GAN.

    Real data sits at 0, so D(real) = 0 and grad_x D = psi everywhere: R1 adds gamma/2 psi^2 and
    the WGAN gradient penalty adds lambda (|psi| - 1)^2 to D's loss.
    """
    theta, psi = torch.meshgrid(thetas, psis, indexing="ij")
    theta = theta.detach().requires_grad_(True)
    psi = psi.detach().requires_grad_(True)
    with torch.enable_grad():
        fake_score = psi * theta
        real_term, fake_term = objective.d_terms(torch.zeros_like(fake_score), fake_score)
        penalty = 0.5 * r1_gamma * psi.square() + gp_lambda * (psi.abs() - 1).square()
        d_loss = real_term + fake_term + penalty
        g_loss = objective.g_loss_per_sample(fake_score)
        (d_theta,) = torch.autograd.grad(g_loss.sum(), theta, retain_graph=True)
        (d_psi,) = torch.autograd.grad(d_loss.sum(), psi)
    return torch.stack([-d_theta, -d_psi], dim=2)


def dirac_axes(theta: float, psi: float, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A square window around the origin wide enough to hold the current point."""
    reach = max(2.0, 1.25 * math.hypot(theta, psi))
    axis = torch.linspace(-reach, reach, k)
    return axis, axis.clone()
