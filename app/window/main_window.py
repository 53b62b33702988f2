"""GANscope's main window: a thin shell that builds the parts and wires them to the model.

The state is the window model's (app/model.py, Qt-free); the training process's events reach
it through the worker's one `events` signal, and every part follows the model: the views and
charts (app/window/runs_view.py, frames.py), the status bar, presenter mode, slow motion,
drawing. Commands come from one table (app/window/commands.py) that also makes the menus, the
toolbar, the shortcuts, the F1 sheet and the tour's words. The window never blocks on
training: it sends commands and draws the newest snapshots on a timer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QMainWindow, QStyle

from app.export.controller import ExportController
from app.model import WindowModel
from app.panels.scene_picker import ScenePicker
from app.plain_text import warn
from app.process.worker import TrainingWorker
from app.teaching.help import HelpOverlay
from app.teaching.tour import Tour
from app.window.commands import (
    COMMANDS,
    OTHER_KEYS,
    ShortcutsThroughFields,
    Toolbar,
    build_actions,
    build_menus,
    checked,
    key_text,
    show_dock,
)
from app.window.drawing import DrawingControl
from app.window.files import FileActions
from app.window.frames import FrameLoop
from app.window.keeping import RunKeeper
from app.window.layout import SETTINGS, WindowParts
from app.window.presenter import Presenter
from app.window.runs_view import RunsView
from app.window.slow_motion import SlowMotionControl
from app.window.status_bar import StatusBar
from app.window.tour_stops import tour_stops
from app.window.training_bar import TrainingBar
from app.window.undo import UndoStack
from scenes.loader import Scene, library


class MainWindow(QMainWindow):
    def __init__(self, scene: Scene) -> None:
        super().__init__()
        self.setWindowTitle("GANscope")
        self.scenes = library()
        self.model = model = WindowModel(scene)
        self.worker = TrainingWorker(scene.config, scene.base_dir)
        self.parts = parts = WindowParts(self, model, self.scenes)
        self.files = FileActions(self, model, self.worker)
        self.export = ExportController(
            self,
            model.say,
            lambda: (model.scene, model.config),
            {s.name for s in self.scenes},
            lambda: (
                ([r.config for r in model.runs], [r.label for r in model.runs])
                if model.comparing
                else None
            ),
        )
        self.undo = UndoStack(model, self.worker)
        self.commands = build_actions(self, self._handlers())
        self.export.record_action = self.commands["record"]
        self.slow = SlowMotionControl(model, parts, self.worker, self.commands["slow"])
        self.drawing = DrawingControl(
            model, parts, self.worker, self.files, self.slow, self.commands["draw"]
        )
        self.training_bar = TrainingBar(model, self.worker, self.slow.slow)
        self.toolbar = Toolbar(
            self.commands, self.training_bar.widgets_after(), self.training_bar.spare()
        )
        self.addToolBar(self.toolbar)
        build_menus(self, self.commands)
        self.status = StatusBar(self, model, self.export.record_label)
        self.runs_view = RunsView(model, parts, self.worker, self.scenes)
        self.presenter = Presenter(self, model, parts, self.scenes)
        self.picker = ScenePicker(self, self.scenes)
        self.help = HelpOverlay(
            parts.centre,
            [(key_text(c), c.tip) for c in COMMANDS if c.keys] + list(OTHER_KEYS),
        )
        self.tour = Tour(self, tour_stops(parts, self.toolbar, self.commands))
        self.tour.ended.connect(self._tour_ended)
        self._overview_before_tour = True
        self.keeper = RunKeeper(self, model, self.worker, self.files)
        self._wire()
        self._shortcuts = ShortcutsThroughFields(self)
        self.setAcceptDrops(True)
        parts.fit_to_screen()
        for name in ("overview", "scenes_dock", "controls_dock"):
            checked(
                self.commands[name],
                not getattr(parts, name.removesuffix("_dock") + "_dock").isHidden(),
            )
        self.runs_view.show_runs()
        self.worker.start()
        self.frames = FrameLoop(model, parts, self.status, self._drawn, lambda: self.worker.alive)

    def _handlers(self) -> dict[str, Any]:
        files, model, parts = self.files, self.model, self.parts
        return {
            "play": self.toggle_play, "step": lambda: self.worker.step_once(1),
            "reset": self.reset, "undo": self.undo.undo,
            "step_d": lambda: self.slow.step("d_update"),
            "step_g": lambda: self.slow.step("g_update"),
            "step_iteration": lambda: self.slow.step("iteration"),
            "slow": lambda on: self.slow.set_playing(on),
            "pick_scene": lambda: self.picker.open(),
            "open_scene": files.open_scene_dialog, "save_scene": files.save_scene_dialog,
            "open_session": files.open_session_dialog, "save_session": files.save_session_dialog,
            "open_data": files.open_data_dialog,
            "compare_fix": lambda: self.start_compare("fix"),
            "compare_seeds": lambda: self.start_compare("seeds"),
            "compare_values": lambda: self.runs_view.compare_values_dialog(self),
            "single": self.leave_compare, "record": lambda on: self.export.record_toggled(on),
            "export": self.export.open_dialog, "quit": self.close,
            "draw": lambda on: self.drawing.set_drawing(on),
            "clear_drawing": parts.drawer.clear,
            "presenter": model.set_presenter,
            "fullscreen": lambda: self.presenter.toggle_fullscreen(),
            "overview": lambda on: show_dock(parts.overview_dock, on),
            "scenes_dock": lambda on: show_dock(parts.scenes_dock, on),
            "controls_dock": lambda on: show_dock(parts.controls_dock, on),
            "help": lambda: self.help.toggle(), "tour": self.start_tour,
        }  # fmt: skip

    def _wire(self) -> None:
        model, parts, actions = self.model, self.parts, self.commands
        self.worker.events.connect(model.on_event)
        model.presenter_changed.connect(actions["presenter"].setChecked)
        model.playing_changed.connect(self._show_playing)
        model.failed_changed.connect(self._training_stopped)
        model.timeline_changed.connect(parts.timeline.set_steps)
        parts.timeline.rewind_requested.connect(self.worker.rewind)
        parts.browser.tree.itemActivated.connect(self._tree_item)
        parts.browser.tree.itemClicked.connect(self._tree_item)
        parts.overview.focus_requested.connect(self._focus_layer)
        for name, dock in (
            ("overview", parts.overview_dock),
            ("scenes_dock", parts.scenes_dock),
            ("controls_dock", parts.controls_dock),
        ):  # checked while the dock is open, even behind another tab
            dock.visibilityChanged.connect(
                lambda _v, d=dock, n=name: checked(actions[n], not d.isHidden())
            )
        parts.overview_dock.visibilityChanged.connect(self._overview_shown)
        self._play_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        actions["play"].setIcon(self._play_icon)
        self.picker.chosen.connect(self.load_scene)
        for key, handler in [("Escape", self._escape)] + [
            (str(n), lambda n=n: self.load_scene_number(n)) for n in range(1, 10)
        ]:
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)

    # ------------------------------------------------------------------ commands
    def toggle_play(self) -> None:
        if self.worker.failed is not None:
            self.model.say("Training has stopped: press Reset to start it again.", error=True)
            return
        self.slow.end()
        self.worker.toggle()

    def reset(self) -> None:
        """Back to step 0; after a failure, a fresh training process with these settings."""
        if self.worker.failed is not None:
            self.model.started_over()
            self.worker.restart(self.model.config, self.model.scene.base_dir)
        else:
            self.worker.reset()

    def load_scene(self, scene: Scene) -> None:
        """Switch to `scene` (a long unsaved run is offered to be saved first)."""
        if self.keeper.may_drop("Open another scene?", lambda: self.files.load_scene(scene)):
            self.files.load_scene(scene)

    def load_scene_number(self, number: int) -> None:
        if 1 <= number <= len(self.scenes):
            self.load_scene(self.scenes[number - 1])

    def start_compare(self, kind: str, key: str = "", values: tuple[object, ...] = ()) -> None:
        self.runs_view.start_compare(kind, key, values)

    def leave_compare(self) -> None:
        self.runs_view.leave_compare(self.files)

    def start_tour(self) -> None:
        self._overview_before_tour = self.parts.overview_dock.isVisible()
        self.tour.start()

    def offer_tour(self) -> None:
        """The tour on the very first start; afterwards only from Help."""
        if not QSettings(*SETTINGS).value("tourSeen", False, type=bool):
            self.start_tour()

    def offer_restore(self) -> None:
        self.keeper.offer_restore()

    def show_fitted(self) -> None:
        """Show the window: maximised on a small screen, else at its fitted size."""
        self.showMaximized() if self.parts.start_maximized else self.show()

    # ------------------------------------------------------------------ following the model
    def _show_playing(self, playing: bool) -> None:
        self.commands["play"].setText("Pause" if playing else "Play")
        self.commands["play"].setIcon(self._pause_icon if playing else self._play_icon)

    def _training_stopped(self, message: str, details: str) -> None:
        self.status.rate.setText("stopped")
        if details:
            warn(self, "Training stopped", f"{message}\n\n{details[-3000:]}")

    def _tree_item(self, item: Any) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        scene = next((s for s in self.scenes if s.name == name), None)
        if scene is not None and scene.name != self.model.scene.name:
            self.load_scene(scene)

    def _focus_layer(self, layer: str) -> None:
        """A click on the model overview: show that part in the data view."""
        if not self.model.config.is_dirac:
            self.model.set_layer(layer, True)
            self.model.say(f"Showing in the data view: {layer}")

    def _overview_shown(self, visible: bool) -> None:
        latest = self.model.latest
        if visible and latest is not None:
            self.parts.overview.show_snapshot(latest)

    def _tour_ended(self, _completed: bool) -> None:
        QSettings(*SETTINGS).setValue("tourSeen", True)
        self.parts.overview_dock.setVisible(self._overview_before_tour)

    def _escape(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        elif self.model.presenter:
            self.model.set_presenter(False)

    def _drawn(self, step: int) -> None:
        self.export.capture(step)
        self.toolbar.show_step(step)

    @property
    def frames_drawn(self) -> int:
        return self.frames.frames_drawn

    # ------------------------------------------------------------------ drops and closing
    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.files.open_dropped(Path(urls[0].toLocalFile()))
            event.acceptProposedAction()

    def closeEvent(self, event: Any) -> None:
        if not self.keeper.may_drop("Close GANscope?", self.close):
            event.ignore()
            return
        if self.model.presenter:
            self.model.set_presenter(False)
        self.parts.remember()
        self.frames.timer.stop()
        self.export.finish()  # a recording is finished and saved, an export cancelled
        self.worker.stop()
        self.keeper.autosaver.discard()  # after the training process, which writes the autosaves
        super().closeEvent(event)
