"""The GAN trainer: a training loop a reader can follow, tuned to run fast.

One *iteration* is ``d_steps`` discriminator updates then ``g_steps`` generator updates
(alternating), or one joint update of both from the same point (simultaneous).

Speed without changing the maths: real and fake go through D in one concatenated pass (unless
D mixes samples in a batch), D's gradients are off during G's step, the last D step's fake batch
is reused for G's first step (as PyTorch's DCGAN example does), optimizers use fused/foreach
kernels, and nothing reads a value back from the device inside the loop: losses are gathered
and checked once per ``step(n)`` call.

Snapshots never touch the training RNG or training-mode layers, so a run's trajectory does not
depend on how often it is watched: same scene + seed + steps = same result (on CPU).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from models import fields, regularizers
from models.config import ConfigError, TrainConfig
from models.metrics import PROTOCOL_SAMPLES, SlicedW1, mode_metrics
from models.networks import DiracDiscriminator, DiracGenerator, Discriminator, Generator
from models.objectives import Objective
from models.optimizers import Lookahead, flatten, make_optimizer, retune, unflatten
from models.snapshot import DiracState, Snapshot, frozen_array, frozen_metrics
from models.targets import Target, build_target, view_bounds

# Seed offsets so each stream is independent and rebuilding one network alone gives it the
# same initial weights as a fresh start with the same seed.
_SEED_G, _SEED_D, _SEED_FIXED = 1, 2, 3

_DIRAC_FLOW_GRID = 21

GENERATOR_KEYS = "generator."
DISCRIMINATOR_KEYS = ("discriminator.", "regularization.spectral_norm", "regularization.pack")
RESET_KEYS = ("training.seed", "training.device")


def resolve_device(name: str) -> torch.device:
    """'auto' picks CUDA, then Apple's MPS, then the CPU."""
    cuda = torch.cuda.is_available()
    mps = torch.backends.mps.is_available()
    if name == "auto":
        return torch.device("cuda" if cuda else "mps" if mps else "cpu")
    if (name == "cuda" and not cuda) or (name == "mps" and not mps):
        have = ["cpu"] + (["cuda"] if cuda else []) + (["mps"] if mps else [])
        allowed = ", ".join([*have, "auto"])
        raise ConfigError([f"training.device: {name!r} is not available here (allowed: {allowed})"])
    return torch.device(name)


@dataclass(frozen=True)
class ApplyReport:
    """What a change did, so the UI can say so."""

    changed: tuple[str, ...]
    rebuilt: tuple[str, ...] = ()
    reset: bool = False

    @property
    def message(self) -> str:
        if self.reset:
            return "restarted training from step 0 (" + ", ".join(self.changed) + ")"
        if self.rebuilt:
            return "rebuilt " + " and ".join(self.rebuilt) + " (" + ", ".join(self.changed) + ")"
        return "applied " + ", ".join(self.changed) + " (optimizer state kept)"


@dataclass
class _RunningLoss:
    """Sums of the losses since the last snapshot, read back once per step(n) call."""

    d_sum: float = 0.0
    g_sum: float = 0.0
    count: int = 0
    last: tuple[float, float] = (math.nan, math.nan)

    def mean(self) -> tuple[float, float]:
        if self.count == 0:
            return self.last
        return self.d_sum / self.count, self.g_sum / self.count


class _Checkpoint:
    """The last finite training state, kept in preallocated buffers: saving it after every
    ``step(n)`` call is one fused copy, so it is never stale."""

    def __init__(self) -> None:
        self.step = 0
        self._model: list[torch.Tensor] = []
        self._optim: list[torch.Tensor] = []
        self._rng = torch.ByteTensor()

    @staticmethod
    def _copy_into(buffers: list[torch.Tensor], tensors: list[torch.Tensor]) -> list[torch.Tensor]:
        same = len(buffers) == len(tensors) and all(
            b.shape == t.shape and b.dtype == t.dtype for b, t in zip(buffers, tensors, strict=True)
        )
        if not same:
            return [t.clone() for t in tensors]
        if buffers:
            torch._foreach_copy_(buffers, tensors)
        return buffers

    def save(self, trainer: Trainer) -> None:
        self.step = trainer.step_count
        self._model = self._copy_into(self._model, trainer._model_tensors())
        self._optim = self._copy_into(self._optim, trainer._optimizer_tensors())
        self._rng = trainer._rng.get_state()

    def restore(self, trainer: Trainer) -> None:
        with torch.no_grad():
            torch._foreach_copy_(trainer._model_tensors(), self._model)
            optim = trainer._optimizer_tensors()
            if [t.shape for t in optim] == [t.shape for t in self._optim]:
                if optim:
                    torch._foreach_copy_(optim, self._optim)
            else:  # saved before the optimizers' first step: back to their fresh state
                trainer._clear_optimizer_state()
        trainer._rng.set_state(self._rng)
        trainer.step_count = self.step


