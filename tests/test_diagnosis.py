"""The doctor (models/diagnosis): each detector names its failure and stays quiet on a
healthy run; each failure scene is diagnosed with the finding it declares, by its step; fix
scenes and sandboxes raise none. Fast checks on synthetic rows and on one seed run by
default; the sweeps over seeds 0-19 (the figures behind the thresholds) with `-m soak`.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from models.config import ConfigError, TrainConfig
from models.diagnosis.doctor import Doctor, Finding, diagnose
from models.diagnosis.fixes import prescribe
from models.diagnosis.names import FINDING_NAMES
from models.diagnosis.rules import RULES
from models.history import MetricHistory
from scenes.checks import run_scene, run_seeds
from scenes.loader import Scene, library, parse_scene_text

SCENES = {scene.name: scene for scene in library()}
FAILURES = [s for s in SCENES.values() if s.config.diagnosis]
# fix scenes and healthy sandboxes: the doctor must stay quiet on them
QUIET = [s for s in SCENES.values() if s.config.scene.role in ("fix", "sandbox")]
SEEDS = range(20)
MUST_HOLD = 19  # of 20 seeds, as the issue asks
# How far the quiet scenes were measured (seeds 0-19): 1,500 iterations, 1,000 for the
# Dirac-GAN (it settles or circles within a few hundred).
QUIET_STEPS, QUIET_DIRAC_STEPS = 1500, 1000
MAX_WORDS = 40
# Quiet scenes where the doctor is right to speak on some seeds, measured on seeds 0-19:
# packing fixes the collapse (its lesson), but D at lr 1e-2 wins outright early on seeds 9
# and 10 (D(real) >= 0.95, D(fake) <= 0.05 and G's loss climbing for 300 steps).
QUIET_ON = {"ring_fix_pacgan": 18}
# Fix scenes whose fix leaves a true finding standing (measured on seeds 0-19, 1,500 steps);
# the sweep checks that nothing else is raised. The minibatch "partial fix" keeps D at lr 1e-2:
# it wins outright on 20/20 (seed 0: D(real) 0.964, D(fake) 0.004, G's loss 5.3 -> 5.8). The
# non-saturating loss ends the vanishing gradient, and G then sits on one mode (16/20; its
# story says so). The unrolled fix keeps the chasing scene's slow D (lr_d 1e-4): D says 0.5
# while W1 stays ~1.0 over steps 100-800 before unrolling lets G settle (16/20).
LEFT_STANDING = {
    "ring_fix_minibatch": {"d_overpowers_g"},
    "vanishing_fix_ns": {"mode_collapse"},
    "ring_fix_unrolled": {"d_fooled"},
}

RING = TrainConfig()
HEALTHY = {
    "d_loss": 1.3,
    "g_loss": 0.8,
    "d_real": 0.55,
    "d_fake": 0.45,
    "grad_norm_g": 1.0,
    "grad_norm_d": 1.0,
    "modes_covered": 8,
    "modes_covered_20": 8,
    "modes_total": 8,
    "high_quality": 0.8,
    "dominant_mode": 3,
    "w1": 0.15,
}


def history(rows: int, every: int = 100, **columns: Any) -> MetricHistory:
    """A run of `rows` rows, healthy but for `columns` (a value, or a function of the row)."""
    result = MetricHistory()
    for index in range(rows):
        row = dict(HEALTHY, step=index * every)
        for key, value in columns.items():
            row[key] = value(index) if callable(value) else value
        result.append(row)
    return result


def names(findings: list[Finding]) -> set[str]:
    return {finding.name for finding in findings}


def dirac() -> TrainConfig:
    return RING.with_changes({"target.kind": "dirac", "training.optimizer": "sgd"})


# ----------------------------------------------------------------- each detector, on rows
COLLAPSED: dict[str, Any] = {
    "modes_covered_20": 1,
    "high_quality": lambda i: 0.9 if i % 2 else 0.05,
    "w1": 1.6,
}


@pytest.mark.parametrize(
    ("name", "config", "columns"),
    [
        ("mode_collapse", RING, COLLAPSED),
        ("mode_hopping", RING, dict(COLLAPSED, dominant_mode=lambda i: i // 2 % 8)),
        ("vanishing_gradients", RING, {"grad_norm_g": 1e-5, "d_fake": 1e-6, "d_real": 0.99}),
        ("d_overpowers_g", RING, {"d_real": 0.99, "d_fake": 0.01, "g_loss": lambda i: 2 + i}),
        ("d_fooled", RING, {"d_real": 0.5, "d_fake": 0.5, "w1": 1.2}),
        (
            "lr_too_high",
            RING.with_changes({"training.lr_g": 3e-2, "training.lr_d": 3e-2}),
            {"w1": lambda i: 1.6 + 0.3 * (i % 2), "modes_covered_20": 0, "high_quality": 0.0},
        ),
        ("divergence", RING, {"g_loss": lambda i: math.inf if i >= 5 else 0.8}),
        (
            "clipping_saturation",
            RING.with_changes({"training.loss": "wgan", "regularization.weight_clip": 0.01}),
            {"d_weights_at_clip": 0.7, "grad_norm_g": 1e-4},
        ),
        (
            "oscillation",
            dirac(),
            {"distance": 1.41, "theta": lambda i: math.cos(i / 8), "psi": 0.5},
        ),
    ],
)
def test_each_detector_names_its_failure_and_not_a_healthy_run(
    name: str, config: TrainConfig, columns: dict[str, Any]
) -> None:
    findings = diagnose(history(12, every=50 if config.is_dirac else 100, **columns), config)
    assert name in names(findings)
    found = next(f for f in findings if f.name == name)
    assert found.until is None and 0.5 <= found.confidence <= 1.0 and found.evidence
    healthy = {"distance": lambda i: 1.41 * 0.8**i} if config.is_dirac else {}
    assert diagnose(history(12, every=50 if config.is_dirac else 100, **healthy), config) == []


def test_every_finding_has_a_detector_and_short_plain_words() -> None:
    assert {rule.name for rule in RULES} == set(FINDING_NAMES)
    for rule in RULES:
        assert len(rule.symptom.split()) <= MAX_WORDS, rule.name
        assert len(rule.cause.split()) <= MAX_WORDS, rule.name


def test_a_finding_ends_when_its_failure_stops() -> None:
    collapsed_then_healed = history(
        20,
        modes_covered_20=lambda i: 1 if i < 10 else 8,
        high_quality=0.9,
        w1=lambda i: 1.6 if i < 10 else 0.15,
    )
    (finding,) = diagnose(collapsed_then_healed, RING)
    assert finding.name == "mode_collapse" and finding.since == 100
    assert finding.until == 1000


def test_an_untrained_run_at_step_0_is_no_finding() -> None:
    # every run starts with D at 0.5 and W1 far: fooled-looking, but nothing has trained yet
    start = history(2, every=50, d_real=0.5, d_fake=0.5, w1=1.26, modes_covered_20=0)
    assert diagnose(start, RING) == []


# ----------------------------------------------------------------- incremental use
def test_row_by_row_updates_find_what_one_pass_finds_and_a_branch_starts_over() -> None:
    full = history(30, **COLLAPSED)
    doctor, growing = Doctor(RING), MetricHistory()
    for row in full.rows():
        growing.append(row)
        doctor.update(growing)
    assert doctor.findings == diagnose(full, RING) and doctor.findings
    growing.branch_at(200)  # back to step 200: the collapse had not been named yet
    assert doctor.update(growing) == diagnose(growing, RING) == []


def test_fixes_are_knob_changes_the_config_accepts() -> None:
    for scene in FAILURES:
        config = scene.config
        for rule in (r for r in RULES if r.applies(config)):
            fixes, no_fix = prescribe(rule.name, config)
            assert fixes or no_fix, (scene.name, rule.name)
            for fix in fixes:
                changed = config.with_changes(fix.changes)
                assert config.changes_to(changed) == fix.changes and fix.label


def test_a_fix_in_effect_is_not_offered_again() -> None:
    fixed = RING.with_changes({"regularization.r1_gamma": 1.0})
    (finding,) = diagnose(history(12, **COLLAPSED), fixed)
    assert "regularization.r1_gamma" not in finding.fixes[0].changes


def test_vanishing_gradients_under_the_ns_loss_says_no_fix_is_measured() -> None:
    (finding, *_) = diagnose(history(6, grad_norm_g=1e-5, d_fake=1e-6, d_real=0.9), RING)
    assert finding.name == "vanishing_gradients" and not finding.fixes
    assert "already in use" in finding.no_fix


# ----------------------------------------------------------------- scene declarations
def test_declared_diagnosis_names_are_checked() -> None:
    bad = '[scene]\nrole = "failure"\n[[diagnosis]]\nname = "mode_colapse"\nby = 500\n'
    with pytest.raises(ConfigError, match="mode_collapse"):
        parse_scene_text(bad)
    on_a_fix = '[scene]\nrole = "fix"\n[[diagnosis]]\nname = "mode_collapse"\n'
    with pytest.raises(ConfigError, match="only a failure scene"):
        parse_scene_text(on_a_fix)


def diagnosed_by(scene: Scene, run: MetricHistory, seed: int) -> bool:
    """Whether the doctor, reading the rows up to the declared step, names the finding."""
    declared = scene.config.diagnosis[0]
    early = MetricHistory()
    for row in run.rows():
        if row["step"] <= declared.by:
            early.append(row)
    config = scene.config.with_changes({"training.seed": seed})
    return declared.name in names(diagnose(early, config))


@pytest.mark.parametrize("scene", FAILURES, ids=lambda s: s.name)
def test_failure_scene_is_diagnosed_by_its_step(scene: Scene) -> None:
    seed = scene.config.training.seed
    run = run_scene(scene, seed, scene.config.diagnosis[0].by)
    assert diagnosed_by(scene, run, seed), [f.describe() for f in diagnose(run, scene.config)]


@pytest.mark.parametrize(
    "name", ["dirac_r1", "dirac_instance_noise", "sandbox_dirac", "vanishing_fix_ns"]
)
def test_quick_fix_and_sandbox_scenes_raise_no_finding(name: str) -> None:
    scene = SCENES[name]
    steps = 300 if name == "vanishing_fix_ns" else QUIET_DIRAC_STEPS
    run = run_scene(scene, scene.config.training.seed, steps)
    assert diagnose(run, scene.config) == []


# The sweeps over seeds 0-19 are the calibration behind the thresholds (30 scenes x 20 seeds:
# about 45 minutes on two cores, over CI's budget); run them by hand with `-m soak`.
@pytest.mark.soak
@pytest.mark.parametrize("scene", FAILURES, ids=lambda s: s.name)
def test_failure_scene_is_diagnosed_on_19_of_20_seeds(scene: Scene) -> None:
    runs = run_seeds(scene, SEEDS, scene.config.diagnosis[0].by)
    missed = [s for s, run in zip(SEEDS, runs, strict=True) if not diagnosed_by(scene, run, s)]
    assert len(SEEDS) - len(missed) >= MUST_HOLD, f"not diagnosed on seeds {missed}"


@pytest.mark.soak
@pytest.mark.parametrize("scene", QUIET, ids=lambda s: s.name)
def test_fix_and_sandbox_scenes_raise_no_finding_on_19_of_20_seeds(scene: Scene) -> None:
    steps = QUIET_DIRAC_STEPS if scene.config.is_dirac else QUIET_STEPS
    runs = run_seeds(scene, SEEDS, steps)
    standing = LEFT_STANDING.get(scene.name, set())
    alarms = {
        seed: sorted(
            names(diagnose(run, scene.config.with_changes({"training.seed": seed}))) - standing
        )
        for seed, run in zip(SEEDS, runs, strict=True)
    }
    alarms = {seed: found for seed, found in alarms.items() if found}
    assert len(SEEDS) - len(alarms) >= QUIET_ON.get(scene.name, MUST_HOLD), f"alarms: {alarms}"
