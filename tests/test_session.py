"""The training session, driven directly: commands in, typed events out (no Qt, no process)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
import torch

from app.process.serve import serve
from models import messages as msg
from models.config import TrainConfig
from models.session import Session
from models.session_file import save_session
from models.timeline import Timeline

Small = Callable[..., TrainConfig]


def drive(config: TrainConfig, commands: Iterable[msg.Command | None]) -> list[msg.Event]:
    """Run a session over scripted commands (None: nothing arrives this time, so a playing
    session trains a chunk); it quits when the script ends. Returns every event."""
    script: deque[msg.Command | None] = deque([*commands, msg.Quit()])
    events: list[msg.Event] = []

    def inbox(timeout: float | None) -> msg.Command | None:
        return script.popleft() if script else None

    Session(inbox, events.append).run(config, None)
    return events


def of(events: list[msg.Event], kind: type) -> list[Any]:
    return [e for e in events if isinstance(e, kind)]


def test_start_step_and_snapshot(small: Small) -> None:
    events = drive(small(), [msg.Step(5)])
    assert isinstance(events[0], msg.Ready)
    [started] = of(events, msg.RunStarted)
    assert started.reason == "load" and started.run_id == 1
    snapshots = [e.snapshot for e in of(events, msg.SnapshotReady)]
    assert [s.step for s in snapshots] == [0, 5]


def test_play_trains_until_paused_and_sends_frames_between_snapshots(small: Small) -> None:
    events = drive(small(), [msg.Play(), *[None] * 60, msg.Pause()])
    assert [e.playing for e in of(events, msg.PlayingChanged)] == [True, False]
    steps = [e.snapshot.step for e in of(events, msg.SnapshotReady)]
    assert steps[-1] > 0 and steps == sorted(steps)
    assert of(events, msg.Heartbeat)  # the window's supervisor hears it


def test_changes_report_labels_and_one_marker_per_continuing_edit(small: Small) -> None:
    events = drive(
        small(),
        [
            msg.Step(3),
            msg.Apply({"regularization.r1_gamma": 0.5}),
            msg.Apply({"regularization.r1_gamma": 1.0}),  # a drag goes on: same marker
            msg.Apply({"training.batch": -1}),
        ],
    )
    first, second, refused = of(events, msg.ChangeResult)
    assert first.ok and first.message == "step 3: R1 gamma = 0.5 (optimizer state kept)"
    assert second.marker.ident == first.marker.ident and second.marker.label == "R1 gamma = 1"
    assert not refused.ok and "training.batch" in refused.message
    assert refused.config.training.batch == 64  # the trainer's config, unchanged


def test_a_seed_change_restarts_with_a_new_run_id(small: Small) -> None:
    events = drive(small(), [msg.Step(4), msg.Apply({"training.seed": 7})])
    change = of(events, msg.ChangeResult)[0]
    assert change.reset and change.marker is None
    load, reset = of(events, msg.RunStarted)
    assert reset.reason == "reset" and reset.run_id == load.run_id + 1 and len(reset.history) == 0
    last = of(events, msg.SnapshotReady)[-1]
    assert last.run_id == reset.run_id and last.snapshot.step == 0


def test_rewind_branches_history_and_timeline(small: Small) -> None:
    events = drive(
        small(),
        [msg.Step(120), msg.Step(120), msg.Rewind(150), msg.Apply({"training.lr_d": 3e-4})],
    )
    timelines = of(events, msg.TimelineChanged)
    assert 240 in timelines[-2].steps  # before going back
    assert timelines[-1].steps == (0, 120)  # after: the abandoned branch's are gone
    rewound = next(e for e in of(events, msg.RunStarted) if e.reason == "rewind")
    assert "back to step 120" in rewound.message
    history = rewound.history
    assert history.last_step == 120 and len(history.abandoned) == 1
    assert history.abandoned[0][-1, 0] == 240  # the abandoned branch is kept, to draw faint
    assert history.markers[-1].kind == "branch"
    after = [e.snapshot for e in of(events, msg.SnapshotReady) if e.run_id == rewound.run_id]
    assert after[0].step == 120


def test_rewinding_twice_to_one_checkpoint_lands_in_the_same_place(small: Small) -> None:
    events = drive(
        small(),
        [msg.Step(100), msg.Step(5), msg.Rewind(100), msg.Step(30), msg.Rewind(100), msg.Step(30)],
    )
    snaps = [e.snapshot for e in of(events, msg.SnapshotReady)]
    first, second = [s for s in snaps if s.step == 130]
    assert (first.fake == second.fake).all()


def test_phase_stepping_reports_each_phase_in_order(small: Small) -> None:
    events = drive(
        small(training={"d_steps": 2}), [msg.StepPhase("d_update"), msg.StepPhase("iteration")]
    )
    phases = of(events, msg.PhaseDone)
    assert [p.kind for p in phases] == [
        *["d_real", "d_fake", "d_loss", "d_step"] * 2,
        *["g_fake", "g_loss", "g_step"],
    ]
    assert [p.index for p in phases[:8]] == [0] * 4 + [1] * 4
    assert [p.iteration_done for p in phases].count(True) == 1 and phases[-1].iteration_done
    assert phases[-1].snapshot.step == 1 and phases[0].snapshot.step == 0
    assert phases[0].batch.shape == (64, 2) and phases[2].loss is not None


def test_save_and_open_session(small: Small, tmp_path: Path) -> None:
    path = tmp_path / "lecture.ganscope"
    events = drive(small(), [msg.Step(7), msg.SaveSession(path, "mine"), msg.OpenSession(path)])
    [saved] = of(events, msg.SessionSaved)
    assert saved.ok and "step 7" in saved.message and path.exists()
    opened = of(events, msg.RunStarted)[-1]
    assert opened.reason == "session" and "at step 7" in opened.message


def test_a_refused_scene_or_session_leaves_the_run_alone(small: Small, tmp_path: Path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    bad = tmp_path / "bad.ganscope"
    bad.write_text("not a session")
    events = drive(
        small(),
        [
            msg.Step(3),
            msg.Load(small(training={"device": "cuda"})),
            msg.OpenSession(bad),
            msg.Step(1),
        ],
    )
    refusals = of(events, msg.LoadRefused)
    assert "training.device" in refusals[0].message and "bad.ganscope" in refusals[1].message
    assert len(of(events, msg.RunStarted)) == 1
    assert of(events, msg.SnapshotReady)[-1].snapshot.step == 4  # kept training the old run


class FakeConnection:
    """A pipe end for `serve`: scripted commands in, events collected."""

    def __init__(self, commands: list[msg.Command]) -> None:
        self.commands = deque([*commands, msg.Quit()])
        self.sent: list[msg.Event] = []
        self.closed = False

    def poll(self, timeout: float | None) -> bool:
        return bool(self.commands)

    def recv(self) -> msg.Command:
        return self.commands.popleft()

    def send(self, event: msg.Event) -> None:
        self.sent.append(event)

    def close(self) -> None:
        self.closed = True


def test_an_unexpected_error_is_reported_with_its_traceback(
    small: Small, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, n: int = 1) -> int:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr("models.engine.trainer.Trainer.step", broken)
    connection = FakeConnection([msg.Step(1)])
    with pytest.raises(SystemExit) as exited:
        serve(connection, small(), None)
    assert exited.value.code == 1 and connection.closed
    crash = connection.sent[-1]
    assert isinstance(crash, msg.Crashed) and "the engine broke" in crash.message
    assert "Traceback" in crash.details and "broken" in crash.details


def test_timeline_thins_out_under_its_budget_and_keeps_step_0(small: Small) -> None:
    from models.engine import Trainer

    trainer = Trainer(small())
    one = Timeline(interval=10)
    one.keep(0, trainer.config, trainer.state_dict())
    size = one.nbytes
    timeline = Timeline(interval=10, budget=int(size * 8.5))
    for step in range(0, 400, 10):
        if timeline.due(step):
            timeline.keep(step, trainer.config, trainer.state_dict())
    assert timeline.nbytes <= timeline.budget
    assert timeline.steps[0] == 0 and timeline.steps[-1] > 390 - timeline.interval
    assert timeline.interval > 10 and len(timeline.steps) >= 4


def test_a_default_scene_checkpoint_is_small_enough_for_300(small: Small, tmp_path: Path) -> None:
    from models.engine import Trainer
    from models.history import MetricHistory
    from models.timeline import DEFAULT_BUDGET, state_bytes

    trainer = Trainer(TrainConfig())
    trainer.step(2)
    assert DEFAULT_BUDGET / state_bytes(trainer.state_dict()) >= 200
    save_session(tmp_path / "x.ganscope", trainer, MetricHistory())  # and it saves


def test_compare_mode_trains_variants_side_by_side(small: Small) -> None:
    base = small()
    configs = (base, base.with_changes({"regularization.r1_gamma": 1.0}), base)
    labels = ("as is", "R1 gamma = 1", "seed 0 again")
    events = drive(
        base,
        [
            msg.Compare(configs, labels),
            msg.Step(5),
            msg.Apply({"training.lr_d": 3e-4}, variant=1),  # hot: stays stacked
            msg.Apply({"generator.width": 24}, variant=2),  # a new shape: trains alone
            msg.Step(5),
        ],
    )
    started = next(e for e in of(events, msg.RunStarted) if e.reason == "compare")
    assert started.labels == labels and len(started.configs) == len(started.histories) == 3
    last = {}
    for event in of(events, msg.SnapshotReady):
        if event.run_id == started.run_id:
            last[event.variant] = event.snapshot
    assert sorted(last) == [0, 1, 2] and all(s.step == 10 for s in last.values())
    hot, shaped = of(events, msg.ChangeResult)
    assert hot.variant == 1 and hot.ok and hot.config.training.lr_d == 3e-4
    assert shaped.variant == 2 and "rebuilt generator" in shaped.message
    # the unchanged first variant and the third trained as twins until the third was rebuilt
    assert last[0].metrics["w1"] != last[1].metrics["w1"]


def test_compare_reset_restarts_every_variant(small: Small) -> None:
    base = small()
    events = drive(
        base,
        [
            msg.Compare((base, base.with_changes({"training.seed": 3})), ("a", "b")),
            msg.Step(4),
            msg.Reset(),
        ],
    )
    resets = [e for e in of(events, msg.RunStarted) if e.reason == "reset"]
    assert resets and resets[-1].labels == ("a", "b")
    after = [e for e in of(events, msg.SnapshotReady) if e.run_id == resets[-1].run_id]
    assert {e.variant for e in after} == {0, 1} and all(e.snapshot.step == 0 for e in after)
