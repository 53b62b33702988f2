"""Checking a saved run state against the run its config builds, before anything uses it.

A state from a file is someone else's input: an optimizer moment of the wrong shape makes
the fused Adam kernel write past its buffer, a 4M-row latent batch takes gigabytes, a NaN
weight would be blamed on the learning rates. So every tensor (weights and buffers, the
optimizers' state, the random stream, the fixed batches) must have exactly the shape and
dtype the config's own run has and hold only finite values, and every plain value must have
its type and a sane range. The result is a clean copy holding only what was checked: no key
the run does not know gets through, and the optimizers' settings (learning rates, betas,
eps, flags) are never taken from the file: the config is the truth; only their state is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from models.textfile import one_line

FIXED_BATCHES = ("reference_real", "probe_real", "view_z", "metric_z", "probe_z")
MAX_STEP = 10**12  # iterations: far beyond any run (a million a day is 2,700 years)
MAX_DIVERGED_CHARS = 2000


class StateMismatch(ValueError):
    """A saved state that does not fit the run: one line saying where and what."""


def checked_state(run: Any, state: Any) -> dict[str, Any]:
    """A checked copy of `state` (RunState.state_dict() form, plus "diverged") that fits
    `run` (a RunState of the saved config), or StateMismatch naming the first problem."""
    if not isinstance(state, Mapping):
        raise StateMismatch("the saved state is not a table of values")
    _keys(
        state,
        {"step", "G", "D", "opt_g", "opt_d", "rng", "fixed", "losses", "clock"},
        "",
        {"diverged"},
    )
    clean: dict[str, Any] = {
        "step": _integer(state["step"], "step", 0, MAX_STEP),
        "G": _module(run.G.state_dict(), state["G"], "G"),
        "D": _module(run.D.state_dict(), state["D"], "D"),
        "opt_g": _optimizer(run.opt_g, list(run.G.parameters()), state["opt_g"], "opt_g"),
        "opt_d": _optimizer(run.opt_d, list(run.d_params), state["opt_d"], "opt_d"),
        "rng": _tensor(run.rng.get_state(), state["rng"], "rng", finite=False),
        "fixed": _fixed(run, state["fixed"]),
        "losses": _losses(state["losses"]),
        "clock": _clock(state["clock"]),
    }
    diverged = state.get("diverged")
    if diverged is not None and not isinstance(diverged, str):
        raise StateMismatch("diverged: must be text or absent")
    if isinstance(diverged, str):
        diverged = one_line(diverged, MAX_DIVERGED_CHARS)
    clean["diverged"] = diverged
    return clean


# ------------------------------------------------------------------------------ parts


def _keys(value: Any, expected: set[str], where: str, optional: set[str] | None = None) -> None:
    if not isinstance(value, Mapping):
        raise StateMismatch(f"{where or 'state'}: expected a table of values")
    keys = set(value)
    missing = expected - keys
    extra = keys - expected - (optional or set())
    if missing:
        raise StateMismatch(f"{where or 'state'}: missing {', '.join(sorted(map(str, missing)))}")
    if extra:
        names = ", ".join(sorted(one_line(str(k), 40) for k in extra)[:5])
        raise StateMismatch(f"{where or 'state'}: unknown entries ({names})")


def _tensor(like: torch.Tensor, value: Any, where: str, finite: bool = True) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise StateMismatch(f"{where}: expected a tensor, got {type(value).__name__}")
    if value.dtype != like.dtype:
        raise StateMismatch(f"{where}: dtype {value.dtype} where this scene has {like.dtype}")
    if tuple(value.shape) != tuple(like.shape):
        raise StateMismatch(
            f"{where}: shape {tuple(value.shape)} where this scene has {tuple(like.shape)}"
        )
    if finite and value.is_floating_point() and not bool(torch.isfinite(value).all()):
        raise StateMismatch(f"{where}: holds NaN or infinite values (a corrupt or diverged save)")
    return value.detach().to("cpu").clone().contiguous()


def _module(template: Mapping[str, torch.Tensor], value: Any, where: str) -> dict[str, Any]:
    _keys(value, set(template), where)
    clean = {}
    for key, like in template.items():
        tensor = _tensor(like, value[key], f"{where}.{key}")
        if not tensor.is_floating_point() and bool((tensor < 0).any()):
            raise StateMismatch(f"{where}.{key}: a count below 0")
        clean[key] = tensor
    return clean


def _optimizer_template(optimizer: torch.optim.Optimizer, params: list[torch.Tensor]) -> list:
    """Per parameter, the state entries this kind of optimizer keeps once it has stepped:
    found by one step of a twin optimizer on zero-gradient copies (nothing real moves)."""
    twins = [torch.zeros_like(p, requires_grad=True) for p in params]
    for twin in twins:
        twin.grad = torch.zeros_like(twin)
    group = {k: v for k, v in optimizer.param_groups[0].items() if k != "params"}
    kind = type(optimizer)
    if kind.__name__ == "LeanAdam":
        twin_opt: torch.optim.Optimizer = kind(twins, group["lr"], group["betas"])  # type: ignore[call-arg]
    else:
        twin_opt = kind(twins, **group)
    twin_opt.step()
    return [twin_opt.state.get(t, {}) for t in twins]


def _optimizer(
    optimizer: torch.optim.Optimizer, params: list[torch.Tensor], value: Any, where: str
) -> dict[str, Any]:
    """Only the optimizer's per-parameter state, checked; its settings are the run's own."""
    if not isinstance(value, Mapping) or "state" not in value:
        raise StateMismatch(f"{where}: expected an optimizer state")
    saved = value["state"]
    if not isinstance(saved, Mapping):
        raise StateMismatch(f"{where}.state: expected a table per parameter")
    template = _optimizer_template(optimizer, params)
    clean_state: dict[int, dict[str, Any]] = {}
    for index, entries in saved.items():
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(params):
            raise StateMismatch(
                f"{where}.state: parameter {one_line(repr(index), 40)} does not exist "
                f"(this scene's network has {len(params)})"
            )
        if not isinstance(entries, Mapping):
            raise StateMismatch(f"{where}.state[{index}]: expected a table of tensors")
        entries = {k: v for k, v in entries.items() if v is not None}
        if not entries:
            continue  # never stepped (a rebuilt network): the optimizer starts it afresh
        expected = template[index]
        _keys(entries, set(expected), f"{where}.state[{index}]")
        clean = {}
        for key, like in expected.items():
            tensor = _tensor(like, entries[key], f"{where}.state[{index}].{key}")
            if key == "step" and not (0 <= float(tensor.reshape(-1)[0]) <= MAX_STEP):
                raise StateMismatch(f"{where}.state[{index}].step: must be 0 to {MAX_STEP:.0e}")
            if key in ("exp_avg_sq", "square_avg") and bool((tensor < 0).any()):
                raise StateMismatch(f"{where}.state[{index}].{key}: a square average below 0")
            clean[key] = tensor
        clean_state[index] = clean
    own = optimizer.state_dict()["param_groups"]
    return {"state": clean_state, "param_groups": own}


def _fixed(run: Any, value: Any) -> dict[str, torch.Tensor]:
    _keys(value, set(FIXED_BATCHES), "fixed")
    return {
        name: _tensor(getattr(run, name), value[name], f"fixed.{name}") for name in FIXED_BATCHES
    }


def _number(value: Any, where: str, allow_nan: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise StateMismatch(f"{where}: expected a number, got {type(value).__name__}")
    try:
        number = float(value)
    except OverflowError:
        raise StateMismatch(
            f"{where}: {one_line(str(value), 40)} is beyond the float range"
        ) from None
    if math.isnan(number) and allow_nan:
        return number
    if not math.isfinite(number):
        raise StateMismatch(f"{where}: must be a finite number; got {number!r}")
    return number


def _integer(value: Any, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        shown = one_line(repr(value), 40)
        raise StateMismatch(
            f"{where}: expected a whole number from {low} to {high:.0e}; got {shown}"
        )
    if not low <= value <= high:
        raise StateMismatch(f"{where}: must be {low} to {high:.0e}; got {one_line(str(value), 40)}")
    return value


def _losses(value: Any) -> dict[str, Any]:
    _keys(value, {"d_sum", "g_sum", "count", "last"}, "losses")
    last = value["last"]
    if not isinstance(last, list | tuple) or len(last) != 2:
        raise StateMismatch("losses.last: expected two numbers")
    return {
        "d_sum": _number(value["d_sum"], "losses.d_sum", allow_nan=True),
        "g_sum": _number(value["g_sum"], "losses.g_sum", allow_nan=True),
        "count": _integer(value["count"], "losses.count", 0, MAX_STEP),
        "last": [_number(v, "losses.last", allow_nan=True) for v in last],
    }


def _clock(value: Any) -> dict[str, Any]:
    _keys(value, {"seconds", "steps"}, "clock")
    seconds = _number(value["seconds"], "clock.seconds")
    if seconds < 0:
        raise StateMismatch("clock.seconds: must be >= 0")
    return {"seconds": seconds, "steps": _integer(value["steps"], "clock.steps", 0, MAX_STEP)}
