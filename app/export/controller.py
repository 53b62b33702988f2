"""The window's Record and Export… actions: what they start, show and clean up.

Kept out of the main window so it only has to say where frames are drawn (`capture`) and
when it closes (`finish`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QProgressDialog

from app import colours
from app.export.dialog import ExportDialog
from app.export.job import ExportJob
from app.export.options import caption_title, set_flags
from app.export.recorder import ScreenRecorder
from app.plain_text import plain, warn
from models.config import TrainConfig
from scenes.loader import Scene, resolve

ShowMessage = Callable[[str, bool], None]


class ExportController(QObject):
    def __init__(
        self,
        window: QMainWindow,
        show_message: ShowMessage,
        current: Callable[[], tuple[Scene, TrainConfig]],
        library_names: set[str],
        variants: Callable[[], tuple[list[TrainConfig], list[str]] | None] = lambda: None,
    ) -> None:
        """current: the loaded scene and the settings the controls show now; variants:
        compare mode's runs and labels (None outside compare mode)."""
        super().__init__(window)
        self.window = window
        self.show_message = show_message
        self.current = current
        self.variants = variants
        self.library_names = library_names
        self.recorder: ScreenRecorder | None = None
        self.job: ExportJob | None = None
        self.progress: QProgressDialog | None = None
        self.record_label = plain(QLabel())
        self.record_label.setStyleSheet(f"color: {colours.ERROR}; font-weight: bold;")
        self.record_action: QAction | None = None  # the window's Record command (checkable)

    # ------------------------------------------------------------------ record
    def capture(self, step: int | None = None) -> None:
        """The window drew a new frame (of training step `step`)."""
        if self.recorder is not None:
            self.recorder.capture(step)

    def record_toggled(self, on: bool) -> None:
        """The Record command: on asks where to record to, off stops."""
        if on and self.recorder is None:
            path, _ = QFileDialog.getSaveFileName(
                self.window, "Record to", "recording.mp4", "MP4 video (*.mp4);;GIF (*.gif)"
            )
            if not path or not self.start_recording(Path(path)):
                self._set_checked(False)
        elif not on and self.recorder is not None:
            self.stop_recording()

    def start_recording(self, path: Path) -> bool:
        """Capture the views (samples, phase portrait, charts) as they are drawn."""
        if path.suffix.lower() not in (".mp4", ".gif"):
            self.show_message(f"Record to .mp4 or .gif, not {path.suffix or 'no suffix'}", True)
            return False
        central = self.window.centralWidget()
        assert central is not None  # (the window has its parts)
        self.recorder = ScreenRecorder(central, path)
        self.recorder.finished.connect(self._on_recording_saved)
        self.recorder.full.connect(self._on_recording_full)
        self._set_checked(True)
        self.record_label.setText("● REC")
        self.show_message(f"Recording to {path}: press Record again to stop", False)
        return True

    def stop_recording(self) -> ScreenRecorder | None:
        """Stop capturing; the file is finished in the background and reported when saved."""
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            recorder.stop()
            self.show_message(f"Finishing {recorder.path.name} ({recorder.frames} frames)…", False)
        self._set_checked(False)
        self.record_label.setText("")
        return recorder

    def _set_checked(self, on: bool) -> None:
        if self.record_action is not None:
            self.record_action.blockSignals(True)
            self.record_action.setChecked(on)
            self.record_action.blockSignals(False)

    def _on_recording_saved(self, message: str, ok: bool) -> None:
        self.show_message(message, not ok)

    def _on_recording_full(self, reason: str) -> None:
        self.stop_recording()
        self.show_message(reason, True)

    # ------------------------------------------------------------------ export
    def open_dialog(self) -> None:
        if self.job is not None and self.job.running():
            self.show_message("An export is already running.", True)
            return
        dialog = self.make_dialog()
        if dialog.exec() and dialog.options is not None:
            self.start_export(dialog)

    def make_dialog(self) -> ExportDialog:
        scene, config = self.current()
        steps = max((check.steps for check in config.checks), default=2000)
        base = self.command_scene(scene)
        title = caption_title(base.config if base is not None else scene.config, config)
        try:
            words: list[str] | str = self.scene_words(base)
        except ValueError as why:
            words = str(why)
        return ExportDialog(self.window, words, config.is_dirac, steps, title)

    def command_scene(self, scene: Scene) -> Scene | None:
        """The scene a command line can name for this run: the scene itself, or for an
        opened session the shipped scene it came from; None when there is none."""
        if scene.path is not None:
            return scene
        if scene.name in self.library_names:
            return resolve(scene.name)
        return None

    def scene_words(self, base: Scene | None) -> list[str]:
        """The command-line scene argument and --set flags for the current settings; raises
        ValueError saying why when no command can say them."""
        if base is None:
            raise ValueError("this session's scene is not a shipped scene or a file")
        _, config = self.current()
        where = base.name if base.name in self.library_names else str(base.path)
        return [where, *set_flags(base.config, config)]

    def start_export(self, dialog: ExportDialog) -> ExportJob:
        """Run the export as its own process, with a progress dialog that can cancel it."""
        assert dialog.options is not None
        scene, config = self.current()
        variants = self.variants()
        if variants is not None:
            config = variants[0][0]
        job = ExportJob(config, scene.base_dir, dialog.options, variants)
        progress = QProgressDialog(
            f"Exporting {dialog.options.out.name}…", "Cancel", 0, 0, self.window
        )
        progress.setWindowTitle("Export")
        progress.setMinimumDuration(0)
        progress.setAutoClose(False)
        progress.setAutoReset(False)
        progress.canceled.connect(job.cancel)
        job.progress.connect(self._on_progress)
        job.finished.connect(self._on_export_finished)
        self.job, self.progress = job, progress
        job.start()
        progress.show()
        return job

    def _on_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress.setMaximum(total)
            self.progress.setValue(done)

    def _on_export_finished(self, ok: bool, message: str) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None
        self.show_message(message.splitlines()[0] if ok else "Export failed: " + message, not ok)
        if not ok and "cancelled" not in message:
            warn(self.window, "Export failed", message)

    # ------------------------------------------------------------------ closing
    def finish(self) -> None:
        """The window is closing: save the recording, stop a running export."""
        recorder = self.stop_recording()
        if recorder is not None:
            recorder.wait(30)
        if self.job is not None and self.job.running():
            self.job.cancel()
            self.job.wait(10000)
