"""A training run's state: the data, both networks, their optimizers, the random stream and the
step count. Everything that decides what the next iteration does lives here, and
`state_dict()` / `load_state_dict()` carry all of it, so a restored run continues exactly
(bit for bit on the CPU) where the saved one was.

Random streams are seeded apart so each is independent: the training stream drives every
update; the fixed batches (what views and metrics are measured on) come from their own seeds,
so watching a run never moves its training stream; and a network rebuilt alone gets the same
initial weights as a fresh start with the same seed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import torch
from torch import nn

from models.config import ConfigError, TrainConfig
from models.engine.state_check import StateMismatch, checked_state
from models.metrics import PROTOCOL_SAMPLES, SlicedW1
from models.networks import DiracDiscriminator, DiracGenerator, Discriminator, Generator
from models.optimizers import make_optimizer, retune
from models.targets import Target, build_target, view_bounds

SEED_G, SEED_D, SEED_FIXED = 1, 2, 3


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


@dataclass
class LossMeter:
    """Sums of the training losses since the last full snapshot (read back once per
    `step(n)` call, never inside the loop), so the charts show means, not one noisy batch."""

    d_sum: float = 0.0
    g_sum: float = 0.0
    count: int = 0
    last: tuple[float, float] = (math.nan, math.nan)

    def add(self, log: torch.Tensor) -> None:
        """log: (iterations, 2) of D and G losses, already on the CPU."""
        sums = log.double().sum(dim=0)
        self.d_sum += float(sums[0])
        self.g_sum += float(sums[1])
        self.count += log.shape[0]
        self.last = (float(log[-1, 0]), float(log[-1, 1]))

    def mean(self) -> tuple[float, float]:
        if self.count == 0:
            return self.last
        return self.d_sum / self.count, self.g_sum / self.count

    def restart(self) -> None:
        """A new span: the means start again, the last value is kept for an empty span."""
        self.d_sum = self.g_sum = 0.0
        self.count = 0


@dataclass
class TrainingClock:
    """Seconds spent training (start-up and snapshots excluded) and iterations timed."""

    seconds: float = 0.0
    steps: int = 0

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


def _seeded(seed: int, build: Callable[[], nn.Module]) -> nn.Module:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


class RunState:
    """One GAN run. Not thread-safe: one thread drives it."""

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        self.config = config
        self.base_dir = base_dir
        self.device = resolve_device(config.training.device)
        self.step = 0
        self.losses = LossMeter()
        self.clock = TrainingClock()
        self.rng = torch.Generator(self.device).manual_seed(config.training.seed)
        self.build_target()
        self.build_generator()
        self.build_discriminator()

    # ----------------------------------------------------------------- building
    def build_target(self) -> None:
        """The data, and the fixed real batches the metrics and probes compare against."""
        cfg = self.config
        self.target: Target = build_target(cfg.target, self.base_dir).to(self.device)
        fixed = self._fixed_stream(0)
        self.reference_real = self.target.sample(PROTOCOL_SAMPLES, fixed)
        self.w1 = SlicedW1(self.reference_real)
        self.probe_real = self.target.sample(cfg.training.batch, fixed)
        self.bounds = view_bounds(cfg, self.target)
        self.w1_floor = self._w1_floor()

    def _w1_floor(self) -> float:
        """What W1 reads for a perfect generator: real samples against the reference, the
        same count each side (the mean of four draws). W1 cannot be expected below it."""
        floor = self._fixed_stream(5)
        draws = [self.w1(self.target.sample(PROTOCOL_SAMPLES, floor)) for _ in range(4)]
        return sum(draws) / len(draws)

    def build_generator(self) -> None:
        """G from its initial weights, a fresh optimizer, and the fixed latent batches."""
        cfg = self.config
        build: Callable[[], nn.Module] = (
            partial(DiracGenerator, cfg.target.theta0)
            if cfg.is_dirac
            else partial(Generator, cfg.generator)
        )
        # Any: a Generator or a DiracGenerator; torch types a Module's own attributes (z_dim,
        # theta) as Tensor | Module, which no caller could use
        self.G: Any = _seeded(cfg.training.seed * 10 + SEED_G, build).to(self.device)
        self.build_optimizer("g")
        fixed = self._fixed_stream(1)
        self.view_z = self.latent(cfg.view.samples, fixed)
        self.metric_z = self.latent(PROTOCOL_SAMPLES, fixed)
        self.probe_z = self.latent(cfg.training.batch, fixed)

    def build_discriminator(self) -> None:
        cfg = self.config
        reg = cfg.regularization
        build: Callable[[], nn.Module] = (
            partial(DiracDiscriminator, cfg.target.psi0)
            if cfg.is_dirac
            else partial(Discriminator, cfg.discriminator, reg.pack, reg.spectral_norm)
        )
        self.D: Any = _seeded(cfg.training.seed * 10 + SEED_D, build).to(self.device)  # (as G)
        self.d_params: list[torch.Tensor] = list(self.D.parameters())
        self.build_optimizer("d")

    @staticmethod
    def networks_for(config: TrainConfig) -> tuple[nn.Module, nn.Module]:
        """G and D as this config builds them, on the meta device (shapes only, no memory and
        no random numbers drawn): what a saved state's size is checked against."""
        reg = config.regularization
        with torch.device("meta"):
            if config.is_dirac:
                return DiracGenerator(config.target.theta0), DiracDiscriminator(config.target.psi0)
            return (
                Generator(config.generator),
                Discriminator(config.discriminator, reg.pack, reg.spectral_norm),
            )

    def build_optimizer(self, net: str) -> None:
        """A fresh optimizer for G ("g") or D ("d") on that network's current weights."""
        t = self.config.training
        kind = t.optimizer_for("g" if net == "g" else "d")
        if net == "g":
            self.opt_g = make_optimizer(kind, self.G.parameters(), t.lr_g, t.betas, self.device)
        else:
            self.opt_d = make_optimizer(kind, self.d_params, t.lr_d, t.betas, self.device)

    def redraw_probe_batches(self) -> None:
        """New probe batches for a new batch size (their own stream: the views' batches and
        the metric batches stay as they are)."""
        fixed = self._fixed_stream(2)
        self.probe_z = self.latent(self.config.training.batch, fixed)
        self.probe_real = self.target.sample(self.config.training.batch, fixed)

    def redraw_view_latents(self) -> None:
        """The view's latent batch for a new sample count, as a fresh start would draw it."""
        self.view_z = self.latent(self.config.view.samples, self._fixed_stream(1))

    def retune(self) -> None:
        """Learning rates and betas from the config, optimizer state kept."""
        t = self.config.training
        retune(self.opt_g, t.lr_g, t.betas)
        retune(self.opt_d, t.lr_d, t.betas)

    def _fixed_stream(self, offset: int) -> torch.Generator:
        seed = self.config.training.seed + SEED_FIXED + offset
        return torch.Generator(self.device).manual_seed(seed)

    # ----------------------------------------------------------------- sampling
    def latent(self, n: int, generator: torch.Generator) -> torch.Tensor:
        z_dim = 1 if self.config.is_dirac else self.config.generator.z_dim
        if self.config.generator.z_dist == "uniform":
            return torch.rand(n, z_dim, device=self.device, generator=generator) * 2 - 1
        return torch.randn(n, z_dim, device=self.device, generator=generator)

    def z(self, n: int) -> torch.Tensor:
        """A training latent batch, from the training stream."""
        return self.latent(n, self.rng)

    def real(self, n: int) -> torch.Tensor:
        """A training batch of real data, from the training stream."""
        return self.target.sample(n, self.rng)

    # ----------------------------------------------------------------- tensors
    def parameters(self) -> list[torch.Tensor]:
        return [*self.G.parameters(), *self.D.parameters()]

    def model_tensors(self) -> list[torch.Tensor]:
        """Every tensor that training changes in the networks (weights and buffers)."""
        nets = (self.G, self.D)
        return [t.detach() for net in nets for t in (*net.parameters(), *net.buffers())]

    def optimizer_tensors(self) -> list[torch.Tensor]:
        return [
            value
            for optimizer in (self.opt_g, self.opt_d)
            for state in optimizer.state.values()
            for value in state.values()
            if isinstance(value, torch.Tensor)
        ]

    def optimizer_steps(self) -> tuple[int, int]:
        """Updates recorded in G's and D's optimizer state (0 after a rebuild)."""

        def count(optimizer: torch.optim.Optimizer) -> int:
            for state in optimizer.state.values():
                if "step" in state:
                    return int(state["step"])
            return 0

        return count(self.opt_g), count(self.opt_d)

    # ----------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        """Everything that decides the rest of the run, as tensors (cloned) and plain values.
        The config is not included: the caller keeps it beside (a session file stores it as
        scene TOML)."""
        return {
            "step": self.step,
            "G": _cloned(self.G.state_dict()),
            "D": _cloned(self.D.state_dict()),
            "opt_g": _cloned(self.opt_g.state_dict()),
            "opt_d": _cloned(self.opt_d.state_dict()),
            "rng": self.rng.get_state(),
            "fixed": {
                name: getattr(self, name).detach().clone()
                for name in ("reference_real", "probe_real", "view_z", "metric_z", "probe_z")
            },
            "losses": {
                "d_sum": self.losses.d_sum,
                "g_sum": self.losses.g_sum,
                "count": self.losses.count,
                "last": list(self.losses.last),
            },
            "clock": {"seconds": self.clock.seconds, "steps": self.clock.steps},
        }

    def load_state_dict(self, state: dict[str, Any]) -> dict[str, Any]:
        """Restore a state saved from a run of the same config; returns the checked copy it
        used. Every tensor and value is checked against this run first (shape, dtype,
        finite; see state_check.py), so nothing from a bad state is used; ValueError names
        the first problem. Only the optimizers' state is taken, never their settings: the
        learning rates, betas and flags stay this run's config's."""
        try:
            clean = checked_state(self, state)
        except StateMismatch as exc:
            raise ValueError(f"the saved state does not fit this scene ({exc})") from None
        try:
            self.G.load_state_dict(clean["G"])
            self.D.load_state_dict(clean["D"])
            # copies: torch's optimizers keep the given tensors (checked_state made them)
            self.opt_g.load_state_dict(clean["opt_g"])
            self.opt_d.load_state_dict(clean["opt_d"])
            self.rng.set_state(clean["rng"])
        except (RuntimeError, KeyError, ValueError, TypeError, IndexError) as exc:
            raise ValueError(f"the saved state does not fit this scene ({exc})") from None
        for name, tensor in clean["fixed"].items():
            setattr(self, name, tensor.to(self.device))
        losses, clock = clean["losses"], clean["clock"]
        self.losses = LossMeter(
            losses["d_sum"],
            losses["g_sum"],
            losses["count"],
            (losses["last"][0], losses["last"][1]),
        )
        self.clock = TrainingClock(clock["seconds"], clock["steps"])
        self.step = clean["step"]
        self.w1 = SlicedW1(self.reference_real)
        return clean


def _cloned(value: Any) -> Any:
    """A deep copy of a (nested) state dict: tensors cloned, containers rebuilt."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, dict):
        return {k: _cloned(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_cloned(v) for v in value)
    return value
