"""Dead ReLU units in D, found and re-initialised when a lecturer sets a fix on D live.

After a long collapse against a fast D (ring_collapse: lr_d = 1e-2), a third to three
quarters of D's last hidden ReLU layer never fires on the data, the samples or the view, and
G's samples sit where no unit fires: |grad G| is exactly 0 from about step 9,000 (seeds 0-3).
A penalty switched on then (R1) only shrinks the units that are left, and G never moves
again. Re-drawing the dead units (as PyTorch first drew them, their outgoing weights zeroed
so D's scores do not jump) gives D slopes again where the samples are: 35-67 of its 192
units on seeds 0-3, and R1 then spreads G (W1 1.0-1.6 -> 0.16-0.26 within 1,000 steps).
A D that still has a slope at the samples is left alone: in a healthy run a change reads as
it always did.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from models.engine.state import RunState

# The knobs whose live change means "fix D": switching them on a dead D would do nothing.
D_FIX_KEYS = frozenset(
    {
        "training.loss",
        "training.lr_d",
        "regularization.r1_gamma",
        "regularization.gradient_penalty",
        "regularization.instance_noise",
    }
)
GRID = 48  # probe points per side of the view
FLAT_SHARE = 0.5  # ring_collapse at 15,000: 100% of the samples (seeds 0, 1); a healthy run: 0
SEED_REVIVE = 7919  # the re-drawn weights' own stream (seed and step): a rerun draws the same


def _probe(run: RunState) -> tuple[torch.Tensor, int]:
    """Where D must be able to tell anything: G's samples (the first rows: how many is
    returned), the data and the view around them."""
    xmin, xmax, ymin, ymax = run.bounds
    grid = torch.cartesian_prod(
        torch.linspace(xmin, xmax, GRID, device=run.device),
        torch.linspace(ymin, ymax, GRID, device=run.device),
    )
    with torch.no_grad():
        fake = run.G(run.probe_z)
    return torch.cat([fake, run.probe_real, grid]), fake.shape[0]


def revive_dead_units(run: RunState) -> int:
    """When D is flat at most of G's samples (some hidden layer silent there: no gradient
    reaches them, |grad G| = 0), re-initialise every hidden ReLU unit of D that fires on no
    probe point; returns how many (0, nothing touched, for a D with a slope at the samples).
    D must be a plain MLP of ReLU layers (no packing, batch norm or spectral norm)."""
    if not _revivable(run):
        return 0
    linears = [m for m in run.D.features if isinstance(m, nn.Linear)]
    outputs: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: outputs.append(out)) for m in linears]
    probe, fakes = _probe(run)
    try:
        with torch.no_grad():
            run.D(probe)
    finally:
        for hook in hooks:
            hook.remove()
    # a sample where some layer has no unit firing gets no gradient from D at all
    flat = torch.stack([(out[:fakes] <= 0).all(dim=1) for out in outputs]).any(dim=0)
    if flat.float().mean() < FLAT_SHARE:
        return 0
    following = [*linears[1:], run.D.head]
    stream = torch.Generator().manual_seed(run.config.training.seed * SEED_REVIVE + run.step)
    revived = 0
    with torch.no_grad():
        for layer, after, out in zip(linears, following, outputs, strict=True):
            dead = (out <= 0).all(dim=0).nonzero().flatten()
            if dead.numel():
                bound = 1.0 / math.sqrt(layer.in_features)
                layer.weight[dead] = _uniform(layer.weight[dead], bound, stream)
                layer.bias[dead] = _uniform(layer.bias[dead], bound, stream)
                after.weight[:, dead] = 0.0
                _forget_moments(run, (layer.weight, layer.bias, after.weight), dead)
                revived += dead.numel()
    return revived


def _uniform(like: torch.Tensor, bound: float, stream: torch.Generator) -> torch.Tensor:
    """U(-bound, bound) as nn.Linear first draws, from the CPU stream (the same on any device)."""
    drawn = torch.rand(like.shape, generator=stream) * (2 * bound) - bound
    return drawn.to(like.device, like.dtype)


def _revivable(run: RunState) -> bool:
    cfg = run.config
    d = cfg.discriminator
    return (
        not cfg.is_dirac
        and d.activation == "relu"
        and not d.batch_norm
        and not d.minibatch_discrimination
        and not cfg.regularization.spectral_norm
        and cfg.regularization.pack == 1
    )


def _forget_moments(run: RunState, params: tuple[torch.Tensor, ...], dead: torch.Tensor) -> None:
    """Adam's running moments of the re-drawn weights start again from zero."""
    weight, bias, outgoing = params
    for param, index in ((weight, (dead,)), (bias, (dead,)), (outgoing, (slice(None), dead))):
        for moment in run.opt_d.state.get(param, {}).values():
            if isinstance(moment, torch.Tensor) and moment.shape == param.shape:
                moment[index] = 0.0
