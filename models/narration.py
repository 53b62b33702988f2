"""What each phase of an iteration does, in one line a lecturer could say aloud, and each
loss's formula. Slow motion shows the line under the data view; the model overview draws the
formulas. Written from the config, so it is right for every loss, regularizer, d_steps > 1,
simultaneous updates and unrolled D."""

from __future__ import annotations

from models.config import TrainConfig

# (D's loss, G's loss) per loss kind, on D's output D(.): a probability for ns and minimax,
# a raw score otherwise (models/objectives.py is the code these describe)
LOSS_FORMULAS = {
    "ns": ("−log D(x) − log(1 − D(G(z)))", "−log D(G(z))"),
    "minimax": ("−log D(x) − log(1 − D(G(z)))", "log(1 − D(G(z)))"),
    "wgan": ("D(G(z)) − D(x)", "−D(G(z))"),
    "wgan-gp": ("D(G(z)) − D(x)", "−D(G(z))"),
    "hinge": ("max(0, 1 − D(x)) + max(0, 1 + D(G(z)))", "−D(G(z))"),
    "lsgan": ("½(D(x) − 1)² + ½D(G(z))²", "½(D(G(z)) − 1)²"),
}


def d_formula(config: TrainConfig) -> str:
    """D's loss with the penalties that are on, as D minimises it."""
    formula = LOSS_FORMULAS[config.training.loss][0]
    if config.gradient_penalty > 0:
        formula += f" + {config.gradient_penalty:g}·(‖∇D(x̂)‖ − 1)²"
    if config.regularization.r1_gamma > 0:
        formula += f" + {config.regularization.r1_gamma / 2:g}·‖∇D(x)‖²"
    return formula


def g_formula(config: TrainConfig) -> str:
    formula = LOSS_FORMULAS[config.training.loss][1]
    if config.regularization.unrolled_steps > 0:
        formula += f", D unrolled {config.regularization.unrolled_steps} steps"
    return formula


def judge(config: TrainConfig) -> str:
    """'D' or 'the critic': WGAN's D scores, it does not classify."""
    return "the critic" if config.training.loss in ("wgan", "wgan-gp") else "D"


def narrate(kind: str, index: int, count: int, loss: float | None, config: TrainConfig) -> str:
    """One line for the phase just completed (models/engine/step.py's PhaseKind)."""
    t, r = config.training, config.regularization
    d = judge(config)
    d_head = f"D update {index + 1} of {count}" if count > 1 else "D update"
    g_head = f"G update {index + 1} of {count}" if count > 1 else "G update"
    noise = ", blurred by instance noise" if r.instance_noise > 0 else ""
    shown = "" if loss is None else f" = {loss:.3g}"
    lines = {
        "d_real": f"{d_head}: {d} looks at {t.batch} real samples (ringed in blue){noise}.",
        "d_fake": f"{d_head}: {d} looks at {t.batch} of G's samples too (ringed in orange){noise}.",
        "d_loss": f"{d_head}: {d}'s loss {d_formula(config)}{shown}.",
        "d_step": f"{d_head}: {d} raises its score on real samples and lowers it on the "
        "generated ones: the background shifts.",
        "g_fake": f"{g_head}: G makes {t.batch} samples from fresh noise.",
        "g_unroll": f"{g_head}: G looks {r.unrolled_steps} D updates ahead, to answer the D "
        "it would face after D's reply.",
        "g_loss": f"{g_head}: G's loss {g_formula(config)}{shown}.",
        "g_step": f"{g_head}: G moves its samples along the arrows, towards where {d} scores "
        "them as real: the dots glide.",
        "real": f"Both at once: {t.batch} real samples (ringed in blue){noise}.",
        "fake": f"Both at once: {t.batch} of G's samples (ringed in orange).",
        "losses": "Both at once: each player's gradient is taken at the same point "
        f"(D: {d_formula(config)}; G: {g_formula(config)}).",
        "step": f"Both at once: {d} shifts its scores and G moves its samples, in the same "
        "step, neither seeing the other's move.",
    }
    return lines[kind]
