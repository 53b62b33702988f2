"""An interactive training session: the loop the window steers, free of any transport.

Commands (models/messages.py) arrive through ``inbox``; events leave through ``outbox``. The
app runs the session in a child process (app/process/serve.py, steered by
app/process/worker.py) so training never competes with drawing for Python's GIL. Commands
are handled between training chunks of about 10 ms, so play, pause, step and changes take
effect within about one frame.

The session owns the run's metric history and its timeline (checkpoints to go back to). Every
run it starts (a scene, a reset, a rewind, a restored session) gets a new run id, and every
snapshot carries it: the window never draws a late snapshot of a run it has left.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from models import messages as msg
from models.config import ConfigError, TrainConfig
from models.engine import Phase, Trainer
from models.engine.batched import RunGroup, batch_key
from models.engine.changes import effect_of
from models.history import MetricHistory
from models.session_file import SessionFileError, open_session, save_session
from models.textfile import one_line
from models.timeline import Timeline

FRAME_SECONDS = 1 / 60  # in-between frames (samples only, 0.3 ms each): smooth animation
# training between command checks: the control latency floor. Frames leave only between
# chunks, so 10 ms chunks cap the window near 50 frames/s (a frame every 20 ms). Half-frame
# chunks (8.3 ms) measured 57 instead of 48 frames/s in presenter mode, but the extra drawing
# took the second core from training: 0.75-0.85 of headless instead of 0.90-0.92 (bench,
# back to back). On 2 cores the training share is kept.
CHUNK_SECONDS = 0.01
FULL_SECONDS = 1 / 8  # full snapshots (surface, field, metrics) at most this often...
FULL_SHARE = 0.07  # ...and taking at most this share of the time (13-20 ms each on one CPU thread)
HEARTBEAT_SECONDS = 0.5  # the window calls the process stuck after a few missed beats

Inbox = Callable[[float | None], msg.Command | None]  # wait up to timeout (None: forever)
Outbox = Callable[[msg.Event], None]
PHASE_BOUNDARY = {"d_update": ("d_step", "step"), "g_update": ("g_step", "step")}


@dataclass
class Session:
    inbox: Inbox
    outbox: Outbox
    trainer: Trainer | None = None
    base_dir: Path | None = None
    history: MetricHistory = field(default_factory=MetricHistory)
    timeline: Timeline = field(default_factory=Timeline)
    # compare mode: every variant's trainer (stacked where it can be), label and history;
    # `trainer` and `history` are then the first variant's
    group: RunGroup | None = None
    labels: tuple[str, ...] = ()
    histories: list[MetricHistory] = field(default_factory=list)
    run_id: int = 0
    playing: bool = False
    running: bool = True
    rate: float | None = None  # iterations per second cap; None = as fast as it goes
    chunk: int = 1
    _phases: Iterator[Phase] | None = None  # an iteration being stepped through
    _full_seconds: float = 0.0  # what the last full snapshot cost
    _last_beat: float = 0.0

    def run(self, config: TrainConfig, base_dir: Path | None) -> None:
        self.outbox(msg.Ready(pid=os.getpid()))
        self._load(msg.Load(config, base_dir))
        last_frame = last_full = time.perf_counter()
        while self.running:
            self._handle(timeout=HEARTBEAT_SECONDS if not self.playing else 0.0)
            self._beat()
            if not (self.running and self.playing and self.trainer):
                continue
            self._train_chunk()
            now = time.perf_counter()
            if now - last_full >= self._full_interval() or self._any_diverged():
                self._emit_full()
                last_full = last_frame = time.perf_counter()
            elif now - last_frame >= FRAME_SECONDS:
                self._emit_frame()
                last_frame = now
            if self._stopped():
                self._set_playing(False)

    # ----------------------------------------------------------------- plumbing
    def _handle(self, timeout: float | None) -> None:
        """Run the first command that arrives within `timeout`, then every queued one."""
        command = self.inbox(timeout)
        while command is not None:
            self._dispatch(command)
            command = self.inbox(0.0)

    def _dispatch(self, command: msg.Command) -> None:
        if self.trainer is None and not isinstance(
            command, msg.Load | msg.OpenSession | msg.SetRate | msg.Quit
        ):
            return  # no run yet (the first scene was refused): only a new one can start
        match command:
            case msg.Play():
                self._set_playing(True)
            case msg.Pause():
                self._set_playing(False)
            case msg.Toggle():
                self._set_playing(not self.playing)
            case msg.Step(n):
                self._step(n)
            case msg.StepPhase(until):
                self._step_phase(until)
            case msg.Apply(changes, variant, source):
                if self.group is None:
                    self._apply(dict(changes), source)
                else:
                    self._apply_to_variants(dict(changes), variant, source)
            case msg.Reset():
                self._reset()
            case msg.Load():
                self._load(command)
            case msg.Compare():
                self._compare(command)
            case msg.SetRate(rate):
                self.rate, self.chunk = rate, 1
            case msg.Rewind(step):
                self._rewind(step)
            case msg.SaveSession(path, name):
                self._save(path, name)
            case msg.OpenSession(path):
                self._open(path)
            case msg.Quit():
                self.running = self.playing = False
            case _:
                raise TypeError(f"unknown command {command!r}")

    def _beat(self) -> None:
        now = time.perf_counter()
        if now - self._last_beat >= HEARTBEAT_SECONDS:
            self._last_beat = now
            self.outbox(msg.Heartbeat())

    def _variants(self) -> list[Trainer]:
        """The runs being trained: one, or every variant of compare mode."""
        if self.group is not None:
            return self.group.trainers
        return [self.trainer] if self.trainer is not None else []

    def _any_diverged(self) -> bool:
        return any(t.diverged for t in self._variants())

    def _stopped(self) -> bool:
        """Nothing left to train: every run has blown up."""
        return all(t.diverged for t in self._variants())

    def _train_chunk(self) -> None:
        assert self.trainer is not None
        start = time.perf_counter()
        (self.group or self.trainer).step(self.chunk)
        self._keep_checkpoint()
        spent = max(time.perf_counter() - start, 1e-6)
        target = CHUNK_SECONDS * self.chunk / spent
        if self.rate is not None:
            target = min(target, max(1.0, self.rate * CHUNK_SECONDS))
            deadline = time.perf_counter() + self.chunk / self.rate - spent
            while self.running and (left := deadline - time.perf_counter()) > 0:
                before = self.rate
                self._handle(timeout=min(left, HEARTBEAT_SECONDS))
                self._beat()
                if self.rate != before or not self.playing:
                    break
        self.chunk = int(max(1, min(target, 2 * self.chunk)))

    def _full_interval(self) -> float:
        """Seconds between full snapshots while playing: FULL_SECONDS, or longer where they are
        slow (a CPU), so drawing never costs training more than FULL_SHARE of its speed."""
        return max(FULL_SECONDS, self._full_seconds / FULL_SHARE)

    def _emit_full(self) -> None:
        assert self.trainer is not None
        start = time.perf_counter()
        histories = self.histories if self.group is not None else [self.history]
        for variant, (trainer, history) in enumerate(zip(self._variants(), histories, strict=True)):
            snapshot = trainer.snapshot()
            history.append(snapshot.metrics)
            self.outbox(msg.SnapshotReady(snapshot=snapshot, run_id=self.run_id, variant=variant))
        self._full_seconds = time.perf_counter() - start

    def _emit_frame(self) -> None:
        """Just what moved since the last full snapshot (or a full one if there is none)."""
        assert self.trainer is not None
        frames = [trainer.frame() for trainer in self._variants()]
        if any(frame is None for frame in frames):
            self._emit_full()
            return
        for variant, frame in enumerate(frames):
            self.outbox(msg.FrameReady(frame=frame, run_id=self.run_id, variant=variant))  # type: ignore[arg-type]

    def _set_playing(self, playing: bool, show: bool = True) -> None:
        """Play or pause; pausing shows the state in full unless a new run replaces it."""
        playing = playing and self.trainer is not None and not self._stopped()
        if playing:
            self._finish_iteration()
        if playing != self.playing:
            self.playing = playing
            if not playing and show and self.trainer is not None:
                self._emit_full()  # paused: the state as it is, in full, before saying so
            self.outbox(msg.PlayingChanged(playing=playing))

    def _keep_checkpoint(self) -> None:
        trainer = self.trainer
        if self.group is not None:
            return  # compare mode keeps no timeline: going back is for one run
        if trainer is None or trainer.diverged or not self.timeline.due(trainer.step_count):
            return
        self.timeline.keep(trainer.step_count, trainer.config, trainer.state_dict())
        self.outbox(msg.TimelineChanged(steps=self.timeline.steps, run_id=self.run_id))

    def _new_run(self, reason: msg.RunReason, message: str = "", scene_name: str = "") -> None:
        """A run (re)starts: new id, the timeline from here, the window told, a snapshot."""
        assert self.trainer is not None
        self._phases = None
        self.run_id += 1
        if reason == "rewind":  # the checkpoints up to here stay, to go back further
            self.timeline.branch_at(self.trainer.step_count)
        else:
            self.timeline.clear()
        comparing = self.group is not None
        self.outbox(
            msg.RunStarted(
                config=self.trainer.config,
                run_id=self.run_id,
                history=self.history.copy(),
                reason=reason,
                message=message,
                scene_name=scene_name,
                labels=self.labels,
                configs=tuple(t.config for t in self._variants()) if comparing else (),
                histories=tuple(h.copy() for h in self.histories) if comparing else (),
            )
        )
        if self.timeline.due(self.trainer.step_count):
            self._keep_checkpoint()
        else:
            self.outbox(msg.TimelineChanged(steps=self.timeline.steps, run_id=self.run_id))
        self._emit_full()

    # ----------------------------------------------------------------- commands
    def _step(self, n: int) -> None:
        assert self.trainer is not None
        self._set_playing(False)
        self._finish_iteration()
        (self.group or self.trainer).step(n)
        self._keep_checkpoint()
        self._emit_full()

    def _step_phase(self, until: msg.StepUntil) -> None:
        """Run phases of the current iteration up to the next `until` boundary, reporting each
        with a snapshot of the state right after it."""
        trainer = self.trainer
        assert trainer is not None
        if self.group is not None:  # variants step together: phase by phase is for one run
            self._step(1)
            return
        self._set_playing(False)
        if trainer.diverged:
            return
        if self._phases is None:
            self._phases = trainer.phases()
        while True:
            try:
                phase = next(self._phases)
            except StopIteration:  # (the last phase already ended it; kept for safety)
                self._phases = None
                self._keep_checkpoint()
                return
            done = self._report_phase(phase)
            if until == "phase" or phase.kind in PHASE_BOUNDARY.get(until, ()) or done:
                return

    def _report_phase(self, phase: Phase) -> bool:
        """Send one phase; if it was the iteration's last, finish the iteration first (so its
        snapshot shows the new step). Returns whether the iteration ended."""
        assert self.trainer is not None
        last = phase.kind in ("g_step", "step") and phase.index == phase.count - 1
        if last:
            for _ in self._phases or ():
                pass  # the generator's tail books the iteration
            self._phases = None
        snapshot = self.trainer.snapshot()
        if last:
            self._after_iteration(snapshot.metrics)
        loss = None
        if phase.loss is not None:
            loss = float(phase.loss.detach().reshape(-1)[0].cpu())
        batch = None if phase.batch is None else phase.batch.detach().cpu().numpy().copy()
        self.outbox(
            msg.PhaseDone(
                kind=phase.kind,
                player=phase.player,
                index=phase.index,
                count=phase.count,
                loss=loss,
                batch=batch,
                snapshot=snapshot,
                iteration_done=last,
                run_id=self.run_id,
            )
        )
        return last

    def _after_iteration(self, metrics: Any) -> None:
        """A stepped iteration ended: book its snapshot's metrics, maybe keep a checkpoint."""
        self._keep_checkpoint()
        self.history.append(metrics)

    def _finish_iteration(self) -> None:
        """Run the rest of an iteration being stepped through (before anything else)."""
        if self._phases is not None:
            for _ in self._phases:
                pass
            self._phases = None
            self._keep_checkpoint()

    def _apply(self, changes: dict[str, Any], source: str = "") -> None:
        trainer = self.trainer
        assert trainer is not None
        self._finish_iteration()
        step = trainer.step_count
        try:
            report = trainer.apply(changes)
        except ConfigError as exc:
            self.outbox(
                msg.ChangeResult(
                    source=source,
                    step=step,
                    changes=changes,
                    message=str(exc),
                    ok=False,
                    config=trainer.config,
                    optimizer_steps=trainer.optimizer_steps(),
                )
            )
            return
        marker = None
        if report.changed and not report.reset:
            marker = self.history.mark_edit(
                step, report.changed, _marked(source, report.labels), time.monotonic()
            )
        self.outbox(
            msg.ChangeResult(
                source=source,
                step=step,
                changes=changes,
                message=f"step {step}: {report.message}" if report.changed else "",
                ok=True,
                config=trainer.config,
                reset=report.reset,
                optimizer_steps=trainer.optimizer_steps(),
                marker=marker,
            )
        )
        if report.reset:
            self.history.clear()
            self._new_run("reset", report.message)
        else:
            self._keep_checkpoint()
            self._emit_full()  # the change shows on screen within one chunk

    def _reset(self) -> None:
        assert self.trainer is not None
        self._phases = None
        if self.group is not None:
            self._start_compare([t.config for t in self.group.trainers], self.labels, "reset")
            return
        self.trainer.reset()
        self.history.clear()
        self._new_run("reset")

    def _load(self, command: msg.Load) -> None:
        try:
            trainer = Trainer(command.config, command.base_dir)
        except ConfigError as exc:
            self.outbox(msg.LoadRefused(message=str(exc)))
            return
        self._replace(trainer, command.base_dir, MetricHistory())
        self.group, self.labels, self.histories = None, (), []
        self._new_run("load")

    def _compare(self, command: msg.Compare) -> None:
        self.base_dir = command.base_dir
        self._start_compare(list(command.configs), command.labels, "compare")

    def _start_compare(
        self, configs: list[TrainConfig], labels: tuple[str, ...], reason: msg.RunReason
    ) -> None:
        """Every variant from step 0, stacked where it can be."""
        try:
            group = RunGroup(configs, self.base_dir)
        except ConfigError as exc:
            self.outbox(msg.LoadRefused(message=str(exc)))
            return
        version = self.trainer.config_version + 1 if self.trainer is not None else 0
        for trainer in group.trainers:
            trainer.config_version = version
        self._set_playing(False, show=False)
        self.group, self.labels = group, tuple(labels)
        self.histories = [MetricHistory() for _ in configs]
        self.trainer, self.history, self.chunk = group.trainers[0], self.histories[0], 1
        self._new_run(reason, f"comparing {len(configs)} runs")

    def _apply_to_variants(
        self, changes: dict[str, Any], variant: int | None, source: str = ""
    ) -> None:
        """A change to one variant (or all): a change of shape takes that variant out of its
        stacked model first; a restart restarts only that variant."""
        assert self.group is not None
        targets = range(len(self.group.trainers)) if variant is None else [variant]
        restarted = False
        for index in targets:
            trainer = self.group.trainers[index]
            step = trainer.step_count
            try:
                new = trainer.config.with_changes(changes)
            except ConfigError as exc:
                self.outbox(
                    msg.ChangeResult(
                        source=source,
                        step=step,
                        changes=changes,
                        message=str(exc),
                        ok=False,
                        config=trainer.config,
                        variant=index,
                    )
                )
                continue
            if self.group.is_stacked(index) and needs_own_model(trainer.config, new):
                trainer = self.group.release(index)
            report = trainer.apply(changes)
            marker = None
            if report.reset:
                self.histories[index].clear()
                restarted = True
            elif report.changed:
                marker = self.histories[index].mark_edit(
                    step, report.changed, _marked(source, report.labels), time.monotonic()
                )
            self.outbox(
                msg.ChangeResult(
                    source=source,
                    step=step,
                    changes=changes,
                    message=f"{self.labels[index]}: step {step}: {report.message}"
                    if report.changed
                    else "",
                    ok=True,
                    config=trainer.config,
                    reset=report.reset,
                    optimizer_steps=trainer.optimizer_steps(),
                    marker=marker,
                    variant=index,
                )
            )
        self.trainer, self.history = self.group.trainers[0], self.histories[0]
        if restarted:
            self._new_run("compare", "a variant restarted")
        else:
            self._emit_full()

    def _rewind(self, step: int) -> None:
        checkpoint = self.timeline.at_or_before(step)
        if self.trainer is None or checkpoint is None or self.group is not None:
            return
        self._phases = None
        trainer = Trainer(checkpoint.config, self.base_dir)
        trainer.load_state_dict(checkpoint.state)
        self.history.branch_at(checkpoint.step)
        self._replace(trainer, self.base_dir, self.history)
        self._new_run("rewind", f"back to step {checkpoint.step}: change a control and play")

    def _open(self, path: Path) -> None:
        """Restore a session file; a bad one is refused and the current run (its step,
        settings, history and whether it plays) is left exactly as it was."""
        try:
            trainer, saved = open_session(path)
        except SessionFileError as exc:
            self.outbox(msg.LoadRefused(message=str(exc)))
            return
        except Exception as exc:  # a bug (or no memory), never the way a file ends the run
            name = one_line(Path(path).name, 120)
            self.outbox(
                msg.LoadRefused(message=f"{name}: could not be opened ({type(exc).__name__})")
            )
            return
        self._replace(trainer, None, saved.history)
        self.group, self.labels, self.histories = None, (), []
        self._new_run(
            "session",
            f"opened {Path(path).name} at step {trainer.step_count}",
            saved.scene_name or Path(path).stem,
        )

    def _replace(self, trainer: Trainer, base_dir: Path | None, history: MetricHistory) -> None:
        """Swap in another run, keeping config versions increasing (views compare them)."""
        self._set_playing(False, show=False)
        if self.trainer is not None:
            trainer.config_version = self.trainer.config_version + 1
        self.trainer, self.base_dir, self.history = trainer, base_dir, history
        self.chunk = 1

    def _save(self, path: Path, scene_name: str) -> None:
        assert self.trainer is not None
        if self.group is not None:
            self.outbox(
                msg.SessionSaved(
                    path=path, ok=False, message="A session holds one run: leave compare mode first"
                )
            )
            return
        self._finish_iteration()
        try:
            size = save_session(path, self.trainer, self.history, scene_name)
        except (OSError, ConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.outbox(
                msg.SessionSaved(
                    path=path, ok=False, message=f"Could not save {Path(path).name}: {reason}"
                )
            )
            return
        step = self.trainer.step_count
        self.outbox(
            msg.SessionSaved(
                path=path,
                ok=True,
                message=f"Saved session {path} (step {step}, {size / 1e6:.1f} MB)",
            )
        )


def needs_own_model(old: TrainConfig, new: TrainConfig) -> bool:
    """Whether a change takes a run out of its stacked model: another shape, or a change
    that rebuilds its networks or restarts it."""
    if batch_key(old) != batch_key(new):
        return True
    keys = old.changes_to(new)
    return any(effect_of(k) in ("generator", "discriminator", "target", "restart") for k in keys)


def _marked(source: str, labels: tuple[str, ...]) -> str:
    """A marker's label: 'R1 gamma = 1', or 'undo: R1 gamma = 0' for a change the controls
    did not make."""
    text = "; ".join(labels)
    return f"{source}: {text}" if source else text
