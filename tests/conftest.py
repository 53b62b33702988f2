"""Shared test set-up: headless Qt, one CPU thread budget, small fast configs."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

from typing import Any

import pytest
import torch

from models.config import TrainConfig, parse_config

# One torch thread, as the training process and `calibrate` use: results do not depend on
# how many cores the machine has, and two threads spinning on a busy 2-core machine once
# took 456 s over a 5,000-step claim that takes 8 s on one.
torch.set_num_threads(1)


def small_config(**sections: dict[str, Any]) -> TrainConfig:
    """A quick-to-train config (2x32 nets, batch 64) with the given sections overridden."""
    data: dict[str, Any] = {
        "generator": {"depth": 2, "width": 32},
        "discriminator": {"depth": 2, "width": 32},
        "training": {"batch": 64, "device": "cpu"},
        "view": {"resolution": 16, "arrows": 8, "samples": 64},
    }
    for name, values in sections.items():
        data.setdefault(name, {}).update(values)
    return parse_config(data)


@pytest.fixture
def small() -> Any:
    return small_config


@pytest.fixture
def diverging() -> list[str]:
    """--set flags that make the default scene blow up within a few steps (WGAN, SGD, lr 5)."""
    return [
        *("--set", "training.loss=wgan", "--set", "training.optimizer=sgd"),
        *("--set", "training.lr_d=5", "--set", "training.lr_g=5"),
    ]


# The window remembers its geometry (QSettings) and autosaves sessions: tests must not read
# or write a user's.
for _variable, _folder in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data")):
    os.environ[_variable] = os.path.join(
        os.environ.get("TMPDIR", "/tmp"), f"ganscope-test-{_folder}-{os.getpid()}"
    )


# The first snapshot comes from a fresh process that imports torch: 5-10 s on an idle 2-core
# machine, several times that when the machine is busy. waitUntil returns as soon as it comes.
ENGINE_START_MS = 60_000


def wait_event(qtbot: Any, window: Any, kind: type, timeout: int = 5000) -> Any:
    """A block that waits for the training process's next event of this kind (the worker's
    one `events` signal); `.args[0]` is the event."""
    return qtbot.waitSignal(
        window.worker.events, timeout=timeout, check_params_cb=lambda event: isinstance(event, kind)
    )


def open_small_window(qtbot: Any, scene_name: str = "sandbox_ring", **changes: Any) -> Any:
    """The real window on a scene made quick to train (batch 64, a coarse surface), shown,
    once its training process has sent the first snapshot. The caller closes it."""
    from app.window.main_window import MainWindow
    from scenes.loader import resolve

    scene = resolve(scene_name)
    quick = {"training.batch": 64, "view.resolution": 24, **changes}
    window = MainWindow(type(scene)(scene.name, scene.config.with_changes(quick), scene.path))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.latest is not None, timeout=ENGINE_START_MS)
    return window
