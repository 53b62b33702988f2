"""Fixes applied late: does a fix still work when the lecturer gets to it at step 15,000?

A lecture applies the fix whenever it gets there. `live_fixes` trains the failure scene once
per seed (the seeds stacked), and at each fork step copies every run, sets the fix's knobs
on the copy the way the window does (hot knobs keep the weights and optimizer state;
structural ones rebuild their network) and trains the copy on. The fix's claims are then
read with steps counted from the change: "W1 <= 0.5 at step 1,000" means 1,000 steps after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from models import run
from models.engine.batched import RunGroup
from models.engine.changes import effect_of
from models.history import MetricHistory
from models.session import needs_own_model
from scenes.checks import DIRAC_LOG_EVERY, LOG_EVERY, Outcome, evaluate, seeded, steps_needed
from scenes.loader import Scene

FORK_STEPS = (1000, 5000, 15000, 30000)


def fix_changes(failure: Scene, fix: Scene) -> dict[str, Any]:
    """The knob settings that turn the failure into its fix: what a lecturer sets live."""
    changes = failure.config.changes_to(fix.config)
    return {k: v for k, v in changes.items() if not k.startswith(("scene.", "view."))}


def is_live(failure: Scene, fix: Scene) -> bool:
    """Whether the fix is a change the window makes without restarting the run."""
    old = seeded(failure, 0)
    new = old.with_changes(fix_changes(failure, fix))
    restarts = any(effect_of(key) == "restart" for key in old.changes_to(new))
    return not restarts and old.is_dirac == new.is_dirac


@dataclass(frozen=True)
class LiveFix:
    """One fix applied at one step of the failure run, on every seed."""

    fix: str
    at: int
    outcomes: dict[int, list[Outcome]]  # seed -> one outcome per claim of the fix

    @property
    def passing(self) -> list[int]:
        return [seed for seed, row in self.outcomes.items() if all(o.passed for o in row)]

    def line(self) -> str:
        failed = {
            seed: next(o for o in row if not o.passed)
            for seed, row in self.outcomes.items()
            if not all(o.passed for o in row)
        }
        worst = "; ".join(f"seed {s}: {o.describe()}" for s, o in list(failed.items())[:3])
        return (
            f"{len(self.passing):>3}/{len(self.outcomes)}  {self.fix} set at step {self.at:,}"
            + (f"  (failed: {worst})" if worst else "")
        )


def from_change(history: MetricHistory, at: int) -> MetricHistory:
    """The rows of a run forked at step `at`, with steps counted from the change."""
    shifted = MetricHistory()
    for row in history.rows():
        shifted.append({**row, "step": row["step"] - at})
    return shifted


def live_fixes(
    failure: Scene,
    fixes: Sequence[Scene],
    seeds: Sequence[int],
    fork_steps: Sequence[int] = FORK_STEPS,
    on_result: Callable[[LiveFix], None] | None = None,
) -> list[LiveFix]:
    """Every fix applied at every fork step of one failure run per seed (see the module)."""
    configs = [seeded(failure, seed) for seed in seeds]
    group = RunGroup(configs, failure.base_dir)
    every = DIRAC_LOG_EVERY if failure.config.is_dirac else LOG_EVERY
    results = []
    for at in sorted(fork_steps):
        group.step(at - group.trainers[0].step_count)
        states = [trainer.state_dict() for trainer in group.trainers]
        for fix in fixes:
            histories = _forked(group, states, fix_changes(failure, fix), fix, every)
            outcomes = {
                seed: [evaluate(check, from_change(history, at)) for check in fix.config.checks]
                for seed, history in zip(seeds, histories, strict=True)
            }
            result = LiveFix(fix.name, at, outcomes)
            results.append(result)
            if on_result is not None:
                on_result(result)
    return results


def _forked(
    group: RunGroup,
    states: list[dict[str, Any]],
    changes: dict[str, Any],
    fix: Scene,
    every: int,
) -> list[MetricHistory]:
    """A copy of every run of `group` at its current step, the fix set live, trained on for
    the fix's claims."""
    configs = [trainer.config for trainer in group.trainers]
    fork = RunGroup(configs, fix.base_dir)
    for index, state in enumerate(states):
        fork.trainers[index].load_state_dict(state)
        new = configs[index].with_changes(changes)
        trainer = fork.trainers[index]
        if fork.is_stacked(index) and needs_own_model(configs[index], new):
            trainer = fork.release(index)
        trainer.apply(changes)
    return run.train_group(fork, steps_needed(fix.config.checks), every)
