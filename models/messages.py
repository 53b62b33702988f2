"""The typed messages between the window and its training process.

Commands go to the training session (models/session.py), events come back. Both cross a
process boundary (pickled over a pipe), so they hold plain values, numpy arrays and frozen
configs only: never a torch tensor, never a Qt object.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from models.config import TrainConfig
from models.history import Marker, MetricHistory
from models.snapshot import Frame, Snapshot

# ------------------------------------------------------------------ commands (window -> session)


@dataclass(frozen=True)
class Play:
    pass


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class Toggle:
    pass


@dataclass(frozen=True)
class Step:
    """Train n iterations, then pause."""

    n: int = 1


StepUntil = Literal["phase", "d_update", "g_update", "iteration"]


@dataclass(frozen=True)
class StepPhase:
    """Run the current iteration's phases up to the next boundary of `until`, reporting each
    phase (slow motion: the window animates between the reports)."""

    until: StepUntil = "phase"


@dataclass(frozen=True)
class Apply:
    changes: Mapping[str, Any]
    variant: int | None = None  # compare mode: which run (None: every run)
    source: str = ""  # who asked, when not the controls ("undo", "doctor"): named on the marker


@dataclass(frozen=True)
class Reset:
    pass


@dataclass(frozen=True)
class Load:
    config: TrainConfig
    base_dir: Path | None = None


@dataclass(frozen=True)
class Compare:
    """Train these variants side by side (compare mode); `labels` say what differs."""

    configs: tuple[TrainConfig, ...]
    labels: tuple[str, ...]
    base_dir: Path | None = None


@dataclass(frozen=True)
class SetRate:
    """Iterations per second at most; None: as fast as it goes."""

    steps_per_second: float | None


@dataclass(frozen=True)
class Rewind:
    """Go back to the timeline checkpoint at `step`; training continues from there."""

    step: int


@dataclass(frozen=True)
class SaveSession:
    path: Path
    scene_name: str = ""


@dataclass(frozen=True)
class OpenSession:
    path: Path


@dataclass(frozen=True)
class Quit:
    pass


Command = (
    Play | Pause | Toggle | Step | StepPhase | Apply | Reset | Load | Compare | SetRate
    | Rewind | SaveSession | OpenSession | Quit
)  # fmt: skip

# ------------------------------------------------------------------ events (session -> window)
# Keyword-only, so each value is named where an event is made.


@dataclass(frozen=True, kw_only=True)
class Ready:
    """The session is up (torch imported, the first run built): supervision starts now."""

    pid: int


@dataclass(frozen=True, kw_only=True)
class Heartbeat:
    """Sent at least twice a second while the session loop is alive."""


@dataclass(frozen=True, kw_only=True)
class SnapshotReady:
    snapshot: Snapshot
    run_id: int
    variant: int = 0


@dataclass(frozen=True, kw_only=True)
class FrameReady:
    frame: Frame
    run_id: int
    variant: int = 0


@dataclass(frozen=True, kw_only=True)
class ChangeResult:
    """What became of one Apply, for the status bar and the chart markers."""

    step: int
    changes: Mapping[str, Any]
    message: str
    ok: bool
    config: TrainConfig  # the trainer's config afterwards (the old one if refused)
    reset: bool = False  # training restarted from step 0 (seed or device changed)
    optimizer_steps: tuple[int, int] = (0, 0)  # optimizer steps in G's and D's state afterwards
    marker: Marker | None = None
    variant: int = 0
    source: str = ""  # the Apply's source


@dataclass(frozen=True, kw_only=True)
class PlayingChanged:
    playing: bool


RunReason = Literal["load", "reset", "rewind", "session", "compare"]


@dataclass(frozen=True, kw_only=True)
class RunStarted:
    """A run (re)starts: a new scene, a reset, a restored session or a rewind. Everything
    drawn from earlier runs is stale; `history` is what this run has so far."""

    config: TrainConfig
    run_id: int
    history: MetricHistory
    reason: RunReason
    message: str = ""
    scene_name: str = ""  # a restored session: the scene it was saved from
    # compare mode: every variant's label, config and history (empty for one run)
    labels: tuple[str, ...] = ()
    configs: tuple[TrainConfig, ...] = ()
    histories: tuple[MetricHistory, ...] = ()


@dataclass(frozen=True, kw_only=True)
class LoadRefused:
    """A scene or session could not be loaded; the current run is untouched."""

    message: str


@dataclass(frozen=True, kw_only=True)
class TimelineChanged:
    """The steps a rewind can go back to, oldest first."""

    steps: tuple[int, ...]
    run_id: int


@dataclass(frozen=True, kw_only=True)
class PhaseDone:
    """One phase of a stepped iteration, with what the window needs to show it."""

    kind: str
    player: str
    index: int
    count: int
    loss: float | None
    batch: np.ndarray | None  # (N, 2) the samples this phase drew, as D sees them
    snapshot: Snapshot  # the state right after the phase
    iteration_done: bool
    run_id: int


@dataclass(frozen=True, kw_only=True)
class SessionSaved:
    path: Path
    ok: bool
    message: str


@dataclass(frozen=True, kw_only=True)
class Crashed:
    """An unexpected error ended the training process; `details` is its traceback."""

    message: str
    details: str = ""


@dataclass(frozen=True, kw_only=True)
class TrainingStopped:
    """Made by the window's supervisor (app/process/worker.py), never sent by the session:
    the training process died, hung or reported a crash, and says so in words."""

    message: str
    details: str = ""


Event = (
    Ready | Heartbeat | SnapshotReady | FrameReady | ChangeResult | PlayingChanged | RunStarted
    | LoadRefused | TimelineChanged | PhaseDone | SessionSaved | Crashed | TrainingStopped
)  # fmt: skip
