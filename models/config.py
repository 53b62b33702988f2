"""Training configuration: the validated, frozen form of a scene file.

Every key has a default so a scene names only what differs from it. Unknown keys are errors
(they are almost always typos), and every error names its dotted key and what is allowed.
Ranges come from the knob table (models/knobs.py). Types are strict: `batch = true` or
`batch_norm = "yes"` are errors, not 1 and True.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from models.diagnosis.names import FindingName
from models.knobs import (
    KNOB_BY_KEY,
    Activation,
    DeviceKind,
    LatentDistribution,
    LossKind,
    OptimizerKind,
    TargetKind,
    Updates,
    suggest,
)
from models.metric_keys import MetricKey

__all__ = [
    "Activation",
    "ConfigError",
    "LossKind",
    "OptimizerKind",
    "TrainConfig",
    "parse_config",
]

SCHEMA_VERSION: Literal[1] = 1

# Default noise std per target kind, where the scene does not say (recipes from the literature).
DEFAULT_STD = {
    "ring": 0.02,
    "grid": 0.05,
    "spiral": 0.05,
    "moons": 0.05,
    "points": 0.03,
    "dirac": 1e-3,
}

# Coordinates of the data (means, view bounds) are kept to +-COORDINATE_LIMIT: beyond that,
# squared distances overflow the 32-bit floats training runs in.
COORDINATE_LIMIT = 1e4
MAX_MIXTURE_MODES = 1000
MAX_INLINE_POINTS = 200_000
# A lesson's length in steps: without `scene.length`, its longest claim, and at least this
# (about 10-15 s of play at "max" speed: long enough to see a collapse or a spread).
DEFAULT_LESSON_LENGTH = 5000
# an hour of play at the fastest measured speed (~300 steps/s on a 2-core CPU); the claims'
# own cap
MAX_LESSON_LENGTH = 10**6
# weights x batch x updates per iteration: width 1024, depth 4, batch 634 is 4e9 per update
# pair and took 0.6 s per step on this project's 2-core CPU. Beyond, the window would wait
# seconds for every step.
MAX_WORK_PER_STEP = 8e9
# weights x (surface points + 3 x arrow points) per full picture: width 512 with a 256-point
# surface and 64 arrows took 4.7 s a picture on the same CPU (busy), the default scene 0.02 s.
# Beyond this the picture lags seconds behind training (and a 4-variant compare 4 times that).
MAX_VIEW_WORK = 2e10
NESTING_LIMIT = 32  # sections, lists and tables inside one another; scenes need 3


class ConfigError(ValueError):
    """Bad configuration: one readable line per problem, each naming the key."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


def setting(key: str, default: Any) -> Any:
    """A config field bounded as the knob table says, its help text as the description."""
    knob = KNOB_BY_KEY[key]
    bounds: dict[str, Any] = {}
    if knob.low is not None:
        bounds["gt" if knob.above_low else "ge"] = knob.low
    if knob.high is not None:
        bounds["le"] = knob.high
    return Field(default, description=knob.help, **bounds)


