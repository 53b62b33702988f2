"""`ganscope bench`: speed ratios measured side by side, alternating, in one run.

Absolute speeds vary 3x between machines and with whatever else runs; a ratio of two loops
measured in alternating slices of the same run does not. Keys whose part is not built are
absent, never faked.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from models.config import TrainConfig, parse_config
from models.engine import Trainer
from models.engine.batched import BatchedTrainer
from models.reference import ReferenceLoop
from models.run import train
from models.session_file import open_session, save_session
from models.timeline import DEFAULT_INTERVAL, Timeline

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
    runners: dict[str, Callable[[int], object]], seconds: float, slice_steps: int
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


def batched_vs_sequential(config: TrainConfig, k: int, seconds: float) -> dict[str, float]:
    """Aggregate model-steps/s of K runs as one stacked model vs the same K runs one after
    another, alternating slices in one run."""
    configs = [config.with_changes({"training.seed": seed}) for seed in range(k)]
    batched = BatchedTrainer(configs)
    separate = [Trainer(c) for c in configs]

    def one_by_one(n: int) -> None:
        for trainer in separate:
            trainer.step(n)

    rates = alternate({"batched": batched.step, "sequential": one_by_one}, seconds, 20)
    return {
        f"batched_k{k}_model_steps_per_s": round(rates["batched"] * k, 1),
        f"sequential_k{k}_model_steps_per_s": round(rates["sequential"] * k, 1),
        f"batched_k{k}_vs_sequential": round(rates["batched"] / rates["sequential"], 3),
    }


def session_files(config: TrainConfig) -> dict[str, float]:
    """Saving and loading a default-scene session (ms, best of five), and what keeping a
    timeline checkpoint every DEFAULT_INTERVAL iterations costs training."""
    trainer = Trainer(config)
    trainer.step(200)
    history = train(trainer, 100, 10)
    timings: dict[str, list[float]] = {"save": [], "load": []}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.ganscope"
        for _ in range(5):
            start = time.perf_counter()
            save_session(path, trainer, history, "bench")
            timings["save"].append(time.perf_counter() - start)
            start = time.perf_counter()
            open_session(path)
            timings["load"].append(time.perf_counter() - start)
    timeline = Timeline()
    start = time.perf_counter()
    for _ in range(20):
        timeline.keep(trainer.step_count, trainer.config, trainer.state_dict())
    keep = (time.perf_counter() - start) / 20
    step_seconds = 1 / max(engine_rate(trainer), 1e-9)
    return {
        "session_save_ms": round(min(timings["save"]) * 1000, 1),
        "session_load_ms": round(min(timings["load"]) * 1000, 1),
        "timeline_checkpoint_ms": round(keep * 1000, 2),
        "timeline_overhead": round(keep / (keep + DEFAULT_INTERVAL * step_seconds), 4),
    }


def engine_rate(trainer: Trainer) -> float:
    start = time.perf_counter()
    trainer.step(100)
    return 100 / (time.perf_counter() - start)


def run_bench(quick: bool = False, gui: bool = True) -> dict[str, Any]:
    seconds = 1.5 if quick else 6.0
    cpu_config = {"training": {"device": "cpu"}}
    small = parse_config(_merge(SMALL, cpu_config))
    large = parse_config(_merge(LARGE, cpu_config))
    report: dict[str, Any] = {"device": "cpu", "torch_threads": torch.get_num_threads()}
    report.update(engine_vs_naive(small, seconds, 50))
    large_rates = engine_vs_naive(large, seconds, 10)
    report.update({f"large_{k}": v for k, v in large_rates.items()})
    default = parse_config(cpu_config)
    for k in (4, 8):
        report.update(batched_vs_sequential(default, k, seconds))
    report.update(session_files(default))
    if gui:
        from app.bench.gui import export_probe, gui_probe, lecture_probe  # imports Qt

        report.update(gui_probe(seconds=2.0 if quick else 5.0))
        report.update(lecture_probe(seconds=2.0 if quick else 5.0))
        report.update(export_probe(frames=30 if quick else 90))
    return report


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = {k: dict(v) for k, v in base.items()}
    for section, values in extra.items():
        merged.setdefault(section, {}).update(values)
    return merged
