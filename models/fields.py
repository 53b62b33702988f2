"""What the views draw underneath the samples: D's surface, G's gradient field, G's manifold.

All of them are computed without touching the training RNG or any training state, so taking
snapshots never changes a run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from models.objectives import Objective

GAUSS_HERMITE_NODES = 40


def grid_points(
    bounds: tuple[float, float, float, float], n: int, device: torch.device
) -> torch.Tensor:
    """(n*n, 2) points of an n x n grid, ordered so `.view(n, n, 2)` is indexed [ix, iy]."""
    xmin, xmax, ymin, ymax = bounds
    xs = torch.linspace(xmin, xmax, n, device=device)
    ys = torch.linspace(ymin, ymax, n, device=device)
    gx, gy = torch.meshgrid(xs, ys, indexing="ij")
    return torch.stack([gx.reshape(-1), gy.reshape(-1)], dim=1)


def _scores(discriminator: Any, x: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """D's score for each point alone, as if it were a whole pack of copies of itself."""
    pack = discriminator.pack
    reference = reference[: reference.shape[0] - reference.shape[0] % pack]
    return discriminator(x.repeat_interleave(pack, dim=0), reference)


def surface_and_field(
    discriminator: Any, objective: Objective, points: torch.Tensor, reference: torch.Tensor
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
    noise_std: float = 0.0,
) -> torch.Tensor:
    """(K, K, 2) expected gradient-play field (-dL_G/dtheta, -dL_D/dpsi) of the Dirac-GAN, with
    every regularizer the run uses.

    Real data sits at 0 and D(x) = -psi * x, so grad_x D = -psi everywhere: R1 adds
    gamma/2 psi^2 and the WGAN gradient penalty lambda (|psi| - 1)^2 to D's loss. Instance
    noise of std s moves both inputs by N(0, s^2): the losses are averaged over it with
    Gauss-Hermite quadrature (exact for the polynomial losses, to ~1e-6 for the logistic
    ones), so the arrows show the pull training feels on average, not a noise-free rotation.
    """
    theta, psi = torch.meshgrid(thetas, psis, indexing="ij")
    theta = theta.detach().requires_grad_(True)
    psi = psi.detach().requires_grad_(True)
    nodes, weights = _gauss_hermite(noise_std, theta.dtype)
    with torch.enable_grad():
        fake_x = theta[..., None] + nodes  # (K, K, Q) where the noisy fake sample lands
        real_x = nodes.expand_as(fake_x)  # and the noisy real one
        score = -psi[..., None]
        real_term, fake_term = objective.d_terms(score * real_x, score * fake_x)
        penalty = 0.5 * r1_gamma * psi.square() + gp_lambda * (psi.abs() - 1).square()
        d_loss = ((real_term + fake_term) * weights).sum(-1) + penalty
        g_loss = (objective.g_loss_per_sample(score * fake_x) * weights).sum(-1)
        (d_theta,) = torch.autograd.grad(g_loss.sum(), theta, retain_graph=True)
        (d_psi,) = torch.autograd.grad(d_loss.sum(), psi)
    return torch.stack([-d_theta, -d_psi], dim=2)


def _gauss_hermite(std: float, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
    """Nodes and weights for E[f(s * N(0, 1))] (one node of weight 1 without noise)."""
    if std <= 0:
        return torch.zeros(1, dtype=dtype), torch.ones(1, dtype=dtype)
    nodes, weights = np.polynomial.hermite_e.hermegauss(GAUSS_HERMITE_NODES)
    return (
        torch.tensor(nodes * std, dtype=dtype),
        torch.tensor(weights / weights.sum(), dtype=dtype),
    )


def dirac_axes(theta: float, psi: float, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A square window around the origin wide enough to hold the current point."""
    reach = max(2.0, 1.25 * math.hypot(theta, psi))
    axis = torch.linspace(-reach, reach, k)
    return axis, axis.clone()
