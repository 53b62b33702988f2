"""The Export… dialog's equivalent command: a lecturer copies it into a terminal, so it must
run and reproduce the settings the window shows, after File > Open session too."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from app.cli import build_parser
from app.cli_input import scene_config
from app.export.options import MAX_TITLE, caption_title, set_flags, toml_value, training_changes
from models.config import TrainConfig
from models.messages import RunStarted
from scenes.loader import resolve
from tests.conftest import ENGINE_START_MS, open_small_window

pytestmark = pytest.mark.usefixtures("qapp")


def reproduced(command: str) -> TrainConfig:
    """The config the command line builds from the dialog's command."""
    words = shlex.split(command)
    assert words[:2] == ["ganscope", "export"]
    args = build_parser().parse_args(words[1:])
    return scene_config(args)[1]


def test_set_flags_write_values_the_command_line_reads_back() -> None:
    scene = resolve("ring_collapse")
    config = scene.config.with_changes(
        {"training.betas": [0.0, 0.9], "training.loss": "hinge", "scene.story": "a b c"}
    )
    words = set_flags(scene.config, config)
    assert "scene.story" not in " ".join(words)  # words on screen are not settings
    assert words == ["--set", 'training.loss="hinge"', "--set", "training.betas=[0.0, 0.9]"] or (
        words == ["--set", "training.betas=[0.0, 0.9]", "--set", 'training.loss="hinge"']
    )
    assert toml_value([[1.0, 2.5]]) == "[[1.0, 2.5]]"


def test_the_caption_never_outgrows_what_the_export_accepts() -> None:
    scene = resolve("ring_collapse")
    config = scene.config.with_changes({"scene.title": "x" * 300, "training.lr_d": 1e-3})
    title = caption_title(config, config.with_changes({"training.lr_g": 1e-3}))
    assert len(title) <= MAX_TITLE and title.endswith("…")


def test_an_opened_sessions_command_reproduces_its_settings(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """After File > Open session the command once carried the title and story as --set
    flags with their spaces stripped (the CLI refused it) and the dialog grew 1,640 px wide."""
    window = open_small_window(qtbot, "ring_collapse")
    try:
        window.worker.apply({"regularization.r1_gamma": 1.0, "scene.story": "a long story " * 40})
        qtbot.waitUntil(lambda: window.model.config.regularization.r1_gamma == 1.0, timeout=5000)
        saved = tmp_path / "lecture.ganscope"
        window.files.save_session_file(saved)
        qtbot.waitUntil(saved.exists, timeout=10000)
        with qtbot.waitSignal(window.model.run_started, timeout=ENGINE_START_MS) as started:
            window.files.open_session_file(saved)
        assert isinstance(started.args[0], RunStarted) and started.args[0].reason == "session"
        dialog = window.export.make_dialog()
        command = dialog.command.text()
        assert training_changes(reproduced(command), window.model.config) == {}
        assert "scene.story" not in command and "r1_gamma=1.0" in command
        assert dialog.sizeHint().width() < 900
        dialog.deleteLater()
    finally:
        window.close()
