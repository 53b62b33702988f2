"""The real window, driven by pytest-qt: play, change controls, toggle layers, close."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QMessageBox

from app.main_window import MainWindow
from app.worker import ChangeResult
from scenes.loader import load_scene_file, resolve

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    scene = resolve("sandbox_ring")
    config = scene.config.with_changes({"training.batch": 64, "view.resolution": 24})
    win = MainWindow(type(scene)(scene.name, config, scene.path))
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win._latest is not None, timeout=10000)
    yield win
    win.close()
    assert not win.worker.isRunning()


def wait_step(qtbot, win: MainWindow, at_least: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: win._latest is not None and win._latest.step >= at_least,
                    timeout=15000)


def test_play_draws_every_view_and_pause_stops(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    for name in ("trails", "manifold", "magnitude"):
        window.layer_boxes[name].setChecked(True)
    with qtbot.waitSignal(window.worker.playing_changed, timeout=5000) as playing:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert playing.args == [True]
    wait_step(qtbot, window, 50)
    qtbot.waitUntil(lambda: window.frames_drawn >= 5, timeout=10000)
    qtbot.waitUntil(lambda: window.charts.history.size >= 3, timeout=10000)
    x, _ = window.sample_view.fake.getData()
    assert len(x) == 512  # view.samples, a fixed latent batch
    assert len(window.sample_view.arrows.getData()[0]) == 6 * 20 * 20
    assert len(window.sample_view.trails.getData()[0]) > 0
    assert window.sample_view.image.image.shape == (24, 24)
    with qtbot.waitSignal(window.worker.playing_changed, timeout=5000) as paused:
        window.worker_toggle()
    assert paused.args == [False]
    step = window._latest.step
    qtbot.wait(200)  # paused: nothing more may arrive (a negative check needs a wait)
    assert window._latest.step == step


def test_step_key_runs_one_iteration(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.worker.snapshot_ready, timeout=5000):
        qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window._latest.step == 1, timeout=5000)


def apply_and_wait(qtbot, window: MainWindow, edit) -> ChangeResult:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(window.worker.change_done, timeout=5000) as done:
        edit()
        window.controls.flush()
    return done.args[0]


def test_learning_rate_and_loss_widgets_reach_the_trainer_and_keep_adam_state(
    qtbot, window: MainWindow  # type: ignore[no-untyped-def]
) -> None:
    window.worker.step_once(20)
    wait_step(qtbot, window, 20)
    trainer = window.worker._trainer
    before = {id(p): s["exp_avg"].clone() for p, s in trainer.opt_d.state.items()}
    slider = window.controls.widgets["training.lr_d"]
    result = apply_and_wait(qtbot, window, lambda: slider.box.setValue(3e-4))
    assert result.ok and result.changes == {"training.lr_d": 3e-4}
    assert trainer.opt_d.param_groups[0]["lr"] == 3e-4
    assert all(s["exp_avg"].equal(before[id(p)]) for p, s in trainer.opt_d.state.items())
    combo = window.controls.widgets["training.loss"]
    assert isinstance(combo, QComboBox)
    result = apply_and_wait(qtbot, window, lambda: combo.setCurrentText("hinge"))
    assert result.ok and trainer.config.training.loss == "hinge"
    assert all(s["exp_avg"].equal(before[id(p)]) for p, s in trainer.opt_d.state.items())
    qtbot.waitUntil(lambda: window._latest.config_version == trainer.config_version, timeout=3000)
    assert len(window.charts.markers) == 2 * len(window.charts.plots)  # one marker per change


def test_structural_change_says_it_rebuilt(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    width = window.controls.widgets["generator.width"]
    result = apply_and_wait(qtbot, window, lambda: width.setValue(40))
    assert result.ok and "rebuilt generator" in result.message
    assert "rebuilt generator" in window.message_label.text()


def test_refused_change_snaps_back_and_says_why(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    kind = window.controls.widgets["target.kind"]
    result = apply_and_wait(qtbot, window, lambda: kind.setCurrentText("points"))
    assert not result.ok and "target.file" in result.message
    assert kind.currentText() == "ring"
    assert "Refused" in window.message_label.text()


def test_layers_toggle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = window.sample_view
    window.layer_boxes["arrows"].setChecked(False)
    assert not view.arrows.isVisible()
    window.layer_boxes["magnitude"].setChecked(True)  # replaces the D surface underneath
    assert not window.layer_boxes["surface"].isChecked()
    assert view.image.isVisible() and view.image.image.shape == (24, 24)
    window.layer_boxes["real"].setChecked(False)
    assert not view.real.isVisible()


def test_dirac_scene_shows_phase_portrait(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.load_scene(resolve("sandbox_dirac"))
    qtbot.waitUntil(lambda: window._latest.dirac is not None, timeout=5000)
    window.worker.step_once(30)
    qtbot.waitUntil(lambda: window._latest.step == 30, timeout=5000)
    qtbot.waitUntil(lambda: len(window.phase_view._theta) >= 2, timeout=5000)
    assert window.phase_view.isVisible()
    assert len(window.phase_view.flow.getData()[0]) == 6 * 21 * 21


def test_save_then_open_round_trips_the_controls(
    qtbot, window: MainWindow, tmp_path: Path  # type: ignore[no-untyped-def]
) -> None:
    apply_and_wait(qtbot, window, lambda: window.controls.widgets["regularization.r1_gamma"]
                   .setValue(2.5))
    path = tmp_path / "mine.toml"
    assert window.save_scene_file(path)
    assert load_scene_file(path).config.regularization.r1_gamma == 2.5


def test_bad_scene_file_is_refused_and_current_scene_kept(
    qtbot, window: MainWindow, tmp_path: Path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[-1]))
    bad = tmp_path / "bad.toml"
    bad.write_text("[training]\nlr_d = -1\n")
    assert not window.open_scene_file(bad)
    assert shown and "training.lr_d" in shown[0]
    assert window.config.scene.title.startswith("Sandbox: ring")


def test_presenter_mode_and_help_overlay(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.presenter
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.help.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.help.isVisible()
    window.set_presenter(False)


def test_closing_mid_training_stops_the_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(resolve("sandbox_ring"))
    qtbot.addWidget(win)
    win.show()
    win.worker.play()
    qtbot.waitUntil(lambda: win._latest is not None and win._latest.step > 10, timeout=10000)
    threads_before = threading.active_count()
    win.close()
    assert not win.worker.isRunning()
    assert threading.active_count() <= threads_before
    assert np.isfinite(win._latest.fake).all()
