"""Scene claims, measured: run a scene and evaluate its [[checks]] on the metrics it logged.

Used by the test suite (every shipped scene's claims must hold) and by `ganscope calibrate`
(the per-seed figures behind each claim).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from models import run
from models.config import CheckConfig
from models.trainer import Trainer
from scenes.loader import Scene

LOG_EVERY = 100
OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True)
class Outcome:
    check: CheckConfig
    value: float
    passed: bool

    def describe(self) -> str:
        c = self.check
        what = c.metric if c.aggregate == "at" else f"{c.aggregate}({c.metric})"
        span = f"step {c.steps}" if c.aggregate == "at" else f"steps {c.after}-{c.steps}"
        return f"{what} = {self.value:.4g} at {span} (claim {c.op} {c.value:g})"


def run_scene(scene: Scene, seed: int, steps: int) -> list[Mapping[str, float]]:
    """The scene's metrics every LOG_EVERY iterations up to `steps`, with this seed."""
    config = scene.config.with_changes({"training.seed": seed, "training.device": "cpu"})
    trainer = Trainer(config, scene.base_dir)
    return run.train(trainer, steps, min(LOG_EVERY, steps))


def measure(check: CheckConfig, rows: Sequence[Mapping[str, float]]) -> float:
    """The check's metric, aggregated over the rows it covers."""
    if check.aggregate == "at":
        matching = [r for r in rows if r["step"] == check.steps]
        return float(matching[-1][check.metric]) if matching else math.nan
    values = [float(r[check.metric]) for r in rows if check.after <= r["step"] <= check.steps]
    values = [v for v in values if not math.isnan(v)]
    if check.aggregate == "distinct":
        return float(len(set(values)))
    if not values:
        return math.nan
    return max(values) if check.aggregate == "max" else min(values)


def evaluate(check: CheckConfig, rows: Sequence[Mapping[str, float]]) -> Outcome:
    value = measure(check, rows)
    return Outcome(check, value, not math.isnan(value) and OPS[check.op](value, check.value))


def steps_needed(checks: Sequence[CheckConfig]) -> int:
    return max((c.steps for c in checks), default=0)
