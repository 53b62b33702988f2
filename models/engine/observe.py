"""Watching a run: snapshots, probes and metrics. Nothing here trains, and nothing here draws
from the training stream, so a run's trajectory never depends on how often it is watched.

A full snapshot is everything the views draw (surface, field, manifold, metrics); a frame is
the cheap in-between picture for smooth animation (fresh samples and Dirac point only), turned
back into a snapshot by `Snapshot.with_frame`, the one place where that happens.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from models import fields, regularizers
from models.engine.state import SEED_FIXED, RunState
from models.engine.step import d_loss, noise_std
from models.metrics import mode_metrics
from models.objectives import Objective
from models.snapshot import DiracState, Frame, Snapshot, frozen_array, frozen_metrics

DIRAC_FLOW_GRID = 21
MANIFOLD_GRID = 24


class Observer:
    """Takes snapshots of one run; keeps the arrays that only change with the target."""

    def __init__(self) -> None:
        self._static_key: tuple[int, int] | None = None
        self._static: tuple[np.ndarray, np.ndarray] | None = None

    def full(self, run: RunState, config_version: int, diverged: str | None) -> Snapshot:
        """Everything the views draw. Resets the running loss means."""
        cfg = run.config
        run.G.train()  # batch-norm G samples as it trains; its running stats are unused
        run.D.eval()  # spectral norm must not advance its power iteration outside training
        objective = Objective(cfg.training.loss)
        with torch.no_grad():
            fake = run.G(run.view_z)
            metric_fake = run.G(run.metric_z)
            uniform = cfg.generator.z_dist == "uniform"
            z_grid = fields.latent_grid(run.G.z_dim, MANIFOLD_GRID, uniform, run.device)
            manifold = run.G(z_grid).view(MANIFOLD_GRID, MANIFOLD_GRID, 2)
        res, n_arrows = cfg.view.resolution, cfg.view.arrows
        grid = fields.grid_points(run.bounds, res, run.device)
        arrows = fields.grid_points(run.bounds, n_arrows, run.device)
        display, pull = fields.surface_and_field(
            run.D, objective, torch.cat([grid, arrows]), fake
        )  # one pass for both grids
        surface, arrow_pull, pull = display[: res * res], pull[res * res :], pull[: res * res]
        probe = self._probe(run, objective)
        metrics = self._metrics(run, metric_fake, probe)
        run.D.train()
        run.losses.restart()
        real, centers = self._static_arrays(run)
        return Snapshot(
            step=run.step,
            metrics=frozen_metrics(metrics),
            bounds=run.bounds,
            fake=frozen_array(fake),
            real=real,
            surface=frozen_array(surface.view(res, res)),
            surface_center=objective.display_center,
            surface_label="D(x) = P(real)" if objective.probabilistic else "D(x) score",
            field=frozen_array(arrow_pull.view(n_arrows, n_arrows, 2)),
            field_magnitude=frozen_array(pull.norm(dim=1).view(res, res)),
            manifold=frozen_array(manifold),
            mode_centers=centers,
            config_version=config_version,
            device=str(run.device),
            dirac=self._dirac_state(run, objective) if cfg.is_dirac else None,
            diverged=diverged,
        )

    def frame(self, run: RunState, config_version: int, diverged: str | None) -> Frame:
        """What moves between full snapshots: the generated samples and the Dirac point."""
        with torch.no_grad():
            fake = run.G(run.view_z)
        objective = Objective(run.config.training.loss)
        dirac = self._dirac_state(run, objective) if run.config.is_dirac else None
        return Frame(run.step, frozen_array(fake), dirac, diverged, config_version)

    def _static_arrays(self, run: RunState) -> tuple[np.ndarray, np.ndarray]:
        """Real view samples and mode centres: the same objects until the target changes,
        so views can skip redrawing them."""
        key = (id(run.target), run.config.view.samples)
        if self._static_key != key or self._static is None:
            real = frozen_array(run.reference_real[: run.config.view.samples])
            self._static = (real, frozen_array(run.target.centers))
            self._static_key = key
        return self._static

    def _probe(self, run: RunState, objective: Objective) -> dict[str, float]:
        """Losses, D outputs and gradient norms on fixed probe batches, without any update."""
        real = run.probe_real
        fake = run.G(run.probe_z)
        rng = torch.Generator(run.device).manual_seed(run.config.training.seed + SEED_FIXED)
        loss_d = d_loss(run, real, fake.detach(), rng)
        d_grads = torch.autograd.grad(loss_d, run.d_params, allow_unused=True)
        loss_g = objective.g_loss(run.D(fake))
        g_grads = torch.autograd.grad(loss_g, list(run.G.parameters()), allow_unused=True)
        with torch.no_grad():
            d_real = float(objective.display(run.D(real)).mean())
            d_fake = float(objective.display(run.D(fake)).mean())
        return {
            "d_real": d_real,
            "d_fake": d_fake,
            "grad_norm_g": _total_norm(g_grads),
            "grad_norm_d": _total_norm(d_grads),
        }

    def _metrics(
        self, run: RunState, metric_fake: torch.Tensor, probe: dict[str, float]
    ) -> dict[str, float]:
        d_mean, g_mean = run.losses.mean()
        clip = run.config.regularization.weight_clip
        metrics: dict[str, float] = {
            "step": run.step,
            "d_loss": d_mean,
            "g_loss": g_mean,
            **probe,
            "d_weights_at_clip": (
                regularizers.share_at_limit(run.d_params, clip) if clip > 0 else math.nan
            ),
            "wall_s": run.clock.seconds,
            "steps_per_s": run.clock.steps_per_second,
        }
        if run.config.is_dirac:
            theta, psi = _dirac_point(run)
            metrics.update(
                modes_covered=math.nan,
                modes_covered_20=math.nan,
                modes_total=1,
                high_quality=math.nan,
                reverse_kl=math.nan,
                dominant_mode=math.nan,
                w1=abs(theta),
                w1_floor=0.0,
                theta=theta,
                psi=psi,
                distance=math.hypot(theta, psi),
            )
            return metrics
        modes = mode_metrics(metric_fake, run.target)
        metrics.update(
            modes_covered=modes.modes_covered,
            modes_covered_20=modes.modes_covered_20,
            modes_total=run.target.num_modes,
            high_quality=modes.high_quality,
            reverse_kl=modes.reverse_kl,
            dominant_mode=modes.dominant_mode,
            w1=run.w1(metric_fake),
            w1_floor=run.w1_floor,
        )
        return metrics

    def _dirac_state(self, run: RunState, objective: Objective) -> DiracState:
        theta, psi = _dirac_point(run)
        thetas, psis = fields.dirac_axes(theta, psi, DIRAC_FLOW_GRID)
        flow = fields.dirac_flow(
            objective,
            thetas,
            psis,
            run.config.regularization.r1_gamma,
            run.config.gradient_penalty,
            noise_std(run),
        )
        return DiracState(theta, psi, frozen_array(thetas), frozen_array(psis), frozen_array(flow))


def _dirac_point(run: RunState) -> tuple[float, float]:
    return float(run.G.theta.detach()), float(run.D.psi.detach())


def _total_norm(grads: tuple[torch.Tensor | None, ...]) -> float:
    present = [g for g in grads if g is not None]
    if not present:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in present])))
