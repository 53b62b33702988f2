"""The doctor's prescriptions: for a finding and the run's settings, fixes as knob changes,
best first. Each is one that a shipped fix scene shows working on this kind of run (named in
`why`); a fix already in effect is not offered again, and where no fix is measured to work
the doctor says so instead of guessing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from models.config import ConfigError, TrainConfig
from models.engine.changes import label


@dataclass(frozen=True)
class Fix:
    """A set of knob changes applied as one edit ("Apply fix"), e.g. R1 gamma = 1."""

    items: tuple[tuple[str, Any], ...]  # (dotted knob key, new value), in the order shown
    scene: str  # the shipped fix scene that shows it working (its claims are the proof)
    why: str  # what that scene measures

    @property
    def changes(self) -> dict[str, Any]:
        """What `TrainConfig.with_changes` (or a live change) takes."""
        return dict(self.items)

    @property
    def label(self) -> str:
        """'R1 gamma = 1', as the chart marker says it ('doctor: R1 gamma = 1')."""
        return ", ".join(label(key, value) for key, value in self.items)

    def to_json(self) -> dict[str, Any]:
        return {"changes": self.changes, "label": self.label, "scene": self.scene, "why": self.why}


def _fix(config: TrainConfig, changes: Mapping[str, Any], proof: str) -> Fix | None:
    """The fix, or None when every change is already in effect or this run cannot take it
    (packing 4 with a batch of 6)."""
    todo = tuple((k, v) for k, v in changes.items() if config.value(k) != v)
    try:
        config.with_changes(dict(todo))
    except ConfigError:
        return None
    scene, _, why = proof.partition(": ")
    return Fix(todo, scene, why) if todo else None


def _collapse(c: TrainConfig) -> list[Fix | None]:
    if c.target.kind == "grid":
        return [
            _fix(
                c,
                {"training.loss": "wgan-gp", "regularization.gradient_penalty": 1.0},
                "grid_fix_wgan_gp covers >= 20 of 25 modes",
            )
        ]
    return [
        _fix(c, {"regularization.r1_gamma": 1.0}, "ring_fix_r1: W1 <= 0.5 by step 1000"),
        _fix(
            c,
            {"regularization.spectral_norm": True},
            "ring_fix_spectral_norm: W1 <= 0.5 by step 1000",
        ),
        _fix(c, {"regularization.pack": 4}, "ring_fix_pacgan: 6+ modes on average"),
    ]


def _hopping(c: TrainConfig) -> list[Fix | None]:
    return [_fix(c, {"regularization.unrolled_steps": 5}, "ring_fix_unrolled: W1 <= 0.25")]


def _oscillation(c: TrainConfig) -> list[Fix | None]:
    r1: dict[str, Any] = {"regularization.r1_gamma": 0.3}
    if c.training.loss in ("wgan", "wgan-gp"):
        # the critic's penalty does not damp the orbit (dirac_wgan_gp); the minimax loss with
        # R1 does, applied mid-orbit too (dirac_wgan_gp changed at step 400: distance < 0.01
        # 500 steps later on seeds 0-19)
        r1 = {"training.loss": "minimax", "regularization.gradient_penalty": 0.0, **r1}
        return [_fix(c, r1, "dirac_r1: distance < 0.01 by step 500")]
    return [
        _fix(c, r1, "dirac_r1: distance < 0.01 by step 500"),
        _fix(
            c,
            {"regularization.instance_noise": 0.5},
            "dirac_instance_noise: mean distance <= 0.6 over steps 500-1000",
        ),
    ]


def _vanishing(c: TrainConfig) -> list[Fix | None]:
    if c.training.loss != "minimax":
        return []
    return [_fix(c, {"training.loss": "ns"}, "vanishing_fix_ns: |grad G| >= 1 at step 100")]


def _balance(c: TrainConfig) -> list[Fix | None]:
    ttur = {
        "training.loss": "ns",
        "training.d_steps": 1,
        "training.g_steps": 1,
        "training.lr_g": 1e-3,
        "training.lr_d": 2e-3,
    }
    return [_fix(c, ttur, "balance_ttur: W1 <= 0.8, 6+ modes by step 2000")]


def _fooled(c: TrainConfig) -> list[Fix | None]:
    return [
        *_balance(c),
        _fix(c, {"regularization.unrolled_steps": 5}, "ring_fix_unrolled: W1 <= 0.25"),
    ]


def _lr(c: TrainConfig) -> list[Fix | None]:
    return [
        _fix(
            c,
            {"training.lr_g": 1e-3, "training.lr_d": 1e-3},
            "lr_just_right: 7+ modes by step 2000",
        )
    ]


def _clipping(c: TrainConfig) -> list[Fix | None]:
    return [
        _fix(
            c,
            {"training.loss": "wgan-gp", "regularization.weight_clip": 0.0},
            "wgan_gp_instead_of_clipping: W1 <= 0.3 by step 2000",
        )
    ]


PRESCRIPTIONS: dict[str, Callable[[TrainConfig], list[Fix | None]]] = {
    "mode_collapse": _collapse,
    "mode_hopping": _hopping,
    "oscillation": _oscillation,
    "vanishing_gradients": _vanishing,
    "d_overpowers_g": _balance,
    "d_fooled": _fooled,
    "lr_too_high": _lr,
    "clipping_saturation": _clipping,
}

NO_FIX = {
    "divergence": "no setting is measured to recover a run that blew up: go back to a step "
    "before it and lower the learning rates",
    "vanishing_gradients": "the non-saturating loss is already in use; no other fix is measured",
}


def prescribe(name: str, config: TrainConfig) -> tuple[tuple[Fix, ...], str]:
    """The ranked fixes for a finding on this run, and, if there are none, why not."""
    fixes = tuple(f for f in PRESCRIPTIONS.get(name, lambda c: [])(config) if f is not None)
    if fixes:
        return fixes, ""
    return (), NO_FIX.get(name, "every fix measured for this is already in effect")
