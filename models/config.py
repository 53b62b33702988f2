"""Training configuration: the validated, frozen form of a scene file.

Every key has a default so a scene names only what differs from it. Unknown keys are errors
(they are almost always typos), and every error names its dotted key and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.metric_keys import MetricKey

SCHEMA_VERSION = 1

TargetKind = Literal["ring", "grid", "spiral", "moons", "gaussians", "points", "dirac"]
Activation = Literal["relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "silu"]
LossKind = Literal["ns", "minimax", "wgan", "wgan-gp", "hinge", "lsgan"]
OptimizerKind = Literal["adam", "sgd", "rmsprop"]
DeviceKind = Literal["auto", "cpu", "cuda", "mps"]

# Default noise std per target kind, where the scene does not say (recipes from the literature).
DEFAULT_STD = {"ring": 0.02, "grid": 0.05, "spiral": 0.05, "moons": 0.05, "points": 0.03}


class ConfigError(ValueError):
    """Bad configuration: one readable line per problem, each naming the key."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SceneInfo(_Section):
    title: str = "Untitled scene"
    story: str = ""
    expect: str = ""
    fix: str = ""
    group: str = "Sandbox"
    role: Literal["failure", "fix", "sandbox"] = "sandbox"
    pair: str = ""  # name of the scene this one fixes (for a fix) or is fixed by (for a failure)


class TargetConfig(_Section):
    kind: TargetKind = "ring"
    modes: int = Field(8, ge=1, le=1000)
    radius: float = Field(2.0, gt=0, le=1e3)
    std: float | None = Field(None, gt=0, le=1e3)
    grid_size: int = Field(5, ge=1, le=30)
    spacing: float = Field(2.0, gt=0, le=1e3)
    turns: float = Field(1.5, gt=0, le=10)
    means: list[tuple[float, float]] = Field(default_factory=list)
    stds: list[float] = Field(default_factory=list)
    weights: list[float] = Field(default_factory=list)
    file: str = ""
    theta0: float = Field(1.0, ge=-100, le=100)
    psi0: float = Field(1.0, ge=-100, le=100)

    @field_validator("stds")
    @classmethod
    def _positive_stds(cls, value: list[float]) -> list[float]:
        if any(not s > 0 for s in value):
            raise ValueError("every std must be > 0")
        return value

    @field_validator("weights")
    @classmethod
    def _positive_weights(cls, value: list[float]) -> list[float]:
        if any(not w > 0 for w in value):
            raise ValueError("every weight must be > 0")
        return value

    @model_validator(mode="after")
    def _mixture_lengths(self) -> TargetConfig:
        if self.kind == "gaussians":
            if not self.means:
                raise ValueError("kind 'gaussians' needs means = [[x, y], ...]")
            for name in ("stds", "weights"):
                got = len(getattr(self, name))
                if got not in (0, len(self.means)):
                    raise ValueError(f"{name} has {got} entries but means has {len(self.means)}")
        if self.kind == "points" and not self.file:
            raise ValueError("kind 'points' needs target.file = 'path/to/points.csv'")
        return self

    @property
    def noise_std(self) -> float:
        """The std to use for this kind when the scene leaves `std` unset."""
        return self.std if self.std is not None else DEFAULT_STD.get(self.kind, 0.02)


class NetworkConfig(_Section):
    depth: int = Field(3, ge=1, le=12)
    width: int = Field(64, ge=1, le=2048)
    activation: Activation = "relu"
    batch_norm: bool = False


class GeneratorConfig(NetworkConfig):
    z_dim: int = Field(2, ge=1, le=256)
    z_dist: Literal["normal", "uniform"] = "normal"


class DiscriminatorConfig(NetworkConfig):
    minibatch_discrimination: bool = False


class TrainingConfig(_Section):
    loss: LossKind = "ns"
    optimizer: OptimizerKind = "adam"
    optimizer_g: OptimizerKind | None = None
    optimizer_d: OptimizerKind | None = None
    lr_g: float = Field(1e-3, gt=0, le=10)
    lr_d: float = Field(1e-3, gt=0, le=10)
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = Field(1, ge=1, le=100)
    g_steps: int = Field(1, ge=1, le=100)
    updates: Literal["alternating", "simultaneous"] = "alternating"
    batch: int = Field(256, ge=1, le=65536)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    device: DeviceKind = "auto"

    @field_validator("betas")
    @classmethod
    def _betas_in_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if not all(0.0 <= b < 1.0 for b in value):
            raise ValueError("each beta must be in [0, 1)")
        return value

    def optimizer_for(self, net: Literal["g", "d"]) -> OptimizerKind:
        override = self.optimizer_g if net == "g" else self.optimizer_d
        return override or self.optimizer


class RegularizationConfig(_Section):
    gradient_penalty: float | None = Field(None, ge=0, le=1e4)  # None: 10 for wgan-gp, else 0
    r1_gamma: float = Field(0.0, ge=0, le=1e4)
    spectral_norm: bool = False
    instance_noise: float = Field(0.0, ge=0, le=100)
    instance_noise_anneal_steps: int = Field(0, ge=0, le=10**9)  # 0: constant noise
    weight_clip: float = Field(0.0, ge=0, le=100)
    unrolled_steps: int = Field(0, ge=0, le=20)
    pack: int = Field(1, ge=1, le=16)


