"""The real window, driven by pytest-qt: play, change controls, toggle layers, close."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from conftest import ENGINE_START_MS, open_small_window, wait_event
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QMessageBox, QPushButton

from app import plain_text
from app.process.autosave import autosave_path
from app.window.main_window import MainWindow
from models.messages import ChangeResult, PlayingChanged, RunStarted, SnapshotReady
from models.session_file import load_session
from scenes.loader import load_scene_file, resolve

pytestmark = pytest.mark.usefixtures("qapp", "no_modal_boxes")


@pytest.fixture
def no_modal_boxes(monkeypatch: pytest.MonkeyPatch) -> list[tuple[object, ...]]:
    """A modal message box would wait for a click that never comes: record them instead."""
    shown: list[tuple[object, ...]] = []
    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *args, **_: shown.append(args))
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **_: QMessageBox.StandardButton.Yes)

    def answer(box: QMessageBox) -> int:  # the app's plain-text boxes (app/plain_text.py)
        shown.append((box.windowTitle(), box.text()))
        return int(QMessageBox.StandardButton.Yes)

    monkeypatch.setattr(plain_text, "exec_box", answer)
    return shown


@pytest.fixture
def window(qtbot) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    win = open_small_window(qtbot)
    qtbot.waitUntil(lambda: win.frames_drawn >= 1, timeout=5000)  # the views hold a snapshot
    yield win
    win.close()
    assert not win.worker.isRunning()


def wait_step(qtbot, win: MainWindow, at_least: int) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(
        lambda: win.model.latest is not None and win.model.latest.step >= at_least, timeout=15000
    )


def test_play_draws_every_view_and_pause_stops(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    for name in ("trails", "manifold", "magnitude"):
        window.parts.layers_box.boxes[name].setChecked(True)
    with wait_event(qtbot, window, PlayingChanged) as playing:
        qtbot.keyClick(window, Qt.Key.Key_Space)
    assert playing.args[0].playing is True
    wait_step(qtbot, window, 50)
    qtbot.waitUntil(lambda: window.frames_drawn >= 5, timeout=10000)
    qtbot.waitUntil(lambda: window.parts.charts.history.size >= 3, timeout=10000)
    x, _ = window.parts.sample_view.fake.getData()
    assert len(x) == 512  # view.samples, a fixed latent batch
    assert len(window.parts.sample_view.arrows.getData()[0]) == 6 * 20 * 20
    assert len(window.parts.sample_view.trails.getData()[0]) > 0
    assert window.parts.sample_view.image.image.shape == (24, 24)
    with wait_event(qtbot, window, PlayingChanged) as paused:
        window.toggle_play()
    assert paused.args[0].playing is False
    step = window.model.latest.step
    qtbot.wait(200)  # paused: nothing more may arrive (a negative check needs a wait)
    assert window.model.latest.step == step


@pytest.mark.parametrize("field", ["seed", "learning rate"])
def test_space_plays_while_a_number_field_has_focus(qtbot, window: MainWindow, field: str) -> None:  # type: ignore[no-untyped-def]
    box = (
        window.training_bar.seed
        if field == "seed"
        else window.parts.controls.findChildren(QDoubleSpinBox)[0]
    )
    box.setFocus()
    with wait_event(qtbot, window, PlayingChanged) as playing:
        qtbot.keyClick(box, Qt.Key.Key_Space)
    assert playing.args[0].playing is True
    with wait_event(qtbot, window, PlayingChanged):
        window.toggle_play()


def test_step_key_runs_one_iteration(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    with wait_event(qtbot, window, SnapshotReady):
        qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.model.latest.step == 1, timeout=5000)


def apply_and_wait(qtbot, window: MainWindow, edit) -> ChangeResult:  # type: ignore[no-untyped-def]
    with wait_event(qtbot, window, ChangeResult) as done:
        edit()
        window.parts.controls.flush()
    return done.args[0]


def test_learning_rate_and_loss_widgets_reach_the_trainer_and_keep_adam_state(
    qtbot,
    window: MainWindow,  # type: ignore[no-untyped-def]
) -> None:
    window.worker.step_once(20)
    wait_step(qtbot, window, 20)
    slider = window.parts.controls.widgets["training.lr_d"]
    result = apply_and_wait(qtbot, window, lambda: slider.box.setValue(3e-4))
    assert result.ok and result.changes == {"training.lr_d": 3e-4}
    assert result.config.training.lr_d == 3e-4  # the trainer's own config, sent back
    assert result.optimizer_steps == (20, 20)  # Adam's state survived the change
    combo = window.parts.controls.widgets["training.loss"]
    assert isinstance(combo, QComboBox)
    result = apply_and_wait(qtbot, window, lambda: combo.setCurrentText("hinge"))
    assert result.ok and result.config.training.loss == "hinge"
    assert result.optimizer_steps == (20, 20)
    qtbot.waitUntil(lambda: window.model.latest.config_version == 2, timeout=3000)
    assert window.model.latest.surface_label == "D(x) score"  # hinge: a critic score, drawn so
    labels = [m.label for m in window.parts.charts.history.markers]
    assert labels == ["D learning rate = 0.0003", "Loss = hinge"]  # one readable marker each
    assert len(window.parts.charts.markers) == 2 * len(
        window.parts.charts.shown
    )  # on every chart shown


def test_structural_change_says_it_rebuilt(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    width = window.parts.controls.widgets["generator.width"]
    window.worker.step_once(5)
    wait_step(qtbot, window, 5)
    result = apply_and_wait(qtbot, window, lambda: width.setValue(40))
    assert result.ok and "rebuilt generator" in result.message
    assert result.optimizer_steps == (0, 5)  # G's optimizer is new, D's kept
    assert "rebuilt generator" in window.status.message.text()


def test_refused_change_snaps_back_and_says_why(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    kind = window.parts.controls.widgets["target.kind"]
    result = apply_and_wait(qtbot, window, lambda: kind.setCurrentText("points"))
    assert not result.ok and "target.file" in result.message
    assert kind.currentText() == "ring"
    assert "Refused" in window.status.message.text()


def test_layers_toggle(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = window.parts.sample_view
    window.parts.layers_box.boxes["arrows"].setChecked(False)
    assert not view.arrows.isVisible()
    window.parts.layers_box.boxes["magnitude"].setChecked(True)  # replaces the D surface underneath
    assert not window.parts.layers_box.boxes["surface"].isChecked()
    assert view.image.isVisible() and view.image.image.shape == (24, 24)
    window.parts.layers_box.boxes["real"].setChecked(False)
    assert not view.real.isVisible()


def test_dirac_scene_shows_phase_portrait(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.load_scene(resolve("sandbox_dirac"))
    qtbot.waitUntil(  # (no snapshot at all until the new run's first: None in between)
        lambda: window.model.latest is not None and window.model.latest.dirac is not None,
        timeout=ENGINE_START_MS,
    )
    window.worker.step_once(30)
    qtbot.waitUntil(lambda: window.model.latest.step == 30, timeout=5000)
    qtbot.waitUntil(lambda: len(window.parts.phase_view._theta) >= 2, timeout=5000)
    assert window.parts.phase_view.isVisible()
    assert len(window.parts.phase_view.flow.getData()[0]) == 6 * 21 * 21
    # the Dirac-GAN has no modes to count: its own charts, in a full grid
    charts = window.parts.charts
    assert "distance" in charts.shown and "modes" not in charts.shown and "w1" not in charts.shown
    assert charts.plots["distance"].isVisible() and not charts.plots["modes"].isVisible()
    assert (
        window.parts.stage.main is window.parts.phase_view and window.parts.dirac_line.isVisible()
    )
    window.load_scene(resolve("ring_collapse"))
    qtbot.waitUntil(
        lambda: window.model.latest is not None and window.model.latest.dirac is None,
        timeout=ENGINE_START_MS,
    )
    assert "modes" in charts.shown and "distance" not in charts.shown
    assert (
        window.parts.stage.main is window.parts.sample_view
        and not window.parts.dirac_line.isVisible()
    )


def test_clipping_chart_shows_only_while_d_is_clipped(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    charts = window.parts.charts
    assert "clip" not in charts.shown and not charts.plots["clip"].isVisible()
    window.load_scene(resolve("wgan_clipping"))
    qtbot.waitUntil(
        lambda: window.model.config.regularization.weight_clip > 0, timeout=ENGINE_START_MS
    )
    window.worker.step_once(5)
    charts.set_compact(False)
    qtbot.waitUntil(lambda: "clip" in charts.shown, timeout=ENGINE_START_MS)
    assert charts.plots["clip"].isVisible()
    pinned = charts.history.column("d_weights_at_clip")
    assert 0 <= pinned[-1] <= 1
    # a WGAN critic's score means nothing up to a constant: colours centre on its median
    low, high = window.parts.sample_view.colorbar.levels()
    assert low == pytest.approx(-high)
    assert np.median(window.parts.sample_view.image.image) == pytest.approx(0, abs=1e-3 * high)
    window.load_scene(resolve("sandbox_ring"))
    qtbot.waitUntil(lambda: "clip" not in charts.shown, timeout=ENGINE_START_MS)
    assert not charts.plots["clip"].isVisible()


def test_save_then_open_round_trips_the_controls(
    qtbot,
    window: MainWindow,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    apply_and_wait(
        qtbot,
        window,
        lambda: window.parts.controls.widgets["regularization.r1_gamma"].box.setValue(2.5),
    )
    path = tmp_path / "mine.toml"
    assert window.files.save_scene_file(path)
    assert load_scene_file(path).config.regularization.r1_gamma == 2.5


def test_bad_scene_file_is_refused_and_current_scene_kept(
    qtbot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    shown = []
    monkeypatch.setattr(plain_text, "exec_box", lambda box: shown.append(box.text()))
    bad = tmp_path / "bad.toml"
    bad.write_text("[training]\nlr_d = -1\n")
    assert not window.files.open_scene_file(bad)
    assert shown and "training.lr_d" in shown[0]
    assert window.model.config.scene.title.startswith("Sandbox: ring")


def test_presenter_mode_and_help_overlay(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClick(window, Qt.Key.Key_P)
    assert window.model.presenter
    qtbot.keyClick(window, Qt.Key.Key_F1)
    assert window.help.isVisible()
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert not window.help.isVisible()
    window.model.set_presenter(False)


def test_a_short_stage_keeps_the_view_large_and_leaves_the_key_out(
    qtbot, window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    """Presenter fonts at 1280x720 with the diagram shown left the stage 960 x 390: the key,
    wrapped under a narrow square, once grew tall and shrank the square to 125 px."""
    window.model.set_presenter(True)
    try:
        stage = window.parts.stage
        stage.resize(960, 390)
        stage.settle_now()
        assert window.parts.key.isHidden()
        assert window.parts.sample_view.width() >= 300
        stage.resize(1400, 900)  # room again: the key comes back
        stage.settle_now()
        assert not window.parts.key.isHidden()
    finally:
        window.model.set_presenter(False)
    # a student's window as short (1280x720 with the diagram): the key stays in sight, under
    # the square or the charts, and never over the view
    stage.resize(964, 413)
    stage.settle_now()
    key, view = window.parts.key.geometry(), window.parts.sample_view.geometry()
    assert not window.parts.key.isHidden() and not key.intersects(view)
    assert window.parts.sample_view.getPlotItem().vb.sceneBoundingRect().height() >= 250


def test_a_presenter_stage_with_the_diagram_gives_the_square_its_height(
    qtbot, window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    """Presenter mode at 1280x720 with the diagram (O) leaves the stage 1024 x 417. The
    square was sized with its colour bar's width taken off its height: a 270 px square over
    a 95 px empty band, beside three charts with 40 px plots and overlapping ticks."""
    window.model.set_presenter(True)
    try:
        stage = window.parts.stage
        stage.resize(1024, 417)
        stage.settle_now()
        square = window.parts.sample_view.getPlotItem().vb.sceneBoundingRect()
        assert square.height() >= 340 and abs(square.width() - square.height()) <= 2
        charts = window.parts.charts
        qtbot.waitUntil(lambda: len(charts.shown) == 2, timeout=5000)
        for key in charts.shown:
            assert charts.plots[key].vb.sceneBoundingRect().height() >= 100
    finally:
        window.model.set_presenter(False)


def test_d_surface_image_spans_the_view_bounds(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    """Regression: the image was once placed before it had pixels, so one pixel filled it."""
    image = window.parts.sample_view.image
    rect = image.mapRectToView(image.boundingRect())
    xmin, xmax, ymin, ymax = window.frames.drawn.get(0).bounds
    half_cell = (xmax - xmin) / (image.image.shape[0] - 1) / 2
    assert rect.left() == pytest.approx(xmin - half_cell, abs=1e-4)
    assert rect.right() == pytest.approx(xmax + half_cell, abs=1e-4)
    assert rect.top() == pytest.approx(ymin - half_cell, abs=1e-4)
    assert rect.bottom() == pytest.approx(ymax + half_cell, abs=1e-4)


def test_record_writes_what_the_views_showed(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "lecture.mp4"
    assert window.export.start_recording(path)
    assert window.export.record_action.isChecked() and "REC" in window.export.record_label.text()
    recorder = window.export.recorder
    started = time.perf_counter()
    window.worker.play()
    qtbot.waitUntil(lambda: recorder.frames >= 6, timeout=20000)
    with qtbot.waitSignal(recorder.finished, timeout=20000) as saved:
        window.export.stop_recording()
        recorded = time.perf_counter() - started
    message, ok = saved.args
    assert ok and "Saved recording" in message
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert meta["size"] == recorder.size and recorder.size[0] % 2 == 0
    frames = sum(1 for _ in reader)
    assert frames == recorder.written >= recorder.frames
    # it plays as long as it was recorded (grabs repeat until the next one is due)
    assert frames / meta["fps"] == pytest.approx(recorded, abs=0.3)
    assert not window.export.record_action.isChecked()


def test_record_refuses_an_unknown_file_type(window: MainWindow, tmp_path: Path) -> None:
    assert not window.export.start_recording(tmp_path / "clip.avi")
    assert ".mp4 or .gif" in window.status.message.text()
    assert window.export.recorder is None


def test_export_dialog_runs_the_exporter_with_the_current_settings(
    qtbot, window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    apply_and_wait(
        qtbot, window, lambda: window.parts.controls.widgets["training.lr_d"].box.setValue(2e-3)
    )
    dialog = window.export.make_dialog()
    assert "--set training.lr_d=0.002" in dialog.command.text()  # the same export, scripted
    dialog.path.setText(str(tmp_path / "slide.gif"))
    dialog.steps.setValue(20)
    dialog.size_box.setCurrentText("320x180")
    dialog.accept()
    assert dialog.options is not None and dialog.options.frame_count == 3
    job = window.export.start_export(dialog)
    with qtbot.waitSignal(job.finished, timeout=90000) as done:
        pass
    ok, message = done.args
    assert ok, message
    with Image.open(tmp_path / "slide.gif") as gif:
        assert gif.size == (320, 180) and gif.n_frames == 3
    assert "slide.gif" in window.status.message.text()


def test_export_dialog_refuses_bad_options_and_stays_open(
    window: MainWindow, tmp_path: Path
) -> None:
    dialog = window.export.make_dialog()
    dialog.path.setText(str(tmp_path / "slide.avi"))
    dialog.accept()
    assert dialog.options is None and ".mp4" in dialog.errors.text()


def test_cancelled_export_leaves_no_file(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    dialog = window.export.make_dialog()
    dialog.path.setText(str(tmp_path / "long.mp4"))
    dialog.steps.setValue(100000)
    dialog.every.setValue(1)
    dialog.accept()
    job = window.export.start_export(dialog)
    with qtbot.waitSignal(job.progress, timeout=90000):
        pass
    cancel = window.export.progress.findChild(QPushButton)
    assert cancel.text() == "Cancel"
    with qtbot.waitSignal(job.finished, timeout=20000) as done:
        cancel.click()
    assert done.args == [False, "Export cancelled; nothing was written."]
    assert list(tmp_path.iterdir()) == []


def test_closing_mid_training_stops_the_thread(qtbot) -> None:  # type: ignore[no-untyped-def]
    win = MainWindow(resolve("sandbox_ring"))
    qtbot.addWidget(win)
    win.show()
    win.worker.play()
    qtbot.waitUntil(
        lambda: win.model.latest is not None and win.model.latest.step > 10, timeout=ENGINE_START_MS
    )
    threads_before = threading.active_count()
    process = win.worker._process
    win.close()
    assert not win.worker.isRunning()
    assert not process.is_alive()
    assert threading.active_count() <= threads_before
    assert np.isfinite(win.model.latest.fake).all()


SMOKE = """
from PySide6.QtCore import QTimer

