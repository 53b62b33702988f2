"""Every knob of a run, defined once: its key, range, scale, choices, what changing it does
and what it means in plain words.

The scene validation (models/config.py) takes its ranges from here, the window builds its
controls from here (app/controls.py) and the command line lists them (`ganscope knobs`) and
suggests the nearest one for a typo. A knob's *effect* says what a live change does:

- ``hot``: takes effect at the next update; the networks and the optimizers' state are kept
- ``optimizer``: that network gets a fresh optimizer (its weights are kept)
- ``generator`` / ``discriminator``: that network is rebuilt from its initial weights
- ``target``: the data is rebuilt; the networks keep training
- ``view``: only what is drawn changes
- ``restart``: training starts again from step 0
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal, get_args

TargetKind = Literal["ring", "grid", "spiral", "moons", "gaussians", "points", "dirac"]
Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "silu"]
LossKind = Literal["ns", "minimax", "wgan", "wgan-gp", "hinge", "lsgan"]
OptimizerKind = Literal["adam", "sgd", "rmsprop"]
DeviceKind = Literal["auto", "cpu", "cuda", "mps"]
Updates = Literal["alternating", "simultaneous"]
LatentDistribution = Literal["normal", "uniform"]

Effect = Literal["hot", "optimizer", "generator", "discriminator", "target", "view", "restart"]
Kind = Literal["float", "int", "bool", "choice", "pair"]
Scale = Literal["linear", "log"]

# Seeds are kept to 31 bits: every random stream is seeded with seed * 10 + a small offset,
# which must stay a valid 64-bit seed, and a 10-digit seed is as many as anyone types.
MAX_SEED = 2**31 - 1


@dataclass(frozen=True)
class Knob:
    """One setting. ``low``/``high`` bound what a scene file may say (``low`` is excluded when
    ``above_low``); ``ui_low``/``ui_high`` the range the window's control offers, which is the
    range where the setting teaches something."""

    key: str
    label: str
    kind: Kind
    effect: Effect
    help: str
    low: float | None = None
    high: float | None = None
    above_low: bool = False
    ui_low: float | None = None
    ui_high: float | None = None
    scale: Scale = "linear"
    choices: tuple[str, ...] = ()
    optional: bool = False  # None is allowed (and means "follow another setting")

    @property
    def section(self) -> str:
        return self.key.split(".")[0]

    @property
    def name(self) -> str:
        return self.key.split(".")[-1]

    @property
    def ui_range(self) -> tuple[float, float]:
        low = self.ui_low if self.ui_low is not None else self.low
        high = self.ui_high if self.ui_high is not None else self.high
        return float(low if low is not None else 0.0), float(high if high is not None else 1.0)

    def describe_range(self) -> str:
        """The allowed values, as an error message or the knob list says them."""
        if self.kind == "bool":
            return "true or false"
        if self.kind == "choice":
            return ", ".join(self.choices)
        low = "" if self.low is None else f"{'>' if self.above_low else '>='} {self.low:g}"
        high = "" if self.high is None else f"<= {self.high:g}"
        return " and ".join(part for part in (low, high) if part) or "any number"

    def format_value(self, value: Any) -> str:
        """The value as a person reads it on a chart marker: 3 significant digits."""
        if isinstance(value, bool):
            return "on" if value else "off"
        if isinstance(value, float):
            return f"{value:.3g}"
        if isinstance(value, list | tuple):
            return ", ".join(self.format_value(v) for v in value)
        return "default" if value is None else str(value)


def _choices(alias: Any) -> tuple[str, ...]:
    return tuple(get_args(alias))


KNOBS: tuple[Knob, ...] = (
    # ---------------------------------------------------------------- training
    Knob(
        "training.loss",
        "Loss",
        "choice",
        "hot",
        "What D is trained to output and what G tries to get from it. ns: the non-saturating "
        "loss (G maximises log D(fake)); minimax: the original saturating loss, whose gradient "
        "vanishes when D is sure; wgan: a Wasserstein critic (needs weight clipping or a "
        "penalty); wgan-gp: critic with gradient penalty; hinge; lsgan: least squares.",
        choices=_choices(LossKind),
    ),
    Knob(
        "training.optimizer",
        "Optimizer",
        "choice",
        "optimizer",
        "How both networks turn gradients into steps (unless G or D has its own): adam, sgd "
        "(plain gradient descent, as in the Dirac-GAN analysis) or rmsprop.",
        choices=_choices(OptimizerKind),
    ),
    Knob(
        "training.optimizer_g",
        "G optimizer",
        "choice",
        "optimizer",
        "The generator's own optimizer, if different from the shared one.",
        choices=_choices(OptimizerKind),
        optional=True,
    ),
    Knob(
        "training.optimizer_d",
        "D optimizer",
        "choice",
        "optimizer",
        "The discriminator's own optimizer, if different from the shared one.",
        choices=_choices(OptimizerKind),
        optional=True,
    ),
    Knob(
        "training.lr_g",
        "G learning rate",
        "float",
        "hot",
        "How big a step the generator takes per update. Too high and training oscillates or "
        "blows up; too low and G barely moves.",
        low=0,
        above_low=True,
        high=10,
        ui_low=1e-5,
        ui_high=1e-1,
        scale="log",
    ),
    Knob(
        "training.lr_d",
        "D learning rate",
        "float",
        "hot",
        "How big a step the discriminator takes per update. A D much faster than G tends to "
        "push G into mode collapse.",
        low=0,
        above_low=True,
        high=10,
        ui_low=1e-5,
        ui_high=1e-1,
        scale="log",
    ),
    Knob(
        "training.betas",
        "Adam betas",
        "pair",
        "hot",
        "Adam's momentum (first) and its averaging of squared gradients (second). GANs often "
        "use a low first beta (0.5 or 0) so the players react to each other quickly.",
        low=0,
        high=0.9999,
    ),
    Knob(
        "training.d_steps",
        "D steps per iteration",
        "int",
        "hot",
        "Discriminator updates before each generator update. More makes D stronger.",
        low=1,
        high=100,
        ui_high=20,
    ),
    Knob(
        "training.g_steps",
        "G steps per iteration",
        "int",
        "hot",
        "Generator updates after the discriminator's. More makes G stronger.",
        low=1,
        high=100,
        ui_high=20,
    ),
    Knob(
        "training.updates",
        "Updates",
        "choice",
        "hot",
        "alternating: D moves, then G answers the new D; simultaneous: both move at once from "
        "the same point (the dynamics the theory studies, which spiral out on the Dirac-GAN).",
        choices=_choices(Updates),
    ),
    Knob(
        "training.batch",
        "Batch size",
        "int",
        "hot",
        "Real and generated samples per update. Small batches make the updates noisy.",
        low=1,
        high=65536,
        ui_high=4096,
    ),
    Knob(
        "training.seed",
        "Seed",
        "int",
        "restart",
        "Picks the initial weights and every random draw: the same seed gives the same run.",
        low=0,
        high=MAX_SEED,
    ),
    Knob(
        "training.device",
        "Device",
        "choice",
        "restart",
        "Where training runs: auto picks a CUDA or Apple GPU when there is one, else the CPU.",
        choices=_choices(DeviceKind),
    ),
    # ---------------------------------------------------------------- regularization
    Knob(
        "regularization.gradient_penalty",
        "Gradient penalty",
        "float",
        "hot",
        "WGAN-GP's lambda: D is penalised where its slope between real and generated samples "
        "is not 1. Defaults to 10 with the wgan-gp loss, else 0 (off).",
        low=0,
        high=1e4,
        ui_high=100,
        optional=True,
    ),
    Knob(
        "regularization.r1_gamma",
        "R1 gamma",
        "float",
        "hot",
        "Penalises a steep discriminator on the real data (gamma/2 |grad D|^2). It keeps D "
        "smooth, which stops it from chasing G round the modes.",
        low=0,
        high=1e4,
        ui_high=100,
    ),
    Knob(
        "regularization.spectral_norm",
        "Spectral norm (D)",
        "bool",
        "discriminator",
        "Divides each of D's layers by its largest singular value, so D cannot become steep.",
    ),
    Knob(
        "regularization.instance_noise",
        "Instance noise",
        "float",
        "hot",
        "Standard deviation of noise added to everything D sees, real and generated: the two "
        "overlap, so D cannot be certain and its gradients stay useful.",
        low=0,
        high=100,
        ui_high=2,
    ),
    Knob(
        "regularization.instance_noise_anneal_steps",
        "Noise anneal steps",
        "int",
        "hot",
        "Shrink the instance noise linearly to 0 over this many iterations (0: keep it).",
        low=0,
        high=10**9,
        ui_high=100_000,
    ),
    Knob(
        "regularization.weight_clip",
        "Weight clip c",
        "float",
        "hot",
        "The original WGAN's way to keep the critic smooth: every weight of D is clamped to "
        "[-c, c] after each update (0: off). It makes D too simple; a gradient penalty is the fix.",
        low=0,
        high=100,
        ui_high=1,
    ),
    Knob(
        "regularization.unrolled_steps",
        "Unrolled D steps",
        "int",
        "hot",
        "G plans against D as it will be k updates from now (Metz et al. 2017), so it cannot "
        "win by jumping to the mode D will rate highly next.",
        low=0,
        high=20,
        ui_high=10,
    ),
    Knob(
        "regularization.pack",
        "Packing m",
        "int",
        "discriminator",
        "PacGAN: D judges groups of m samples at once, so it sees when a group is too alike "
        "(a collapsed G).",
        low=1,
        high=16,
        ui_high=8,
    ),
    # ---------------------------------------------------------------- networks
    Knob(
        "generator.depth",
        "G hidden layers",
        "int",
        "generator",
        "Hidden layers of the generator.",
        low=1,
        high=12,
        ui_high=8,
    ),
    Knob(
        "generator.width",
        "G width",
        "int",
        "generator",
        "Units per hidden layer of the generator.",
        low=1,
        high=2048,
        ui_low=2,
        ui_high=512,
    ),
    Knob(
        "generator.activation",
        "G activation",
        "choice",
        "generator",
        "The generator's nonlinearity between layers.",
        choices=_choices(Activation),
    ),
    Knob(
        "generator.batch_norm",
        "G batch norm",
        "bool",
        "generator",
        "Normalise each hidden layer of G over the batch.",
    ),
    Knob(
        "generator.z_dim",
        "Latent dimension",
        "int",
        "generator",
        "Size of the random noise vector G turns into a sample.",
        low=1,
        high=256,
        ui_high=64,
    ),
    Knob(
        "generator.z_dist",
        "Latent distribution",
        "choice",
        "generator",
        "Where G's noise comes from: a standard normal or uniform on [-1, 1].",
        choices=_choices(LatentDistribution),
    ),
    Knob(
        "discriminator.depth",
        "D hidden layers",
        "int",
        "discriminator",
        "Hidden layers of the discriminator.",
        low=1,
        high=12,
        ui_high=8,
    ),
    Knob(
        "discriminator.width",
        "D width",
        "int",
        "discriminator",
        "Units per hidden layer of the discriminator.",
        low=1,
        high=2048,
        ui_low=2,
        ui_high=512,
    ),
    Knob(
        "discriminator.activation",
        "D activation",
        "choice",
        "discriminator",
        "The discriminator's nonlinearity between layers.",
        choices=_choices(Activation),
    ),
    Knob(
        "discriminator.batch_norm",
        "D batch norm",
        "bool",
        "discriminator",
        "Normalise each hidden layer of D over the batch (real and generated batches apart).",
    ),
    Knob(
        "discriminator.minibatch_discrimination",
        "Minibatch discrimination",
        "bool",
        "discriminator",
        "D also sees how close each sample is to the rest of its batch (Salimans et al. "
        "2016), so a batch piled on one spot gives itself away.",
    ),
    # ---------------------------------------------------------------- target
    Knob(
        "target.kind",
        "Target shape",
        "choice",
        "target",
        "The distribution G must learn.",
        choices=_choices(TargetKind),
    ),
    Knob(
        "target.modes",
        "Modes",
        "int",
        "target",
        "Gaussians on the ring, or parts a curve or point cloud is cut into for counting.",
        low=1,
        high=1000,
        ui_high=64,
    ),
    Knob(
        "target.radius",
        "Radius",
        "float",
        "target",
        "Size of the ring, spiral or moons.",
        low=0,
        above_low=True,
        high=1e3,
        ui_low=0.1,
        ui_high=10,
    ),
    Knob(
        "target.std",
        "Noise std",
        "float",
        "target",
        "Spread of the data around each mode or curve (default depends on the shape; "
        "0 only for the Dirac-GAN's exact point).",
        low=0,
        high=1e3,
        ui_low=1e-3,
        ui_high=1.0,
        scale="log",
        optional=True,
    ),
    Knob(
        "target.grid_size",
        "Grid size",
        "int",
        "target",
        "The grid has size x size Gaussians.",
        low=1,
        high=30,
        ui_high=10,
    ),
    Knob(
        "target.spacing",
        "Grid spacing",
        "float",
        "target",
        "Distance between neighbouring grid modes.",
        low=0,
        above_low=True,
        high=1e3,
        ui_low=0.1,
        ui_high=10,
    ),
    Knob(
        "target.turns",
        "Spiral turns",
        "float",
        "target",
        "How many times the spiral winds round.",
        low=0,
        above_low=True,
        high=10,
        ui_low=0.25,
        ui_high=5,
    ),
    Knob(
        "target.theta0",
        "Dirac theta0",
        "float",
        "target",
        "Dirac-GAN: where the generator's point starts.",
        low=-100,
        high=100,
        ui_low=-5,
        ui_high=5,
    ),
    Knob(
        "target.psi0",
        "Dirac psi0",
        "float",
        "target",
        "Dirac-GAN: the discriminator's starting slope.",
        low=-100,
        high=100,
        ui_low=-5,
        ui_high=5,
    ),
    # ---------------------------------------------------------------- view
    Knob(
        "view.resolution",
        "Surface resolution",
        "int",
        "view",
        "Grid points per side of D's surface and the gradient magnitude.",
        low=8,
        high=256,
    ),
    Knob(
        "view.arrows",
        "Arrows per side",
        "int",
        "view",
        "Arrows per side of the gradient field.",
        low=4,
        high=64,
    ),
    Knob(
        "view.samples",
        "Samples shown",
        "int",
        "view",
        "Generated and real samples drawn.",
        low=16,
        high=10000,
    ),
    Knob(
        "view.steps_per_second",
        "Starting speed",
        "float",
        "view",
        "The speed the window starts the scene at (iterations per second; unset: as fast "
        "as it goes).",
        low=0,
        above_low=True,
        high=1e6,
        optional=True,
    ),
)
KNOB_BY_KEY: dict[str, Knob] = {knob.key: knob for knob in KNOBS}


def knob(key: str) -> Knob:
    return KNOB_BY_KEY[key]


def suggest(key: str) -> str:
    """' (did you mean training.lr_d?)' for a mistyped dotted key, or ''."""
    close = difflib.get_close_matches(key, list(KNOB_BY_KEY), n=1, cutoff=0.75)
    return f" (did you mean {close[0]}?)" if close else ""
