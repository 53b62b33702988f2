"""The guided tour: it visits every view and control once, lighting each, and can be skipped;
it comes by itself only on the first start."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.window.main_window import MainWindow
from scenes.loader import resolve

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def win(qtbot):  # type: ignore[no-untyped-def]
    scene = resolve("sandbox_ring")
    window = MainWindow(
        type(scene)(scene.name, scene.config.with_changes({"training.batch": 64}), scene.path)
    )
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    yield window
    window.close()


def test_the_tour_visits_every_view_and_control(qtbot, win) -> None:  # type: ignore[no-untyped-def]
    visited: list[str] = []
    win.tour.visited.connect(visited.append)
    ended: list[bool] = []
    win.tour.ended.connect(ended.append)
    win.offer_tour()  # first start: it comes by itself
    assert win.tour.isVisible()
    lit = 0
    for _ in range(len(win.tour.stops)):
        lit += not win.tour._hole.isNull()
        qtbot.keyClick(win.tour, Qt.Key.Key_Right)
    assert ended == [True] and not win.tour.isVisible()
    names = [stop.name for stop in win.tour.stops]
    assert visited == names and len(set(names)) == len(names)
    assert {"data view", "charts", "controls", "scenes", "timeline", "overview"} <= set(names)
    assert lit == len(names)  # every stop found its widget on screen
    win.offer_tour()  # seen once: not again by itself
    assert not win.tour.isVisible()


def test_the_tour_can_be_skipped_and_reopened_from_help(qtbot, win) -> None:  # type: ignore[no-untyped-def]
    ended: list[bool] = []
    win.tour.ended.connect(ended.append)
    win.commands["tour"].trigger()
    qtbot.keyClick(win.tour, Qt.Key.Key_Right)
    qtbot.keyClick(win.tour, Qt.Key.Key_Left)
    assert win.tour.index == 0
    qtbot.mouseClick(win.tour.skip_button, Qt.MouseButton.LeftButton)
    assert ended == [False] and not win.tour.isVisible()


def test_arrow_keys_go_on_after_a_click_on_next(qtbot, win) -> None:  # type: ignore[no-untyped-def]
    """Was: a click gave the Next button the focus, and the arrow keys then went nowhere."""
    win.commands["tour"].trigger()
    qtbot.mouseClick(win.tour.next_button, Qt.MouseButton.LeftButton)
    assert win.tour.index == 1
    focused = QApplication.focusWidget() or win.tour
    qtbot.keyClick(focused, Qt.Key.Key_Right)
    assert win.tour.index == 2
    qtbot.keyClick(QApplication.focusWidget() or win.tour, Qt.Key.Key_Left)
    assert win.tour.index == 1
    assert "draw" in [stop.name for stop in win.tour.stops]  # the tour tells of Draw data