def _seeded(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


class Trainer:
    """Trains one GAN. Not thread-safe: one thread drives it (see app/worker.py)."""

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        self._config = config
        self._base_dir = base_dir
        self.config_version = 0
        self._reset()

    # ----------------------------------------------------------------- building
    @property
    def config(self) -> TrainConfig:
        return self._config

    def _reset(self) -> None:
        cfg = self._config
        self.device = resolve_device(cfg.training.device)
        self.step_count = 0
        self.diverged: str | None = None
        self._train_seconds = 0.0
        self._steps_timed = 0
        self._running = _RunningLoss()
        self._last_full: Snapshot | None = None
        self._static_key: tuple[int, int] | None = None
        self._rng = torch.Generator(self.device).manual_seed(cfg.training.seed)
        self._build_target()
        self._build_generator()
        self._build_discriminator()
        self._good = _Checkpoint()
        self._good.save(self)

    def _build_target(self) -> None:
        cfg = self._config
        target = build_target(cfg.target, self._base_dir)
        self.target: Target = target.to(self.device)
        fixed = torch.Generator(self.device).manual_seed(cfg.training.seed + _SEED_FIXED)
        self._reference_real = self.target.sample(PROTOCOL_SAMPLES, fixed)
        self._w1 = SlicedW1(self._reference_real)
        self._probe_real = self.target.sample(cfg.training.batch, fixed)
        self._bounds = view_bounds(cfg, self.target)

    def _build_generator(self) -> None:
        cfg = self._config
        build: Callable[[], nn.Module] = (
            partial(DiracGenerator, cfg.target.theta0)
            if cfg.is_dirac
            else partial(Generator, cfg.generator)
        )
        self.G = _seeded(cfg.training.seed * 10 + _SEED_G, build).to(self.device)
        self.opt_g = make_optimizer(
            cfg.training.optimizer_for("g"),
            self.G.parameters(),
            cfg.training.lr_g,
            cfg.training.betas,
            self.device,
        )
        fixed = torch.Generator(self.device).manual_seed(cfg.training.seed + _SEED_FIXED + 1)
        self._view_z = self._latent(cfg.view.samples, fixed)
        self._metric_z = self._latent(PROTOCOL_SAMPLES, fixed)
        self._probe_z = self._latent(cfg.training.batch, fixed)

    def _build_discriminator(self) -> None:
        cfg = self._config
        reg = cfg.regularization
        build: Callable[[], nn.Module] = (
            partial(DiracDiscriminator, cfg.target.psi0)
            if cfg.is_dirac
            else partial(Discriminator, cfg.discriminator, reg.pack, reg.spectral_norm)
        )
        self.D = _seeded(cfg.training.seed * 10 + _SEED_D, build).to(self.device)
        self._d_params = list(self.D.parameters())
        self.opt_d = make_optimizer(
            cfg.training.optimizer_for("d"),
            self._d_params,
            cfg.training.lr_d,
            cfg.training.betas,
            self.device,
        )

    def _latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        z_dim = 1 if self._config.is_dirac else self._config.generator.z_dim
        if self._config.generator.z_dist == "uniform":
            return torch.rand(n, z_dim, device=self.device, generator=generator) * 2 - 1
        return torch.randn(n, z_dim, device=self.device, generator=generator)

    # ----------------------------------------------------------------- changes
    def apply(self, changes: Mapping[str, Any]) -> ApplyReport:
        """Change settings between steps. Raises ConfigError (and changes nothing) if invalid.

        Hot settings (rates, betas, loss, step counts, penalties, noise, batch...) take effect at
        the next step and keep the optimizers' state; network shape rebuilds that network;
        the target rebuilds the data only; seed or device restarts from step 0.
        """
        new = self._config.with_changes(changes)
        if new.training.device != self._config.training.device:
            resolve_device(new.training.device)
        old = self._config
        changed = tuple(k for k in changes if _get(old, k) != _get(new, k))
        self._config = new
        self.config_version += 1
        self.diverged = None
        if not changed:
            return ApplyReport(())
        dirac_toggled = old.is_dirac != new.is_dirac
        if dirac_toggled or any(k in RESET_KEYS for k in changed):
            self._reset()
            return ApplyReport(changed, reset=True)
        rebuilt = []
        if any(k.startswith("target.") for k in changed):
            self._build_target()
            rebuilt.append("target data")
        if any(k.startswith(GENERATOR_KEYS) for k in changed) or _optimizer_changed(old, new, "g"):
            self._build_generator()
            rebuilt.append("generator")
        if any(k.startswith(DISCRIMINATOR_KEYS) for k in changed) or _optimizer_changed(
            old, new, "d"
        ):
            self._build_discriminator()
            rebuilt.append("discriminator")
        if "training.batch" in changed:
            fixed = torch.Generator(self.device).manual_seed(new.training.seed + _SEED_FIXED + 2)
            self._probe_z = self._latent(new.training.batch, fixed)
            self._probe_real = self.target.sample(new.training.batch, fixed)
        retune(self.opt_g, new.training.lr_g, new.training.betas)
        retune(self.opt_d, new.training.lr_d, new.training.betas)
        self._good.save(self)
        return ApplyReport(changed, tuple(rebuilt))

    def optimizer_steps(self) -> tuple[int, int]:
        """Updates recorded in G's and D's optimizer state (0 after a rebuild): shows whether a
        change kept the optimizers' state."""

        def count(optimizer: torch.optim.Optimizer) -> int:
            for state in optimizer.state.values():
                if "step" in state:
                    return int(state["step"])
            return 0

        return count(self.opt_g), count(self.opt_d)

    def reset(self) -> None:
        """Start again from step 0 with the current settings."""
        self.config_version += 1
        self._reset()

    # ----------------------------------------------------------------- training
    def step(self, n: int = 1) -> int:
        """Run n iterations; returns how many completed. Stops early (and keeps the last
        finite weights) if training produced NaN or Inf: see ``diverged``."""
        if self.diverged or n <= 0:
            return 0
        start = time.perf_counter()
        self.G.train()
        self.D.train()
        losses: list[torch.Tensor] = []
        for _ in range(n):
            losses.append(self._iteration())
        log = torch.stack(losses).cpu()  # the one device read of this call
        finite_rows = torch.isfinite(log).all(dim=1)
        peaks = torch.stack([p.detach().abs().amax() for p in self._parameters()])
        weights_ok = bool(torch.isfinite(peaks).all())
        if bool(finite_rows.all()) and weights_ok:
            self._record(log)
            self.step_count += n
            self._train_seconds += time.perf_counter() - start
            self._steps_timed += n
            self._good.save(self)
            return n
        first_bad = int((~finite_rows).nonzero()[0]) if not bool(finite_rows.all()) else n - 1
        bad_step = self.step_count + first_bad + 1
        self._good.restore(self)
        self.diverged = self._explain_divergence(bad_step)
        return 0

    def _iteration(self) -> torch.Tensor:
        cfg = self._config.training
        if cfg.updates == "simultaneous":
            return self._simultaneous_step()
        d_loss = torch.zeros((), device=self.device)
        fake = None
        for i in range(cfg.d_steps):
            last = i == cfg.d_steps - 1 and self._config.regularization.unrolled_steps == 0
            d_loss, fake = self._d_step(keep_fake=last)
        g_loss = d_loss
        for _ in range(cfg.g_steps):
            g_loss = self._g_step(fake)
            fake = None
        return torch.stack([d_loss, g_loss])

    def _z(self, n: int) -> torch.Tensor:
        return self._latent(n, self._rng)

    def _noise_std(self) -> float:
        reg = self._config.regularization
        return regularizers.instance_noise_std(
            reg.instance_noise, reg.instance_noise_anneal_steps, self.step_count
        )

    def _noisy(self, x: torch.Tensor, std: float) -> torch.Tensor:
        if std <= 0:
            return x
        return x + std * torch.randn(x.shape, device=x.device, generator=self._rng)

    def _score_pair(
        self, critic: Callable[..., torch.Tensor], real: torch.Tensor, fake: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """D's scores of a real and a fake batch: one concatenated pass unless D mixes samples
        within a batch (batch norm, minibatch features), where that would leak between them."""
        if self.D.mixes_batch:
            return critic(real), critic(fake)
        real_score, fake_score = critic(torch.cat([real, fake])).chunk(2)
        return real_score, fake_score

    def _d_loss(self, real: torch.Tensor, fake: torch.Tensor, rng: torch.Generator) -> torch.Tensor:
        cfg = self._config
        objective = Objective(cfg.training.loss)
        loss = objective.d_loss(*self._score_pair(self.D, real, fake))
        pack = self.D.pack
        if cfg.gradient_penalty > 0:
            gp = regularizers.gradient_penalty(self.D, real, fake, pack, rng)
            loss = loss + cfg.gradient_penalty * gp
        if cfg.regularization.r1_gamma > 0:
            r1 = regularizers.r1_penalty(self.D, real, pack)
            loss = loss + 0.5 * cfg.regularization.r1_gamma * r1
        return loss

    def _d_step(self, keep_fake: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One D update. With keep_fake, G's forward keeps its graph for G's next step."""
        batch = self._config.training.batch
        std = self._noise_std()
        real = self._noisy(self.target.sample(batch, self._rng), std)
        if keep_fake:
            fake = self.G(self._z(batch))
            fake_in = fake.detach()
        else:
            with torch.no_grad():
                fake_in = self.G(self._z(batch))
            fake = None
        loss = self._d_loss(real, self._noisy(fake_in, std), self._rng)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        clip = self._config.regularization.weight_clip
        if clip > 0:
            regularizers.clip_weights(self._d_params, clip)
        return loss.detach(), fake

    def _critic(self, fake: torch.Tensor) -> Callable[[torch.Tensor], torch.Tensor]:
        """D as G should see it: D itself, or D after k differentiable updates (unrolled)."""
        steps = self._config.regularization.unrolled_steps
        if steps == 0:
            return self.D
        names = [name for name, _ in self.D.named_parameters()]
        flat = flatten([p.detach() for p in self._d_params]).requires_grad_(True)
        lookahead = Lookahead(self.opt_d, self._d_params)
        objective = Objective(self._config.training.loss)
        std = self._noise_std()

        def with_weights(flat_weights: torch.Tensor) -> Callable[..., torch.Tensor]:
            weights = unflatten(flat_weights, self._d_params)
            return partial(_functional, self.D, dict(zip(names, weights, strict=True)))

        for _ in range(steps):
            real = self._noisy(self.target.sample(fake.shape[0], self._rng), std)
            scores = self._score_pair(with_weights(flat), real, self._noisy(fake, std))
            (grads,) = torch.autograd.grad(objective.d_loss(*scores), flat, create_graph=True)
            flat = lookahead.step(flat, grads)
        return with_weights(flat)

    def _g_step(self, fake: torch.Tensor | None) -> torch.Tensor:
        if fake is None:
            fake = self.G(self._z(self._config.training.batch))
        objective = Objective(self._config.training.loss)
        critic = self._critic(fake)
        _set_requires_grad(self._d_params, False)
        loss = objective.g_loss(critic(self._noisy(fake, self._noise_std())))
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        _set_requires_grad(self._d_params, True)
        self.opt_g.step()
        return loss.detach()

    def _simultaneous_step(self) -> torch.Tensor:
        """Both players step from the same point (the gradient-play dynamics of theory)."""
        batch = self._config.training.batch
        std = self._noise_std()
        real = self._noisy(self.target.sample(batch, self._rng), std)
        fake = self.G(self._z(batch))
        objective = Objective(self._config.training.loss)
        _set_requires_grad(self._d_params, False)
        g_loss = objective.g_loss(self.D(self._noisy(fake, std)))
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        _set_requires_grad(self._d_params, True)
        d_loss = self._d_loss(real, self._noisy(fake.detach(), std), self._rng)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_g.step()
        self.opt_d.step()
        clip = self._config.regularization.weight_clip
        if clip > 0:
            regularizers.clip_weights(self._d_params, clip)
        return torch.stack([d_loss.detach(), g_loss.detach()])

    # ----------------------------------------------------------------- safety
    def _parameters(self) -> list[torch.Tensor]:
        return [*self.G.parameters(), *self.D.parameters()]

    def _model_tensors(self) -> list[torch.Tensor]:
        """Every tensor that training changes in the networks (weights and buffers)."""
        nets = (self.G, self.D)
        return [t.detach() for net in nets for t in (*net.parameters(), *net.buffers())]

    def _optimizer_tensors(self) -> list[torch.Tensor]:
        return [
            value
            for optimizer in (self.opt_g, self.opt_d)
            for state in optimizer.state.values()
            for value in state.values()
            if isinstance(value, torch.Tensor)
        ]

    def _clear_optimizer_state(self) -> None:
        self.opt_g.state.clear()
        self.opt_d.state.clear()

    def _explain_divergence(self, step: int) -> str:
        cfg = self._config
        t = cfg.training
        causes = []
        if max(t.lr_g, t.lr_d) >= 1e-2:
            causes.append(f"learning rates are high (lr_g={t.lr_g:g}, lr_d={t.lr_d:g})")
        if t.loss == "wgan" and cfg.regularization.weight_clip == 0 and cfg.gradient_penalty == 0:
            causes.append("the WGAN critic is unbounded (no weight clipping or gradient penalty)")
        if not causes:
            causes.append(
                f"gradients exploded; try lower learning rates (lr_g={t.lr_g:g}, lr_d={t.lr_d:g})"
            )
        return (
            f"training produced NaN/Inf at step {step}: likely {'; '.join(causes)}. "
            f"Kept the last finite state (step {self.step_count})."
        )

    def _record(self, log: torch.Tensor) -> None:
        sums = log.double().sum(dim=0)
        running = self._running
        running.d_sum += float(sums[0])
        running.g_sum += float(sums[1])
        running.count += log.shape[0]
        running.last = (float(log[-1, 0]), float(log[-1, 1]))

    # ----------------------------------------------------------------- watching
    def snapshot(self, full: bool = True) -> Snapshot:
        """The current state for views and metrics. Resets the running loss means.

        ``full=False`` is the cheap in-between frame for smooth animation: fresh generated
        samples (and Dirac point), everything else as of the last full snapshot.
        """
        cfg = self._config
        last = self._last_full
        if not full and last is not None and last.config_version == self.config_version:
            with torch.no_grad():
                fake = self.G(self._view_z)
            dirac = self._dirac_state(Objective(cfg.training.loss)) if cfg.is_dirac else None
            return replace(
                last,
                step=self.step_count,
                fake=frozen_array(fake),
                dirac=dirac,
                diverged=self.diverged,
            )
        self._last_full = self._full_snapshot()
        return self._last_full

    def _full_snapshot(self) -> Snapshot:
        cfg = self._config
        self.G.train()  # batch-norm G samples as it trains; its running stats are unused
        self.D.eval()  # spectral norm must not advance its power iteration outside training
        objective = Objective(cfg.training.loss)
        with torch.no_grad():
            fake = self.G(self._view_z)
            metric_fake = self.G(self._metric_z)
            manifold_n = 24
            uniform = cfg.generator.z_dist == "uniform"
            z_grid = fields.latent_grid(self.G.z_dim, manifold_n, uniform, self.device)
            manifold = self.G(z_grid).view(manifold_n, manifold_n, 2)
        res, n_arrows = cfg.view.resolution, cfg.view.arrows
        grid = fields.grid_points(self._bounds, res, self.device)
        arrows = fields.grid_points(self._bounds, n_arrows, self.device)
        display, pull = fields.surface_and_field(
            self.D, objective, torch.cat([grid, arrows]), fake
        )  # one pass for both grids
        surface, arrow_pull, pull = display[: res * res], pull[res * res :], pull[: res * res]
        probe, layer_norms = self._probe(objective)
        metrics = self._metrics(metric_fake, probe)
        self.D.train()
        self._running = _RunningLoss(last=self._running.last)
        return Snapshot(
            step=self.step_count,
            metrics=frozen_metrics(metrics),
            bounds=self._bounds,
            fake=frozen_array(fake),
            real=self._static_arrays()[0],
            surface=frozen_array(surface.view(res, res)),
            surface_center=objective.display_center,
            surface_label="D(x) = P(real)" if objective.probabilistic else "D(x) score",
            field=frozen_array(arrow_pull.view(n_arrows, n_arrows, 2)),
            field_magnitude=frozen_array(pull.norm(dim=1).view(res, res)),
            manifold=frozen_array(manifold),
            mode_centers=self._static_arrays()[1],
            config_version=self.config_version,
            device=str(self.device),
            dirac=self._dirac_state(objective) if cfg.is_dirac else None,
            diverged=self.diverged,
            layer_grad_norms=frozen_metrics(layer_norms),
        )

    def _static_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Real view samples and mode centres: the same objects until the target changes,
        so views can skip redrawing them."""
        key = (id(self.target), self._config.view.samples)
        if self._static_key != key:
            real = frozen_array(self._reference_real[: self._config.view.samples])
            self._static = (real, frozen_array(self.target.centers))
            self._static_key = key
        return self._static

    def _probe(self, objective: Objective) -> tuple[dict[str, float], dict[str, float]]:
        """Losses, D outputs and gradient norms on fixed probe batches, without any update."""
        real = self._probe_real
        fake = self.G(self._probe_z)
        rng = torch.Generator(self.device).manual_seed(self._config.training.seed + _SEED_FIXED)
        d_loss = self._d_loss(real, fake.detach(), rng)
        d_grads = torch.autograd.grad(d_loss, self._d_params, allow_unused=True)
        g_loss = objective.g_loss(self.D(fake))
        g_params = list(self.G.parameters())
        g_grads = torch.autograd.grad(g_loss, g_params, allow_unused=True)
        with torch.no_grad():
            d_real = float(objective.display(self.D(real)).mean())
            d_fake = float(objective.display(self.D(fake)).mean())
        layers = {}
        for prefix, net, grads in (("g", self.G, g_grads), ("d", self.D, d_grads)):
            names = [name for name, _ in net.named_parameters()]
            for name, grad in zip(names, grads, strict=True):
                if grad is not None and name.endswith(("weight", "original", "theta", "psi")):
                    layers[f"{prefix}.{name}"] = float(grad.norm())
        return {
            "d_real": d_real,
            "d_fake": d_fake,
            "grad_norm_g": _total_norm(g_grads),
            "grad_norm_d": _total_norm(d_grads),
        }, layers

    def _metrics(self, metric_fake: torch.Tensor, probe: dict[str, float]) -> dict[str, float]:
        d_loss, g_loss = self._running.mean()
        elapsed = self._train_seconds
        metrics: dict[str, float] = {
            "step": self.step_count,
            "d_loss": d_loss,
            "g_loss": g_loss,
            **probe,
            "d_weights_at_clip": self._weights_at_clip(),
            "wall_s": elapsed,
            "steps_per_s": self._steps_timed / elapsed if elapsed > 0 else 0.0,
        }
        if self._config.is_dirac:
            theta, psi = self._dirac_point()
            metrics.update(
                modes_covered=math.nan,
                modes_total=1,
                high_quality=math.nan,
                reverse_kl=math.nan,
                dominant_mode=math.nan,
                w1=abs(theta),
                theta=theta,
                psi=psi,
                distance=math.hypot(theta, psi),
            )
            return metrics
        modes = mode_metrics(metric_fake, self.target)
        metrics.update(
            modes_covered=modes.modes_covered,
            modes_total=self.target.num_modes,
            high_quality=modes.high_quality,
            reverse_kl=modes.reverse_kl,
            dominant_mode=modes.dominant_mode,
            w1=self._w1(metric_fake),
        )
        return metrics

    def _weights_at_clip(self) -> float:
        clip = self._config.regularization.weight_clip
        return regularizers.share_at_limit(self._d_params, clip) if clip > 0 else math.nan

    def _dirac_point(self) -> tuple[float, float]:
        return float(self.G.theta.detach()), float(self.D.psi.detach())

    def _dirac_state(self, objective: Objective) -> DiracState:
        theta, psi = self._dirac_point()
        thetas, psis = fields.dirac_axes(theta, psi, _DIRAC_FLOW_GRID)
        flow = fields.dirac_flow(
            objective,
            thetas,
            psis,
            self._config.regularization.r1_gamma,
            self._config.gradient_penalty,
        )
        return DiracState(theta, psi, frozen_array(thetas), frozen_array(psis), frozen_array(flow))


def _functional(
    module: nn.Module, params: dict[str, torch.Tensor], x: torch.Tensor
) -> torch.Tensor:
    """The module run with `params` in place of its own (differentiable w.r.t. them)."""
    return functional_call(module, params, (x,))


def _set_requires_grad(params: list[torch.Tensor], flag: bool) -> None:
    for p in params:
        p.requires_grad_(flag)


def _total_norm(grads: tuple[torch.Tensor | None, ...]) -> float:
    present = [g for g in grads if g is not None]
    if not present:
        return 0.0
    return float(torch.linalg.vector_norm(torch.stack([g.norm() for g in present])))


def _get(config: TrainConfig, dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        node = getattr(node, part)
    return node


def _optimizer_changed(old: TrainConfig, new: TrainConfig, net: str) -> bool:
    return old.training.optimizer_for(net) != new.training.optimizer_for(net)  # type: ignore[arg-type]
