"""The Qt parts of `ganscope bench`: the real window, offscreen, all views on; and export.

Measures frames drawn per second, training iterations per second while drawing, the ratio to
headless training of the same scene in the same process (one torch thread, as the worker
uses; in slices alternating with the GUI's), the time from a control change to the first
drawn snapshot that reflects it, and the steady-state frames/s of a 1280x720 MP4 export of
the default scene. `--soak` instead keeps the window playing for minutes and samples speed
and memory of both processes, to show that nothing leaks.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from app.views.sample_view import LAYERS
from scenes.loader import resolve

SCENE = "sandbox_ring"
SLICES = 5


class _Headless:
    """The scene trained headless in this process, one torch thread (as the worker uses),
    in slices interleaved with the GUI's."""

    def __init__(self) -> None:
        from models.engine import Trainer

        self._trainer = Trainer(resolve(SCENE).config)
        self.steps, self.seconds = 0, 0.0
        self.run(0.2)  # warm-up, not counted
        self.steps, self.seconds = 0, 0.0

    def run(self, seconds: float) -> None:
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                self.steps += self._trainer.step(25)
            self.seconds += time.perf_counter() - start
        finally:
            torch.set_num_threads(threads)


def _spin(app: Any, seconds: float, until: Any = None) -> None:
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline and not (until and until()):
        app.processEvents()
        time.sleep(0.001)


