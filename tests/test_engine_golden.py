"""The engine's results do not move by accident: every shipped scene and every loss,
regularizer, update rule and live edit gives exactly the recorded numbers (CPU, one thread).

A change that is meant to alter results re-records them (`python tests/fingerprint.py
--write`) and says in its commit which ones moved and why.
"""

from __future__ import annotations

import json

import pytest
from fingerprint import GOLDEN, cases

from models.engine import Trainer

RECORDED = json.loads(GOLDEN.read_text())
CASES = cases(Trainer)


def test_every_recorded_case_is_still_run() -> None:
    assert set(CASES) == set(RECORDED)


@pytest.mark.parametrize("name", sorted(RECORDED))
def test_results_are_bit_identical_to_the_recording(name: str) -> None:
    got = CASES[name]()
    want = RECORDED[name]
    assert [p["step"] for p in got] == [p["step"] for p in want]
    for mine, recorded in zip(got, want, strict=True):
        assert mine["arrays"] == recorded["arrays"], f"{name} step {mine['step']}: arrays"
        assert mine["metrics"] == recorded["metrics"], f"{name} step {mine['step']}: metrics"
