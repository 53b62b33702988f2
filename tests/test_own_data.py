"""Your own data in the real window: drawn strokes and CSV files become the target at once,
save with the scene, and bad files leave the current data untouched."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import open_small_window
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from app import plain_text
from scenes.loader import load_scene_file

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def win(qtbot, monkeypatch):  # type: ignore[no-untyped-def]
    warned: list[tuple[object, ...]] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **_: warned.append(args))
    monkeypatch.setattr(
        plain_text, "exec_box", lambda box: warned.append((None, box.windowTitle(), box.text()))
    )
    window = open_small_window(qtbot)
    window.warned = warned
    yield window
    window.close()
    assert not window.worker.isRunning()


def test_a_drawn_target_trains_and_saves_with_the_scene(qtbot, win, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    win.commands["draw"].setChecked(True)
    assert win.parts.drawer.drawing
    # a real stroke with the mouse, then a line of dabs, then an eraser dab on the stroke's start
    viewport = win.parts.sample_view.viewport()
    start = viewport.rect().center()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    for dx in range(0, 60, 6):
        qtbot.mouseMove(viewport, pos=start + QPoint(dx, dx // 3))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=start + QPoint(60, 20))
    stroked = len(win.parts.drawer.points)
    assert stroked >= 6
    for x in np.linspace(-1.5, 1.5, 12):
        win.parts.drawer.brush_at((float(x), 1.0))
    before_erase = len(win.parts.drawer.points)
    win.parts.drawer.brush_at((1.5, 1.0), erase=True)
    assert len(win.parts.drawer.points) < before_erase
    drawn = win.parts.drawer.points.copy()
    win.commands["draw"].setChecked(False)
    qtbot.waitUntil(lambda: win.model.config.target.kind == "points", timeout=20000)
    assert len(win.model.config.target.points) == len(drawn)
    # the status bar says it in words a class can read: no 17-digit floats
    qtbot.waitUntil(lambda: "points" in win.status.message.text(), timeout=10000)
    assert f"data: {len(drawn)} points" in win.status.message.text()
    assert not re.search(r"\d\.\d{5}", win.status.message.text())
    qtbot.waitUntil(lambda: win.model.latest.real.shape[0] > 0, timeout=10000)
    step = win.model.latest.step
    win.worker.step_once(5)
    qtbot.waitUntil(lambda: win.model.latest.step >= step + 5, timeout=20000)
    # the drawing travels with the scene file
    path = tmp_path / "mine.toml"
    assert win.files.save_scene_file(path)
    saved = load_scene_file(path).config.target
    assert saved.kind == "points"
    np.testing.assert_allclose(np.array(saved.points), drawn, atol=1e-4)


def test_too_few_points_keep_the_data(qtbot, win) -> None:  # type: ignore[no-untyped-def]
    win.commands["draw"].setChecked(True)
    win.parts.drawer.brush_at((0.0, 0.0))
    win.commands["draw"].setChecked(False)
    assert "at least 20 points" in win.status.message.text()
    assert win.model.config.target.kind == "ring"


@pytest.mark.parametrize(
    "content",
    [b"\x00\x01\x02binary\xff", b"", b"x,y\n1,nan\n", b"1\n2\n3\n"],
    ids=["binary", "empty", "nan", "one column"],
)
def test_a_bad_csv_names_the_problem_and_keeps_the_data(qtbot, win, tmp_path, content) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert not win.files.open_data_file(path)
    assert win.warned and "bad.csv" in str(win.warned[-1][2])
    assert win.model.config.target.kind == "ring"


def test_a_csv_file_becomes_the_target(qtbot, win, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "cloud.csv"
    rng = np.random.default_rng(1)
    np.savetxt(path, rng.normal(size=(300, 2)), delimiter=",", header="x,y", comments="")
    assert win.files.open_data_file(path)
    qtbot.waitUntil(lambda: len(win.model.config.target.points) == 300, timeout=20000)
    assert win.model.config.view.bounds is None  # framed on the file's data
