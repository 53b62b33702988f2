"""Keeping runs: a long run is never dropped silently. The session is autosaved every few
minutes and offered back after a crash; closing the window or opening another scene on a
long run that was not saved first asks whether to save it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMainWindow

from app.model import WindowModel
from app.plain_text import ask
from app.process.autosave import Autosaver, crashed_sessions, describe, forget
from app.process.worker import TrainingWorker
from app.window.files import FileActions
from models import messages as msg
from models.session_file import SUFFIX

# a run this long unsaved is offered to be saved before it is dropped (about 10-20 s of play
# at full speed: long enough that a lecturer would mind losing it)
LONG_RUN_STEPS = 5_000


class RunKeeper:
    def __init__(
        self, window: QMainWindow, model: WindowModel, worker: TrainingWorker, files: FileActions
    ) -> None:
        self.window, self.model, self.worker, self.files = window, model, worker, files
        self.saved_step = 0  # the step of the run's last save (a new run: 0)
        self._then: Callable[[], object] | None = None  # what to do once the save is confirmed
        self.autosaver = Autosaver(
            lambda path: worker.save_session(path, model.scene.name), self._progress
        )
        model.session_saved.connect(self._saved)
        model.run_started.connect(self._run_started)

    def _progress(self) -> tuple[str, int, int] | None:
        """What an autosave would hold: the scene, its step and settings version (None: a
        compare run, which a session cannot hold, or nothing trained yet)."""
        latest = self.model.latest
        if latest is None or latest.step == 0 or self.model.comparing:
            return None
        return (self.model.scene.name, latest.step, latest.config_version)

    def _run_started(self, event: msg.RunStarted) -> None:
        if event.reason != "rewind":
            self.saved_step = event.history.last_step if event.reason == "session" else 0

    def _saved(self, event: msg.SessionSaved) -> None:
        if event.path == self.autosaver.path:
            if not event.ok:
                self.model.say(f"Autosave failed: {event.message}", error=True)
            return
        self.model.say(event.message, error=not event.ok)
        then, self._then = self._then, None
        if event.ok:
            self.saved_step = self.model.step
            if then is not None:
                then()

    def may_drop(self, title: str, then: Callable[[], object]) -> bool:
        """Whether the current run may be dropped now. A long unsaved run asks first; if
        the user wants it saved, the save starts, `then` runs once it is confirmed, and the
        answer is no (for now)."""
        model = self.model
        unsaved = model.step - self.saved_step
        if model.comparing or self.worker.failed is not None or unsaved < LONG_RUN_STEPS:
            return True
        question = f"This run has trained {model.step:,} steps since it was last saved. Save it?"
        if not ask(self.window, title, question):
            return True
        path, _ = QFileDialog.getSaveFileName(
            self.window,
            "Save session",
            f"{model.scene.name}{SUFFIX}",
            f"GANscope sessions (*{SUFFIX})",
        )
        if path:
            self._then = then
            self.files.save_session_file(Path(path))
        return False

    def offer_restore(self) -> None:
        """After a crash: offer the last autosaved session back (it becomes this window's
        autosave, so it is kept until this window closes cleanly)."""
        crashed = crashed_sessions(self.autosaver.path.parent)
        if not crashed:
            return
        newest, *older = crashed
        answer = ask(
            self.window,
            "Restore the autosaved session?",
            "GANscope did not close properly last time. Restore the session it autosaved "
            f"({describe(newest)})?",
        )
        forget(older)
        if not answer:
            forget([newest])
            return
        try:
            self.autosaver.adopt(newest)
        except OSError as exc:
            self.model.say(f"Could not restore the autosave: {exc.strerror}", error=True)
            return
        self.files.open_session_file(self.autosaver.path)
