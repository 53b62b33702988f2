"""The window's parts and where they sit: the stage (the data view, its key and the charts)
or compare mode's grid in the middle, the timeline under it, the scenes and the controls in
docks at the sides, the model overview in a dock at the bottom, and the window's size fitted
to the screen it opens on.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app import colours
from app.model import WindowModel
from app.panels.controls import ControlPanel
from app.panels.layers_box import LayersBox
from app.panels.scene_browser import SceneBrowser
from app.panels.timeline_bar import TimelineBar
from app.teaching.draw_data import DataDrawer
from app.views.charts import ChartsView
from app.views.compare_views import CompareCharts, CompareGrid
from app.views.dirac import DiracLine, PhasePortrait
from app.views.key import DataKey
from app.views.overview import ModelOverview
from app.views.sample_view import SampleView
from app.views.stage import Stage
from scenes.loader import Scene

OVERVIEW_MIN_SCREEN_HEIGHT = 1000
DEFAULT_SIZE = (1600, 1000)
SIDE_BY_SIDE_DOCKS = 1500  # narrower screens get the two docks as tabs of one
SETTINGS = ("GANscope", "GANscope")
STAGE_PAGE, COMPARE_PAGE = 0, 1


class WindowParts:
    """Every widget of the window, built and placed; the window wires them to the model."""

    def __init__(self, window: QMainWindow, model: WindowModel, scenes: list[Scene]) -> None:
        self.window = window
        self.sample_view = SampleView()
        self.phase_view = PhasePortrait()
        self.dirac_line = DiracLine()
        self.charts = ChartsView()
        self.key = DataKey()
        self.stage = Stage(self.sample_view, self.key, self.charts)
        for spare in (self.phase_view, self.dirac_line):  # the Dirac-GAN's, shown when needed
            spare.setParent(self.stage)
            spare.hide()
        self.timeline = TimelineBar()
        self.overview = ModelOverview()
        self.drawer = DataDrawer(self.sample_view)
        self.compare_grid = CompareGrid()
        self.compare_charts = CompareCharts()
        self.compare_legend = QLabel()
        self.controls = ControlPanel()
        self.browser = SceneBrowser(scenes)
        self.layers_box = LayersBox(model)
        self.narration = QLabel()
        self.variant_choice = QComboBox()
        self.pages = QStackedWidget()
        self._build_centre()
        self._build_docks()
        self.start_maximized = False

    def _build_centre(self) -> None:
        holder = self.centre = QWidget()  # a plain parent for the help overlay
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.narration.setWordWrap(True)
        self.narration.setTextFormat(Qt.TextFormat.PlainText)
        self.narration.setObjectName("narration")
        self.narration.setToolTip("What the phase just shown did (slow motion)")
        self.narration.setStyleSheet(
            f"QLabel#narration {{ background: {colours.NOTE}; border-left: 4px solid "
            f"{colours.NEUTRAL}; padding: 4px 8px; }}"
        )
        self.narration.hide()
        bold = QFont(QApplication.font())
        bold.setBold(True)
        self.narration.setFont(bold)
        column.addWidget(self.narration)
        self.pages.addWidget(self.stage)
        self.pages.addWidget(self._compare_page())
        column.addWidget(self.pages, 1)
        column.addWidget(self.timeline)
        self.window.setCentralWidget(holder)

    def _compare_page(self) -> QWidget:
        page = QWidget()
        row = QHBoxLayout(page)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.compare_grid, 3)
        right = QVBoxLayout()
        self.compare_legend.setTextFormat(Qt.TextFormat.RichText)  # built with escaped labels
        self.compare_legend.setWordWrap(True)
        right.addWidget(self.compare_legend)
        right.addWidget(self.compare_charts, 1)
        row.addLayout(right, 2)
        return page

    def _build_docks(self) -> None:
        window = self.window
        self.scenes_dock = QDockWidget("Scenes", window)
        self.scenes_dock.setObjectName("scenes")
        self.scenes_dock.setWidget(self.browser)
        window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.scenes_dock)
        window.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)

        panel = QWidget()
        panel_column = QVBoxLayout(panel)
        panel_column.setContentsMargins(2, 2, 2, 2)
        panel_column.addWidget(self.layers_box)
        self.variant_choice.setToolTip("Which variant a change goes to, in compare mode")
        self.variant_row = QWidget()
        variant_column = QVBoxLayout(self.variant_row)
        variant_column.setContentsMargins(4, 0, 4, 0)
        choice_row = QHBoxLayout()
        choice_row.addWidget(QLabel("Change:"))
        choice_row.addWidget(self.variant_choice, 1)
        variant_column.addLayout(choice_row)
        # what the controls cannot show for every variant at once: where they differ
        self.variant_note = QLabel()
        self.variant_note.setTextFormat(Qt.TextFormat.PlainText)
        self.variant_note.setWordWrap(True)
        variant_column.addWidget(self.variant_note)
        self.variant_row.hide()
        panel_column.addWidget(self.variant_row)
        panel_column.addWidget(self.controls)
        scroll = self.controls_scroll = QScrollArea()
        scroll.setWidget(panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        self.controls_dock = QDockWidget("Controls", window)
        self.controls_dock.setObjectName("controls")
        self.controls_dock.setWidget(scroll)
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.controls_dock)
        window.resizeDocks(
            [self.scenes_dock, self.controls_dock], [250, 310], Qt.Orientation.Horizontal
        )
        self.overview_dock = QDockWidget("Model overview", window)
        self.overview_dock.setObjectName("overview")
        self.overview_dock.setWidget(self.overview)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.overview_dock)

    def show_page(self, comparing: bool) -> None:
        self.pages.setCurrentIndex(COMPARE_PAGE if comparing else STAGE_PAGE)
        self.variant_row.setVisible(comparing)
        self.timeline.setVisible(not comparing)  # going back is for one run

    def fit_to_screen(self) -> None:
        """The last size and docks if they fit this screen, else most of it: a projector at
        1280x720 gets a window of 1280x720 or less, never one that overflows it."""
        window = self.window
        screen = QGuiApplication.primaryScreen()
        available = screen.availableGeometry() if screen is not None else None
        settings = QSettings(*SETTINGS)
        geometry = settings.value("geometry")
        restored = isinstance(geometry, QByteArray) and window.restoreGeometry(geometry)
        fits = available is not None and (
            window.width() <= available.width() and window.height() <= available.height()
        )
        if available is not None and not (restored and fits):
            window.resize(
                min(DEFAULT_SIZE[0], available.width()), min(DEFAULT_SIZE[1], available.height())
            )
            frame = window.frameGeometry()
            frame.moveCenter(available.center())
            window.move(frame.topLeft())
            # the diagram takes height from the data view: on by default only where there is
            # height to spare (1080p and up); View > Model overview shows it anywhere
            self.overview_dock.setVisible(available.height() >= OVERVIEW_MIN_SCREEN_HEIGHT)
            if available.width() < SIDE_BY_SIDE_DOCKS:
                # a projector's 1280x720: one dock column (scenes and controls as tabs), so
                # the data view keeps most of the width
                window.tabifyDockWidget(self.controls_dock, self.scenes_dock)
                self.scenes_dock.raise_()
                self.start_maximized = True
        state = settings.value("windowState")
        if restored and fits and isinstance(state, QByteArray):
            window.restoreState(state)

    def remember(self) -> None:
        """Keep the window's size and docks for the next start."""
        settings = QSettings(*SETTINGS)
        settings.setValue("geometry", self.window.saveGeometry())
        settings.setValue("windowState", self.window.saveState())