Coordinate = Annotated[StrictFloat, Field(ge=-COORDINATE_LIMIT, le=COORDINATE_LIMIT)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SceneInfo(_Section):
    title: StrictStr = "Untitled scene"
    story: StrictStr = ""
    expect: StrictStr = ""
    fix: StrictStr = ""
    # measured figures behind the claims, shown on demand (not read aloud)
    evidence: StrictStr = ""
    group: StrictStr = "Sandbox"
    role: Literal["failure", "fix", "sandbox", "reproduction"] = "sandbox"
    pair: StrictStr = ""  # name of the scene this one fixes (for a fix) or is fixed by
    # the steps the story is about: the window shows progress through them and pauses at
    # the end; unset, see TrainConfig.lesson_length
    length: StrictInt | None = Field(default=None, ge=1, le=MAX_LESSON_LENGTH)


class TargetConfig(_Section):
    kind: TargetKind = "ring"
    modes: StrictInt = setting("target.modes", 8)
    radius: StrictFloat = setting("target.radius", 2.0)
    std: StrictFloat | None = setting("target.std", None)
    grid_size: StrictInt = setting("target.grid_size", 5)
    spacing: StrictFloat = setting("target.spacing", 2.0)
    turns: StrictFloat = setting("target.turns", 1.5)
    means: list[tuple[Coordinate, Coordinate]] = Field(
        default_factory=list, max_length=MAX_MIXTURE_MODES
    )
    stds: list[Annotated[StrictFloat, Field(gt=0, le=1e3)]] = Field(
        default_factory=list, max_length=MAX_MIXTURE_MODES
    )
    weights: list[Annotated[StrictFloat, Field(gt=0, le=1e6)]] = Field(
        default_factory=list, max_length=MAX_MIXTURE_MODES
    )
    file: StrictStr = ""
    # kind "points" without a file: the points themselves (drawn data, saved sessions)
    points: list[tuple[Coordinate, Coordinate]] = Field(
        default_factory=list, max_length=MAX_INLINE_POINTS
    )
    theta0: StrictFloat = setting("target.theta0", 1.0)
    psi0: StrictFloat = setting("target.psi0", 1.0)

    @model_validator(mode="after")
    def _mixture_lengths(self) -> TargetConfig:
        if self.std == 0 and self.kind != "dirac":
            raise ValueError(
                "std = 0 is only for the Dirac-GAN's exact point; a "
                f"'{self.kind}' target needs std > 0 (a sample is high quality within 3 std)"
            )
        if self.kind == "gaussians":
            if not self.means:
                raise ValueError("kind 'gaussians' needs means = [[x, y], ...]")
            for name in ("stds", "weights"):
                got = len(getattr(self, name))
                if got not in (0, len(self.means)):
                    raise ValueError(f"{name} has {got} entries but means has {len(self.means)}")
        if self.kind == "points" and not (self.file or self.points):
            raise ValueError(
                "kind 'points' needs target.file = 'path/to/points.csv' "
                "or target.points = [[x, y], ...]"
            )
        return self

    @property
    def noise_std(self) -> float:
        """The std to use for this kind when the scene leaves `std` unset."""
        return self.std if self.std is not None else DEFAULT_STD.get(self.kind, 0.02)


class GeneratorConfig(_Section):
    depth: StrictInt = setting("generator.depth", 3)
    width: StrictInt = setting("generator.width", 64)
    activation: Activation = "relu"
    batch_norm: StrictBool = False
    z_dim: StrictInt = setting("generator.z_dim", 2)
    z_dist: LatentDistribution = "normal"


class DiscriminatorConfig(_Section):
    depth: StrictInt = setting("discriminator.depth", 3)
    width: StrictInt = setting("discriminator.width", 64)
    activation: Activation = "relu"
    batch_norm: StrictBool = False
    minibatch_discrimination: StrictBool = False


class TrainingConfig(_Section):
    loss: LossKind = "ns"
    optimizer: OptimizerKind = "adam"
    optimizer_g: OptimizerKind | None = None
    optimizer_d: OptimizerKind | None = None
    lr_g: StrictFloat = setting("training.lr_g", 1e-3)
    lr_d: StrictFloat = setting("training.lr_d", 1e-3)
    betas: tuple[StrictFloat, StrictFloat] = (0.5, 0.999)
    d_steps: StrictInt = setting("training.d_steps", 1)
    g_steps: StrictInt = setting("training.g_steps", 1)
    updates: Updates = "alternating"
    batch: StrictInt = setting("training.batch", 256)
    seed: StrictInt = setting("training.seed", 0)
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
    gradient_penalty: StrictFloat | None = setting("regularization.gradient_penalty", None)
    r1_gamma: StrictFloat = setting("regularization.r1_gamma", 0.0)
    spectral_norm: StrictBool = False
    instance_noise: StrictFloat = setting("regularization.instance_noise", 0.0)
    instance_noise_anneal_steps: StrictInt = setting(
        "regularization.instance_noise_anneal_steps", 0
    )
    weight_clip: StrictFloat = setting("regularization.weight_clip", 0.0)
    unrolled_steps: StrictInt = setting("regularization.unrolled_steps", 0)
    pack: StrictInt = setting("regularization.pack", 1)


class ViewConfig(_Section):
    bounds: tuple[Coordinate, Coordinate, Coordinate, Coordinate] | None = None
    resolution: StrictInt = setting("view.resolution", 64)
    arrows: StrictInt = setting("view.arrows", 20)
    samples: StrictInt = setting("view.samples", 512)
    steps_per_second: StrictFloat | None = setting("view.steps_per_second", None)

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

    aggregate "at": the metric at `steps`; "max"/"min"/"mean": over every logged row from
    `after` to `steps`; "distinct": how many different values it took from `after` to `steps`.
    "mean" is for metrics that flicker from row to row (a mode at the 20% line), where one
    row says little and the time average is what the viewer sees. Fast
    checks run in the default test run, the others with `pytest -m slow`.
    """

    steps: StrictInt = Field(1000, ge=1, le=10**6)
    metric: MetricKey = "modes_covered"
    op: Literal["<=", ">=", "<", ">"] = ">="
    value: StrictFloat = 0.0
    aggregate: Literal["at", "max", "min", "mean", "distinct"] = "at"
    after: StrictInt = Field(0, ge=0, le=10**6)
    fast: StrictBool = False


class DiagnosisConfig(_Section):
    """The finding a failure scene teaches (models/diagnosis): the doctor must name it by
    step `by` (tests/test_diagnosis.py checks it over seeds, as claims are checked)."""

    name: FindingName
    by: StrictInt = Field(1000, ge=1, le=10**6)


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
    checks: list[CheckConfig] = Field(default_factory=list, max_length=100)
    diagnosis: list[DiagnosisConfig] = Field(default_factory=list, max_length=16)

    @field_validator("schema_version", mode="before")
    @classmethod
    def _integer_version(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"must be the integer {SCHEMA_VERSION}")
        return value

    @model_validator(mode="after")
    def _cross_checks(self) -> TrainConfig:
        pack = self.regularization.pack
        if self.training.batch % pack:
            raise ValueError(
                f"training.batch ({self.training.batch}) must be a multiple of "
                f"regularization.pack ({pack})"
            )
        batch = self.training.batch
        if not self.is_dirac and self.work_per_step > MAX_WORK_PER_STEP:
            raise ValueError(
                f"this network is too big to train live: {self.weights:,} weights x batch "
                f"{batch} x {self._passes} updates per step = {self.work_per_step:.3g} "
                f"multiply-adds per step; the limit is {MAX_WORK_PER_STEP:.0e} (about 1 s per "
                "step on a 2-core CPU): lower training.batch, the widths or the depths"
            )
        if not self.is_dirac and self.view_work > MAX_VIEW_WORK:
            v = self.view
            raise ValueError(
                f"this network is too big to draw live at this resolution: {self.weights:,} "
                f"weights x ({v.resolution}^2 surface points + 3 x {v.arrows}^2 arrows) = "
                f"{self.view_work:.3g} multiply-adds per picture; the limit is "
                f"{MAX_VIEW_WORK:.0e} (about 1 s per picture on a 2-core CPU): lower "
                "view.resolution, view.arrows or the widths"
            )
        if self.generator.batch_norm and batch < 2 and not self.is_dirac:
            raise ValueError(
                f"generator.batch_norm needs at least 2 samples per batch; training.batch is "
                f"{batch} (allowed: batch >= 2, or batch norm off)"
            )
        if self.discriminator.batch_norm and batch // pack < 2 and not self.is_dirac:
            raise ValueError(
                f"discriminator.batch_norm needs at least 2 rows per batch; training.batch "
                f"{batch} / regularization.pack {pack} gives {batch // pack} (allowed: "
                f"batch >= 2 x pack, or batch norm off)"
            )
        return self

    @property
    def weights(self) -> int:
        """Weights in G and D together (the linear layers, which are nearly all of them)."""
        g, d = self.generator, self.discriminator
        in_d = 2 * self.regularization.pack
        g_weights = g.z_dim * g.width + (g.depth - 1) * g.width**2 + g.width * 2
        d_weights = in_d * d.width + (d.depth - 1) * d.width**2 + d.width
        return g_weights + d_weights

    @property
    def _passes(self) -> int:
        t = self.training
        return t.d_steps + t.g_steps + self.regularization.unrolled_steps

    @property
    def work_per_step(self) -> float:
        """Multiply-adds of one training iteration, roughly: weights x batch x updates."""
        return float(self.weights) * self.training.batch * self._passes

    @property
    def view_work(self) -> float:
        """Multiply-adds of one full picture, roughly: D over the surface grid, and G's loss
        forward and back through D at every arrow."""
        v = self.view
        return float(self.weights) * (v.resolution**2 + 3 * v.arrows**2)

    @property
    def gradient_penalty(self) -> float:
        """The effective WGAN-GP lambda: 10 for loss 'wgan-gp' unless the scene sets it."""
        if self.regularization.gradient_penalty is not None:
            return self.regularization.gradient_penalty
        return 10.0 if self.training.loss == "wgan-gp" else 0.0

    @property
    def lesson_length(self) -> int:
        """The steps the scene's story is about: `scene.length`, or (unset) its longest
        claim but at least DEFAULT_LESSON_LENGTH, so every scene, a user's too, has one."""
        if self.scene.length is not None:
            return self.scene.length
        return max([DEFAULT_LESSON_LENGTH, *(check.steps for check in self.checks)])

    @property
    def is_dirac(self) -> bool:
        return self.target.kind == "dirac"

    def value(self, dotted: str) -> Any:
        """The value at a dotted key (``"training.lr_d"``), as the scene file has it."""
        node: Any = self
        for part in dotted.split("."):
            node = getattr(node, part)
        return node

    def changes_to(self, other: TrainConfig) -> dict[str, Any]:
        """The dotted keys (``"training.lr_d"``) whose values differ in `other`, with
        `other`'s values: what `with_changes` (or `--set`) needs to turn this config into it.
        The one diff of configs: live changes, compare labels, exports and presenter mode
        all read it."""
        old, new = self.model_dump(mode="json"), other.model_dump(mode="json")
        changes = {}
        for section, values in new.items():
            if not isinstance(values, dict):
                continue
            for key, value in values.items():
                if old.get(section, {}).get(key) != value:
                    changes[f"{section}.{key}"] = value
        return changes

    def to_toml(self) -> str:
        """The config as a scene file that loads back to the same config."""
        data: dict[str, Any] = self.model_dump(mode="json", exclude_none=True)
        for listed in ("checks", "diagnosis"):
            if not data.get(listed):
                data.pop(listed, None)
        return tomli_w.dumps(data)

    def with_changes(self, changes: Mapping[str, Any]) -> TrainConfig:
        """A new validated config with dotted keys (``"training.lr_d"``) replaced."""
        data = self.model_dump()
        problems = []
        for key, value in changes.items():
            node = data
            *parents, leaf = key.split(".")
            for part in parents:
                if not isinstance(node.get(part), dict):
                    problems.append(f"{key}: unknown key (no section '{part}'){suggest(key)}")
                    break
                node = node[part]
            else:
                if leaf not in node or not parents:
                    problems.append(f"{key}: unknown key{suggest(key)}")
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
            message = (
                "unknown key (check the spelling; see the scene file reference in README)"
                + suggest(key)
            )
        else:
            message = error["msg"].removeprefix("Value error, ")
        message += _allowed_hint(error, message)
        got = error.get("input")
        if kind != "extra_forbidden" and not isinstance(got, dict | list) and got is not None:
            shown = repr(got)
            message += f"; got {shown if len(shown) <= 60 else shown[:57] + '...'}"
        # a cross-check between sections names its keys in the message itself
        lines.append(message if not error["loc"] else f"{key}: {message}")
    return lines


FLOAT32_MAX = 3.4028234663852886e38


def _reject_unusable(data: Any, path: str = "", depth: int = 0) -> list[str]:
    """Values no 32-bit float can hold, and nesting no scene needs (a 3,000-deep list would
    exhaust Python's recursion limit in the validator)."""
    where = path or "(top level)"
    if depth > NESTING_LIMIT:
        return [f"{where}: nested more than {NESTING_LIMIT} levels deep (scenes need 3)"]
    problems = []
    if isinstance(data, float) and not math.isfinite(data):
        problems.append(f"{where}: must be a finite number; got {data!r}")
    elif isinstance(data, float) and abs(data) > FLOAT32_MAX:
        problems.append(f"{where}: {data!r} is too large for the 32-bit floats training uses")
    elif isinstance(data, Mapping):
        for key, value in data.items():
            problems += _reject_unusable(value, f"{path}.{key}" if path else str(key), depth + 1)
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            problems += _reject_unusable(value, f"{path}[{i}]", depth + 1)
    return problems


def parse_config(data: Mapping[str, Any]) -> TrainConfig:
    """Validate a nested mapping (parsed TOML) into a TrainConfig, or raise ConfigError."""
    problems = _reject_unusable(data)
    if problems:
        raise ConfigError(problems)
    try:
        return TrainConfig.model_validate(dict(data))
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc)) from None
