"""The trainer: one run, stepped, changed, watched and kept safe.

It puts the engine's parts together: the run state (state.py) trained by the iteration
(step.py), watched by the observer (observe.py), guarded against divergence (safety.py) and
changed live (changes.py). Everything the command line, the exports, the scene checks and
the window's training process do with a run goes through here.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import torch

from models.config import TrainConfig
from models.engine.changes import ApplyReport, apply_changes
from models.engine.observe import Observer
from models.engine.safety import LastGoodState, explain_divergence, first_bad_row, state_finite
from models.engine.state import RunState
from models.engine.step import Phase, iteration, run_iteration
from models.snapshot import Frame, Snapshot


class Trainer:
    """Trains one GAN. Not thread-safe: one thread drives it (see models/session.py)."""

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        self._base_dir = base_dir
        self.config_version = 0  # bumps with every applied change, so views can tell
        self._start(RunState(config, base_dir))

    def _start(self, run: RunState) -> None:
        self.run = run
        self.observer = Observer()
        self.diverged: str | None = None
        self._good = LastGoodState()
        self._good.save(run)
        self._full_version: int | None = None

    # ----------------------------------------------------------------- the run's parts
    @property
    def config(self) -> TrainConfig:
        return self.run.config

    @property
    def base_dir(self) -> Path | None:
        return self._base_dir

    @property
    def step_count(self) -> int:
        return self.run.step

    def optimizer_steps(self) -> tuple[int, int]:
        return self.run.optimizer_steps()

    # ----------------------------------------------------------------- training
    def step(self, n: int = 1) -> int:
        """Run n iterations; returns how many completed. Stops early (and keeps the last
        finite weights) if training blew up: see ``diverged``."""
        if self.diverged or n <= 0:
            return 0
        start = time.perf_counter()
        self.run.G.train()
        self.run.D.train()
        log = torch.stack([run_iteration(self.run) for _ in range(n)]).cpu()  # one device read
        return self.book(log, time.perf_counter() - start)

    def phases(self) -> Iterator[Phase]:
        """One iteration, phase by phase, for stepping through it; run to the end, it is
        exactly `step(1)` (the same code; its time is not counted in steps_per_s)."""
        if self.diverged:
            return
        self.run.G.train()
        self.run.D.train()
        losses = yield from iteration(self.run)
        self.book(losses[None].cpu(), None)

    def book(self, log: torch.Tensor, seconds: float | None) -> int:
        """Book iterations already run (their (n, 2) losses, on the CPU; `seconds` they took,
        None to leave them out of steps_per_s), or roll back to the last good state."""
        run, n = self.run, log.shape[0]  # the iterations have advanced run.step by n
        bad = first_bad_row(log)
        if bad is None and state_finite(run):
            run.losses.add(log)
            if seconds is not None:
                run.clock.seconds += seconds
                run.clock.steps += n
            self._good.save(run)
            return n
        bad_step = run.step - n + (bad if bad is not None else n - 1) + 1
        self._good.restore(run)
        self.diverged = explain_divergence(run.config, bad_step, run.step)
        return 0

    # ----------------------------------------------------------------- changes
    def apply(self, changes: Mapping[str, Any]) -> ApplyReport:
        """Change settings between iterations. Raises ConfigError (and changes nothing) if
        a value is invalid. What each key does is its knob's effect (models/knobs.py)."""
        new = self.config.with_changes(changes)
        differ = self.config.changes_to(new)
        report = apply_changes(self.run, new, tuple(k for k in changes if k in differ))
        if report.reset:
            self._start(RunState(new, self._base_dir))
        else:
            self.diverged = None
            self._good.save(self.run)
        self.config_version += 1
        return report

    def keep_as_good(self) -> None:
        """Take the run as it is now as the state to fall back to (after its tensors were
        moved, as a stacked model does with them)."""
        self._good.save(self.run)

    def reset(self) -> None:
        """Start again from step 0 with the current settings."""
        self.config_version += 1
        self._start(RunState(self.config, self._base_dir))

    # ----------------------------------------------------------------- watching
    def snapshot(self) -> Snapshot:
        """Everything the views draw, now. Resets the running loss means."""
        self._full_version = self.config_version
        return self.observer.full(self.run, self.config_version, self.diverged)

    def frame(self) -> Frame | None:
        """The cheap in-between picture, or None when the current settings have no full
        snapshot yet (take one: a frame only makes sense on top of it)."""
        if self._full_version != self.config_version:
            return None
        return self.observer.frame(self.run, self.config_version, self.diverged)

    # ----------------------------------------------------------------- saving
    def state_dict(self) -> dict[str, Any]:
        """The run's state (see RunState.state_dict) and whether it diverged."""
        return {**self.run.state_dict(), "diverged": self.diverged}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a saved state of a run with this trainer's config."""
        clean = self.run.load_state_dict(state)
        self.diverged = clean["diverged"]
        self._good.save(self.run)
        self.config_version += 1
