"""Live changes between iterations: each changed knob does what its effect in the knob table
says (models/knobs.py), and the report says it in words for the status bar and the charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from models.config import TrainConfig
from models.engine.revive import D_FIX_KEYS, revive_dead_units
from models.engine.state import RunState
from models.knobs import KNOB_BY_KEY, Effect
from models.targets import build_target


@dataclass(frozen=True)
class ApplyReport:
    """What a change did, so the UI can say so."""

    changed: tuple[str, ...]
    rebuilt: tuple[str, ...] = ()
    reset: bool = False
    labels: tuple[str, ...] = ()  # "R1 gamma = 1" per changed key, for markers and messages
    revived: int = 0  # D's dead ReLU units re-drawn (see revive.py)

    @property
    def message(self) -> str:
        what = ", ".join(self.labels or self.changed)
        if self.reset:
            return f"{what}: restarted training from step 0"
        if self.rebuilt:
            return f"{what}: rebuilt " + " and ".join(self.rebuilt)
        if self.revived:
            return f"{what} (optimizer state kept; D's {self.revived} dead units re-initialised)"
        return f"{what} (optimizer state kept)"


def effect_of(key: str) -> Effect:
    knob = KNOB_BY_KEY.get(key)
    if knob is not None:
        return knob.effect
    if key.startswith("target."):
        return "target"
    return "view" if key.startswith(("view.", "scene.")) else "hot"


def label(key: str, value: Any) -> str:
    """'R1 gamma = 1': the knob's own name and a readable value."""
    knob = KNOB_BY_KEY.get(key)
    if knob is None:
        name = key.split(".")[-1]
        if name == "points" and isinstance(value, list | tuple):  # drawn or loaded data
            return f"data: {len(value):,} points"
        return f"{name} = {readable(value)}"
    return f"{knob.label} = {knob.format_value(value)}"


def readable(value: Any) -> str:
    """Floats to 3 significant digits, in tuples too: a drawn target's bounds once read
    '(-2.5749999284744263, ...' in the status bar."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return "(" + ", ".join(readable(v) for v in value) + ")"
    return str(value)


def apply_changes(run: RunState, new: TrainConfig, changed: tuple[str, ...]) -> ApplyReport:
    """Move `run` to the validated config `new`; `changed` are the keys whose value differs.
    Returns reset=True, and leaves `run` alone, when the run must start again from step 0
    (seed, device, to or from the Dirac-GAN): the caller builds a new one."""
    old = run.config
    labels = tuple(label(k, new.value(k)) for k in changed)
    if not changed:
        run.config = new
        return ApplyReport(())
    effects = {effect_of(k) for k in changed}
    if "restart" in effects or old.is_dirac != new.is_dirac:
        return ApplyReport(changed, reset=True, labels=labels)
    if "target" in effects:
        build_target(new.target, run.base_dir)  # a bad point file is refused here, unchanged
    run.config = new
    rebuilt = []
    if "target" in effects:
        run.build_target()
        rebuilt.append("target data")
    if "generator" in effects:
        run.build_generator()
        rebuilt.append("generator")
    elif old.training.optimizer_for("g") != new.training.optimizer_for("g"):
        run.build_optimizer("g")
        rebuilt.append("G's optimizer")
    if "discriminator" in effects:
        run.build_discriminator()
        rebuilt.append("discriminator")
    elif old.training.optimizer_for("d") != new.training.optimizer_for("d"):
        run.build_optimizer("d")
        rebuilt.append("D's optimizer")
    if "training.batch" in changed:
        run.redraw_probe_batches()
    if "view.samples" in changed:
        run.redraw_view_latents()
    run.retune()
    revived = 0
    if "discriminator" not in effects and D_FIX_KEYS.intersection(changed):
        revived = revive_dead_units(run)  # a fix on D does nothing where D is dead
    return ApplyReport(changed, tuple(rebuilt), labels=labels, revived=revived)
