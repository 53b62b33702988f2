"""Fingerprints of training runs: the exact numbers a run produces, to prove that a change to
the engine's code leaves every result bit-identical (CPU).

`python tests/fingerprint.py --write` records them (after a change that is *meant* to alter
results, say which and why in the commit); tests/test_engine_golden.py compares.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.config import TrainConfig, parse_config  # noqa: E402
from scenes.loader import library  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden" / "engine.json"
TIMING = ("wall_s", "steps_per_s")
SMALL = {
    "generator": {"depth": 2, "width": 32},
    "discriminator": {"depth": 2, "width": 32},
    "training": {"batch": 64, "device": "cpu"},
    "view": {"resolution": 16, "arrows": 8, "samples": 64},
}
VARIANTS: dict[str, dict[str, Any]] = {
    "ns": {},
    "minimax_dsteps": {"training": {"loss": "minimax", "d_steps": 3, "g_steps": 2}},
    "wgan_clip": {"training": {"loss": "wgan"}, "regularization": {"weight_clip": 0.05}},
    "wgan_gp": {"training": {"loss": "wgan-gp"}},
    "hinge_sn": {"training": {"loss": "hinge"}, "regularization": {"spectral_norm": True}},
    "lsgan": {"training": {"loss": "lsgan"}},
    "r1_noise_anneal": {
        "regularization": {
            "r1_gamma": 1.0,
            "instance_noise": 0.1,
            "instance_noise_anneal_steps": 25,
        }
    },
    "unrolled": {"regularization": {"unrolled_steps": 3}},
    "pack_mbd": {
        "regularization": {"pack": 4},
        "discriminator": {"minibatch_discrimination": True},
    },
    "batch_norm": {"generator": {"batch_norm": True}, "discriminator": {"batch_norm": True}},
    "tanh_uniform": {
        "generator": {"activation": "tanh", "z_dist": "uniform", "z_dim": 4},
        "discriminator": {"activation": "sigmoid"},
    },
    "simultaneous_rmsprop": {"training": {"updates": "simultaneous", "optimizer": "rmsprop"}},
    "simultaneous_gp_noise": {
        "training": {"updates": "simultaneous", "loss": "wgan-gp"},
        "regularization": {"instance_noise": 0.2},
    },
    "sgd_d": {"training": {"optimizer_d": "sgd"}},
    "grid": {"target": {"kind": "grid"}},
    "spiral": {"target": {"kind": "spiral"}},
    "moons": {"target": {"kind": "moons"}},
    "gaussians": {"target": {"kind": "gaussians", "means": [[0, 0], [1, 1]], "weights": [1, 3]}},
}


def _digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()[:16]


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def snapshot_print(snap: Any) -> dict[str, Any]:
    metrics = {k: _number(float(v)) for k, v in snap.metrics.items() if k not in TIMING}
    arrays = {
        name: _digest(getattr(snap, name))
        for name in ("fake", "surface", "field", "field_magnitude", "manifold")
    }
    if snap.dirac is not None:
        arrays["dirac_flow"] = _digest(snap.dirac.flow)
    return {"step": snap.step, "metrics": metrics, "arrays": arrays}


def run_print(
    make: Callable[[], Any], steps: int, every: int, edits: dict[int, dict[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """Snapshots every `every` iterations (as `ganscope train` logs), edits applied on the way."""
    torch.set_num_threads(1)
    trainer = make()
    prints = [snapshot_print(trainer.snapshot())]
    while trainer.step_count < steps and not trainer.diverged:
        for at, changes in (edits or {}).items():
            if trainer.step_count == at:
                trainer.apply(changes)
        trainer.step(every)
        prints.append(snapshot_print(trainer.snapshot()))
    return prints


def cases(trainer_class: type) -> dict[str, Callable[[], list[dict[str, Any]]]]:
    def small(extra: dict[str, Any]) -> TrainConfig:
        data = {k: dict(v) for k, v in SMALL.items()}
        for section, values in extra.items():
            data.setdefault(section, {}).update(values)
        return parse_config(data)

    found: dict[str, Callable[[], list[dict[str, Any]]]] = {}
    for scene in library():
        config = scene.config.with_changes({"training.device": "cpu"})
        found[f"scene/{scene.name}"] = lambda c=config, d=scene.base_dir: run_print(
            lambda: trainer_class(c, d), 60, 20
        )
    for name, extra in VARIANTS.items():
        found[f"variant/{name}"] = lambda e=extra: run_print(
            lambda: trainer_class(small(e)), 40, 10
        )
    edits = {
        10: {"training.lr_d": 3e-4, "training.loss": "hinge"},
        20: {"generator.width": 24, "regularization.r1_gamma": 0.5},
        30: {"discriminator.depth": 3, "training.batch": 32},
    }
    found["edits"] = lambda: run_print(lambda: trainer_class(small({})), 40, 10, edits)
    return found


def record(trainer_class: type) -> dict[str, Any]:
    return {name: make() for name, make in cases(trainer_class).items()}


if __name__ == "__main__":
    from models.engine import Trainer

    if "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(record(Trainer), indent=0, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
