"""Fingerprints of training runs: the numbers a run produces at a few steps, recorded so that
a change to the engine's code that moves any result is caught (tests/test_engine_golden.py).

Another CPU is another trajectory. Matrix kernels differ between CPU families (AVX-512,
AVX2, no SIMD, ARM) in the last bits, and a GAN amplifies last bits: ring_fix_wgan_gp's
gradient field differed by 1.5% of its scale between kernel families at step 20 and by
39% at step 60, while a quiet Dirac-GAN agreed to 1e-7. Bit-identity is therefore a
property of the code on one machine (tests/test_engine.py, test_batched.py,
test_trainer.py check it), and a recording is compared across machines within a tolerance
measured here: `--write` trains every case under each CPU kernel family torch offers this
machine (ATEN_CPU_CAPABILITY=default|avx2|avx512, one process each), takes each case's
drift between them at each recorded step, and keeps

    tolerance = DRIFT_SAFETY x measured drift (at least MIN_TOLERANCE)

only at the steps where that stays below MAX_TOLERANCE: beyond, a case's numbers say
more about the CPU than about the code. Every case keeps its steps 0-2, where drift is at
rounding level, so every loss, penalty and update rule is still checked on any machine.

`python tests/fingerprint.py --write` re-records (after a change that is *meant* to alter
results: say which and why in the commit).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.config import TrainConfig, parse_config  # noqa: E402
from scenes.loader import library  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden" / "engine.json"
KERNEL_FAMILIES = ("default", "avx2", "avx512")
# 20x the drift measured between three kernel families: another CPU's kernels start from
# the same last-bit differences, so its drift is of the same size (x20 leaves room).
DRIFT_SAFETY = 20.0
MIN_TOLERANCE = 1e-5  # of a value's scale: float32 rounding (drift 1.9e-7 at step 0, median)
# beyond 1% of its scale a comparison would let a real change through: steps whose drift
# needs more are not recorded
MAX_TOLERANCE = 1e-2
ALWAYS_KEPT = 3  # the first recorded steps (0, 1, 2) are kept whatever their drift
TIMING = ("wall_s", "steps_per_s")
# counted, not continuous: one sample crossing a boundary moves them by a whole unit, and
# another CPU may move a sample that sits within rounding of it. They are compared within
# one unit; the continuous values next to them carry the sensitivity.
DISCRETE_UNIT = {
    "modes_covered": 1.0,
    "modes_covered_20": 1.0,
    "modes_total": 0.0,
    "high_quality": 2 / 2500,
}
# derived from which mode holds most samples (a tie flips it): not compared
UNCOMPARED = ("dominant_mode", "reverse_kl")
SAMPLES = 12  # evenly spaced values of each picture array, beside its mean, std, min and max
METRIC_SCALE_FLOOR = 1e-2  # a metric near 0 (a loss at 0.003) is compared to this scale
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
SCENE_STEPS = (0, 1, 2, 5, 10, 20, 40, 60)
VARIANT_STEPS = (0, 1, 2, 5, 10, 20, 30, 40)
EDITS = {
    10: {"training.lr_d": 3e-4, "training.loss": "hinge"},
    20: {"generator.width": 24, "regularization.r1_gamma": 0.5},
    30: {"discriminator.depth": 3, "training.batch": 32},
}

Print = dict[str, Any]  # {"step": int, "metrics": {key: float}, "arrays": {name: [float]}}


def _number(value: float) -> float | str:
    return value if math.isfinite(value) else repr(value)


def _summary(array: np.ndarray) -> list[float | str]:
    """An array as a few numbers a tolerance can compare: mean, std, min, max and SAMPLES
    evenly spaced entries (a hash would tell only "same bits", which another CPU never gives)."""
    flat = np.asarray(array, dtype=np.float64).ravel()
    if flat.size == 0:
        return []
    finite = flat[np.isfinite(flat)]
    stats = [finite.mean(), finite.std(), finite.min(), finite.max()] if finite.size else []
    picks = flat[np.linspace(0, flat.size - 1, min(SAMPLES, flat.size)).astype(int)]
    return [_number(float(v)) for v in (*stats, *picks)]


def snapshot_print(snap: Any) -> Print:
    metrics = {k: _number(float(v)) for k, v in snap.metrics.items() if k not in TIMING}
    arrays = {
        name: _summary(getattr(snap, name))
        for name in ("fake", "surface", "field", "field_magnitude", "manifold")
    }
    if snap.dirac is not None:
        arrays["dirac_flow"] = _summary(snap.dirac.flow)
    return {"step": snap.step, "metrics": metrics, "arrays": arrays}


def run_print(
    make: Callable[[], Any], at: Iterable[int], edits: dict[int, dict[str, Any]] | None = None
) -> list[Print]:
    """Snapshots at the steps `at`, edits applied on the way (one CPU thread)."""
    torch.set_num_threads(1)
    trainer = make()
    prints = []
    for step in sorted(at):
        while trainer.step_count < step and not trainer.diverged:
            upcoming = [s for s in (edits or {}) if trainer.step_count < s <= step]
            target = min([step, *upcoming])
            trainer.step(target - trainer.step_count)
            if trainer.step_count in (edits or {}):
                trainer.apply(edits[trainer.step_count])  # type: ignore[index]
        if trainer.diverged:
            break
        prints.append(snapshot_print(trainer.snapshot()))
    return prints


def small_config(extra: dict[str, Any]) -> TrainConfig:
    data = {k: dict(v) for k, v in SMALL.items()}
    for section, values in extra.items():
        data.setdefault(section, {}).update(values)
    return parse_config(data)


def cases(trainer_class: type) -> dict[str, Callable[[], list[Print]]]:
    found: dict[str, Callable[[], list[Print]]] = {}
    for scene in library():
        config = scene.config.with_changes({"training.device": "cpu"})
        found[f"scene/{scene.name}"] = lambda c=config, d=scene.base_dir: run_print(
            lambda: trainer_class(c, d), SCENE_STEPS
        )
    for name, extra in VARIANTS.items():
        found[f"variant/{name}"] = lambda e=extra: run_print(
            lambda: trainer_class(small_config(e)), VARIANT_STEPS
        )
    found["edits"] = lambda: run_print(
        lambda: trainer_class(small_config({})), VARIANT_STEPS, EDITS
    )
    return found


# ------------------------------------------------------------------------ comparing


def _floats(values: Any) -> list[float]:
    return [float(v) for v in (values if isinstance(values, list) else [values])]


def differences(mine: Print, recorded: Print) -> dict[str, float]:
    """Each compared quantity's largest difference from the recording, in units of its
    scale (an array's largest magnitude; a metric's own, at least METRIC_SCALE_FLOOR).
    Discrete metrics count only what exceeds one unit. NaN against a number is infinite."""
    found: dict[str, float] = {}
    for name, values in recorded["arrays"].items():
        want, got = _floats(values), _floats(mine["arrays"].get(name, []))
        if len(want) != len(got):
            found[name] = math.inf
            continue
        scale = max((abs(v) for v in want[2:4] if math.isfinite(v)), default=1.0) or 1.0
        found[name] = max((_gap(a, b) / scale for a, b in zip(got, want, strict=True)), default=0)
    for key, value in recorded["metrics"].items():
        if key in UNCOMPARED:
            continue
        want_v, got_v = float(value), float(mine["metrics"].get(key, math.nan))
        gap = _gap(got_v, want_v)
        if key in DISCRETE_UNIT:
            found[key] = 0.0 if gap <= DISCRETE_UNIT[key] + 1e-12 else math.inf
        else:
            found[key] = gap / max(abs(want_v), METRIC_SCALE_FLOOR)
    return found


def _gap(a: float, b: float) -> float:
    if math.isnan(a) and math.isnan(b):
        return 0.0
    if math.isnan(a) or math.isnan(b):
        return math.inf
    if a == b:  # (equal infinities)
        return 0.0
    return abs(a - b)


def drift(prints: list[list[Print]]) -> list[float]:
    """Per recorded step, the largest difference between any two runs of one case."""
    steps = min(len(p) for p in prints)
    out = []
    for index in range(steps):
        worst = 0.0
        for a in prints:
            for b in prints:
                if a is not b:
                    worst = max(worst, *differences(a[index], b[index]).values(), 0.0)
        out.append(worst)
    return out


# ------------------------------------------------------------------------ recording


def record_one_family(path: Path) -> None:
    """Every case, as this process's CPU kernel family computes it."""
    from models.engine import Trainer

    path.write_text(json.dumps({name: make() for name, make in cases(Trainer).items()}))


