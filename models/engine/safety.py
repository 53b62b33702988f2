"""When training blows up: find the first bad iteration, go back to the last finite state and
say the likely cause in words a student can act on.

The check runs once per `step(n)` call on values already gathered for logging (no extra device
reads inside the loop). A run counts as diverged when a loss, a weight or a gradient is NaN/Inf,
or when a loss explodes past EXPLODED (finite in float32 but meaningless: 1e26-1e31 were seen
with an unbounded critic, and the gradient norms were already infinite).
"""

from __future__ import annotations

import torch

from models.config import TrainConfig
from models.engine.state import RunState

EXPLODED = 1e12  # |loss| beyond this is divergence: no shipped scene goes above 1e3


class LastGoodState:
    """The last finite training state, in preallocated buffers: saving it after every
    `step(n)` call is one fused copy, so it is never stale. (The loss means and the clock are
    only updated after a good call, so they need no copy.)"""

    def __init__(self) -> None:
        self.step = 0
        self._model: list[torch.Tensor] = []
        self._optim: list[torch.Tensor] = []
        self._rng: torch.Tensor = torch.ByteTensor()

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

    def save(self, run: RunState) -> None:
        self.step = run.step
        self._model = self._copy_into(self._model, run.model_tensors())
        self._optim = self._copy_into(self._optim, run.optimizer_tensors())
        self._rng = run.rng.get_state()

    def restore(self, run: RunState) -> None:
        with torch.no_grad():
            torch._foreach_copy_(run.model_tensors(), self._model)
            optim = run.optimizer_tensors()
            if [t.shape for t in optim] == [t.shape for t in self._optim]:
                if optim:
                    torch._foreach_copy_(optim, self._optim)
            else:  # saved before the optimizers' first step: back to their fresh state
                run.opt_g.state.clear()
                run.opt_d.state.clear()
        run.rng.set_state(self._rng)
        run.step = self.step


def first_bad_row(log: torch.Tensor) -> int | None:
    """The first iteration (row of D and G losses, on the CPU) whose losses are not finite
    or have exploded; None if all are fine."""
    bad = ~torch.isfinite(log).all(dim=1) | (log.abs() > EXPLODED).any(dim=1)
    return int(bad.nonzero()[0]) if bool(bad.any()) else None


def state_finite(run: RunState) -> bool:
    """Weights and their last gradients all finite. An infinite gradient with finite weights
    is divergence one update early: kept as the good state, it would show infinite gradient
    norms on the charts while claiming nothing went wrong."""
    tensors = [p.detach() for p in run.parameters()]
    tensors += [p.grad for p in run.parameters() if p.grad is not None]
    peaks = torch.stack([t.abs().amax() for t in tensors])
    return bool(torch.isfinite(peaks).all())


def explain_divergence(config: TrainConfig, bad_step: int, kept_step: int) -> str:
    t = config.training
    causes = []
    if max(t.lr_g, t.lr_d) >= 1e-2:
        causes.append(f"learning rates are high (lr_g={t.lr_g:g}, lr_d={t.lr_d:g})")
    if t.loss == "wgan" and config.regularization.weight_clip == 0 and config.gradient_penalty == 0:
        causes.append("the WGAN critic is unbounded (no weight clipping or gradient penalty)")
    if not causes:
        causes.append(
            f"gradients exploded; try lower learning rates (lr_g={t.lr_g:g}, lr_d={t.lr_d:g})"
        )
    return (
        f"training produced NaN/Inf at step {bad_step}: likely {'; '.join(causes)}. "
        f"Kept the last finite state (step {kept_step})."
    )
