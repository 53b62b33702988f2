"""The window model without a window: events in, state and notifications out (no qtbot)."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import small_config

from app.model import WindowModel
from models import messages as msg
from models.engine import Trainer
from models.history import MetricHistory
from scenes.loader import Scene


@pytest.fixture
def model() -> WindowModel:
    return WindowModel(Scene("quick", small_config()))


def snapshot_after(steps: int, **sections: Any) -> Any:
    trainer = Trainer(small_config(**sections))
    trainer.step(steps)
    return trainer.snapshot()


def started(model: WindowModel, **fields: Any) -> msg.RunStarted:
    event = msg.RunStarted(
        config=fields.pop("config", model.scene.config),
        run_id=fields.pop("run_id", model.run_id + 1),
        history=fields.pop("history", MetricHistory()),
        reason=fields.pop("reason", "load"),
        **fields,
    )
    model.on_event(event)
    return event


def test_a_run_starts_as_a_list_of_one_and_grows_its_history(model: WindowModel) -> None:
    seen: list[tuple[int, int]] = []
    model.snapshot.connect(lambda index, snap: seen.append((index, snap.step)))
    started(model)
    assert len(model.runs) == 1 and not model.comparing and model.pending_scene is None
    for steps in (0, 3):
        model.on_event(msg.SnapshotReady(snapshot=snapshot_after(steps), run_id=model.run_id))
    assert seen == [(0, 0), (0, 3)] and model.step == 3
    assert list(model.runs[0].history.column("step")) == [0, 3]
    assert model.status.text.startswith("Loaded scene")


def test_compare_is_several_runs_on_the_same_path(model: WindowModel) -> None:
    configs = (small_config(), small_config(training={"lr_d": 3e-4}))
    started(
        model,
        reason="compare",
        labels=("as is", "lr"),
        configs=configs,
        histories=(MetricHistory(), MetricHistory()),
    )
    assert model.comparing and [run.label for run in model.runs] == ["as is", "lr"]
    model.on_event(msg.SnapshotReady(snapshot=snapshot_after(2), run_id=model.run_id, variant=1))
    assert model.runs[1].latest is not None and model.runs[0].latest is None
    assert len(model.runs[1].history) == 1 and len(model.runs[0].history) == 0


def test_a_change_updates_that_run_and_its_markers(model: WindowModel) -> None:
    started(model)
    trainer = Trainer(small_config())
    history = MetricHistory()
    marker = history.mark_edit(5, ("training.lr_d",), "D learning rate = 0.0003", 0.0)
    changes: list[int] = []
    model.config_changed.connect(lambda index, _result: changes.append(index))
    new = trainer.config.with_changes({"training.lr_d": 3e-4})
    model.on_event(
        msg.ChangeResult(
            step=5, changes={"training.lr_d": 3e-4}, message="ok", ok=True, config=new,
            marker=marker,
        )
    )  # fmt: skip
    assert model.config.training.lr_d == 3e-4 and changes == [0]
    assert [m.label for m in model.runs[0].history.markers] == ["D learning rate = 0.0003"]
    refused = msg.ChangeResult(
        step=5, changes={"training.batch": -1}, message="training.batch: bad", ok=False, config=new
    )
    model.on_event(refused)
    assert model.status.error and "Refused" in model.status.text


def test_a_refused_scene_keeps_the_current_one(model: WindowModel) -> None:
    started(model)
    other = Scene("other", small_config(scene={"title": "Other"}))
    model.ask_for(other)
    model.on_event(msg.LoadRefused(message="target.file: cannot read"))
    assert model.scene.name == "quick" and model.pending_scene is None and model.status.error
    model.ask_for(other)
    started(model, config=other.config)
    assert model.scene.name == "other"


def test_a_restored_session_is_the_scene_it_was_saved_from(model: WindowModel) -> None:
    started(model)
    config = small_config(scene={"title": "Saved"})
    started(model, reason="session", config=config, scene_name="ring_collapse")
    assert model.scene.name == "ring_collapse" and model.scene.config.scene.title == "Saved"


def test_a_stopped_training_process_is_said_and_shown(model: WindowModel) -> None:
    started(model)
    model.on_event(msg.PlayingChanged(playing=True))
    failures: list[str] = []
    model.failed_changed.connect(lambda message, _details: failures.append(message))
    model.on_event(msg.TrainingStopped(message="killed (SIGKILL)", details=""))
    assert not model.playing and model.failed == "killed (SIGKILL)" and failures
    assert model.status.error and "press R" in model.hint


def test_layers_and_presenter_notify_only_on_change(model: WindowModel) -> None:
    layers: list[set[str]] = []
    presenter: list[bool] = []
    model.layers_changed.connect(layers.append)
    model.presenter_changed.connect(presenter.append)
    model.set_layer("magnitude", True)
    assert "magnitude" in model.layers and "surface" not in model.layers  # one background
    model.set_layer("magnitude", True)
    model.set_presenter(True)
    model.set_presenter(True)
    assert len(layers) == 1 and presenter == [True]
    with pytest.raises(KeyError):
        model.set_layer("no such layer", True)