import app.window.main_window
from app.gui import run_gui
from app.views.sample_view import LAYERS

shown = app.window.main_window.MainWindow.show


def show_and_drive(window):
    shown(window)
    for name in LAYERS:
        window.parts.layers_box.boxes[name].setChecked(True)
    window.worker.step_once(5)
    QTimer.singleShot(50, lambda: drive(window))


def drive(window):
    if window.frames.drawn.get(0) is None or window.frames.drawn.get(0).step < 5:
        QTimer.singleShot(50, lambda: drive(window))
        return
    window.parts.charts.refresh()
    window.grab()  # paint every view once
    print("drawn", window.frames.drawn.get(0).step, flush=True)
    window.close()  # the last window: the app quits and run_gui returns


if __name__ == "__main__":
    # run_gui creates the QApplication itself, exactly as `ganscope` does
    app.window.main_window.MainWindow.show = show_and_drive
    raise SystemExit(run_gui("sandbox_ring"))
"""


def test_smoke_draws_everything_and_exits_cleanly(tmp_path: Path) -> None:
    """Guards against the PySide6 6.12 + pyqtgraph crash while drawing and at exit."""
    import os
    import subprocess
    import sys

    script = tmp_path / "smoke.py"
    script.write_text(SMOKE)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "drawn 5" in result.stdout
    assert "Fatal Python error" not in result.stderr


def test_compare_mode_trains_a_scene_beside_its_fix(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.load_scene(resolve("ring_collapse"))
    qtbot.waitUntil(lambda: window.model.scene.name == "ring_collapse", timeout=ENGINE_START_MS)
    window.start_compare("fix")
    qtbot.waitUntil(lambda: len(window.model.runs) == 2, timeout=ENGINE_START_MS)
    assert [run.label for run in window.model.runs] == ["as is", "R1 gamma = 1"]
    assert window.parts.pages.currentIndex() == 1 and len(window.parts.compare_grid.views) == 2
    window.worker.step_once(10)
    qtbot.waitUntil(
        lambda: all(r.latest is not None and r.latest.step == 10 for r in window.model.runs),
        timeout=10000,
    )
    # change one variant only: the second gets a lower D learning rate
    window.parts.variant_choice.setCurrentIndex(2)
    with wait_event(qtbot, window, ChangeResult) as done:
        window.parts.controls.widgets["training.lr_d"].box.setValue(1e-3)
        window.parts.controls.flush()
    result = done.args[0]
    assert result.ok and result.variant == 1 and result.config.training.lr_d == 1e-3
    assert window.model.runs[0].config.training.lr_d == 1e-2  # the other variant is unchanged
    qtbot.waitUntil(lambda: window.frames_drawn > 0, timeout=5000)
    with wait_event(qtbot, window, RunStarted, timeout=10000) as reset:
        window.reset()
    assert list(reset.args[0].labels) == [run.label for run in window.model.runs]
    window.leave_compare()
    qtbot.waitUntil(lambda: not window.model.comparing, timeout=ENGINE_START_MS)
    assert window.parts.pages.currentIndex() == 0


def test_autosave_keeps_the_session_until_a_clean_close(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Every few minutes the session is saved; closing normally leaves nothing behind."""
    window = _window(qtbot)
    path = window.keeper.autosaver.path
    window.keeper.autosaver.save_now()
    assert not path.exists()  # nothing trained yet: nothing to keep
    window.worker.step_once(30)
    wait_step(qtbot, window, 30)
    window.keeper.autosaver.save_now()
    qtbot.waitUntil(path.exists, timeout=10000)
    assert load_session(path).state["step"] == 30
    window.close()
    assert not path.exists()


