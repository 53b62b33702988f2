"""The GUI part of `ganscope bench`: the real window, offscreen, all views on.

Measures frames drawn per second, training iterations per second while drawing, the ratio to
headless training of the same scene in the same process (one torch thread, as the worker
uses), and the time from a control change to the first drawn snapshot that reflects it.
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

import torch

from app.views import LAYERS
from scenes.loader import resolve

SCENE = "sandbox_ring"


def _headless_rate(seconds: float) -> float:
    from models.trainer import Trainer

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trainer = Trainer(resolve(SCENE).config)
        trainer.step(20)
        start, steps = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            trainer.step(25)
            steps += 25
        return steps / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(threads)


def _spin(app: Any, seconds: float, until: Any = None) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not (until and until()):
        app.processEvents()
        time.sleep(0.001)


def gui_probe(seconds: float = 5.0) -> dict[str, Any]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow

    headless = _headless_rate(seconds)
    app = QApplication.instance() or QApplication([])
    window = MainWindow(resolve(SCENE))
    window.show()
    for name in LAYERS:
        if name not in ("magnitude", "normalised"):
            window.layer_boxes[name].setChecked(True)
    _spin(app, 10.0, until=lambda: window._latest is not None)
    window.worker.play()
    _spin(app, 1.0)  # warm-up
    frames0, step0, t0 = window._drawn_count, window._latest.step, time.perf_counter()
    _spin(app, seconds)
    elapsed = time.perf_counter() - t0
    fps = (window._drawn_count - frames0) / elapsed
    rate = (window._latest.step - step0) / elapsed
    latencies = []
    for i in range(5):
        version = window._latest.config_version
        start = time.perf_counter()
        window.worker.apply({"training.lr_d": 1e-3 * (0.9 if i % 2 else 1.1)})
        _spin(
            app,
            2.0,
            until=lambda v=version: window._drawn is not None and window._drawn.config_version > v,
        )
        latencies.append((time.perf_counter() - start) * 1000)
        _spin(app, 0.2)
    window.close()
    return {
        "gui_fps": round(fps, 1),
        "gui_train_steps_per_s": round(rate, 1),
        "headless_1thread_steps_per_s": round(headless, 1),
        "gui_train_vs_headless": round(rate / headless, 3),
        "control_latency_ms": round(statistics.median(latencies), 1),
    }