class ViewConfig(_Section):
    bounds: tuple[float, float, float, float] | None = None  # xmin, xmax, ymin, ymax
    resolution: int = Field(64, ge=8, le=256)
    arrows: int = Field(20, ge=4, le=64)
    samples: int = Field(512, ge=16, le=10000)
    panels: list[str] = Field(default_factory=lambda: ["samples", "surface", "field"])
    steps_per_second: float | None = Field(None, gt=0, le=1e6)  # the GUI's starting speed

    @model_validator(mode="after")
    def _ordered_bounds(self) -> ViewConfig:
        if self.bounds is not None:
            xmin, xmax, ymin, ymax = self.bounds
            if not (xmin < xmax and ymin < ymax):
                raise ValueError(
                    "bounds must be [xmin, xmax, ymin, ymax] with xmin < xmax and ymin < ymax"
                )
        return self


class CheckConfig(_Section):
    """A measurable claim about a scene, checked by the test suite (tests/test_scenes.py).

    aggregate "at": the metric at `steps`; "max"/"min": over every logged row up to `steps`;
    "distinct": how many different values it took from `after` to `steps`. Fast checks run
    in the default test run, the others with `pytest -m slow`.
    """

    steps: int = Field(1000, ge=1, le=10**6)
    metric: MetricKey = "modes_covered"
    op: Literal["<=", ">=", "<", ">"] = ">="
    value: float = 0.0
    aggregate: Literal["at", "max", "min", "distinct"] = "at"
    after: int = Field(0, ge=0, le=10**6)
    fast: bool = False


class TrainConfig(_Section):
    """The whole scene: what is trained, how, and what it should show."""

    schema_version: Literal[1] = SCHEMA_VERSION
    scene: SceneInfo = SceneInfo()
    target: TargetConfig = TargetConfig()
    generator: GeneratorConfig = GeneratorConfig()
    discriminator: DiscriminatorConfig = DiscriminatorConfig()
    training: TrainingConfig = TrainingConfig()
    regularization: RegularizationConfig = RegularizationConfig()
    view: ViewConfig = ViewConfig()
    checks: list[CheckConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_checks(self) -> TrainConfig:
        pack = self.regularization.pack
        if self.training.batch % pack:
            raise ValueError(
                f"training.batch ({self.training.batch}) must be a multiple of "
                f"regularization.pack ({pack})"
            )
        return self

    @property
    def gradient_penalty(self) -> float:
        """The effective WGAN-GP lambda: 10 for loss 'wgan-gp' unless the scene sets it."""
        if self.regularization.gradient_penalty is not None:
            return self.regularization.gradient_penalty
        return 10.0 if self.training.loss == "wgan-gp" else 0.0

    @property
    def is_dirac(self) -> bool:
        return self.target.kind == "dirac"

    def with_changes(self, changes: Mapping[str, Any]) -> TrainConfig:
        """A new validated config with dotted keys (``"training.lr_d"``) replaced."""
        data = self.model_dump()
        problems = []
        for key, value in changes.items():
            node = data
            *parents, leaf = key.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    problems.append(f"{key}: unknown key (no section '{part}')")
                    break
                node = node[part]
            else:
                if leaf not in node:
                    problems.append(f"{key}: unknown key")
                else:
                    node[leaf] = value
        try:
            config = parse_config(data)
        except ConfigError as exc:
            problems += exc.problems
        if problems:
            raise ConfigError(problems)
        return config


def _format_location(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not str(p).startswith("function-")]
    text = ""
    for part in parts:
        if part.isdigit():
            text += f"[{part}]"
        else:
            text += ("." if text else "") + part
    return text or "(top level)"


def _allowed_hint(error: Mapping[str, Any], message: str) -> str:
    ctx = error.get("ctx") or {}
    expected = str(ctx.get("expected", ""))
    if expected and expected not in message:
        return f" (allowed: {expected})"
    return ""


def describe_validation_error(exc: ValidationError) -> list[str]:
    """One line per problem: the dotted key, what is wrong, and what is allowed."""
    lines = []
    for error in exc.errors(include_url=False):
        key = _format_location(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            message = "unknown key (check the spelling; see the scene file reference in README)"
        else:
            message = error["msg"].removeprefix("Value error, ")
        message += _allowed_hint(error, message)
        got = error.get("input")
        if kind != "extra_forbidden" and not isinstance(got, dict | list) and got is not None:
            message += f"; got {got!r}"
        lines.append(f"{key}: {message}")
    return lines


def _reject_non_finite(data: Any, path: str = "") -> list[str]:
    problems = []
    if isinstance(data, float) and not math.isfinite(data):
        problems.append(f"{path or '(top level)'}: must be a finite number; got {data!r}")
    elif isinstance(data, Mapping):
        for key, value in data.items():
            problems += _reject_non_finite(value, f"{path}.{key}" if path else str(key))
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            problems += _reject_non_finite(value, f"{path}[{i}]")
    return problems


def parse_config(data: Mapping[str, Any]) -> TrainConfig:
    """Validate a nested mapping (parsed TOML) into a TrainConfig, or raise ConfigError."""
    problems = _reject_non_finite(data)
    if problems:
        raise ConfigError(problems)
    try:
        return TrainConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
