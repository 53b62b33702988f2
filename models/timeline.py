"""The timeline: checkpoints of a run every few iterations, in memory under a fixed budget, so
the window can go back to any of them, change a control and continue on a new branch.

When the checkpoints outgrow the budget, every second one is dropped and the interval
doubles: the timeline always reaches back to step 0, only more coarsely. (A plain ring buffer
would lose the start of the run first, which is where a lecturer most often goes back to.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from models.config import TrainConfig

DEFAULT_INTERVAL = 100  # iterations between checkpoints at the start of a run
DEFAULT_BUDGET = 64 * 2**20  # bytes: about 300 checkpoints of the default scene


@dataclass(frozen=True)
class Checkpoint:
    step: int
    config: TrainConfig
    state: dict[str, Any]  # Trainer.state_dict(): cloned tensors and plain values
    nbytes: int


def state_bytes(value: Any) -> int:
    if isinstance(value, torch.Tensor):
        return value.numel() * value.element_size()
    if isinstance(value, dict):
        return sum(state_bytes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(state_bytes(v) for v in value)
    return 0


class Timeline:
    def __init__(self, interval: int = DEFAULT_INTERVAL, budget: int = DEFAULT_BUDGET) -> None:
        self.base_interval = interval
        self.budget = budget
        self.clear()

    def clear(self) -> None:
        self.interval = self.base_interval
        self.checkpoints: list[Checkpoint] = []

    @property
    def nbytes(self) -> int:
        return sum(c.nbytes for c in self.checkpoints)

    @property
    def steps(self) -> tuple[int, ...]:
        return tuple(c.step for c in self.checkpoints)

    def due(self, step: int) -> bool:
        """Whether a run at `step` should be kept now."""
        if not self.checkpoints:
            return True
        last = self.checkpoints[-1].step
        return step >= last + self.interval or step < last

    def keep(self, step: int, config: TrainConfig, state: dict[str, Any]) -> None:
        """Keep a checkpoint (replacing one at the same step), then keep within budget."""
        self.checkpoints = [c for c in self.checkpoints if c.step < step]
        self.checkpoints.append(Checkpoint(step, config, state, state_bytes(state)))
        while self.nbytes > self.budget and len(self.checkpoints) > 2:
            first, *rest = self.checkpoints
            # every second one goes; step 0 and the newest always stay
            self.checkpoints = [first, *rest[(len(rest) + 1) % 2 :: 2]]
            self.interval *= 2

    def at_or_before(self, step: int) -> Checkpoint | None:
        """The latest checkpoint at or before `step`."""
        earlier = [c for c in self.checkpoints if c.step <= step]
        return earlier[-1] if earlier else None

    def branch_at(self, step: int) -> None:
        """Going back to `step`: later checkpoints belong to the abandoned branch."""
        self.checkpoints = [c for c in self.checkpoints if c.step <= step]
