"""Optimizers per network, built for speed (fused/foreach kernels) and retunable in place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import torch

from models.config import OptimizerKind


class LeanAdam(torch.optim.Adam):
    """torch's fused Adam kernel, called without ``Optimizer.step``'s per-call bookkeeping
    (hooks, profiler records, state initialisation checks). For the small nets of 2-D GANs that
    bookkeeping costs several times the kernel itself. State layout, ``state_dict`` and
    results are those of ``torch.optim.Adam(fused=True)``."""

    def __init__(self, params: list[torch.Tensor], lr: float, betas: tuple[float, float]):
        super().__init__(params, lr=lr, betas=betas, fused=True)

    def _state_lists(self, params: Sequence[torch.Tensor]) -> tuple[list[torch.Tensor], ...]:
        steps, avgs, avg_sqs = [], [], []
        for p in params:
            state = self.state[p]
            if not state:
                state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            steps.append(state["step"])
            avgs.append(state["exp_avg"])
            avg_sqs.append(state["exp_avg_sq"])
        return steps, avgs, avg_sqs

    @torch.no_grad()
    def step(self, closure: None = None) -> None:  # type: ignore[override]
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if not params:
                continue
            steps, avgs, avg_sqs = self._state_lists(params)
            torch._foreach_add_(steps, 1)
            beta1, beta2 = group["betas"]
            torch._fused_adam_(
                params,
                [p.grad for p in params],
                avgs,
                avg_sqs,
                [],
                steps,
                lr=group["lr"],
                beta1=beta1,
                beta2=beta2,
                weight_decay=group["weight_decay"],
                eps=group["eps"],
                amsgrad=False,
                maximize=False,
            )


def make_optimizer(
    kind: OptimizerKind,
    params: Iterable[torch.Tensor],
    lr: float,
    betas: tuple[float, float],
    device: torch.device,
) -> torch.optim.Optimizer:
    """Adam uses torch's fused kernel (one launch per step), SGD and RMSprop their foreach
    kernels. SGD is plain gradient descent (no momentum), as in the Dirac-GAN analysis; betas
    apply to Adam only."""
    params = list(params)
    if kind == "adam":
        if device.type in ("cpu", "cuda", "mps"):
            return LeanAdam(params, lr, betas)
        return torch.optim.Adam(params, lr=lr, betas=betas, foreach=True)
    if kind == "sgd":
        return torch.optim.SGD(params, lr=lr, foreach=True)
    return torch.optim.RMSprop(params, lr=lr, foreach=True)


def retune(optimizer: torch.optim.Optimizer, lr: float, betas: tuple[float, float]) -> None:
    """Change the learning rate (and Adam's betas) while keeping the optimizer's state."""
    for group in optimizer.param_groups:
        group["lr"] = lr
        if "betas" in group:
            group["betas"] = betas


class Lookahead:
    """D's next k updates as a differentiable function of its parameters (unrolled GANs).

    Metz et al. unroll D with D's own optimizer, so the unroll starts from the optimizer's
    current state (Adam's moments, RMSprop's square average) and takes steps of the same size
    D's real updates take. Plain SGD steps at Adam's learning rate would barely move D, and the
    unroll would show G nothing.

    Parameters, gradients and state are single flat vectors (see `flatten`): an update is then
    a dozen tensor ops instead of a dozen per parameter tensor, which more than halves the cost
    of the double backward pass through the unroll."""

    def __init__(self, optimizer: torch.optim.Optimizer, params: Sequence[torch.Tensor]) -> None:
        group = optimizer.param_groups[0]
        self._kind = _kind_of(optimizer)
        self._lr = float(group["lr"])
        self._betas = tuple(group.get("betas", (0.9, 0.999)))
        self._alpha = float(group.get("alpha", 0.99))
        self._eps = float(group.get("eps", 1e-8))
        states = [optimizer.state.get(p, {}) for p in params]
        self._step = float(states[0]["step"]) if states and "step" in states[0] else 0.0
        square_key = "exp_avg_sq" if self._kind == "adam" else "square_avg"
        self._avg = _flat_state(states, "exp_avg", params)
        self._sq = _flat_state(states, square_key, params)

    def step(self, params: torch.Tensor, grads: torch.Tensor) -> torch.Tensor:
        """The flat parameters after one update with flat `grads`, differentiable w.r.t. both."""
        if self._kind == "sgd":
            return params - self._lr * grads
        if self._kind == "rmsprop":
            self._sq = self._alpha * self._sq + (1 - self._alpha) * grads * grads
            return params - self._lr * grads / (self._sq.sqrt() + self._eps)
        beta1, beta2 = self._betas
        self._step += 1
        self._avg = beta1 * self._avg + (1 - beta1) * grads
        self._sq = beta2 * self._sq + (1 - beta2) * grads * grads
        fix1, fix2 = 1 - beta1**self._step, 1 - beta2**self._step
        return params - self._lr * (self._avg / fix1) / (
            (self._sq / fix2 + 1e-30).sqrt() + self._eps
        )


def flatten(tensors: list[torch.Tensor]) -> torch.Tensor:
    """One flat vector of all the tensors, in order (differentiable)."""
    return torch.cat([t.reshape(-1) for t in tensors])


def unflatten(flat: torch.Tensor, like: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Views of `flat` shaped like `like` (the inverse of `flatten`, differentiable)."""
    pieces = flat.split([t.numel() for t in like])
    return [piece.view(t.shape) for piece, t in zip(pieces, like, strict=True)]


def _kind_of(optimizer: torch.optim.Optimizer) -> OptimizerKind:
    if isinstance(optimizer, torch.optim.Adam):
        return "adam"
    if isinstance(optimizer, torch.optim.RMSprop):
        return "rmsprop"
    return "sgd"


def _flat_state(states: list[dict], key: str, params: Sequence[torch.Tensor]) -> torch.Tensor:
    """One optimizer state entry of every parameter, flat; zeros where there is none yet."""
    values = [state.get(key) for state in states]
    return flatten(
        [
            torch.zeros_like(p) if v is None else v.detach()
            for v, p in zip(values, params, strict=True)
        ]
    )
