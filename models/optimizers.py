"""Optimizers per network, built for speed (fused/foreach kernels) and retunable in place."""

from __future__ import annotations

from collections.abc import Iterable

import torch

from models.config import OptimizerKind


class LeanAdam(torch.optim.Adam):
    """torch's fused Adam kernel, called without ``Optimizer.step``'s per-call bookkeeping
    (hooks, profiler records, state initialisation checks). For the small nets of 2-D GANs that
    bookkeeping costs several times the kernel itself. State layout, ``state_dict`` and
    results are those of ``torch.optim.Adam(fused=True)``."""

    def __init__(self, params: list[torch.nn.Parameter], lr: float, betas: tuple[float, float]):
        super().__init__(params, lr=lr, betas=betas, fused=True)

    def _state_lists(self, params: list[torch.Tensor]) -> tuple[list[torch.Tensor], ...]:
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
    params: Iterable[torch.nn.Parameter],
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
