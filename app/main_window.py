"""GANscope's main window: the scene picker and story, the stage (data view, key, charts),
the controls, the timeline, and the training process behind them.

The window never blocks on training: it sends commands (app/worker.py) and draws the latest
snapshot on a timer. It switches scenes, resets and restores sessions only when training
confirms them (`RunStarted`), so a refused scene leaves the window, the controls and the
export in their last good state, and no late snapshot of an old run is ever drawn.
"""

from __future__ import annotations

import contextlib
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QFont, QGuiApplication, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.autosave import Autosaver, crashed_sessions, describe, forget
from app.charts import ChartsView
from app.compare import (
    CompareCharts,
    CompareDialog,
    CompareGrid,
    variant_legend,
    variants_for,
)
from app.controls import ControlPanel, panel_knobs
from app.draw_data import DataDrawer
from app.export.controller import ExportController
from app.help import HelpOverlay
from app.key import DataKey
from app.overview import ModelOverview
from app.plain_text import ask, plain, warn
from app.scene_browser import SceneBrowser
from app.slow_motion import SECONDS_PER_UPDATE, SlowMotion
from app.stage import Stage
from app.timeline_bar import TimelineBar
from app.tour import Stop, Tour
from app.views import DEFAULT_LAYERS, LAYER_HELP, LAYERS, DiracLine, PhasePortrait, SampleView
from app.worker import TrainingWorker
from models.atomic import write_atomic
from models.config import MAX_INLINE_POINTS, ConfigError, TrainConfig
from models.messages import ChangeResult, RunStarted, SessionSaved
from models.session_file import SUFFIX
from models.snapshot import Snapshot
from models.targets import MAX_POINTS, read_points_csv, view_bounds
from scenes.loader import Scene, changed_keys, library, load_scene_file, scene_file_text

OVERVIEW_MIN_SCREEN_HEIGHT = 1000
PRESENTER_OVERVIEW_SHARE = 0.25  # of the window's height, for the diagram in presenter mode
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
DEFAULT_SIZE = (1600, 1000)
SIDE_BY_SIDE_DOCKS = 1500  # narrower screens get the two docks as tabs of one
PRESENTER_FONT = 1.6
# the toolbar less so: at 1.6x its last buttons (Export, Presenter, Help) went behind the
# overflow chevron on 1280x720 and 1366x768 projectors
PRESENTER_TOOLBAR_FONT = 1.25
SETTINGS = ("GANscope", "GANscope")
LECTURE_KNOBS = ("training.loss", "training.lr_g", "training.lr_d", "regularization.r1_gamma")
# keys a number field has no use for: they reach the window's shortcuts even while one has
# focus (Qt offers keys to a focused text field first, and a line edit claims Ctrl+E)
PASS_THROUGH = {Qt.Key.Key_Space, Qt.Key.Key_R, Qt.Key.Key_S, Qt.Key.Key_P, Qt.Key.Key_F1}
PASS_THROUGH |= {Qt.Key.Key_D, Qt.Key.Key_G, Qt.Key.Key_I, Qt.Key.Key_M, Qt.Key.Key_O}
PASS_THROUGH |= {Qt.Key.Key_B}
PASS_THROUGH |= {Qt.Key.Key_F11, Qt.Key.Key_Question, Qt.Key.Key_Escape}
PASS_THROUGH_CTRL = {Qt.Key.Key_E, Qt.Key.Key_R, Qt.Key.Key_O, Qt.Key.Key_S}


