"""GANscope's main window: scene picker and story, live views, charts, controls."""

from __future__ import annotations

import contextlib
import time
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFileDialog,
    QGroupBox,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QStyle,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.charts import ChartsView
from app.controls import ControlPanel
from app.export.controller import ExportController
from app.help import HelpOverlay
from app.views import DEFAULT_LAYERS, LAYERS, PhasePortrait, SampleView
from app.worker import TrainingWorker
from models.atomic import write_atomic
from models.config import ConfigError, TrainConfig
from models.messages import ChangeResult, RunStarted
from models.snapshot import Snapshot
from models.targets import view_bounds
from scenes.loader import (
    Scene,
    library,
    load_scene_file,
    portable_config,
)

FRAME_MS = 16  # redraw check at ~60 Hz; draws only when a new snapshot arrived
CHART_EVERY = 12  # charts redraw every 12th frame at most (~5 Hz; metrics arrive at 8 Hz)
SPEEDS = {
    "max": None,
    "1000 it/s": 1000.0,
    "300 it/s": 300.0,
    "100 it/s": 100.0,
    "30 it/s": 30.0,
    "10 it/s": 10.0,
    "3 it/s": 3.0,
}


class SceneBrowser(QWidget):
    """Shipped scenes grouped as failure -> fix, and the chosen scene's story."""

    def __init__(self, scenes: list[Scene]) -> None:
        super().__init__()
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.story = QTextBrowser()
        self.story.setOpenExternalLinks(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree, 2)
        layout.addWidget(self.story, 3)
        groups: dict[str, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        for number, scene in enumerate(scenes, start=1):
            info = scene.config.scene
            if info.group not in groups:
                groups[info.group] = QTreeWidgetItem(self.tree, [info.group])
                groups[info.group].setExpanded(True)
            mark = {"failure": "✗ ", "fix": "✓ ", "sandbox": ""}[info.role]
            key = f"{number}. " if number <= 9 else ""
            item = QTreeWidgetItem(groups[info.group], [f"{key}{mark}{info.title}"])
            item.setData(0, Qt.ItemDataRole.UserRole, scene.name)
            item.setToolTip(0, info.story)
            self.items[scene.name] = item

    def show_story(self, config: TrainConfig) -> None:
        info = config.scene
        html = f"<h3>{info.title}</h3><p>{info.story}</p>"
        if info.expect:
            html += f"<p><b>Watch for:</b> {info.expect}</p>"
        if info.fix:
            html += f"<p><b>Fix:</b> {info.fix}</p>"
        self.story.setHtml(html)


class SpaceIsPlay(QObject):
    """Number fields never need a space, so Space reaches the play/pause shortcut even while one
    has focus (Qt offers printable keys to text fields first): type a seed, press Space, it runs."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            return event.key() == Qt.Key.Key_Space  # filtered, not accepted: the shortcut fires
        return False


class MainWindow(QMainWindow):
    def __init__(self, scene: Scene) -> None:
        super().__init__()
        self.setWindowTitle("GANscope")
        self.resize(1500, 950)
        self.scenes = library()
        self.config = scene.config
        self.scene = scene
        self._latest: Snapshot | None = None
        self._drawn: Snapshot | None = None
        self._charts_dirty = False
        self._frame_count = 0
        self._drawn_count = 0
        self._draw_times: deque[float] = deque(maxlen=60)
        self._step_times: deque[tuple[float, int]] = deque(maxlen=40)
        self._playing = False
        self.presenter = False
        self._base_font = QApplication.font()

        self.sample_view = SampleView()
        self.phase_view = PhasePortrait()
        self.charts = ChartsView()
        self.controls = ControlPanel()
        self.browser = SceneBrowser(self.scenes)
        self.export = ExportController(
            self,
            lambda text, error: self.show_message(text, error),
            lambda: (self.scene, self.config),
            {scene.name for scene in self.scenes},
        )
        self._build_layout()
        self._build_toolbar()
        self._build_status()
        self._build_shortcuts()
        self.help = HelpOverlay(self.centralWidget())

        self._pending_scene: Scene | None = scene  # asked for, not yet confirmed by training
        self.worker = TrainingWorker(scene.config, scene.base_dir)
        self.worker.snapshot_ready.connect(self._on_snapshot)
        self.worker.change_done.connect(self._on_change)
        self.worker.playing_changed.connect(self._on_playing)
        self.worker.run_started.connect(self._on_run_started)
        self.worker.load_refused.connect(self._on_load_refused)
        self.worker.training_failed.connect(self._on_training_failed)
        self.controls.changes_requested.connect(self.worker.apply)
        self.browser.tree.itemActivated.connect(self._on_tree_item)
        self.browser.tree.itemClicked.connect(self._on_tree_item)
        self._show_scene(scene.config)
        self.show_message("Starting the training engine…")
        self.worker.start()

        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._draw)
        self.frame_timer.start()

    # ------------------------------------------------------------------ layout
    def _build_layout(self) -> None:
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.sample_view)
        top.addWidget(self.phase_view)
        top.setStretchFactor(0, 3)
        top.setStretchFactor(1, 2)
        central = QSplitter(Qt.Orientation.Vertical)
        central.addWidget(top)
        central.addWidget(self.charts)
        central.setStretchFactor(0, 3)
        central.setStretchFactor(1, 2)
        holder = QWidget()  # a plain parent for the help overlay (a splitter adopts children)
        holder_layout = QVBoxLayout(holder)
        holder_layout.setContentsMargins(0, 0, 0, 0)
        holder_layout.addWidget(central)
        self.setCentralWidget(holder)

        scenes_dock = QDockWidget("Scenes", self)
        scenes_dock.setObjectName("scenes")
        scenes_dock.setWidget(self.browser)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, scenes_dock)

        panel = QWidget()
        column = QVBoxLayout(panel)
        column.addWidget(self._build_layers())
        column.addWidget(self.controls)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setMinimumWidth(330)
        controls_dock = QDockWidget("Controls", self)
        controls_dock.setObjectName("controls")
        controls_dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, controls_dock)
        self.resizeDocks([scenes_dock, controls_dock], [300, 340], Qt.Orientation.Horizontal)

    def _build_layers(self) -> QGroupBox:
        box = QGroupBox("Layers")
        layout = QVBoxLayout(box)
        self.layer_boxes: dict[str, QCheckBox] = {}
        for name, label in LAYERS.items():
            check = QCheckBox(label)
            check.setObjectName(f"layer.{name}")
            check.setChecked(name in DEFAULT_LAYERS)
            check.toggled.connect(lambda on, n=name: self.set_layer(n, on))
            layout.addWidget(check)
            self.layer_boxes[name] = check
        return box

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Training")
        bar.setObjectName("training")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        icons = self.style()
        self._play_icon = icons.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = icons.standardIcon(QStyle.StandardPixmap.SP_MediaPause)
        self.play_action = QAction(self._play_icon, "Play", self)
        self.play_action.setToolTip("Play / pause (Space)")
        self.play_action.triggered.connect(self.worker_toggle)
        self.step_action = QAction("Step", self)
        self.step_action.setToolTip("One iteration (S)")
        self.step_action.triggered.connect(lambda: self.worker.step_once(1))
        self.reset_action = QAction("Reset", self)
        self.reset_action.setToolTip("Back to step 0 with the current settings (R)")
        self.reset_action.triggered.connect(self.reset)
        for action in (self.play_action, self.step_action, self.reset_action):
            bar.addAction(action)
        bar.addSeparator()
        bar.addWidget(QLabel(" Speed "))
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.currentTextChanged.connect(lambda text: self.worker.set_rate(SPEEDS[text]))
        bar.addWidget(self.speed)
        bar.addWidget(QLabel(" Seed "))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.valueChanged.connect(lambda v: self.worker.apply({"training.seed": v}))
        bar.addWidget(self.seed)
        bar.addSeparator()
        self.open_action = QAction("Open…", self)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(self.open_scene_dialog)
        self.save_action = QAction("Save…", self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save_scene_dialog)
        self.presenter_action = QAction("Presenter", self)
        self.presenter_action.setCheckable(True)
        self.presenter_action.setToolTip("Large fonts and thick lines (P)")
        self.presenter_action.toggled.connect(self.set_presenter)
        self.help_action = QAction("Help", self)
        self.help_action.setToolTip("Keyboard shortcuts (F1 or ?)")
        self.help_action.triggered.connect(lambda: self.help.toggle())
        for action in (
            self.open_action,
            self.save_action,
            self.export.record_action,
            self.export.export_action,
            self.presenter_action,
            self.help_action,
        ):
            bar.addAction(action)

    def _build_status(self) -> None:
        status = self.statusBar()
        self.device_label = QLabel()
        self.step_label = QLabel("step 0")
        self.rate_label = QLabel("0 it/s")
        self.fps_label = QLabel("0 fps")
        self.message_label = QLabel()
        status.addWidget(self.message_label, 1)
        status.addPermanentWidget(self.export.record_label)
        for label in (self.step_label, self.rate_label, self.fps_label, self.device_label):
            status.addPermanentWidget(label)

    def _build_shortcuts(self) -> None:
        bindings: dict[str, Any] = {
            "Space": self.worker_toggle,
            "S": lambda: self.worker.step_once(1),
            "R": self.reset,
            "F11": self.toggle_fullscreen,
            "F1": lambda: self.help.toggle(),
            "?": lambda: self.help.toggle(),
            "P": lambda: self.presenter_action.toggle(),
            "Escape": lambda: self.help.hide(),
        }
        for number in range(1, 10):
            bindings[str(number)] = lambda n=number: self.load_scene_number(n)
        self.shortcuts = []
        for key, handler in bindings.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
            self.shortcuts.append(shortcut)
        self._space_is_play = SpaceIsPlay(self)
        for box in self.findChildren(QAbstractSpinBox):
            box.installEventFilter(self._space_is_play)

    # ------------------------------------------------------------------ actions
    def worker_toggle(self) -> None:
        self.worker.toggle()

    def reset(self) -> None:
        """Back to step 0; after a failure, a fresh training process with these settings."""
        if self.worker.failed is not None:
            self.show_message("Starting the training engine again…")
            self.worker.restart(self.config, self.scene.base_dir)
        else:
            self.worker.reset()

    def set_layer(self, name: str, visible: bool) -> None:
        self.sample_view.set_layer(name, visible)
        for other, check in self.layer_boxes.items():
            check.blockSignals(True)
            check.setChecked(other in self.sample_view.layers)
            check.blockSignals(False)

    def load_scene(self, scene: Scene) -> None:
        """Ask training for `scene`; the window switches when training confirms it."""
        self._pending_scene = scene
        if self.worker.failed is not None:
            self.worker.restart(scene.config, scene.base_dir)
        else:
            self.worker.load(scene.config, scene.base_dir)

    def load_scene_number(self, number: int) -> None:
        if 1 <= number <= len(self.scenes):
            self.load_scene(self.scenes[number - 1])

    def open_scene_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open scene", "", "Scenes (*.toml)")
        if path:
            self.open_scene_file(Path(path))

    def open_scene_file(self, path: Path) -> bool:
        """Load a scene file; on any problem say what and keep the current scene."""
        try:
            scene = load_scene_file(path)
        except ConfigError as exc:
            self.show_message(f"Could not open {path.name}; kept the current scene.", error=True)
            QMessageBox.warning(self, "Scene not loaded", f"{path}:\n\n{exc}")
            return False
        self.load_scene(scene)
        return True

    def save_scene_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save scene", "scene.toml", "Scenes (*.toml)")
        if path:
            self.save_scene_file(Path(path))

    def save_scene_file(self, path: Path) -> bool:
        """Write the current control values as a scene file (atomically)."""
        try:
            write_atomic(path, portable_config(self.config, self.scene.base_dir).to_toml())
        except OSError as exc:
            self.show_message(f"Could not save {path.name}: {exc.strerror}", error=True)
            QMessageBox.warning(self, "Scene not saved", f"{path}:\n\n{exc}")
            return False
        self.show_message(f"Saved {path}")
        return True

    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def set_presenter(self, on: bool) -> None:
        """Large fonts and thick lines for the back row of a lecture hall."""
        self.presenter = on
        font = QFont(self._base_font)
        if on:
            font.setPointSizeF(self._base_font.pointSizeF() * 1.6)
        QApplication.setFont(font)
        self.sample_view.set_presenter(on)
        self.phase_view.set_presenter(on)
        self.charts.set_presenter(on)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c0392b;" if error else "")
        self.message_label.setText(text)

    # ------------------------------------------------------------------ worker events
    def _on_snapshot(self, snap: Snapshot) -> None:
        self._latest = snap
        if self.charts.add_metrics(snap.metrics):
            self._charts_dirty = True
        self._step_times.append((time.perf_counter(), snap.step))
        if snap.diverged:
            self.show_message(snap.diverged, error=True)

    def _on_change(self, result: ChangeResult) -> None:
        self.config = result.config
        self.controls.set_config(result.config)
        self._sync_seed(result.config)
        if not result.ok:
            self.show_message("Refused: " + result.message.replace("\n", "; "), error=True)
            return
        if result.message:
            self.show_message(result.message)
        if result.marker is not None:
            self.charts.add_marker(result.marker)

    def _on_playing(self, playing: bool) -> None:
        self._playing = playing
        self.play_action.setText("Pause" if playing else "Play")
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)

    def _on_run_started(self, event: RunStarted) -> None:
        """Training started a run: everything drawn before belongs to the old one."""
        if event.reason == "load" and self._pending_scene is not None:
            self.scene, self._pending_scene = self._pending_scene, None
        self._show_scene(event.config)
        self._restart_views()
        self.charts.set_history(event.history)
        if event.reason == "load":
            self.show_message(f"Loaded scene: {event.config.scene.title}")
        else:
            self.show_message(event.message or "Back to step 0")

    def _on_load_refused(self, message: str) -> None:
        self._pending_scene = None
        self.show_message(
            "Could not load: " + message.replace("\n", "; ") + " (kept the current scene)",
            error=True,
        )

    def _on_training_failed(self, message: str, details: str) -> None:
        self._on_playing(False)
        self.show_message(message, error=True)
        if details:
            QMessageBox.warning(self, "Training stopped", f"{message}\n\n{details[-3000:]}")

    def _on_tree_item(self, item: QTreeWidgetItem) -> None:
        name = item.data(0, Qt.ItemDataRole.UserRole)
        for scene in self.scenes:
            if scene.name == name and scene.name != self.scene.name:
                self.load_scene(scene)

    def _show_scene(self, config: TrainConfig) -> None:
        self.config = config
        with contextlib.suppress(ConfigError):  # a bad point file is reported by the engine
            self.sample_view.expect_bounds(view_bounds(config, base_dir=self.scene.base_dir))
        self._set_speed(config.view.steps_per_second)
        self.controls.set_config(config)
        self._sync_seed(config)
        self.browser.show_story(config)
        self.phase_view.setVisible(config.is_dirac)
        self.charts.set_dirac(config.is_dirac)
        item = self.browser.items.get(self.scene.name)
        if item is not None:
            self.browser.tree.setCurrentItem(item)

    def _set_speed(self, steps_per_second: float | None) -> None:
        """Show and apply the scene's suggested speed (the nearest choice offered)."""
        if steps_per_second is None:
            label = "max"
        else:
            capped = {k: v for k, v in SPEEDS.items() if v is not None}
            label = min(capped, key=lambda k: abs(capped[k] - steps_per_second))
        self.speed.setCurrentText(label)
        self.worker.set_rate(SPEEDS[label])

    def _sync_seed(self, config: TrainConfig) -> None:
        self.seed.blockSignals(True)
        self.seed.setValue(min(config.training.seed, self.seed.maximum()))
        self.seed.blockSignals(False)

    def _restart_views(self) -> None:
        self._latest = self._drawn = None
        self.sample_view.restart()
        self.phase_view.restart()
        self.charts.reset_history()
        self._step_times.clear()

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        snap = self._latest
        self._frame_count += 1
        if snap is not None and snap is not self._drawn:
            self._drawn = snap
            self.sample_view.show_snapshot(snap)
            if snap.dirac is not None:
                self.phase_view.show_snapshot(snap)
            self._draw_times.append(time.perf_counter())
            self._drawn_count += 1
            self.export.capture()
            self.step_label.setText(f"step {snap.step}")
            self.device_label.setText(f"device: {snap.device}")
        if self._charts_dirty and self._frame_count % CHART_EVERY == 0:
            self._charts_dirty = False
            self.charts.refresh()
        if self._frame_count % 30 == 0:
            self._update_rates()

    def _update_rates(self) -> None:
        now = time.perf_counter()
        recent = [t for t in self._draw_times if now - t < 1.0]
        self.fps_label.setText(f"{len(recent)} fps")
        if len(self._step_times) >= 2 and self._playing:
            (t0, s0), (t1, s1) = self._step_times[0], self._step_times[-1]
            rate = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
            self.rate_label.setText(f"{rate:.0f} it/s")
        elif not self._playing:
            self.rate_label.setText("paused")

    @property
    def frames_drawn(self) -> int:
        return self._drawn_count

    # ------------------------------------------------------------------ closing
    def closeEvent(self, event: Any) -> None:
        self.frame_timer.stop()
        self.export.finish()  # a recording is finished and saved, an export cancelled
        self.worker.stop()
        super().closeEvent(event)
