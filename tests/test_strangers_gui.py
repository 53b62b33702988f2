"""Files from strangers in the real window (issue 21): markup in any text a scene or a session
brings is shown as text (nothing it names is ever loaded), and a bad session leaves the
current run exactly as it was, still training."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import ENGINE_START_MS, open_small_window
from crafted import base_parts, set_flag_bits, with_json, with_scene, with_tensor, write_parts
from file_watch import AVAILABLE, OpenWatch
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox, QToolTip

from app import plain_text
from app.cli import main
from app.export.dialog import ExportDialog
from app.teaching.draw_data import POINTS_PER_MOVE, DataDrawer
from app.views.sample_view import SampleView
from app.window.main_window import MainWindow
from models.config import MAX_INLINE_POINTS
from models.messages import TrainingStopped

pytestmark = pytest.mark.usefixtures("qapp")
TEXT_FIELDS = ("title", "story", "expect", "fix", "evidence", "group")


@pytest.fixture
def boxes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes are shown and painted (so markup in them would load), then answered."""
    shown: list[str] = []

    def show(box: QMessageBox) -> int:
        box.show()
        QApplication.processEvents()
        box.grab()
        shown.append(box.text())
        box.close()
        return int(QMessageBox.StandardButton.Yes)

    monkeypatch.setattr(plain_text, "exec_box", show)
    return shown


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """A small PNG and markup naming it (absolute, and relative to the working folder)."""
    if not AVAILABLE:
        pytest.skip("needs inotify (Linux) to see that a file is never opened")
    path = tmp_path / "marker.png"
    image = QImage(4, 4, QImage.Format.Format_RGB32)
    image.fill(QColor("red"))
    assert image.save(str(path))
    monkeypatch.chdir(tmp_path)
    yield path, f'<img src="{path}"><img src="marker.png"><b>bold</b>'


def _paint(window: MainWindow) -> None:
    for _ in range(3):
        QApplication.processEvents()
    window.grab()
    for label in window.findChildren(QLabel):
        if label.isVisible():
            label.grab()


def _marked_scene(tmp_path: Path, tag: str) -> Path:
    scene = tmp_path / "marked.toml"
    lines = ["[scene]", *(f"{field} = {json.dumps(tag)}" for field in TEXT_FIELDS)]
    lines += ["[training]", "batch = 64", "[view]", "resolution = 16"]
    scene.write_text("\n".join(lines) + "\n")
    return scene


def _marked_session(tmp_path: Path, tag: str) -> Path:
    def fields(scene: dict) -> None:
        scene["scene"].update({field: tag for field in TEXT_FIELDS})

    def diverged(state: dict) -> None:
        state["$dict"] = [p for p in state["$dict"] if p[0] != "diverged"] + [["diverged", tag]]

    def history(data: dict) -> None:
        for marker in data["markers"]:
            marker["label"] = tag
            marker["keys"] = [tag]

    parts = with_scene(base_parts(), fields)
    parts = with_json(parts, "state.json", diverged)
    parts = with_json(parts, "history.json", history)
    parts = with_json(parts, "format.json", lambda about: about.update(scene_name=tag))
    return write_parts(tmp_path / f"{tag.replace('/', '_')[:120]}.ganscope", parts)


def test_markup_from_scenes_and_sessions_is_never_rendered(
    qtbot, tmp_path: Path, marker: tuple[Path, str], boxes: list[str]
) -> None:  # type: ignore[no-untyped-def]
    """Was: the status bar and the "Scene not loaded" box were Qt auto-text: a title, a
    session's diverged text or an unknown key named `<img src=...>` loaded a local image
    (`<img src="/dev/zero">` froze the window at 17.7 GB)."""
    path, tag = marker
    with OpenWatch(path) as watch:
        window = open_small_window(qtbot)
        # a scene with markup in every text field
        assert window.files.open_scene_file(_marked_scene(tmp_path, tag))
        qtbot.waitUntil(lambda: window.model.config.scene.title == tag, timeout=ENGINE_START_MS)
        _paint(window)
        # a scene refused for a key named with markup (the box and the status bar echo it)
        bad = tmp_path / "bad.toml"
        bad.write_text(f"[training]\n{json.dumps(tag)} = 1\n")
        assert not window.files.open_scene_file(bad)
        assert boxes and tag in boxes[-1]
        _paint(window)
        # a session with markup in its scene, its diverged text, markers and name
        session = _marked_session(tmp_path, tag)
        window.files.open_session_file(session)
        qtbot.waitUntil(
            lambda: window.model.latest is not None and window.model.latest.diverged == tag,
            timeout=20_000,
        )
        assert window.model.config.scene.story == tag and tag in window.status.message.text()
        _paint(window)
        # a session refused naming a key with markup
        refused = write_parts(
            tmp_path / "refused.ganscope",
            with_scene(base_parts(), lambda s: s["training"].__setitem__(tag, 1)),
        )
        window.files.open_session_file(refused)
        qtbot.waitUntil(lambda: "Could not load" in window.status.message.text(), timeout=20_000)
        assert tag in window.status.message.text()
        _paint(window)
        # the training-stopped box with file-borne details, and a tooltip of a scene's story
        window.model.on_event(TrainingStopped(message=f"stopped: {tag}", details=tag))
        QToolTip.showText(QPoint(10, 10), plain_text.tooltip(tag), window)
        _paint(window)
        QToolTip.hideText()
        # the export dialog's command line shows the title
        dialog = ExportDialog(window, ["marked.toml"], False, 10, tag)
        dialog.caption.setChecked(True)
        dialog.show()
        dialog.grab()
        dialog.close()
        window.close()
        # an export with a caption, to PNG and SVG
        for out in ("still.png", "still.svg"):
            code = main(
                [
                    "export",
                    str(_marked_scene(tmp_path, tag)),
                    "--steps",
                    "1",
                    "--out",
                    str(tmp_path / out),
                    "--caption",
                    "--size",
                    "320x180",
                ]
            )
            assert code == 0
        assert watch.opened() == 0, "markup from a file loaded the image it names"
        # the watch does see a real load: rich text would have been caught
        control = QLabel(tag)
        control.show()
        control.grab()
        assert watch.opened() > 0