class ShortcutsThroughFields(QObject):
    """Number fields keep digits, dots and signs; every other shortcut key reaches the window
    while one has focus, and Enter hands focus back so 1-9 load scenes again."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            key = Qt.Key(event.key())
            return key in PASS_THROUGH_CTRL if ctrl else key in PASS_THROUGH
        pressed = event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
        if pressed and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            QTimer.singleShot(0, self.window.setFocus)  # after the field took the value
        return False


class MainWindow(QMainWindow):
    def __init__(self, scene: Scene) -> None:
        super().__init__()
        self.setWindowTitle("GANscope")
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
        self._ever_played = False
        self.presenter = False
        self._normal_state: tuple[QByteArray, bool] | None = None
        self._start_maximized = False
        self._base_font = QApplication.font()

        self.sample_view = SampleView()
        self.phase_view = PhasePortrait()
        self.dirac_line = DiracLine()
        self.charts = ChartsView()
        self.key = DataKey()
        self.stage = Stage(self.sample_view, self.key, self.charts)
        self.timeline = TimelineBar()
        self.overview = ModelOverview()
        self.drawer = DataDrawer(self.sample_view)
        self.drawer.finished.connect(lambda points: self.use_points(points, "your drawing"))
        self.drawer.refused.connect(lambda text: self.show_message(text, error=True))
        self.compare_grid = CompareGrid()
        self.compare_charts = CompareCharts()
        self.compare_legend = QLabel()
        self.comparing: tuple[str, ...] = ()  # the variants' labels in compare mode
        self._variant_configs: list[TrainConfig] = []
        self._variant_latest: dict[int, Snapshot] = {}
        self._variant_drawn: dict[int, Snapshot] = {}
        self.controls = ControlPanel()
        self.browser = SceneBrowser(self.scenes)
        self.export = ExportController(
            self,
            lambda text, error: self.show_message(text, error),
            lambda: (self.scene, self.config),
            {scene.name for scene in self.scenes},
            lambda: (self._variant_configs, list(self.comparing)) if self.comparing else None,
        )
        self._build_layout()
        self._build_actions()
        self._build_toolbar()
        self._build_menus()
        self._build_status()
        self._build_shortcuts()
        self.setAcceptDrops(True)
        self.help = HelpOverlay(self.centralWidget())
        self.tour = Tour(self, self._tour_stops())
        self._overview_was_visible = True
        self._overview_in_normal_mode = True
        self.tour.ended.connect(self._tour_ended)

        self._pending_scene: Scene | None = scene  # asked for, not yet confirmed by training
        self.worker = TrainingWorker(scene.config, scene.base_dir)
        self.worker.snapshot_ready.connect(self._on_snapshot)
        self.worker.variant_snapshot.connect(self._on_variant_snapshot)
        self.worker.change_done.connect(self._on_change)
        self.worker.playing_changed.connect(self._on_playing)
        self.worker.run_started.connect(self._on_run_started)
        self.worker.load_refused.connect(self._on_load_refused)
        self.worker.training_failed.connect(self._on_training_failed)
        self.worker.timeline_changed.connect(self.timeline.set_steps)
        self.worker.session_saved.connect(self._on_session_saved)
        self.slow = SlowMotion(self.worker.step_phase, lambda: self._latest, lambda: self.config)
        self.worker.phase_done.connect(self.slow.on_phase)
        self.slow.picture.connect(self._show_picture)
        self.slow.batch.connect(self.sample_view.show_batch)
        self.slow.narration.connect(self._narrate)
        self.slow.iteration_done.connect(self._on_snapshot)
        self.slow.finished.connect(lambda: self.slow_action.setChecked(False))
        self.slow.player.connect(self.overview.set_active)
        self.autosaver = Autosaver(
            lambda path: self.worker.save_session(path, self.scene.name), self._progress
        )
        self.controls.changes_requested.connect(self._send_changes)
        self.timeline.rewind_requested.connect(self.worker.rewind)
        self.browser.tree.itemActivated.connect(self._on_tree_item)
        self.browser.tree.itemClicked.connect(self._on_tree_item)
        self._show_scene(scene.config)
        self.show_message("Starting the training engine…")
        self.sample_view.overlay.say("Starting the training engine…")
        self._fit_to_screen()
        self.worker.start()

        self.frame_timer = QTimer(self)
        self.frame_timer.setInterval(FRAME_MS)
        self.frame_timer.timeout.connect(self._draw)
        self.frame_timer.start()

    # ------------------------------------------------------------------ layout
    def _build_layout(self) -> None:
        holder = QWidget()  # a plain parent for the help overlay
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.narration = QLabel()
        self.narration.setWordWrap(True)
        self.narration.setObjectName("narration")
        self.narration.setToolTip("What the phase just shown did (slow motion)")
        self.narration.setStyleSheet(
            "QLabel#narration { background: #f4f1e8; border-left: 4px solid #555555;"
            " padding: 4px 8px; }"
        )
        self.narration.hide()
        bold = QFont(self._base_font)
        bold.setBold(True)
        self.narration.setFont(bold)
        column.addWidget(self.narration)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.stage)
        self.pages.addWidget(self._build_compare_page())
        column.addWidget(self.pages, 1)
        column.addWidget(self.timeline)
        self.setCentralWidget(holder)

        self.scenes_dock = QDockWidget("Scenes", self)
        self.scenes_dock.setObjectName("scenes")
        self.scenes_dock.setWidget(self.browser)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.scenes_dock)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)

        panel = QWidget()
        panel_column = QVBoxLayout(panel)
        panel_column.setContentsMargins(2, 2, 2, 2)
        panel_column.addWidget(self._build_layers())
        self.variant_choice = QComboBox()
        self.variant_choice.setToolTip("Which variant a change goes to, in compare mode")
        self.variant_choice.currentIndexChanged.connect(self._show_variant_controls)
        self.variant_row = QWidget()
        variant_layout = QHBoxLayout(self.variant_row)
        variant_layout.setContentsMargins(4, 0, 4, 0)
        variant_layout.addWidget(QLabel("Change:"))
        variant_layout.addWidget(self.variant_choice, 1)
        self.variant_row.hide()
        panel_column.addWidget(self.variant_row)
        panel_column.addWidget(self.controls)
        scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        self.controls_dock = QDockWidget("Controls", self)
        self.controls_dock.setObjectName("controls")
        self.controls_dock.setWidget(scroll)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.controls_dock)
        self.resizeDocks(
            [self.scenes_dock, self.controls_dock], [250, 310], Qt.Orientation.Horizontal
        )
        self.overview_dock = QDockWidget("Model overview", self)
        self.overview_dock.setObjectName("overview")
        self.overview_dock.setWidget(self.overview)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.overview_dock)
        self.overview.focus_requested.connect(self._focus_layer)
        self.overview_dock.visibilityChanged.connect(self._overview_shown)

    def _build_compare_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.compare_grid, 3)
        right = QVBoxLayout()
        self.compare_legend.setTextFormat(Qt.TextFormat.RichText)
        self.compare_legend.setWordWrap(True)
        right.addWidget(self.compare_legend)
        right.addWidget(self.compare_charts, 1)
        row.addLayout(right, 2)
        return page

    def _build_layers(self) -> QGroupBox:
        self.layers_box = QGroupBox("Layers")
        layout = QVBoxLayout(self.layers_box)
        self.layer_boxes: dict[str, QCheckBox] = {}
        for name, label in LAYERS.items():
            check = QCheckBox(label)
            check.setObjectName(f"layer.{name}")
            check.setToolTip(LAYER_HELP[name])
            check.setChecked(name in DEFAULT_LAYERS)
            check.toggled.connect(lambda on, n=name: self.set_layer(n, on))
            layout.addWidget(check)
            self.layer_boxes[name] = check
        return self.layers_box

    def _fit_to_screen(self) -> None:
        """The last size and docks if they fit this screen, else most of it: a projector at
        1280x720 gets a window of 1280x720 or less, never one that overflows it."""
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        settings = QSettings(*SETTINGS)
        geometry = settings.value("geometry")
        restored = isinstance(geometry, QByteArray) and self.restoreGeometry(geometry)
        fits = available is not None and (
            self.width() <= available.width() and self.height() <= available.height()
        )
        if available is not None and not (restored and fits):
            width = min(DEFAULT_SIZE[0], available.width())
            height = min(DEFAULT_SIZE[1], available.height())
            self.resize(width, height)
            frame = self.frameGeometry()
            frame.moveCenter(available.center())
            self.move(frame.topLeft())
            # the diagram takes height from the data view: on by default only where there is
            # height to spare (1080p and up); View > Model overview shows it anywhere
            self.overview_dock.setVisible(available.height() >= OVERVIEW_MIN_SCREEN_HEIGHT)
            if available.width() < SIDE_BY_SIDE_DOCKS:
                # a projector's 1280x720: one dock column (scenes and controls as tabs), so
                # the data view keeps most of the width
                self.tabifyDockWidget(self.controls_dock, self.scenes_dock)
                self.scenes_dock.raise_()
                self._start_maximized = True
        state = settings.value("windowState")
        if restored and fits and isinstance(state, QByteArray):
            self.restoreState(state)

    def _build_actions(self) -> None:
        icons = self.style()
        self._play_icon = icons.standardIcon(QStyle.StandardPixmap.SP_MediaPlay)
        self._pause_icon = icons.standardIcon(QStyle.StandardPixmap.SP_MediaPause)

        def action(text: str, tip: str, handler: Any, shortcut: str | None = None) -> QAction:
            made = QAction(text, self)
            made.setToolTip(tip)
            made.setStatusTip(tip)
            made.triggered.connect(handler)
            if shortcut:
                made.setShortcut(QKeySequence(shortcut))
                made.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            return made

        self.play_action = action("Play", "Play / pause training (Space)", self.worker_toggle)
        self.play_action.setIcon(self._play_icon)
        self.step_action = action("Step", "Train one iteration (S)", self.step_once)
        self.step_d_action = action(
            "Step D", "Show one D update in slow motion (D)", lambda: self.slow_step("d_update")
        )
        self.step_g_action = action(
            "Step G", "Show one G update in slow motion (G)", lambda: self.slow_step("g_update")
        )
        self.step_iteration_action = action(
            "Step iteration",
            "Show one whole iteration, every D and G update, in slow motion (I)",
            lambda: self.slow_step("iteration"),
        )
        self.slow_action = action(
            "Slow motion", "Play in slow motion, update by update (M)", lambda: None
        )
        self.slow_action.setCheckable(True)
        self.slow_action.toggled.connect(self.set_slow_motion)
        self.reset_action = action(
            "Reset", "Back to step 0 with the current settings (R)", self.reset
        )
        self.open_action = action(
            "Open scene…", "Open a scene file (Ctrl+O)", self.open_scene_dialog, "Ctrl+O"
        )
        self.save_action = action(
            "Save scene…",
            "Save the current settings as a scene file (Ctrl+S)",
            self.save_scene_dialog,
            "Ctrl+S",
        )
        self.open_session_action = action(
            "Open session…",
            "Open a saved session: settings, weights and history (Ctrl+Shift+O)",
            self.open_session_dialog,
            "Ctrl+Shift+O",
        )
        self.save_session_action = action(
            "Save session…",
            "Save everything, to continue exactly here later (Ctrl+Shift+S)",
            self.save_session_dialog,
            "Ctrl+Shift+S",
        )
        self.presenter_action = action(
            "Presenter", "Full screen, the data view large, big text (P)", lambda: None
        )
        self.presenter_action.setCheckable(True)
        self.presenter_action.toggled.connect(self.set_presenter)
        self.help_action = action(
            "Help", "Keyboard shortcuts (F1 or ?)", lambda: self.help.toggle()
        )
        self.quit_action = action("Quit", "Close GANscope", self.close, "Ctrl+Q")
        self.tour_action = action(
            "Guided tour", "Each view and control in turn, in plain words", self.start_tour
        )
        self.compare_fix_action = action(
            "Compare with its fix",
            "Train this scene and the scene that fixes it (or that it fixes) side by side",
            lambda: self.start_compare("fix"),
        )
        self.compare_seeds_action = action(
            "Compare seeds",
            "Train this scene on four seeds side by side: how robust is the lesson?",
            lambda: self.start_compare("seeds"),
        )
        self.compare_values_action = action(
            "Compare values…",
            "Train this scene at several values of one setting, side by side",
            self.compare_values_dialog,
        )
        self.single_action = action(
            "One run", "Leave compare mode: back to this scene alone", self.leave_compare
        )
        self.draw_action = action(
            "Draw data",
            "Draw your own data on the plot: left button paints, right button (or Shift) "
            "erases; press again to train on it (B)",
            lambda: None,
        )
        self.draw_action.setCheckable(True)
        self.draw_action.toggled.connect(self.set_drawing)
        self.clear_drawing_action = action(
            "Clear drawing", "Start the drawing again from an empty plot", self.drawer.clear
        )
        self.open_data_action = action(
            "Open data…",
            "Train on points from a CSV file (x,y per line) (Ctrl+D)",
            self.open_data_dialog,
            "Ctrl+D",
        )

    def _build_toolbar(self) -> None:
        bar = self.addToolBar("Training")
        self.toolbar = bar
        bar.setObjectName("training")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for made in (self.play_action, self.step_action, self.reset_action):
            bar.addAction(made)
        bar.addSeparator()
        bar.addWidget(QLabel(" Speed "))
        self.speed = QComboBox()
        self.speed.addItems(list(SPEEDS))
        self.speed.setToolTip("Iterations per second at most: slow it down to follow each step")
        self.speed.currentTextChanged.connect(lambda text: self.worker.set_rate(SPEEDS[text]))
        bar.addWidget(self.speed)
        bar.addWidget(QLabel(" Seed "))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip(
            "Picks the initial weights and every random draw; changing it starts again"
        )
        self.seed.valueChanged.connect(lambda v: self.worker.apply({"training.seed": v}))
        bar.addWidget(self.seed)
        bar.addSeparator()
        for made in (self.step_d_action, self.step_g_action, self.slow_action):
            bar.addAction(made)
        self.slow_seconds = QDoubleSpinBox()
        self.slow_seconds.setRange(0.2, 5.0)
        self.slow_seconds.setSingleStep(0.1)
        self.slow_seconds.setDecimals(1)
        self.slow_seconds.setValue(SECONDS_PER_UPDATE)
        self.slow_seconds.setSuffix(" s")
        self.slow_seconds.setToolTip("How long slow motion takes over each D or G update")
        self.slow_seconds.valueChanged.connect(lambda v: setattr(self.slow, "seconds", v))
        bar.addWidget(self.slow_seconds)
        bar.addSeparator()
        for made in (
            self.compare_fix_action,
            self.export.record_action,
            self.export.export_action,
            self.presenter_action,
            self.help_action,
        ):
            bar.addAction(made)

    def _build_menus(self) -> None:
        menus = self.menuBar()
        file_menu = menus.addMenu("&File")
        for made in (self.open_action, self.save_action):
            file_menu.addAction(made)
        file_menu.addSeparator()
        for made in (self.open_session_action, self.save_session_action):
            file_menu.addAction(made)
        file_menu.addSeparator()
        file_menu.addAction(self.open_data_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export.export_action)
        file_menu.addAction(self.export.record_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        training_menu = menus.addMenu("&Training")
        for made in (
            self.play_action,
            self.step_action,
            self.reset_action,
            self.step_d_action,
            self.step_g_action,
            self.step_iteration_action,
            self.slow_action,
        ):
            training_menu.addAction(made)
        data_menu = menus.addMenu("&Data")
        for made in (self.draw_action, self.clear_drawing_action, self.open_data_action):
            data_menu.addAction(made)
        compare_menu = menus.addMenu("&Compare")
        for made in (
            self.compare_fix_action,
            self.compare_seeds_action,
            self.compare_values_action,
            self.single_action,
        ):
            compare_menu.addAction(made)
        view_menu = menus.addMenu("&View")
        view_menu.addAction(self.presenter_action)
        view_menu.addAction(self.scenes_dock.toggleViewAction())
        view_menu.addAction(self.controls_dock.toggleViewAction())
        overview_toggle = self.overview_dock.toggleViewAction()
        overview_toggle.setShortcut(QKeySequence("O"))
        overview_toggle.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        view_menu.addAction(overview_toggle)
        help_menu = menus.addMenu("&Help")
        help_menu.addAction(self.help_action)
        help_menu.addAction(self.tour_action)

    def _build_status(self) -> None:
        status = self.statusBar()
        self.device_label = QLabel()
        self.step_label = QLabel("step 0")
        self.rate_label = QLabel("paused")
        self.fps_label = QLabel("0 fps")
        self.message_label = plain(QLabel())  # file-borne text (titles, errors): never HTML
        status.addWidget(self.message_label, 1)
        status.addPermanentWidget(self.export.record_label)
        for label in (self.step_label, self.rate_label, self.fps_label, self.device_label):
            status.addPermanentWidget(label)

    def _build_shortcuts(self) -> None:
        bindings: dict[str, Any] = {
            "Space": self.worker_toggle,
            "S": self.step_once,
            "R": self.reset,
            "F11": self.toggle_fullscreen,
            "F1": lambda: self.help.toggle(),
            "?": lambda: self.help.toggle(),
            "P": lambda: self.presenter_action.toggle(),
            "Escape": self._escape,
            "D": lambda: self.slow_step("d_update"),
            "G": lambda: self.slow_step("g_update"),
            "I": lambda: self.slow_step("iteration"),
            "M": lambda: self.slow_action.toggle(),
            "B": lambda: self.draw_action.toggle(),
        }
        for number in range(1, 10):
            bindings[str(number)] = lambda n=number: self.load_scene_number(n)
        self.shortcuts = []
        for key, handler in bindings.items():
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
            shortcut.activated.connect(handler)
            self.shortcuts.append(shortcut)
        self._through_fields = ShortcutsThroughFields(self)
        for box in self.findChildren(QAbstractSpinBox):
            box.installEventFilter(self._through_fields)

    # ------------------------------------------------------------------ actions
    def worker_toggle(self) -> None:
        if self.worker.failed is not None:
            self.show_message("Training has stopped: press Reset to start it again.", error=True)
            return
        self._end_slow_motion()
        self.worker.toggle()

    def slow_step(self, until: str) -> None:
        """Step D / Step G / Step iteration: the next update, animated (one run only)."""
        if self.comparing:
            self.show_message("Slow motion shows one run: leave compare mode first.", error=True)
            return
        if self.worker.failed is not None or self._latest is None:
            return
        self._ever_played = True
        self.sample_view.overlay.say("")
        self.slow.step(until)

    def set_slow_motion(self, on: bool) -> None:
        if on and (self.comparing or self.worker.failed is not None or self._latest is None):
            self.slow_action.setChecked(False)
            return
        if on:
            self._ever_played = True
            self.sample_view.overlay.say("")
        self.slow.set_playing(on)

    def slow_motion_when_ready(self) -> None:
        """Start slow-motion play as soon as the first snapshot is drawn (`open --slow`)."""

        def start(_snap: Snapshot) -> None:
            self.worker.snapshot_ready.disconnect(start)
            self.slow_action.setChecked(True)

        if self._latest is not None:
            self.slow_action.setChecked(True)
        else:
            self.worker.snapshot_ready.connect(start)

    def _end_slow_motion(self) -> None:
        """Normal play, reset or a new run: slow motion lets go and its line goes."""
        self.slow.stop()
        self.slow_action.setChecked(False)
        self.narration.hide()

    def _overview_shown(self, visible: bool) -> None:
        """Drawn only while visible: catch up with the picture on show. In presenter mode
        the diagram is held to a strip so the data view stays the largest thing on screen
        (at 1280x720 it once took half the height and left the view a 125 px thumbnail)."""
        if not visible:
            return
        if self._drawn is not None:
            self.overview.show_snapshot(self._drawn)
        if self.presenter:
            strip = int(self.height() * PRESENTER_OVERVIEW_SHARE)
            strip = max(strip, self.overview.minimumHeight())
            self.resizeDocks([self.overview_dock], [strip], Qt.Orientation.Vertical)

    def _focus_layer(self, layer: str) -> None:
        """A click on the model overview: show that part in the data view."""
        if self.config.is_dirac:
            return
        self.layer_boxes[layer].setChecked(True)
        self.show_message(f"Showing in the data view: {LAYERS[layer]}")

    def _narrate(self, text: str) -> None:
        self.narration.setText(text)
        self.narration.show()

    def _show_picture(self, snap: Snapshot) -> None:
        """A slow-motion in-between: drawn by the next frame like any snapshot."""
        self._latest = snap

    def step_once(self) -> None:
        self.worker.step_once(1)

    def reset(self) -> None:
        """Back to step 0; after a failure, a fresh training process with these settings."""
        if self.worker.failed is not None:
            self.show_message("Starting the training engine again…")
            self.sample_view.overlay.say("Starting the training engine…")
            self.worker.restart(self.config, self.scene.base_dir)
        else:
            self.worker.reset()

    def set_layer(self, name: str, visible: bool) -> None:
        self.sample_view.set_layer(name, visible)
        for other, check in self.layer_boxes.items():
            check.blockSignals(True)
            check.setChecked(other in self.sample_view.layers)
            check.blockSignals(False)
        self._refresh_key()

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
            warn(self, "Scene not loaded", f"{path}:\n\n{exc}")
            return False
        self.load_scene(scene)
        return True

    # ------------------------------------------------------------------ your own data
    def set_drawing(self, on: bool) -> None:
        """Draw data on / off; off trains on the drawing (the data view's own square)."""
        if on == self.drawer.drawing:
            return
        if on and (self.comparing or self.config.is_dirac):
            self.show_message("Drawing works on one 2-D scene: not the Dirac-GAN or compare.")
            self.draw_action.setChecked(False)
            return
        if on:
            self.worker.pause()
            self._end_slow_motion()
            self.drawer.start()
            self.sample_view.hide_data_while_drawing(True)
            self.sample_view.overlay.say("")
            self.show_message(
                "Drawing: left button paints, right button or Shift erases. "
                "Press Draw data (B) again to train on it."
            )
        else:
            self.drawer.finish()
            self.sample_view.hide_data_while_drawing(False)

    def use_points(self, points: np.ndarray, source: str) -> None:
        """Train on these points from now on, held inline so saves carry them."""
        changes: dict[str, Any] = {
            "target.kind": "points",
            "target.file": "",
            "target.points": np.round(points.astype(np.float64), 5).tolist(),
        }
        if source == "your drawing" and self._latest is not None:
            changes["view.bounds"] = list(self._latest.bounds)  # where it was drawn
        else:
            changes["view.bounds"] = None  # frame the file's data
        self.worker.apply(changes)
        self.show_message(f"Training on {source}: {len(points):,} points")

    def open_data_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open data", "", "Point files (*.csv *.txt);;All files (*)"
        )
        if path:
            self.open_data_file(Path(path))

    def open_data_file(self, path: Path) -> bool:
        """Train on a CSV's points; on any problem say what and keep the current data."""
        if self.comparing or self.config.is_dirac:
            self.show_message("Data files work on one 2-D scene: not the Dirac-GAN or compare.")
            return False
        try:
            points = read_points_csv(path).numpy()
            if len(points) > MAX_INLINE_POINTS:
                raise ConfigError(
                    f"{len(points):,} points; the window trains on at most "
                    f"{MAX_INLINE_POINTS:,} (a scene's target.file may hold up to {MAX_POINTS:,})"
                )
        except ConfigError as exc:
            self.show_message(f"Could not use {path.name}; kept the current data.", error=True)
            warn(self, "Data not loaded", f"{path}:\n\n{exc}")
            return False
        self.use_points(points, path.name)
        return True

    def dragEnterEvent(self, event: Any) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: Any) -> None:
        """A file dropped on the window: points, a scene or a session, by its ending."""
        for url in event.mimeData().urls():
            path = Path(url.toLocalFile())
            if path.suffix == ".toml":
                self.open_scene_file(path)
            elif path.suffix == SUFFIX:
                self.open_session_file(path)
            else:
                self.open_data_file(path)
            event.acceptProposedAction()
            return

    def save_scene_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save scene", "scene.toml", "Scenes (*.toml)")
        if path:
            self.save_scene_file(Path(path))

    def save_scene_file(self, path: Path) -> bool:
        """Write the current control values as a scene file (atomically)."""
        try:
            write_atomic(path, scene_file_text(self.config, self.scene.base_dir))
        except (OSError, ConfigError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            self.show_message(f"Could not save {path.name}: {reason}", error=True)
            warn(self, "Scene not saved", f"{path}:\n\n{exc}")
            return False
        self.show_message(f"Saved {path}")
        return True

    def open_session_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Open session", "", f"GANscope sessions (*{SUFFIX})"
        )
        if path:
            self.open_session_file(Path(path))

    def open_session_file(self, path: Path) -> None:
        """Ask training to restore a session; a bad file is refused and nothing changes."""
        self.show_message(f"Opening {path.name}…")
        self.worker.open_session(path)

    def save_session_dialog(self) -> None:
        default = f"{self.scene.name}{SUFFIX}"
        path, _ = QFileDialog.getSaveFileName(
            self, "Save session", default, f"GANscope sessions (*{SUFFIX})"
        )
        if path:
            self.save_session_file(Path(path))

    def save_session_file(self, path: Path) -> None:
        if path.suffix != SUFFIX:
            path = path.with_suffix(SUFFIX)
        self.worker.save_session(path, self.scene.name)

    # ------------------------------------------------------------------ compare mode
    def start_compare(self, kind: str, key: str = "", values: tuple[object, ...] = ()) -> None:
        """Train variants of the current scene side by side (see app/compare.py)."""
        pair = next((s for s in self.scenes if s.name == self.config.scene.pair), None)
        if kind == "fix" and pair is None:
            self.show_message("This scene has no fix to compare with.", error=True)
            return
        scene = Scene(self.scene.name, self.config, self.scene.path)
        configs, labels = variants_for(scene, pair, kind, values, key)
        self.worker.compare(configs, labels, self.scene.base_dir)
        self.show_message(f"Comparing: {', '.join(labels)}…")

    def compare_values_dialog(self) -> None:
        dialog = CompareDialog(self, self.config)
        if dialog.exec() and dialog.choice is not None:
            key, values = dialog.choice
            self.start_compare("values", key, values)

    def leave_compare(self) -> None:
        if self.comparing:
            self.load_scene(self.scene)

    def _send_changes(self, changes: dict[str, Any]) -> None:
        if not self.comparing:
            self.worker.apply(changes)
            return
        index = self.variant_choice.currentIndex() - 1  # 0: every variant
        self.worker.apply(changes, None if index < 0 else index)

    def _show_variant_controls(self, index: int) -> None:
        variant = max(index - 1, 0)
        if self.comparing and variant < len(self._variant_configs):
            self.controls.set_config(self._variant_configs[variant])

    def _enter_compare(self, event: RunStarted) -> None:
        self.comparing = event.labels
        self._variant_configs = list(event.configs)
        self._variant_latest.clear()
        self._variant_drawn.clear()
        self.compare_grid.set_variants(event.labels)
        self.compare_grid.set_presenter(self.presenter)
        self.compare_charts.set_scene(event.config)
        self.compare_charts.set_presenter(self.presenter)
        self.compare_charts.set_variants(list(event.histories))
        self.compare_legend.setText(variant_legend(event.labels))
        self.variant_choice.blockSignals(True)
        self.variant_choice.clear()
        self.variant_choice.addItems(["every variant", *event.labels])
        self.variant_choice.blockSignals(False)
        self.variant_row.show()
        self.timeline.hide()
        self.pages.setCurrentIndex(1)

    def _leave_compare_view(self) -> None:
        self.comparing = ()
        self.variant_row.hide()
        self.timeline.show()
        self.pages.setCurrentIndex(0)

    def _on_variant_snapshot(self, variant: int, snap: Snapshot) -> None:
        if not self.comparing:
            return
        self._variant_latest[variant] = snap
        if self.compare_charts.add_variant_metrics(variant, dict(snap.metrics)):
            self._charts_dirty = True

    def toggle_fullscreen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self._fill_screen()

    def _fill_screen(self) -> None:
        """Full screen; where no window manager honours that (a bare X server), the
        window's geometry is set to the screen's by hand."""
        self.showFullScreen()
        screen = self.screen()
        if screen is not None and self.geometry() != screen.geometry():
            self.setGeometry(screen.geometry())

    def _escape(self) -> None:
        if self.help.isVisible():
            self.help.hide()
        elif self.presenter:
            self.presenter_action.setChecked(False)

    def set_presenter(self, on: bool) -> None:
        """For the back row of a lecture hall: full screen, the data view large, three
        charts, big text everywhere, and only the controls the lesson needs."""
        if on == self.presenter:
            return
        self.presenter = on
        font = QFont(self._base_font)
        if on:
            self._normal_state = (self.saveState(), self.isFullScreen())
            font.setPointSizeF(self._base_font.pointSizeF() * PRESENTER_FONT)
        QApplication.setFont(font)
        toolbar_font = QFont(self._base_font)
        if on:
            toolbar_font.setPointSizeF(self._base_font.pointSizeF() * PRESENTER_TOOLBAR_FONT)
        self.toolbar.setFont(toolbar_font)
        narration_font = QFont(font)  # (a styled label keeps its own font: set it too)
        narration_font.setBold(True)
        self.narration.setFont(narration_font)
        for view in (self.sample_view, self.phase_view, self.dirac_line, self.charts):
            view.set_presenter(on)
        self.overview.set_presenter(on)
        self.compare_grid.set_presenter(on)
        self.compare_charts.set_presenter(on)
        self.key.set_presenter(on)
        self.browser.set_presenter(on)
        if on:
            self.scenes_dock.hide()
            self._overview_in_normal_mode = self.overview_dock.isVisible()
            self.overview_dock.hide()  # the data view first; O brings the diagram back
            self.layers_box.hide()
            self.controls.show_only(self.lecture_knobs())
            self._fill_screen()
        else:
            self.layers_box.show()
            self.overview_dock.setVisible(self._overview_in_normal_mode)
            self.controls.show_only(None)
            if self._normal_state is not None:
                state, full = self._normal_state
                self.restoreState(state)
                if not full:
                    self.showNormal()
        self.stage.set_presenter(on)
        self._refresh_key()

    def lecture_knobs(self) -> list[str]:
        """The knobs this lesson turns: those its paired scene changes, else the usual few."""
        pair = next((s for s in self.scenes if s.name == self.config.scene.pair), None)
        available = {k.key for k in panel_knobs()}
        keys: list[str] = []
        if pair is not None:
            keys = [k for k in changed_keys(self.config, pair.config) if k in available]
        return keys or [k for k in LECTURE_KNOBS if k in available]

    def show_fitted(self) -> None:
        """Show the window: maximised on a small screen, else at its fitted size."""
        self.showMaximized() if self._start_maximized else self.show()

    def show_message(self, text: str, error: bool = False) -> None:
        self.message_label.setStyleSheet("color: #c0392b;" if error else "")
        self.message_label.setText(text)

    # ------------------------------------------------------------------ worker events
    def _on_snapshot(self, snap: Snapshot) -> None:
        if self._latest is None and not self._ever_played:
            self.sample_view.overlay.say("Press Space to play")
        self._latest = snap
        if self.charts.add_metrics(snap.metrics):
            self._charts_dirty = True
        self._step_times.append((time.perf_counter(), snap.step))
        if snap.diverged:
            self.show_message(snap.diverged, error=True)

    def _on_change(self, result: ChangeResult) -> None:
        if self.comparing:
            self._variant_configs[result.variant] = result.config
            if result.marker is not None:
                self.compare_charts.histories[result.variant].put_marker(result.marker)
            self.show_message(
                result.message if result.ok else "Refused: " + result.message, not result.ok
            )
            self._show_variant_controls(self.variant_choice.currentIndex())
            return
        self.config = result.config
        self.overview.set_config(result.config)
        self.controls.set_config(result.config)
        self._sync_seed(result.config)
        if not result.ok:
            self.show_message("Refused: " + result.message.replace("\n", "; "), error=True)
            return
        if result.message:
            self.show_message(result.message)
        if result.marker is not None:
            self.charts.add_marker(result.marker)
        self._refresh_key()

    def _on_playing(self, playing: bool) -> None:
        self._playing = playing
        if playing:
            self._end_slow_motion()
        if playing:
            self._ever_played = True
            self.sample_view.overlay.say("")
        self.play_action.setText("Pause" if playing else "Play")
        self.play_action.setIcon(self._pause_icon if playing else self._play_icon)

    def _on_run_started(self, event: RunStarted) -> None:
        """Training started a run: everything drawn before belongs to the old one."""
        self._end_slow_motion()
        if self.drawer.drawing:  # a new scene or a reset: the unfinished drawing is dropped
            self.drawer.cancel()
            self.sample_view.hide_data_while_drawing(False)
            self.draw_action.setChecked(False)
        if event.reason == "load" and self._pending_scene is not None:
            self.scene, self._pending_scene = self._pending_scene, None
        if event.labels:
            self._enter_compare(event)
            self.show_message(event.message)
            return
        if self.comparing:
            self._leave_compare_view()
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

    def _on_session_saved(self, event: SessionSaved) -> None:
        if event.path != self.autosaver.path:
            self.show_message(event.message, error=not event.ok)
        elif not event.ok:
            self.show_message(f"Autosave failed: {event.message}", error=True)

    def _progress(self) -> tuple[str, int, int] | None:
        """What an autosave would hold: the scene, its step and settings version."""
        latest = self._latest
        if latest is None or latest.step == 0:
            return None
        return (self.scene.name, latest.step, latest.config_version)

    # ------------------------------------------------------------------ the tour
    def _tour_stops(self) -> list[Stop]:
        def tool(made: QAction) -> Callable[[], QWidget | None]:
            return lambda: self.toolbar.widgetForAction(made)

        def raise_dock(dock: QDockWidget) -> Callable[[], None]:
            return lambda: (dock.show(), dock.raise_())

        return [
            Stop("scenes", lambda: self.browser.tree, "Lessons",
                 "Each lesson is a pair: a failure (✗) and the fix (✓) the literature names. "
                 "Pick one, or press 1-9.", raise_dock(self.scenes_dock)),
            Stop("story", lambda: self.browser.story, "The story",
                 "What the scene sets up, what to watch for, and how to fix it, in a few "
                 "sentences you can read aloud.", raise_dock(self.scenes_dock)),
            Stop("data view", lambda: self.stage.main, "The data view",
                 "Blue dots are the real data, orange dots what the generator makes now. The "
                 "background is D's verdict; the arrows show where G's loss pushes a sample."),
            Stop("key", lambda: self.key, "The key",
                 "What every colour and mark means, in plain words; it follows the layers "
                 "that are on and the loss."),
            Stop("charts", lambda: self.charts, "The charts",
                 "Modes covered, distance to the data, D's verdict and more, over training "
                 "steps. Every change you make is a marker."),
            Stop("play", tool(self.play_action), "Play, step, reset",
                 "Space plays and pauses, S trains one iteration, R goes back to step 0."),
            Stop("slow motion", tool(self.step_d_action), "Slow motion",
                 "Step D and Step G show one update at a time, animated and narrated; Slow "
                 "motion keeps going, update by update."),
            Stop("controls", lambda: self.controls, "Controls",
                 "Every setting of the run. Changes apply at once, between two iterations; "
                 "hover one for what it does.", raise_dock(self.controls_dock)),
            Stop("timeline", lambda: self.timeline, "Go back",
                 "Drag back to an earlier step, change a control and play: a new branch. "
                 "The charts keep the old one, faint."),
            Stop("overview", lambda: self.overview, "Model overview",
                 "The whole GAN as a diagram, live: noise, G, the samples, D, its "
                 "predictions and both losses, with the two gradient paths (O toggles it).",
                 raise_dock(self.overview_dock)),
            Stop("compare", tool(self.compare_fix_action), "Compare",
                 "Train this scene beside its fix (or several seeds, or values) at once."),
            Stop("export", tool(self.export.export_action), "Export and record",
                 "Animations (MP4, GIF), stills (PNG, SVG) and the metrics (CSV) for slides."),
            Stop("presenter", tool(self.presenter_action), "Presenter mode",
                 "For the back row: full screen, big text, only the lesson's controls (P). "
                 "F1 lists every shortcut; this tour is in the Help menu."),
        ]  # fmt: skip

    def start_tour(self) -> None:
        self._overview_was_visible = self.overview_dock.isVisible()
        self.tour.start()

    def offer_tour(self) -> None:
        """The tour on the very first start; afterwards only from Help."""
        if not QSettings(*SETTINGS).value("tourSeen", False, type=bool):
            self.start_tour()

    def _tour_ended(self, _completed: bool) -> None:
        QSettings(*SETTINGS).setValue("tourSeen", True)
        self.overview_dock.setVisible(self._overview_was_visible)

    def offer_restore(self) -> None:
        """After a crash: offer the last autosaved session back (it becomes this window's
        autosave, so it is kept until this window closes cleanly)."""
        crashed = crashed_sessions(self.autosaver.path.parent)
        if not crashed:
            return
        newest, *older = crashed
        answer = ask(
            self,
            "Restore the autosaved session?",
            f"GANscope did not close properly last time. Restore the session it autosaved "
            f"({describe(newest)})?",
        )
        forget(older)
        if not answer:
            forget([newest])
            return
        try:
            self.autosaver.adopt(newest)
        except OSError as exc:
            self.show_message(f"Could not restore the autosave: {exc.strerror}", error=True)
            return
        self.open_session_file(self.autosaver.path)

    def _on_training_failed(self, message: str, details: str) -> None:
        self._on_playing(False)
        self.rate_label.setText("stopped")
        self.show_message(message, error=True)
        self.sample_view.overlay.say("Training stopped: press R to start it again")
        if details:
            warn(self, "Training stopped", f"{message}\n\n{details[-3000:]}")

    def _on_tree_item(self, item: Any) -> None:
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
        self.overview.set_config(config)
        if config.is_dirac:
            self.stage.set_views(self.phase_view, self.dirac_line)
        else:
            self.stage.set_views(self.sample_view, None)
        self.charts.set_scene(config)
        if self.presenter:
            self.controls.show_only(self.lecture_knobs())
        self._refresh_key()
        item = self.browser.items.get(self.scene.name)
        if item is not None:
            self.browser.tree.setCurrentItem(item)

    def _refresh_key(self) -> None:
        self.key.show_key(self.config, self.sample_view.layers)
        self.stage.relayout()

    def _set_speed(self, steps_per_second: float | None) -> None:
        """Show and apply the scene's suggested speed (the nearest choice offered)."""
        if steps_per_second is None:
            label = "max"
        else:
            capped = {k: v for k, v in SPEEDS.items() if v is not None}
            label = min(capped, key=lambda k: abs(capped[k] - steps_per_second))
        self.speed.blockSignals(True)
        self.speed.setCurrentText(label)
        self.speed.blockSignals(False)
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
        self.step_label.setText("step 0")

    # ------------------------------------------------------------------ drawing
    def _draw(self) -> None:
        snap = self._latest
        self._frame_count += 1
        if self.comparing:
            self._draw_variants()
            snap = None
        if snap is not None and snap is not self._drawn:
            self._drawn = snap
            if snap.dirac is not None:
                self.phase_view.show_snapshot(snap)
                self.dirac_line.show_snapshot(snap)
            else:
                self.sample_view.show_snapshot(snap)
            if self.overview.isVisible():
                self.overview.show_snapshot(snap)
            self._draw_times.append(time.perf_counter())
            self._drawn_count += 1
            self.export.capture(snap.step)
            self.step_label.setText(f"step {snap.step:,}")
            self.device_label.setText(f"device: {snap.device}")
        if self._charts_dirty and self._frame_count % CHART_EVERY == 0:
            self._charts_dirty = False
            (self.compare_charts if self.comparing else self.charts).refresh()
        if self._frame_count % 30 == 0:
            self._update_rates()

    def _draw_variants(self) -> None:
        for variant, snap in self._variant_latest.items():
            if self._variant_drawn.get(variant) is not snap:
                self._variant_drawn[variant] = snap
                self.compare_grid.show_snapshot(variant, snap)
                if variant == 0:  # the first variant stands for the rest in the diagram
                    if self.overview.isVisible():
                        self.overview.show_snapshot(snap)
                    self._draw_times.append(time.perf_counter())
                    self._drawn_count += 1
                    self.export.capture(snap.step)
                    self.step_label.setText(f"step {snap.step:,}")

    def _update_rates(self) -> None:
        now = time.perf_counter()
        recent = [t for t in self._draw_times if now - t < 1.0]
        self.fps_label.setText(f"{len(recent)} fps")
        if self.worker.failed is not None:
            return
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
        if self.presenter:
            self.set_presenter(False)
        settings = QSettings(*SETTINGS)
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("windowState", self.saveState())
        self.frame_timer.stop()
        self.export.finish()  # a recording is finished and saved, an export cancelled
        self.worker.stop()
        self.autosaver.discard()  # after the training process, which writes the autosaves
        super().closeEvent(event)
