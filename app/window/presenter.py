"""Presenter mode, for the back row of a lecture hall: full screen, the data view the largest
thing on screen, big text everywhere and only the controls the lesson turns.

It is a field of the window model (`presenter`); this follows it. Every widget of the window
that has a `set_presenter(on)` method gets it: none is left out because someone forgot to
add it to a list.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from app.model import WindowModel
from app.panels.controls import panel_knobs
from app.window.layout import WindowParts
from scenes.loader import Scene

PRESENTER_FONT = 1.6
# the toolbar less so: at 1.6x its last buttons (Export, Presenter, Help) went behind the
# overflow chevron on 1280x720 and 1366x768 projectors
PRESENTER_TOOLBAR_FONT = 1.25
PRESENTER_OVERVIEW_SHARE = 0.25  # of the window's height, for the diagram in presenter mode
# the lesson's few knobs fit in this: the 310 px dock held one slider and took width from
# the data view at 1280x720
PRESENTER_CONTROLS_WIDTH = 250
NORMAL_CONTROLS_MIN_WIDTH = 300
LECTURE_KNOBS = ("training.loss", "training.lr_g", "training.lr_d", "regularization.r1_gamma")


def presenter_widgets(root: QWidget) -> list[QWidget]:
    """Every widget under `root` with a `set_presenter` (widgets made later, such as compare
    mode's small views, take the mode from the widget that makes them)."""
    return [w for w in root.findChildren(QWidget) if callable(getattr(w, "set_presenter", None))]


class Presenter:
    def __init__(
        self, window: QMainWindow, model: WindowModel, parts: WindowParts, scenes: list[Scene]
    ) -> None:
        self.window, self.model, self.parts, self.scenes = window, model, parts, scenes
        self.base_font = QApplication.font()
        self._normal_state: tuple[QByteArray, bool] | None = None
        self._overview_in_normal_mode = True
        model.presenter_changed.connect(self.apply)
        model.run_started.connect(lambda _event: self._show_lecture_knobs())
        parts.overview_dock.visibilityChanged.connect(self._overview_shown)

    def apply(self, on: bool) -> None:
        window, parts = self.window, self.parts
        font = QFont(self.base_font)
        if on:
            self._normal_state = (window.saveState(), window.isFullScreen())
            font.setPointSizeF(self.base_font.pointSizeF() * PRESENTER_FONT)
        QApplication.setFont(font)
        toolbar_font = QFont(self.base_font)
        if on:
            toolbar_font.setPointSizeF(self.base_font.pointSizeF() * PRESENTER_TOOLBAR_FONT)
        for bar in window.findChildren(QWidget, "training"):
            bar.setFont(toolbar_font)
        narration_font = QFont(font)  # (a styled label keeps its own font: set it too)
        narration_font.setBold(True)
        parts.narration.setFont(narration_font)
        for widget in presenter_widgets(window):
            widget.set_presenter(on)  # type: ignore[attr-defined]
        # the menus' commands all have keys (F1 lists them): their height goes to the view
        window.menuBar().setVisible(not on)
        parts.controls_scroll.setMinimumWidth(
            PRESENTER_CONTROLS_WIDTH if on else NORMAL_CONTROLS_MIN_WIDTH
        )
        if on:
            parts.scenes_dock.hide()
            self._overview_in_normal_mode = parts.overview_dock.isVisible()
            parts.overview_dock.hide()  # the data view first; O brings the diagram back
            parts.layers_box.hide()
            self._show_lecture_knobs()
            self.fill_screen()
            window.resizeDocks(
                [parts.controls_dock], [PRESENTER_CONTROLS_WIDTH], Qt.Orientation.Horizontal
            )
        else:
            parts.layers_box.show()
            parts.overview_dock.setVisible(self._overview_in_normal_mode)
            parts.controls.show_only(None)
            if self._normal_state is not None:
                state, full = self._normal_state
                window.restoreState(state)
                if not full:
                    window.showNormal()
        parts.key.show_key(self.model.config, self.model.layers)
        parts.stage.relayout()

    def _show_lecture_knobs(self) -> None:
        if self.model.presenter:
            self.parts.controls.show_only(self.lecture_knobs())

    def lecture_knobs(self) -> list[str]:
        """The knobs this lesson turns: those its paired scene changes, else the usual few."""
        config = self.model.config
        pair = next((s for s in self.scenes if s.name == config.scene.pair), None)
        available = {k.key for k in panel_knobs()}
        keys: list[str] = []
        if pair is not None:
            keys = [k for k in config.changes_to(pair.config) if k in available]
        return keys or [k for k in LECTURE_KNOBS if k in available]

    def _overview_shown(self, visible: bool) -> None:
        """In presenter mode the diagram is held to a strip so the data view stays the
        largest thing on screen (at 1280x720 it once took half the height and left the view
        a 125 px thumbnail)."""
        if visible and self.model.presenter:
            parts = self.parts
            strip = max(
                int(self.window.height() * PRESENTER_OVERVIEW_SHARE), parts.overview.minimumHeight()
            )
            self.window.resizeDocks([parts.overview_dock], [strip], Qt.Orientation.Vertical)

    def toggle_fullscreen(self) -> None:
        if self.window.isFullScreen():
            self.window.showNormal()
        else:
            self.fill_screen()

    def fill_screen(self) -> None:
        """Full screen; where no window manager honours that (a bare X server), the
        window's geometry is set to the screen's by hand."""
        window = self.window
        window.showFullScreen()
        screen = window.screen()
        if screen is not None and window.geometry() != screen.geometry():
            window.setGeometry(screen.geometry())
