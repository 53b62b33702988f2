"""`ganscope bench`: speed ratios measured side by side, alternating, in one run.

Absolute speeds vary 3x between machines and with whatever else runs; a ratio of two loops
measured in alternating slices of the same run does not. Keys whose part is not built are
absent, never faked.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from models.config import TrainConfig, parse_config
from models.engine import Trainer
from models.reference import ReferenceLoop

SMALL = {
    "training": {"batch": 256},
    "generator": {"depth": 3, "width": 64},
    "discriminator": {"depth": 3, "width": 64},
}
LARGE = {
    "training": {"batch": 256, "loss": "wgan-gp", "lr_g": 1e-4, "lr_d": 1e-4, "betas": [0.0, 0.9]},
    "generator": {"depth": 3, "width": 512},
    "discriminator": {"depth": 3, "width": 512},
}


def alternate(
    runners: dict[str, Callable[[int], None]], seconds: float, slice_steps: int
) -> dict[str, float]:
    """Steps/s of each runner, run in turn in slices until each has had `seconds`."""
    spent = dict.fromkeys(runners, 0.0)
    steps = dict.fromkeys(runners, 0)
    for run in runners.values():
        run(max(1, slice_steps // 5))  # warm-up: allocator, kernels, optimizer state
    while min(spent.values()) < seconds:
        for name, run in runners.items():
            start = time.perf_counter()
            run(slice_steps)
            spent[name] += time.perf_counter() - start
            steps[name] += slice_steps
    return {name: steps[name] / spent[name] for name in runners}


def engine_vs_naive(config: TrainConfig, seconds: float, slice_steps: int) -> dict[str, float]:
    trainer = Trainer(config)
    reference = ReferenceLoop(config)
    rates = alternate({"engine": trainer.step, "naive": reference.step}, seconds, slice_steps)
    return {
        "engine_steps_per_s": round(rates["engine"], 1),
        "naive_steps_per_s": round(rates["naive"], 1),
        "engine_vs_naive": round(rates["engine"] / rates["naive"], 3),
    }


def run_bench(quick: bool = False, gui: bool = True) -> dict[str, Any]:
    seconds = 1.5 if quick else 6.0
    cpu_config = {"training": {"device": "cpu"}}
    small = parse_config(_merge(SMALL, cpu_config))
    large = parse_config(_merge(LARGE, cpu_config))
    report: dict[str, Any] = {"device": "cpu", "torch_threads": torch.get_num_threads()}
    report.update(engine_vs_naive(small, seconds, 50))
    large_rates = engine_vs_naive(large, seconds, 10)
    report.update({f"large_{k}": v for k, v in large_rates.items()})
    if gui:
        from app.bench_gui import export_probe, gui_probe  # imports Qt, so only when asked

        report.update(gui_probe(seconds=2.0 if quick else 5.0))
        report.update(export_probe(frames=30 if quick else 90))
    return report


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) for k, v in base.items()}
    for section, values in extra.items():
        merged.setdefault(section, {}).update(values)
    return merged