def _bad_sessions(tmp_path: Path) -> dict[str, Path]:
    parts = base_parts()
    files = {
        "adam moment of the wrong shape (was SIGSEGV)": with_tensor(
            parts, "state/opt_g/state/0/exp_avg", torch.zeros(1)
        ),
        "NaN weights": with_tensor(parts, "state/G/net.0.weight", torch.full((32, 2), np.nan)),
        "probe_z 7x5": with_tensor(parts, "state/fixed/probe_z", torch.zeros(7, 5)),
        "target.file": with_scene(parts, lambda s: s["target"].update(file="/etc/passwd")),
    }
    found = {
        name: write_parts(tmp_path / f"bad{i}.ganscope", p)
        for i, (name, p) in enumerate(files.items())
    }
    encrypted = tmp_path / "encrypted.ganscope"
    encrypted.write_bytes(set_flag_bits(found["NaN weights"].read_bytes(), "state.json", 1))
    found["encrypted member"] = encrypted
    fifo = tmp_path / "fifo.ganscope"
    os.mkfifo(fifo)
    found["a FIFO (was a hang)"] = fifo
    return found


def test_a_bad_session_leaves_the_current_run_intact_and_training(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Was: a failed load could end the run (a wrong-shaped Adam moment crashed the training
    process with SIGSEGV; a FIFO blocked it for ever)."""
    window = open_small_window(qtbot)
    window.worker.play()
    qtbot.waitUntil(lambda: window.model.playing and window.model.latest.step > 0, timeout=20_000)
    config, run_id = window.model.config, window.worker._run_id
    for name, path in _bad_sessions(tmp_path).items():
        history = window.parts.charts.history
        rows = history._data[: history.size].copy()
        window.files.open_session_file(path)
        qtbot.waitUntil(lambda: "Could not load" in window.status.message.text(), timeout=20_000)
        step = window.model.latest.step
        qtbot.waitUntil(
            lambda s=step: window.model.latest.step > s, timeout=20_000
        )  # still training
        assert window.worker.alive and window.model.playing, name
        assert window.model.config == config and window.worker._run_id == run_id, name
        assert window.parts.charts.history is history, name
        np.testing.assert_array_equal(history._data[: len(rows)], rows, err_msg=name)
        window.model.say("")
    window.close()


def test_the_drawer_holds_exactly_the_inline_limit_and_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Was: a drawing could reach 200,005 points, and was then discarded as too many."""
    view = SampleView()
    qtbot.addWidget(view)
    drawer = DataDrawer(view)
    said: list[str] = []
    drawer.refused.connect(said.append)
    almost = np.zeros((MAX_INLINE_POINTS - 2, 2), np.float32)
    drawer.start(almost)
    for _ in range(3):
        drawer.brush_at((0.0, 0.0))
    assert len(drawer.points) == MAX_INLINE_POINTS
    assert len(said) == 1 and f"{MAX_INLINE_POINTS:,}" in said[0]
    drawer.start(np.zeros((MAX_INLINE_POINTS + POINTS_PER_MOVE, 2), np.float32))
    assert len(drawer.points) == MAX_INLINE_POINTS
    got: list[object] = []
    drawer.finished.connect(got.append)
    drawer.finish()
    assert got and len(got[0]) == MAX_INLINE_POINTS
