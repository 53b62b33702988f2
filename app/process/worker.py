"""The link between the window and the training process, and the process's supervisor.

Training runs in a child process (models/session.py): on 2 cores, a training *thread* and
pyqtgraph's Python painting fight over the GIL, and training dropped to 0.13-0.2 of its
headless speed (measured, see `ganscope bench`). This QThread only waits on the pipe, with the
GIL released, and hands each typed event to the GUI thread as one `events` signal (superqt's
GeneratorWorker has one `yielded(object)` the same way); the window sends commands down the
same pipe. Neither side ever waits on the other.

Supervision: the process beats twice a second. If it dies (an exception, `kill -9`, out of
memory) or stops beating for HANG_SECONDS, a TrainingStopped event says so within a second, and
`restart` starts a fresh process with the window's current settings.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThread, QTimer, Signal

from app.process.serve import serve
from models import messages as msg
from models.config import TrainConfig
from models.snapshot import Snapshot

_CONTEXT = multiprocessing.get_context("spawn")  # never fork a process that runs Qt
HANG_SECONDS = 4.0  # no heartbeat for this long (8 missed beats): the process is stuck
START_SECONDS = 120.0  # a fresh process imports torch: seconds, minutes on a loaded machine
SUPERVISE_MS = 250


class TrainingWorker(QThread):
    """The training process's link: commands down, one `events` signal up.

    `events` carries every typed event of the current run (models/messages.py), on the GUI
    thread, in order: snapshots with their in-between frames already merged in, late events
    of a run the window has left already dropped, and the supervisor's own TrainingStopped
    when the process dies, hangs or crashes. Heartbeats and Ready stay here."""

    events = Signal(object)  # a models.messages event (not `event`: QObject.event is a virtual)
    _pipe_closed = Signal()
    _received = Signal(object)  # an event read from the pipe, handed to the GUI thread

    def __init__(self, config: TrainConfig, base_dir: Path | None = None) -> None:
        super().__init__()
        self._config, self._base_dir = config, base_dir
        self._pipe: Any = None
        self._process: Any = None
        self._run_id = 0
        self._last_full: dict[int, Snapshot] = {}  # per variant
        self._last_heard = 0.0
        self._started_at = 0.0
        self._is_ready = False
        self.failed: str | None = None  # why the process is gone, once it is
        self._crash: tuple[str, str] | None = None  # the error it reported before ending
        self._supervisor = QTimer(self)
        self._supervisor.setInterval(SUPERVISE_MS)
        self._supervisor.timeout.connect(self._supervise)
        self._pipe_closed.connect(self._supervise)
        # Events are read on this QThread's own thread but handled, and every public signal
        # emitted, on the GUI thread (where this object lives): a connection to a plain
        # callable (a lambda, a test's signal blocker) is then never a cross-thread queued
        # call, which crashed the test process when one landed after its receiver was gone.
        self._received.connect(self._dispatch, Qt.ConnectionType.QueuedConnection)

    # ------------------------------------------------------------- GUI-thread API
    def start(self) -> None:  # type: ignore[override]
        self._launch()

    def restart(self, config: TrainConfig, base_dir: Path | None) -> None:
        """A fresh training process with these settings (after a failure, or to recover)."""
        self._shutdown(graceful=False)
        self._config, self._base_dir = config, base_dir
        self._launch()

    def _launch(self) -> None:
        self._pipe, child_end = _CONTEXT.Pipe(duplex=True)
        self._process = _CONTEXT.Process(
            target=serve,
            args=(child_end, self._config, self._base_dir),
            name="ganscope-training",
            daemon=True,
        )
        self._process.start()
        child_end.close()  # the child holds its own copy
        self.failed, self._crash, self._is_ready = None, None, False
        self._started_at = self._last_heard = time.monotonic()
        self._last_full = {}
        super().start()
        self._supervisor.start()

    @property
    def alive(self) -> bool:
        return self.failed is None and self._process is not None

    @property
    def process_id(self) -> int | None:
        """The training process's pid (for tests that check nothing is left behind)."""
        return self._process.pid if self._process is not None else None

    def play(self) -> None:
        self._send(msg.Play())

    def pause(self) -> None:
        self._send(msg.Pause())

    def toggle(self) -> None:
        self._send(msg.Toggle())

    def step_once(self, n: int = 1) -> None:
        self._send(msg.Step(n))

    def step_phase(self, until: msg.StepUntil = "phase") -> None:
        self._send(msg.StepPhase(until))

    def apply(self, changes: Any, variant: int | None = None, source: str = "") -> None:
        self._send(msg.Apply(changes=dict(changes), variant=variant, source=source))

    def compare(self, configs: list[TrainConfig], labels: list[str], base_dir: Path | None) -> None:
        self._send(msg.Compare(configs=tuple(configs), labels=tuple(labels), base_dir=base_dir))

    def reset(self) -> None:
        self._send(msg.Reset())

    def load(self, config: TrainConfig, base_dir: Path | None) -> None:
        self._send(msg.Load(config=config, base_dir=base_dir))

    def set_rate(self, steps_per_second: float | None) -> None:
        self._send(msg.SetRate(steps_per_second))

    def rewind(self, step: int) -> None:
        self._send(msg.Rewind(step))

    def save_session(self, path: Path, scene_name: str) -> None:
        self._send(msg.SaveSession(path=path, scene_name=scene_name))

    def open_session(self, path: Path) -> None:
        self._send(msg.OpenSession(path))

    def stop(self) -> None:
        """End the training process and this thread; safe to call twice, never hangs."""
        self._shutdown(graceful=True)

    def _shutdown(self, graceful: bool) -> None:
        self._supervisor.stop()
        process = self._process
        if process is not None and process.pid is not None:
            if graceful:
                self._send(msg.Quit())
                process.join(timeout=5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
        if self._pipe is not None:
            self._pipe.close()
        self.wait(5000)
        self._process = None
        self.failed = "stopped"

    def _send(self, command: msg.Command) -> None:
        if self.failed is not None or self._pipe is None:
            return  # the process is gone and the window already said so
        # OSError/ValueError: the process has just ended; the supervisor reports it
        with contextlib.suppress(OSError, ValueError):
            self._pipe.send(command)

    # ------------------------------------------------------------- supervision
    def _supervise(self) -> None:
        process = self._process
        if self.failed is not None or process is None:
            return
        now = time.monotonic()
        if self._crash is not None:
            message, details = self._crash
            self._report(
                f"Training stopped on an error ({message}). Press Reset to start it again.",
                details,
            )
        elif not process.is_alive():
            process.join(timeout=1)
            self._report(_describe_exit(process.exitcode), "")
        elif self._is_ready and now - self._last_heard > HANG_SECONDS:
            self._report(
                f"The training process has not answered for {now - self._last_heard:.0f} s "
                "(stuck, or one iteration takes that long). Press Reset to start it again.",
                "",
            )
        elif not self._is_ready and now - self._started_at > START_SECONDS:
            self._report(f"The training process did not start within {START_SECONDS:.0f} s.", "")

    def _report(self, message: str, details: str) -> None:
        self.failed = message
        self._supervisor.stop()
        if self._process is not None and self._process.is_alive():
            self._process.terminate()  # stuck: it would never answer again
        self.events.emit(msg.TrainingStopped(message=message, details=details))

    # ------------------------------------------------------------- this thread
    def run(self) -> None:
        pipe = self._pipe
        while True:
            try:
                event = pipe.recv()
            except (EOFError, OSError, ValueError):
                self._pipe_closed.emit()
                return
            except Exception as exc:  # an event that cannot be unpickled
                self._crash = ("an unreadable message", repr(exc))
                self._pipe_closed.emit()
                return
            self._last_heard = time.monotonic()
            self._received.emit(event)

    def _dispatch(self, event: msg.Event) -> None:
        """Keep what supervision needs, merge frames, drop what belongs to a left run."""
        match event:
            case msg.Heartbeat():
                return
            case msg.Ready():
                self._is_ready = True
                return
            case msg.Crashed():
                self._crash = (event.message, event.details)
                self._pipe_closed.emit()
                return
            case msg.FrameReady():
                full = self._last_full.get(event.variant)
                if event.run_id != self._run_id or full is None:
                    return
                if event.frame.config_version != full.config_version:
                    return
                snapshot = full.with_frame(event.frame)
                event = msg.SnapshotReady(
                    snapshot=snapshot, run_id=event.run_id, variant=event.variant
                )
            case msg.SnapshotReady():
                if event.run_id != self._run_id:
                    return
                self._last_full[event.variant] = event.snapshot
            case msg.RunStarted():
                self._run_id, self._last_full = event.run_id, {}
            case msg.TimelineChanged() | msg.PhaseDone() if event.run_id != self._run_id:
                return
            case msg.PhaseDone():
                self._last_full[0] = event.snapshot
        self.events.emit(event)


def _describe_exit(code: int | None) -> str:
    """What a child's exit code means, in words."""
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"The training process was killed ({name}). Press Reset to start it again."
    if code == 1:
        return "Training stopped on an unexpected error. Press Reset to start it again."
    return f"The training process ended (exit code {code}). Press Reset to start it again."