def test_a_crashed_windows_autosave_is_offered_back(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A window killed mid-lecture leaves its autosave; the next start restores it."""
    first = _window(qtbot)
    first.worker.step_once(40)
    wait_step(qtbot, first, 40)
    saved = tmp_path / "lecture.ganscope"
    first.files.save_session_file(saved)
    qtbot.waitUntil(saved.exists, timeout=10000)
    first.close()
    crashed = autosave_path(pid=_dead_pid())
    crashed.parent.mkdir(parents=True, exist_ok=True)
    saved.replace(crashed)  # as a killed window would leave it
    second = _window(qtbot)
    second.offer_restore()  # the question is answered Yes (no_modal_boxes)
    qtbot.waitUntil(
        lambda: second.model.latest is not None and second.model.latest.step == 40, timeout=15000
    )
    assert not crashed.exists() and second.keeper.autosaver.path.exists()
    second.close()
    assert not second.keeper.autosaver.path.exists()


def _window(qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    return open_small_window(qtbot)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_the_step_axis_follows_training_past_the_first_hundred_steps(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """Regression: on ring_fix_r1 the first chart's x auto-range was turned off by its
    minimum-span limit, and every chart stayed at steps 0..100 for the rest of the run."""
    scene = resolve("ring_fix_r1")
    config = scene.config.with_changes({"training.batch": 64, "view.resolution": 24})
    window.load_scene(type(scene)(scene.name, config, scene.path))
    qtbot.waitUntil(  # the new run's first snapshot (None until it comes)
        lambda: window.model.scene.name == "ring_fix_r1" and window.model.latest is not None,
        timeout=ENGINE_START_MS,
    )
    for target in (30, 60, 200):  # a few early snapshots set the limit, then past 100
        window.worker.step_once(target - window.model.latest.step)
        qtbot.waitUntil(lambda t=target: window.model.latest.step >= t, timeout=ENGINE_START_MS)
    leader = window.parts.charts.plots[window.parts.charts.shown[0]]
    qtbot.waitUntil(lambda: leader.vb.viewRange()[0][1] >= 200, timeout=5000)


def test_the_variant_legend_never_breaks_inside_a_label() -> None:
    """Eight seeds' legend once wrapped as '— Seed' at a line's end and '= 4' on the next."""
    from app.views.compare_views import variant_legend

    legend = variant_legend(["Seed = 3", "R1 gamma = 1"])
    assert "Seed&nbsp;=&nbsp;3" in legend and "R1&nbsp;gamma&nbsp;=&nbsp;1" in legend
    assert "Seed = 3" not in legend


def test_scene_titles_wrap_in_a_narrow_list_instead_of_being_cut(qtbot) -> None:  # type: ignore[no-untyped-def]
    """In presenter mode six rows once read 'Mescheder et al. 2018, Dirac-GA...' alike."""
    from app.panels.scene_browser import SceneBrowser
    from scenes.loader import library

    browser = SceneBrowser(library())
    qtbot.addWidget(browser)
    browser.resize(260, 700)
    browser.show()
    qtbot.waitExposed(browser)
    tree = browser.tree
    item = browser.items["paper_dirac_simultaneous"]
    line = tree.fontMetrics().height()
    qtbot.waitUntil(lambda: tree.visualItemRect(item).height() >= 2 * line, timeout=5000)
    assert tree.visualItemRect(item).right() <= tree.viewport().width()
