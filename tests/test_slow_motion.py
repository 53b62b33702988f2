"""Slow motion in the real window: Step D, Step G, Step iteration and slow-motion play walk
through the phases in order, narrate each, glide the picture, and end where step(1) ends."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest
from conftest import open_small_window
from PySide6.QtCore import Qt

from app.window.main_window import MainWindow
from models.engine import Trainer
from models.snapshot import Snapshot, between
from scenes.loader import resolve

pytestmark = pytest.mark.usefixtures("qapp")


def small_ring(**changes: object):  # type: ignore[no-untyped-def]
    scene = resolve("sandbox_ring")
    base = {"training.batch": 64, "view.resolution": 24, "training.device": "cpu"}
    config = scene.config.with_changes({**base, **changes})
    return type(scene)(scene.name, config, scene.path)


@pytest.fixture
def open_window(qtbot):  # type: ignore[no-untyped-def]
    opened: list[MainWindow] = []

    def make(**changes: object) -> MainWindow:
        win = open_small_window(qtbot, **{"training.device": "cpu", **changes})
        win.slow.slow.seconds = 0.05  # the animation runs, quickly
        opened.append(win)
        return win

    yield make
    for win in opened:
        win.close()
        assert not win.worker.isRunning()


def record(win: MainWindow) -> Iterator[list[str]]:
    lines: list[str] = []
    win.slow.slow.narration.connect(lines.append)
    return lines


def test_one_iteration_with_three_d_steps_shows_three_d_updates_then_g(  # type: ignore[no-untyped-def]
    qtbot, open_window
) -> None:
    win = open_window(**{"training.d_steps": 3})
    lines = record(win)
    pictures: list[Snapshot] = []
    win.slow.slow.picture.connect(pictures.append)
    with qtbot.waitSignal(win.slow.slow.finished, timeout=20000):
        win.slow.step("iteration")
    heads = [line.split(":")[0] for line in lines]
    assert heads == (
        ["D update 1 of 3"] * 4 + ["D update 2 of 3"] * 4 + ["D update 3 of 3"] * 4
        + ["G update"] * 3
    )  # fmt: skip
    assert "raises its score on real samples" in lines[3] and "glide" in lines[-1]
    assert win.model.latest.step == 1 and win.parts.narration.isVisible()
    # the samples glided: some picture lies strictly between the start and the end
    start, end = pictures[0].fake, pictures[-1].fake
    moving = [p for p in pictures if not np.array_equal(p.fake, start)]
    assert any(not np.array_equal(p.fake, end) for p in moving)
    # ... and the end is where one ordinary iteration ends
    trainer = Trainer(small_ring(**{"training.d_steps": 3}).config)
    trainer.step(1)
    np.testing.assert_allclose(win.model.latest.fake, trainer.snapshot().fake, atol=1e-5)


def test_step_d_then_step_g_each_stop_after_their_update(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    win = open_window()
    lines = record(win)
    surface = win.model.latest.surface
    with qtbot.waitSignal(win.slow.slow.finished, timeout=20000):
        win.slow.step("d_update")
    assert [line.split(":")[0] for line in lines] == ["D update"] * 4
    assert win.model.latest.step == 0 and not np.array_equal(win.model.latest.surface, surface)
    fake = win.model.latest.fake
    with qtbot.waitSignal(win.slow.slow.finished, timeout=20000):
        win.slow.step("g_update")
    assert [line.split(":")[0] for line in lines[4:]] == ["G update"] * 3
    assert win.model.latest.step == 1 and not np.array_equal(win.model.latest.fake, fake)


def test_slow_motion_play_keeps_going_until_switched_off(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    win = open_window(**{"training.loss": "wgan-gp"})
    lines = record(win)
    win.commands["slow"].setChecked(True)
    qtbot.waitUntil(lambda: win.model.latest.step >= 2, timeout=20000)
    win.commands["slow"].setChecked(False)
    qtbot.waitUntil(lambda: not win.slow.slow.busy, timeout=20000)
    assert any("the critic" in line for line in lines)  # WGAN's D is narrated as a critic
    step = win.model.latest.step
    qtbot.wait(200)
    assert win.model.latest.step == step  # stopped


def test_normal_play_ends_slow_motion(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    win = open_window()
    win.slow.step("d_update")
    win.toggle_play()
    qtbot.waitUntil(lambda: win.model.playing, timeout=10000)
    assert not win.slow.slow.busy and not win.parts.narration.isVisible()
    win.worker.pause()


def test_between_blends_and_ends_on_the_after_picture() -> None:
    trainer = Trainer(small_ring().config)
    before = trainer.snapshot()
    trainer.step(5)
    after = trainer.snapshot()
    half = between(before, after, 0.5)
    np.testing.assert_allclose(half.fake, (before.fake + after.fake) / 2, atol=1e-6)
    assert between(before, after, 1.0) is after and half.step == after.step


def test_model_overview_follows_the_snapshot_and_the_config(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    from app.views.overview import architecture
    from models.narration import judge

    win = open_window()
    win.parts.overview_dock.show()
    overview = win.parts.overview
    qtbot.waitUntil(lambda: overview.snapshot is not None, timeout=10000)
    assert overview.snapshot.metrics["d_real"] == win.frames.drawn.get(0).metrics["d_real"]
    assert architecture(overview.config, "D") == "3 × 64 relu"
    win.worker.apply({"training.loss": "wgan-gp", "discriminator.width": 32})
    qtbot.waitUntil(lambda: overview.config.training.loss == "wgan-gp", timeout=20000)
    assert judge(overview.config) == "the critic"
    assert architecture(overview.config, "D") == "3 × 32 relu"
    assert "(‖∇D(x̂)‖ − 1)²" in overview.toolTip()
    # a click on the discriminator shows D's verdict in the data view
    win.parts.layers_box.boxes["surface"].setChecked(False)
    layout = overview.node_layout()
    qtbot.mouseClick(overview, Qt.MouseButton.LeftButton, pos=layout.boxes["D"].center().toPoint())
    assert win.parts.layers_box.boxes["surface"].isChecked()
    # slow motion lights up the update it shows
    lit: list[object] = []
    win.slow.slow.player.connect(lit.append)
    with qtbot.waitSignal(win.slow.slow.finished, timeout=20000):
        win.slow.step("g_update")
    assert "G" in lit and lit[-1] is None
