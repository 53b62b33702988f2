"""Files in and out of the window: scenes, sessions and point data, from dialogs, the command
line or a drop on the window. A file that cannot be used is named in one line, with what is
wrong, and the current run goes on untouched (training confirms every load before the
window switches: see app/model.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMainWindow

from app.model import WindowModel
from app.plain_text import warn
from app.process.worker import TrainingWorker
from models.atomic import write_atomic
from models.config import MAX_INLINE_POINTS, ConfigError
from models.session_file import SUFFIX
from models.targets import MAX_POINTS, read_points_csv
from scenes.loader import Scene, load_scene_file, scene_file_text


class FileActions:
    def __init__(self, window: QMainWindow, model: WindowModel, worker: TrainingWorker) -> None:
        self.window, self.model, self.worker = window, model, worker

    # ------------------------------------------------------------------ scenes
    def load_scene(self, scene: Scene) -> None:
        """Ask training for `scene`; the window switches when training confirms it."""
        self.model.ask_for(scene)
        if self.worker.failed is not None:
            self.worker.restart(scene.config, scene.base_dir)
        else:
            self.worker.load(scene.config, scene.base_dir)

    def open_scene_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open scene", "", "Scenes (*.toml)")
        if path:
            self.open_scene_file(Path(path))

    def open_scene_file(self, path: Path) -> bool:
        """Load a scene file; on any problem say what and keep the current scene."""
        try:
            scene = load_scene_file(path)
        except ConfigError as exc:
            self.model.say(f"Could not open {path.name}; kept the current scene.", error=True)
            warn(self.window, "Scene not loaded", f"{path}:\n\n{exc}")
            return False
        self.load_scene(scene)
        return True

    def save_scene_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save scene", "scene.toml", "Scenes (*.toml)"
        )
        if path:
            self.save_scene_file(Path(path))

    def save_scene_file(self, path: Path) -> bool:
        """Write the current control values as a scene file (atomically)."""
        try:
            write_atomic(path, scene_file_text(self.model.config, self.model.scene.base_dir))
        except (OSError, ConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.model.say(f"Could not save {path.name}: {reason}", error=True)
            warn(self.window, "Scene not saved", f"{path}:\n\n{exc}")
            return False
        self.model.say(f"Saved {path}")
        return True

    # ------------------------------------------------------------------ sessions
    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open session", "", f"GANscope sessions (*{SUFFIX})"
        )
        if path:
            self.open_session_file(Path(path))

    def open_session_file(self, path: Path) -> None:
        """Ask training to restore a session; a bad file is refused and nothing changes."""
        self.model.say(f"Opening {path.name}…")
        self.worker.open_session(path)

    def save_session_dialog(self) -> None:
        default = f"{self.model.scene.name}{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(
            self.window, "Save session", default, f"GANscope sessions (*{SUFFIX})"
        )
        if path:
            self.save_session_file(Path(path))

    def save_session_file(self, path: Path) -> None:
        if path.suffix != SUFFIX:
            path = path.with_suffix(SUFFIX)
        self.worker.save_session(path, self.model.scene.name)

    # ------------------------------------------------------------------ point data
    def use_points(self, points: np.ndarray, source: str) -> None:
        """Train on these points from now on, held inline so saves carry them."""
        changes: dict[str, Any] = {
            "target.kind": "points",
            "target.file": "",
            "target.points": np.round(points.astype(np.float64), 5).tolist(),
        }
        latest = self.model.latest
        if source == "your drawing" and latest is not None:
            changes["view.bounds"] = list(latest.bounds)  # where it was drawn
        else:
            changes["view.bounds"] = None  # frame the file's data
        self.worker.apply(changes)
        self.model.say(f"Training on {source}: {len(points):,} points")

    def open_data_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, "Open data", "", "Point files (*.csv *.txt);;All files (*)"
        )
        if path:
            self.open_data_file(Path(path))

    def open_data_file(self, path: Path) -> bool:
        """Train on a CSV's points; on any problem say what and keep the current data."""
        if self.model.comparing or self.model.config.is_dirac:
            self.model.say("Data files work on one 2-D scene: not the Dirac-GAN or compare.")
            return False
        try:
            points = read_points_csv(path).numpy()
            if len(points) > MAX_INLINE_POINTS:
                raise ConfigError(
                    [
                        f"{len(points):,} points; the window trains on at most "
                        f"{MAX_INLINE_POINTS:,} (a scene's target.file may hold up to "
                        f"{MAX_POINTS:,})"
                    ]
                )
        except ConfigError as exc:
            self.model.say(f"Could not use {path.name}; kept the current data.", error=True)
            warn(self.window, "Data not loaded", f"{path}:\n\n{exc}")
            return False
        self.use_points(points, path.name)
        return True

    def open_dropped(self, path: Path) -> None:
        """A file dropped on the window: a scene, a session or points, by its ending."""
        if path.suffix == ".toml":
            self.open_scene_file(path)
        elif path.suffix == SUFFIX:
            self.open_session_file(path)
        else:
            self.open_data_file(path)
