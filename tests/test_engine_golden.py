"""The engine's results do not move by accident: every shipped scene and every loss,
regularizer, update rule and live edit gives the recorded numbers, on any machine, within
the tolerance measured between CPU kernel families (see tests/fingerprint.py); and on one
machine the same run twice gives exactly the same numbers.

A change that is meant to alter results re-records them (`python tests/fingerprint.py
--write`) and says in its commit which ones moved and why.
"""

from __future__ import annotations

import json

import pytest
from fingerprint import GOLDEN, VARIANT_STEPS, VARIANTS, cases, differences, run_print, small_config

from models.engine import Trainer

RECORDED = json.loads(GOLDEN.read_text())["cases"]
CASES = cases(Trainer)


def test_every_recorded_case_is_still_run() -> None:
    assert set(CASES) == set(RECORDED)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_results_match_the_recording_within_the_measured_drift(name: str) -> None:
    recorded = RECORDED[name]
    got = {p["step"]: p for p in CASES[name]()}
    for want in recorded:
        mine = got.get(want["step"])
        assert mine is not None, f"{name}: no snapshot at step {want['step']} (diverged early?)"
        off = {k: v for k, v in differences(mine, want).items() if v > want["tolerance"]}
        assert not off, (
            f"{name} step {want['step']}: moved beyond {want['tolerance']:.1e} of scale "
            f"(kernel families drifted {want['drift']:.1e}): "
            + ", ".join(f"{k} {v:.2e}" for k, v in sorted(off.items()))
        )


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_same_run_twice_is_bit_identical(name: str) -> None:
    def once() -> list[dict[str, object]]:
        return run_print(lambda: Trainer(small_config(VARIANTS[name])), VARIANT_STEPS)

    assert once() == once()


def test_a_small_change_of_learning_rate_is_caught() -> None:
    """The tolerance is tight enough to see a real change: D's learning rate 1% higher."""
    nudged = {"training": {"lr_d": 1.01e-3}}
    got = {p["step"]: p for p in run_print(lambda: Trainer(small_config(nudged)), VARIANT_STEPS)}
    caught = [
        want["step"]
        for want in RECORDED["variant/ns"]
        if any(v > want["tolerance"] for v in differences(got[want["step"]], want).values())
    ]
    assert caught, "a 1% change of lr_d went unnoticed at every recorded step"
