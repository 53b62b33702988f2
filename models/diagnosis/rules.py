"""The detectors: for each failure, when it applies (the loss, the target), what must hold on
the trailing rows of the metric history, for how long, and the words a lecturer would use.

Every threshold is written once, here, with what it was measured on: seeds 0-19 of the
shipped scenes (rows every 100 iterations, every 5 for the Dirac-GAN, as the scene checks
log them), failure scenes against their fixes and the sandboxes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from models.config import TrainConfig
from models.history import COLUMNS

PROBABILITY_LOSSES = ("ns", "minimax")  # D outputs a probability: 0.5 means "cannot tell"

# Rows before this step are the untrained networks: every run starts with D at 0.5 and W1
# high (1.26 on the ring at step 0, all seeds), which is no failure yet.
WARMUP_STEPS = 100

# Mode collapse. A collapsed ring covers <= 2 modes with 20 samples (ring_collapse: 1-2 on
# 20/20 seeds from step 100), a collapsed grid <= 3 (grid_collapse: 1 from step 0); a mode
# count of total // 8 keeps both. Healthy runs pass through low counts too, but blurred:
# ring_fix_r1 peaks at high quality 0.06-0.15 (by step 1500, 20 seeds) while a collapsed G
# reaches >= 0.3 within 400 steps (ring_collapse, 19/20 seeds by step 1000; 0.5 caught 15:
# the row-to-row value flickers 0-0.95, its max over the window does not). W1 >= 0.8:
# collapsed runs sit at 1.5-1.7 (ring) and 2.3 (grid), healthy ones fall below 0.7 by step
# 400 (ring_fix_r1, lr_just_right) except while still spreading out.
COLLAPSE_SPAN = 400
COLLAPSE_QUALITY = 0.3
FAR_W1 = 0.8
HOPS = 3  # a G that visits 3 different dominant modes within HOP_SPAN is hopping
HOP_SPAN = 800

# Oscillation (Dirac-GAN): a distance to the equilibrium that does not shrink over 300 steps
# (over half an orbit: alternating updates circle with a period of ~500 steps). Alternating
# and WGAN-GP runs keep 1.33-1.45 on every seed, simultaneous ones spiral out (1.41 -> 2.25
# by step 500); R1 shrinks it 40x in 300 steps, the sandbox's plain NS loss by 0.85x per 200
# steps. Instance noise jitters around 0.15-0.5 (its mean over steps 500-1000 is <= 0.6):
# at least 0.5 all through the window, so that jitter is not called an orbit.
ORBIT_SPAN = 300
ORBIT_MIN_DISTANCE = 0.5
NOT_SHRINKING = 0.95  # mean distance of the window's last third / its first third

# Vanishing gradients: minimax's |grad G| falls to 1e-5 by step 100 with D(fake) at 3e-6
# (vanishing_minimax, 20/20 seeds); the non-saturating fix has |grad G| >= 1 there. An
# untrained G has 0.01-0.06, so D must also be sure (D(fake) <= 0.05) before it counts.
VANISHED_GRAD = 1e-2
SURE_FAKE = 0.05

# D overpowers G: D(real) >= 0.95 and D(fake) <= 0.05. A collapsed ring run sits at 0.87 /
# 0.10 (ring_collapse), healthy ones at 0.5-0.8 / 0.2-0.5 (lr_just_right), while a D with
# 10 steps per G step is at 1.0 / 0.0 within 100 steps (balance_too_many_d_steps). A D at
# lr 1e-2 leads like that early in many runs and G catches up (ring_fix_pacgan: 20/20 seeds
# at step 100, 5 held 200 steps): it counts only over a whole window with G's loss climbing
# (2 of those 5 then, vanishing_fix_ns 1 of 3).
SURE_REAL = 0.95
OVERPOWER_SPAN = 200

# D fooled: D within 0.05 of 0.5 on both (the collapsed-to-0.5 D of balance_g_too_strong
# and of lr_too_high's dead runs) while W1 stays >= FAR_W1: a converged run is at 0.5 too
# but with W1 <= 0.3 (ring_fix_r1 from step 400).
UNSURE = 0.05
FOOLED_SPAN = 300

# Too high a learning rate: Adam moves each weight by about lr per step, and at lr_g >= 1e-2
# G's samples jump from row to row (lr_too_high, 3e-2: W1 >= 0.9 from step 1000 on 20/20
# seeds, while 1e-3 learns, lr_just_right). Named only while the run is not learning.
HIGH_LR = 1e-2
HIGH_LR_SPAN = 300

# Divergence: values no healthy run comes near (losses and gradient norms stay < 1e3 in
# every shipped scene; the Dirac-GAN's spiral reaches 2.3 by step 500).
EXPLODED = 1e6

# Weight clipping: >= 1/3 of the critic's weights within 1% of +-c and |grad G| <= 1e-3
# (wgan_clipping: 0.49-0.76 at clip and |grad G| 0-5e-4 from step 200, all seeds).
PINNED = 1 / 3
CLIPPED_GRAD = 1e-3
CLIP_SPAN = 200


class Window:
    """The trailing rows of a history (one row per array row, columns as COLUMNS)."""

    def __init__(self, rows: np.ndarray, config: TrainConfig) -> None:
        self.rows, self.config = rows, config
        self.step = float(rows[-1, 0])

    def col(self, key: str, span: float = 0.0) -> np.ndarray:
        """The values of `key` in rows within `span` steps of the newest, warm-up left out."""
        steps = self.rows[:, 0]
        keep = (steps >= self.step - span) & (steps >= WARMUP_STEPS)
        return self.rows[keep, COLUMNS.index(key)]

    def spans(self, span: float) -> bool:
        """Whether the rows cover the whole span (3 rows at least, none in the warm-up)."""
        steps = self.col("step", span)
        return len(steps) >= 3 and steps[-1] - steps[0] >= span * 0.99

    def last(self, key: str) -> float:
        return float(self.rows[-1, COLUMNS.index(key)])

    def onset(self, rule: Rule) -> int:
        """The first step of the window the rule just held on: where its evidence begins."""
        steps = self.col("step", rule.span)
        return int(steps[0]) if len(steps) else int(self.step)


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else math.nan


def _modes_few(w: Window, span: float) -> tuple[float, float, float] | None:
    """(max modes covered, max high quality, mean W1) when few modes hold samples, the
    samples are sharp at times, and G is far from the data; else None."""
    total = w.last("modes_total")
    if not total >= 4 or not w.spans(span):
        return None
    covered = float(np.nanmax(w.col("modes_covered_20", span)))
    quality = float(np.nanmax(w.col("high_quality", span)))
    far = _mean(w.col("w1", span))
    if covered <= max(2, total // 8) and quality >= COLLAPSE_QUALITY and far >= FAR_W1:
        return covered, quality, far
    return None


def _dominant(w: Window, span: float) -> np.ndarray:
    values = w.col("dominant_mode", span)
    return values[np.isfinite(values)]


def mode_collapse(w: Window) -> str | None:
    few = _modes_few(w, COLLAPSE_SPAN)
    dominant = _dominant(w, HOP_SPAN)
    if few is None or len(set(dominant.tolist())) >= HOPS:
        return None
    covered, quality, far = few
    return (
        f"modes covered {covered:.0f} of {w.last('modes_total'):.0f} for {COLLAPSE_SPAN} "
        f"steps; high quality up to {quality:.2f}; W1 {far:.2f}"
    )


def mode_hopping(w: Window) -> str | None:
    few = _modes_few(w, COLLAPSE_SPAN)
    visited = sorted({int(m) for m in _dominant(w, HOP_SPAN)})
    if few is None or len(visited) < HOPS:
        return None
    return (
        f"modes covered {few[0]:.0f} of {w.last('modes_total'):.0f} at a time, but the "
        f"dominant mode moved among {len(visited)} modes in {HOP_SPAN} steps; W1 {few[2]:.2f}"
    )


def oscillation(w: Window) -> str | None:
    if not w.spans(ORBIT_SPAN):
        return None
    distance = w.col("distance", ORBIT_SPAN)
    third = max(1, len(distance) // 3)
    first, last = float(distance[:third].mean()), float(distance[-third:].mean())
    if not (distance.min() >= ORBIT_MIN_DISTANCE and last >= NOT_SHRINKING * first):
        return None
    trend = "growing" if last > first * 1.02 else "not shrinking"
    return (
        f"distance to the equilibrium {first:.2f} -> {last:.2f} over {ORBIT_SPAN} steps "
        f"({trend}); theta {w.last('theta'):+.2f}, psi {w.last('psi'):+.2f}"
    )


def vanishing_gradients(w: Window) -> str | None:
    grad, fake = w.last("grad_norm_g"), w.last("d_fake")
    if w.step < WARMUP_STEPS or not (grad <= VANISHED_GRAD and fake <= SURE_FAKE):
        return None
    return f"|grad G| {grad:.2g} (vanished below {VANISHED_GRAD:g}); D(fake) {fake:.2g}"


def d_overpowers_g(w: Window) -> str | None:
    real, fake = w.col("d_real", OVERPOWER_SPAN), w.col("d_fake", OVERPOWER_SPAN)
    g_loss = w.col("g_loss", OVERPOWER_SPAN)
    if not w.spans(OVERPOWER_SPAN) or not (real.min() >= SURE_REAL and fake.max() <= SURE_FAKE):
        return None
    if not g_loss[-1] > g_loss[0]:  # G is catching up: D's early lead is not winning
        return None
    return (
        f"D(real) {real[-1]:.3f}, D(fake) {fake[-1]:.3g} for {OVERPOWER_SPAN} steps; "
        f"G's loss climbing {g_loss[0]:.3g} -> {g_loss[-1]:.3g}"
    )


def d_fooled(w: Window) -> str | None:
    if not w.spans(FOOLED_SPAN):
        return None
    real, fake = w.col("d_real", FOOLED_SPAN), w.col("d_fake", FOOLED_SPAN)
    far = _mean(w.col("w1", FOOLED_SPAN))
    unsure = np.abs(np.concatenate([real, fake]) - 0.5).max()
    if not (unsure <= UNSURE and far >= FAR_W1):
        return None
    return f"D(real) {real[-1]:.3f}, D(fake) {fake[-1]:.3f} while W1 stays {far:.2f}"


def lr_too_high(w: Window) -> str | None:
    t = w.config.training
    if not w.spans(HIGH_LR_SPAN):
        return None
    w1 = w.col("w1", HIGH_LR_SPAN)
    jumps = np.abs(np.diff(w1))
    if not (t.lr_g >= HIGH_LR and _mean(w1) >= FAR_W1):
        return None
    return (
        f"G learning rate {t.lr_g:g} (>= {HIGH_LR:g}); W1 {_mean(w1):.2f}, jumping by up to "
        f"{float(jumps.max()):.2f} between rows, not falling"
    )


def divergence(w: Window) -> str | None:
    if w.step <= 0:
        return None
    for key in ("d_loss", "g_loss", "grad_norm_g", "grad_norm_d", "distance"):
        value = w.last(key)
        if key == "distance" and not w.config.is_dirac:
            continue
        if not math.isfinite(value) or abs(value) > EXPLODED:
            return f"{key} = {value:.3g} at step {w.step:.0f}"
    return None


def clipping_saturation(w: Window) -> str | None:
    pinned, grad = w.col("d_weights_at_clip", CLIP_SPAN), w.col("grad_norm_g", CLIP_SPAN)
    if not w.spans(CLIP_SPAN) or not (pinned.min() >= PINNED and grad.max() <= CLIPPED_GRAD):
        return None
    return (
        f"{pinned[-1]:.0%} of the critic's weights pinned at "
        f"+-{w.config.regularization.weight_clip:g}; "
        f"|grad G| {grad[-1]:.2g}"
    )


@dataclass(frozen=True)
class Rule:
    name: str
    part: str  # "D", "G" or "both"
    applies: Callable[[TrainConfig], bool]
    test: Callable[[Window], str | None]  # the evidence when it holds, None otherwise
    span: int  # the trailing steps it looks at
    # How long it must hold before it is named, counted from its window's first step (a
    # windowed rule is named as soon as its window holds), and stop holding before it ends.
    hold_steps: int
    symptom: str
    cause: str

    def holds(self, window: Window) -> str | None:
        return self.test(window)


def _plane(config: TrainConfig) -> bool:
    return not config.is_dirac


def _probability(config: TrainConfig) -> bool:
    return not config.is_dirac and config.training.loss in PROBABILITY_LOSSES


def _adaptive(config: TrainConfig) -> bool:
    t = config.training
    return _plane(config) and {t.optimizer_for("g"), t.optimizer_for("d")} <= {"adam", "rmsprop"}


RULES: tuple[Rule, ...] = (
    Rule(
        "divergence",
        "both",
        lambda c: True,
        divergence,
        0,
        0,
        "The numbers blew up: losses or gradients became huge or not a number, and training "
        "cannot go on.",
        "An update overshot so far that the weights exploded, usually a learning rate too "
        "high for this loss, or nothing bounding D's gradients.",
    ),
    Rule(
        "vanishing_gradients",
        "G",
        _probability,
        vanishing_gradients,
        0,
        100,
        "G's samples stop moving: its gradient has all but vanished while D confidently "
        "rejects every generated sample.",
        "D is so sure that D(G(z)) is near 0, where the saturating loss log(1 - D(G(z))) is "
        "flat: G gets almost no signal to improve.",
    ),
    Rule(
        "clipping_saturation",
        "D",
        lambda c: c.regularization.weight_clip > 0,
        clipping_saturation,
        CLIP_SPAN,
        100,
        "Most of the critic's weights sit pinned at the clipping limit and G's gradient is "
        "tiny: G barely learns.",
        "Weight clipping squeezes the critic into a very simple function; pinned at the "
        "limit, it passes G almost no useful gradient.",
    ),
    Rule(
        "d_overpowers_g",
        "D",
        _probability,
        d_overpowers_g,
        OVERPOWER_SPAN,
        100,
        "D wins outright: it rates real samples near 1 and generated ones near 0, and G "
        "cannot get its samples rated real.",
        "D learns much faster than G (more steps or a higher rate), so G's feedback is "
        "saturated before it can use it.",
    ),
    Rule(
        "d_fooled",
        "D",
        _probability,
        d_fooled,
        FOOLED_SPAN,
        200,
        "D says 0.5 to everything, yet G's samples are still far from the data.",
        "D is too weak or too slow to tell real from generated, so it gives G no direction: "
        "G's steps do not bring it closer.",
    ),
    Rule(
        "lr_too_high",
        "both",
        _adaptive,
        lr_too_high,
        HIGH_LR_SPAN,
        200,
        "Training lurches: G's samples jump from moment to moment and the distance to the "
        "data does not fall.",
        "The steps are too big: each update overshoots, so G and D knock each other off "
        "instead of settling.",
    ),
    Rule(
        "mode_collapse",
        "G",
        _plane,
        mode_collapse,
        COLLAPSE_SPAN,
        100,
        "The generator makes nearly the same few points: most of the data's modes get no "
        "samples, while the ones it makes are sharp.",
        "G found a shortcut that reliably fools D: one spot D rates real. D's gradient "
        "does not push it elsewhere, so it stays.",
    ),
    Rule(
        "mode_hopping",
        "G",
        _plane,
        mode_hopping,
        HOP_SPAN,
        100,
        "G's samples jump from one mode to another: one or two modes hold samples at a "
        "time, and which ones keeps changing.",
        "D learns to reject the mode G sits on, G jumps to one D now rates real, and the "
        "chase repeats: neither settles.",
    ),
    Rule(
        "oscillation",
        "both",
        lambda c: c.is_dirac,
        oscillation,
        ORBIT_SPAN,
        100,
        "G circles around the data instead of settling on it: its distance to the "
        "equilibrium does not shrink.",
        "Each player's update undoes the other's, so they rotate around the equilibrium; "
        "without damping (a penalty, noise) plain gradient play never converges.",
    ),
)
