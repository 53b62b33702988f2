"""The window's state as data, free of Qt: napari's ViewerModel for GANscope.

What the window shows lives here, once: the scene, the runs being trained (ONE list: a
single run is a list of one, compare mode is several, and no widget has a second code path
for it), each run's config, latest snapshot and metric history, whether training plays or
has failed, presenter mode, the visible layers and the status line. The training process's
typed events (models/messages.py) come in through `on_event`; widgets subscribe to the
model's signals and draw what it holds. Nothing here imports Qt, so the window's logic is
tested without a display (tests/test_model.py).

Why a small callback list (`Signal`) and not psygnal's evented models: the subscribers are a
dozen widgets on one thread, told about a dozen kinds of change; thirty lines with connect,
disconnect and emit need no dependency, keep the call stack readable in a traceback, and let
a test subscribe a plain list's `append`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.views.layers import DEFAULT_LAYERS, LAYERS
from models import messages as msg
from models.config import TrainConfig
from models.history import MetricHistory
from models.snapshot import Snapshot
from scenes.loader import Scene


class Signal:
    """A list of callbacks, called in order with the emitted values."""

    def __init__(self) -> None:
        self._slots: list[Callable[..., Any]] = []

    def connect(self, slot: Callable[..., Any]) -> None:
        self._slots.append(slot)

    def disconnect(self, slot: Callable[..., Any]) -> None:
        self._slots.remove(slot)

    def emit(self, *values: Any) -> None:
        for slot in list(self._slots):
            slot(*values)


@dataclass
class Run:
    """One run the window shows: its label (empty for a single run), its settings as the
    training process last confirmed them, its newest snapshot and its metric history (the
    session's, sent with the run's start, then grown by every full snapshot)."""

    label: str
    config: TrainConfig
    history: MetricHistory
    latest: Snapshot | None = None


@dataclass(frozen=True)
class Status:
    """The status line: a plain-words message, shown red when `error`."""

    text: str = ""
    error: bool = False


class WindowModel:
    def __init__(self, scene: Scene) -> None:
        self.scene = scene  # the scene the runs come from, once training confirms it
        self.pending_scene: Scene | None = scene  # asked for, not yet confirmed
        self.runs: list[Run] = [Run("", scene.config, MetricHistory())]
        self.run_id = 0
        self.playing = False
        self.ever_played = False
        self.failed: str | None = None  # why training stopped, while it is stopped
        self.presenter = False
        self.layers: set[str] = set(DEFAULT_LAYERS)
        self.status = Status("Starting the training engine…")
        self.timeline: tuple[int, ...] = (0,)
        self.hint = "Starting the training engine…"  # over the data view; "" for none

        self.run_started = Signal()  # (RunStarted event): every run is new, redraw from scratch
        self.snapshot = Signal()  # (run index, Snapshot): a run's newest picture
        self.history_grew = Signal()  # (run index): a row or a marker was added
        self.config_changed = Signal()  # (run index, ChangeResult): a change was applied or refused
        self.playing_changed = Signal()  # (bool)
        self.failed_changed = Signal()  # (message, details): training stopped
        self.status_changed = Signal()  # (Status)
        self.presenter_changed = Signal()  # (bool)
        self.layers_changed = Signal()  # (set of layer names)
        self.timeline_changed = Signal()  # (steps a rewind can go back to)
        self.phase_done = Signal()  # (PhaseDone): slow motion animates it
        self.session_saved = Signal()  # (SessionSaved)
        self.hint_changed = Signal()  # (text over the data view)

    # ------------------------------------------------------------------ reading
    @property
    def comparing(self) -> bool:
        return len(self.runs) > 1

    @property
    def config(self) -> TrainConfig:
        """The first run's settings: the run, or compare mode's first variant."""
        return self.runs[0].config

    @property
    def latest(self) -> Snapshot | None:
        return self.runs[0].latest

    @property
    def step(self) -> int:
        latest = self.latest
        return latest.step if latest is not None else 0

    # ------------------------------------------------------------------ the window's own
    def say(self, text: str, error: bool = False) -> None:
        self.status = Status(text, error)
        self.status_changed.emit(self.status)

    def set_hint(self, text: str) -> None:
        if text != self.hint:
            self.hint = text
            self.hint_changed.emit(text)

    def set_presenter(self, on: bool) -> None:
        if on != self.presenter:
            self.presenter = on
            self.presenter_changed.emit(on)

    def set_layer(self, name: str, visible: bool) -> None:
        """Show or hide a layer; the two backgrounds (D's verdict, gradient strength)
        exclude each other."""
        if name not in LAYERS:
            raise KeyError(name)
        layers = set(self.layers)
        if visible:
            layers.add(name)
            layers -= {"surface": {"magnitude"}, "magnitude": {"surface"}}.get(name, set())
        else:
            layers.discard(name)
        if layers != self.layers:
            self.layers = layers
            self.layers_changed.emit(set(layers))

    def ask_for(self, scene: Scene) -> None:
        """A scene was asked for: it becomes the scene when training starts it."""
        self.pending_scene = scene

    def show_picture(self, snapshot: Snapshot) -> None:
        """Draw this picture of the first run (a slow-motion in-between), history untouched."""
        self.runs[0].latest = snapshot
        self.snapshot.emit(0, snapshot)

    def add_snapshot(self, index: int, snapshot: Snapshot) -> None:
        """A run's newest full snapshot: drawn, and its metrics a history row."""
        if not 0 <= index < len(self.runs):
            return
        run = self.runs[index]
        if index == 0 and run.latest is None and not self.ever_played:
            self.set_hint("Press Space to play")
        run.latest = snapshot
        if run.history.append(snapshot.metrics):
            self.history_grew.emit(index)
        self.snapshot.emit(index, snapshot)
        if snapshot.diverged:
            self.say(snapshot.diverged, error=True)

    # ------------------------------------------------------------------ events
    def on_event(self, event: msg.Event) -> None:
        """One event from the training process (already of the current run: the worker
        drops late ones), or the supervisor's TrainingStopped."""
        match event:
            case msg.SnapshotReady():
                self.add_snapshot(event.variant, event.snapshot)
            case msg.RunStarted():
                self._start_runs(event)
            case msg.ChangeResult():
                self._changed(event)
            case msg.PlayingChanged():
                self.playing = event.playing
                if event.playing:
                    self.ever_played = True
                    self.set_hint("")
                self.playing_changed.emit(event.playing)
            case msg.LoadRefused():
                self.pending_scene = None
                text = event.message.replace("\n", "; ")
                self.say(f"Could not load: {text} (kept the current scene)", error=True)
            case msg.TimelineChanged():
                self.timeline = event.steps
                self.timeline_changed.emit(event.steps)
            case msg.PhaseDone():
                self.runs[0].latest = event.snapshot
                if event.iteration_done and self.runs[0].history.append(event.snapshot.metrics):
                    self.history_grew.emit(0)
                self.phase_done.emit(event)
            case msg.SessionSaved():
                self.session_saved.emit(event)
            case msg.TrainingStopped():
                self.playing = False
                self.failed = event.message
                self.playing_changed.emit(False)
                self.failed_changed.emit(event.message, event.details)
                self.say(event.message, error=True)
                self.set_hint("Training stopped: press R to start it again")

    def _start_runs(self, event: msg.RunStarted) -> None:
        """Training started a run (or several): everything shown before belongs to old ones."""
        if event.reason == "load" and self.pending_scene is not None:
            self.scene, self.pending_scene = self.pending_scene, None
        elif event.reason == "session":
            self.scene = Scene(event.scene_name or "session", event.config, None)
        if event.labels:
            self.runs = [
                Run(label, config, history)
                for label, config, history in zip(
                    event.labels, event.configs, event.histories, strict=True
                )
            ]
        else:
            self.runs = [Run("", event.config, event.history)]
        self.run_id = event.run_id
        self.failed = None
        self.run_started.emit(event)
        if event.reason == "load":
            self.say(f"Loaded scene: {event.config.scene.title}")
        else:
            self.say(event.message or "Back to step 0")

    def _changed(self, result: msg.ChangeResult) -> None:
        if not 0 <= result.variant < len(self.runs):
            return
        run = self.runs[result.variant]
        run.config = result.config
        if result.marker is not None:
            run.history.put_marker(result.marker)
            self.history_grew.emit(result.variant)
        self.config_changed.emit(result.variant, result)
        if not result.ok:
            self.say("Refused: " + result.message.replace("\n", "; "), error=True)
        elif result.message:
            self.say(result.message)

    def started_over(self) -> None:
        """A fresh training process is starting (Reset after a failure)."""
        self.failed = None
        self.say("Starting the training engine again…")
        self.set_hint("Starting the training engine…")
