"""Scene claims, measured: run a scene and evaluate its [[checks]] on the metrics it logged.

Used by the test suite (every shipped scene's claims must hold) and by `ganscope calibrate`
(the per-seed figures behind each claim).
"""

from __future__ import annotations

import math
import multiprocessing
import operator
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from models import run
from models.config import CheckConfig, TrainConfig
from models.engine import Trainer
from models.engine.batched import RunGroup
from models.history import MetricHistory
from scenes.loader import Scene

LOG_EVERY = 100
DIRAC_LOG_EVERY = 5  # a Dirac orbit takes ~200 steps: rows 100 apart would alias it
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
        what, span = _what_and_span(self.check)
        return f"{what} = {self.value:.4g} at {span} (claim {self.check.op} {self.check.value:g})"


def run_scene(scene: Scene, seed: int, steps: int) -> MetricHistory:
    """The scene's metrics every LOG_EVERY iterations up to `steps`, with this seed."""
    config = seeded(scene, seed)
    trainer = Trainer(config, scene.base_dir)
    every = DIRAC_LOG_EVERY if config.is_dirac else LOG_EVERY
    return run.train(trainer, steps, min(every, steps))


def measure(check: CheckConfig, history: MetricHistory) -> float:
    """The check's metric, aggregated over the rows it covers."""
    steps, column = history.column("step"), history.column(check.metric)
    if check.aggregate == "at":
        matching = column[steps == check.steps]
        return float(matching[-1]) if matching.size else math.nan
    span = column[(steps >= check.after) & (steps <= check.steps)]
    values = [float(v) for v in span if not math.isnan(v)]
    if check.aggregate == "distinct":
        return float(len(set(values)))
    if not values:
        return math.nan
    if check.aggregate == "mean":
        return sum(values) / len(values)
    return max(values) if check.aggregate == "max" else min(values)


def evaluate(check: CheckConfig, history: MetricHistory) -> Outcome:
    value = measure(check, history)
    return Outcome(check, value, not math.isnan(value) and OPS[check.op](value, check.value))


def steps_needed(checks: Sequence[CheckConfig]) -> int:
    return max((c.steps for c in checks), default=0)


def _what_and_span(check: CheckConfig) -> tuple[str, str]:
    """'max(w1)' and 'steps 1000-5000' (or 'w1' and 'step 1000' for a single row)."""
    if check.aggregate == "at":
        return check.metric, f"step {check.steps}"
    return f"{check.aggregate}({check.metric})", f"steps {check.after}-{check.steps}"


def claim_text(check: CheckConfig) -> str:
    what, span = _what_and_span(check)
    return f"{what} {check.op} {check.value:g} at {span}"


@dataclass
class Calibration:
    """A scene's claims over many seeds: how many hold, and the seed closest to failing."""

    checks: Sequence[CheckConfig]
    outcomes: dict[int, list[Outcome]]  # seed -> one outcome per check
    seconds: float = 0.0
    histories: dict[int, MetricHistory] = field(default_factory=dict)  # seed -> its run

    @property
    def failures(self) -> int:
        return sum(not o.passed for row in self.outcomes.values() for o in row)

    def worst(self, index: int) -> tuple[int, float]:
        """The seed whose value is nearest to (or furthest past) the claim's threshold."""
        check = self.checks[index]
        values = {seed: row[index].value for seed, row in self.outcomes.items()}
        lower_is_worse = check.op in (">=", ">")

        def badness(seed: int) -> float:
            value = values[seed]
            if math.isnan(value):
                return math.inf
            return -value if lower_is_worse else value

        seed = max(values, key=badness)
        return seed, values[seed]

    def lines(self) -> list[str]:
        total = len(self.outcomes)
        lines = []
        for index, check in enumerate(self.checks):
            passed = sum(row[index].passed for row in self.outcomes.values())
            seed, value = self.worst(index)
            lines.append(
                f"{passed:>3}/{total}  {claim_text(check):52s} worst: seed {seed} ({value:.4g})"
            )
        return lines


def calibrate(
    scene: Scene,
    checks: Sequence[CheckConfig],
    seeds: Sequence[int],
    on_seed: Callable[[str], None] | None = None,
    jobs: int = 1,
) -> Calibration:
    """Run the scene on every seed and evaluate the checks. Seeds train as stacked models
    (the same numbers as seed by seed, see models/engine/batched.py), split over `jobs`
    processes of one thread each (one per core is the fastest here)."""
    start = time.perf_counter()
    steps = steps_needed(checks)
    histories = run_seeds_in_parallel(scene, seeds, steps, jobs)
    outcomes: dict[int, list[Outcome]] = {}
    by_seed = dict(zip(seeds, histories, strict=True))
    for seed, history in by_seed.items():
        outcomes[seed] = [evaluate(c, history) for c in checks]
        if on_seed is not None:
            marks = [("ok " if o.passed else "FAIL ") + o.describe() for o in outcomes[seed]]
            on_seed(f"  seed {seed}: {'; '.join(marks)}")
    return Calibration(checks, outcomes, time.perf_counter() - start, by_seed)


def seeds_where_failure_passes(
    fix_checks: Sequence[CheckConfig], failure_runs: dict[int, MetricHistory]
) -> list[int]:
    """The seeds on which the failure scene, too, meets every one of its fix's claims: on
    those seeds the fix shows nothing the failure does not (there should be none)."""
    return [
        seed
        for seed, history in failure_runs.items()
        if all(evaluate(check, history).passed for check in fix_checks)
    ]


def run_seeds(scene: Scene, seeds: Sequence[int], steps: int) -> list[MetricHistory]:
    """`run_scene` for many seeds at once."""
    configs = [seeded(scene, seed) for seed in seeds]
    every = DIRAC_LOG_EVERY if scene.config.is_dirac else LOG_EVERY
    group = RunGroup(configs, scene.base_dir)
    return run.train_group(group, steps, min(every, steps))


def seeded(scene: Scene, seed: int) -> TrainConfig:
    return scene.config.with_changes({"training.seed": seed, "training.device": "cpu"})


def run_seeds_in_parallel(
    scene: Scene, seeds: Sequence[int], steps: int, jobs: int
) -> list[MetricHistory]:
    """`run_seeds` split into `jobs` chunks, each in its own process (one torch thread)."""
    jobs = max(1, min(jobs, len(seeds)))
    if jobs == 1:
        return run_seeds(scene, seeds, steps)
    chunks = [list(seeds[i::jobs]) for i in range(jobs)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, mp_context=context, initializer=_one_thread) as pool:
        results = list(pool.map(run_seeds, [scene] * jobs, chunks, [steps] * jobs))
    by_seed = {
        seed: h
        for chunk, part in zip(chunks, results, strict=True)
        for seed, h in zip(chunk, part, strict=True)
    }
    return [by_seed[seed] for seed in seeds]


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)
