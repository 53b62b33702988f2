"""What compare mode trains: the variants of a scene, as configs and the labels that say what
differs ("R1 gamma = 1"). Qt-free, shared by the window and `ganscope export --variant`."""

from __future__ import annotations

from collections.abc import Sequence

from models.config import TrainConfig
from models.engine.changes import label
from models.knobs import KNOB_BY_KEY
from scenes.loader import Scene

MAX_VARIANTS = 8
COMPARE_VIEW = {"view.resolution": 40, "view.arrows": 14, "view.samples": 256}  # small views


def variants_for(
    scene: Scene, pair: Scene | None, kind: str, values: Sequence[object] = (), key: str = ""
) -> tuple[list[TrainConfig], list[str]]:
    """The configs and labels of a comparison: 'fix' (the scene and its pair), 'seeds'
    (the scene on several seeds) or 'values' (one knob at several values)."""
    base = scene.config
    if kind == "fix" and pair is not None:
        configs = [base, pair.config]
        differs = [k for k in base.changes_to(pair.config) if k in KNOB_BY_KEY]
        text = "; ".join(label(k, pair.config.value(k)) for k in differs)
        labels = ["as is", text or pair.config.scene.title]
    elif kind == "seeds":
        seeds = list(values) or [0, 1, 2, 3]
        configs = [base.with_changes({"training.seed": int(s)}) for s in seeds]  # type: ignore[call-overload]
        labels = [f"seed {s}" for s in seeds]
    else:
        configs = [base.with_changes({key: value}) for value in values]
        labels = [label(key, value) for value in values]
    configs = [c.with_changes(COMPARE_VIEW) for c in configs[:MAX_VARIANTS]]
    return configs, labels[:MAX_VARIANTS]