def _window_with_every_view(scene_name: str = SCENE) -> tuple[Any, Any]:
    """The real window, offscreen, every layer on but the alternatives (magnitude instead of
    the surface, arrows of one length), once its first snapshot is in."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from app.window.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    window = MainWindow(resolve(scene_name))
    window.show()
    for name in LAYERS:
        if name not in ("magnitude", "normalised"):
            window.parts.layers_box.boxes[name].setChecked(True)
    _spin(app, 20.0, until=lambda: window.model.latest is not None)
    return app, window


def gui_probe(seconds: float = 5.0) -> dict[str, Any]:
    headless = _Headless()
    app, window = _window_with_every_view()
    # GUI and headless slices alternate: this machine's speed drifts by more than the effect
    # being measured, and interleaving makes both sides see the same drift
    frames = steps = 0
    gui_seconds = 0.0
    for _ in range(SLICES):
        window.worker.play()
        _spin(app, 0.3)  # the pipeline fills, not counted
        frames0, step0, t0 = (
            window.frames.frames_drawn,
            window.model.latest.step,
            time.perf_counter(),
        )
        _spin(app, seconds / SLICES)
        gui_seconds += time.perf_counter() - t0
        frames += window.frames.frames_drawn - frames0
        steps += window.model.latest.step - step0
        window.worker.pause()
        _spin(app, 0.2, until=lambda: not window.model.playing)
        headless.run(seconds / SLICES)
    fps, rate = frames / gui_seconds, steps / gui_seconds
    window.worker.play()
    latencies = []
    for i in range(5):
        version = window.model.latest.config_version
        start = time.perf_counter()
        window.worker.apply({"training.lr_d": 1e-3 * (0.9 if i % 2 else 1.1)})
        _spin(
            app,
            2.0,
            until=lambda v=version: (
                window.frames.drawn.get(0) is not None
                and window.frames.drawn.get(0).config_version > v
            ),
        )
        latencies.append((time.perf_counter() - start) * 1000)
        _spin(app, 0.2)
    window.close()
    headless_rate = headless.steps / headless.seconds
    return {
        "gui_fps": round(fps, 1),
        "gui_train_steps_per_s": round(rate, 1),
        "headless_1thread_steps_per_s": round(headless_rate, 1),
        "gui_train_vs_headless": round(rate / headless_rate, 3),
        "control_latency_ms": round(statistics.median(latencies), 1),
    }


def _drawn_rate(app: Any, window: Any, seconds: float) -> tuple[float, float]:
    """Frames drawn and training iterations per second while `window` plays."""
    window.worker.play()
    _spin(app, 1.0)  # the pipeline fills, not counted
    frames0, t0 = window.frames_drawn, time.perf_counter()
    step0 = window.status.step.text()
    _spin(app, seconds)
    elapsed = time.perf_counter() - t0
    window.worker.pause()
    steps = _step_of(window.status.step.text()) - _step_of(step0)
    return (window.frames_drawn - frames0) / elapsed, steps / elapsed


def _step_of(label: str) -> int:
    return int(label.split()[-1].replace(",", ""))


def lecture_probe(seconds: float = 5.0) -> dict[str, Any]:
    """The lecture's two heavy cases: presenter mode at 1920x1080 with every view on, and
    compare mode with 4 variants (ring collapse on 4 seeds) at 1920x1080."""
    report = {}
    for case in ("presenter", "compare"):
        app, window = _window_with_every_view("ring_collapse")
        if case == "presenter":
            window.model.set_presenter(True)
        else:
            window.start_compare("seeds")
            _spin(app, 20.0, until=lambda w=window: len(w.model.comparing) == 4)
        window.setGeometry(0, 0, 1920, 1080)  # (an offscreen screen is smaller)
        _spin(app, 0.5)
        fps, rate = _drawn_rate(app, window, seconds)
        report[f"{case}_1080p_fps"] = round(fps, 1)
        report[f"{case}_1080p_steps_per_s"] = round(rate, 1)
        window.close()
    return report


def soak_probe(seconds: float, samples: int = 10) -> dict[str, Any]:
    """The real window playing the default scene, all views on, for `seconds`: training
    iterations/s and the resident memory (MB) of the window's process and the training process,
    each sampled `samples` times. Growth is counted from the first sample, after a warm-up
    (allocator pools and caches fill once; a leak keeps growing), as percent of that sample."""
    import psutil

    app, window = _window_with_every_view()
    gui, child = psutil.Process(), psutil.Process(window.worker.process_id)
    window.worker.play()
    _spin(app, min(30.0, seconds / samples))  # warm-up, not counted
    rates, gui_mb, child_mb = [], [], []
    step, start = window.model.latest.step, time.perf_counter()
    for _ in range(samples):
        _spin(app, seconds / samples)
        now = time.perf_counter()
        rates.append(round((window.model.latest.step - step) / (now - start), 1))
        step, start = window.model.latest.step, now
        gui_mb.append(round(gui.memory_info().rss / 2**20, 1))
        child_mb.append(round(child.memory_info().rss / 2**20, 1))
    window.close()
    return {
        "soak_seconds": seconds,
        "soak_steps_per_s": rates,
        "soak_rss_gui_mb": gui_mb,
        "soak_rss_training_mb": child_mb,
        "soak_rss_gui_growth_pct": _growth(gui_mb),
        "soak_rss_training_growth_pct": _growth(child_mb),
        # the second half: after the timeline's checkpoints filled their budget (64 MB)
        "soak_rss_gui_growth_second_half_pct": _growth(gui_mb[samples // 2 :]),
        "soak_rss_training_growth_second_half_pct": _growth(child_mb[samples // 2 :]),
        "soak_speed_change_pct": _growth(rates),
    }


def _growth(series: list[float]) -> float:
    return round(100 * (series[-1] - series[0]) / series[0], 1)


def export_probe(frames: int = 60) -> dict[str, Any]:
    """Frames/s of `ganscope export SCENE --out x.mp4` (1280x720, all default panels), from
    the first frame to the last (start-up excluded), with a frame every 10 iterations (the
    default) and every iteration (drawing and encoding dominate)."""
    from app.export.options import build_options
    from app.export.run import export_scene

    scene = resolve(SCENE)
    report = {}
    for every, key in ((10, "export_fps"), (1, "export_fps_every_1")):
        times: list[float] = []
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "bench.mp4"
            options = build_options(str(out), (frames - 1) * every, every=every)
            export_scene(scene.config, scene.base_dir, options, _stamp(times))
        report[key] = round((len(times) - 2) / (times[-1] - times[1]), 1)
    return report


def _stamp(times: list[float]) -> Any:
    return lambda *_: times.append(time.perf_counter())


def drawn_version(window: Any) -> int:
    """The settings version of the first run's picture on screen (-1: none yet)."""
    drawn = window.frames.drawn.get(0)
    return drawn.config_version if drawn is not None else -1