def record_golden() -> dict[str, Any]:
    """Every case under every kernel family, and the tolerance their drift justifies."""
    runs: dict[str, dict[str, list[Print]]] = {}
    for family in KERNEL_FAMILIES:
        out = GOLDEN.parent / f".family-{family}.json"
        env = os.environ | {"ATEN_CPU_CAPABILITY": family}
        subprocess.run([sys.executable, __file__, "--family", str(out)], env=env, check=True)
        runs[family] = json.loads(out.read_text())
        out.unlink()
    reference = runs[KERNEL_FAMILIES[-1]]
    golden: dict[str, Any] = {
        "about": {
            "kernel_families": list(KERNEL_FAMILIES),
            "torch": torch.__version__,
            "drift_safety": DRIFT_SAFETY,
        },
        "cases": {},
    }
    for name, prints in reference.items():
        measured = drift([runs[f][name] for f in KERNEL_FAMILIES])
        kept = []
        for index, (point, moved) in enumerate(zip(prints, measured, strict=False)):
            tolerance = max(MIN_TOLERANCE, DRIFT_SAFETY * moved)
            if index >= ALWAYS_KEPT and tolerance > MAX_TOLERANCE:
                break  # later steps drift more still (chaos grows)
            kept.append(point | {"drift": moved, "tolerance": tolerance})
        golden["cases"][name] = kept
    return golden


if __name__ == "__main__":
    if "--family" in sys.argv:
        record_one_family(Path(sys.argv[sys.argv.index("--family") + 1]))
    elif "--write" in sys.argv:
        GOLDEN.write_text(json.dumps(record_golden(), indent=0, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
    else:
        print(__doc__)
