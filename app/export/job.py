"""An export started from the window runs as its own `ganscope export` process: the window
stays responsive, the result is byte-identical to the command line's, and Cancel is a
terminate that the process answers by deleting its temporary file."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QTimer, Signal

from app.export.files import leftover_temp_files
from app.export.options import ExportOptions, command_args
from models.config import TrainConfig
from scenes.loader import portable_config

KILL_AFTER_MS = 5000


class ExportJob(QObject):
    progress = Signal(int, int)  # frames done, frames in all
    finished = Signal(bool, str)  # ok, message for the user

    def __init__(
        self,
        config: TrainConfig,
        base_dir: Path | None,
        options: ExportOptions,
        variants: tuple[list[TrainConfig], list[str]] | None = None,
    ) -> None:
        """variants: compare mode's other runs and every run's label (the export lays them
        out side by side); `config` is then the first variant."""
        super().__init__()
        self.options = options
        self._folder = tempfile.TemporaryDirectory(prefix="ganscope-export-")
        folder = Path(self._folder.name)
        scene_file = folder / "scene.toml"
        scene_file.write_text(portable_config(config, base_dir).to_toml(), encoding="utf-8")
        self.arguments = ["-m", "app", "export", str(scene_file), *command_args(options)]
        if variants is not None:
            others, labels = variants
            for index, other in enumerate(others[1:], start=1):
                path = folder / f"variant{index}.toml"
                path.write_text(portable_config(other, base_dir).to_toml(), encoding="utf-8")
                self.arguments += ["--variant", str(path)]
            for text in labels:
                self.arguments += ["--label", text]
        self._process = QProcess(self)
        self._process.readyReadStandardOutput.connect(self._read_progress)
        self._process.finished.connect(self._done)
        self._process.errorOccurred.connect(self._failed_to_start)
        self._cancelled = False
        self._buffer = b""
        self._pid = 0

    def start(self) -> None:
        self._process.start(sys.executable, [*self.arguments, "--progress-lines"])
        self._pid = int(self._process.processId())

    def cancel(self) -> None:
        if self._process.state() == QProcess.ProcessState.NotRunning:
            return
        self._cancelled = True
        self._process.terminate()  # SIGTERM: the exporter unwinds and deletes its temp file
        QTimer.singleShot(KILL_AFTER_MS, self._process.kill)

    def running(self) -> bool:
        return self._process.state() != QProcess.ProcessState.NotRunning

    def wait(self, msecs: int = 30000) -> bool:
        return self._process.waitForFinished(msecs)

    def _read_progress(self) -> None:
        self._buffer += bytes(self._process.readAllStandardOutput().data())
        *lines, self._buffer = self._buffer.split(b"\n")
        for line in lines:
            with contextlib.suppress(ValueError, KeyError):
                report = json.loads(line)
                self.progress.emit(int(report["done"]), int(report["total"]))

    def _done(self, code: int, status: QProcess.ExitStatus) -> None:
        errors = bytes(self._process.readAllStandardError().data()).decode(errors="replace")
        lines = [line.removeprefix("ganscope: ") for line in errors.splitlines() if line.strip()]
        self._remove_leftovers()
        self._folder.cleanup()
        if self._cancelled:
            self.finished.emit(False, "Export cancelled; nothing was written.")
        elif code == 0 and status == QProcess.ExitStatus.NormalExit:
            self.finished.emit(True, lines[-1] if lines else f"wrote {self.options.out}")
        else:
            self.finished.emit(False, "\n".join(lines) or f"the exporter stopped (code {code})")

    def _failed_to_start(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            self._folder.cleanup()
            self.finished.emit(False, f"could not start the exporter ({sys.executable})")

    def _remove_leftovers(self) -> None:
        """A killed exporter cannot clean up after itself: remove its temporary file (the
        exporter's own, named by its pid: another export to the same file is left alone)."""
        out = self.options.out
        for leftover, pid in leftover_temp_files(out).items():
            if pid == self._pid:
                with contextlib.suppress(OSError):
                    leftover.unlink()
