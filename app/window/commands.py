"""Every command of the window, once: its text, its tip in plain words, its keys, its menus and
whether the toolbar shows it. The menus, the toolbar, the keyboard shortcuts, the F1 sheet
and the guided tour are all built from this table, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
    QSizePolicy,
    QToolBar,
    QWidget,
)


@dataclass(frozen=True)
class Command:
    id: str
    text: str
    tip: str  # plain words: the tooltip, the status tip, the F1 sheet, the tour
    keys: tuple[str, ...] = ()
    menus: tuple[str, ...] = ()
    toolbar: bool = False
    checkable: bool = False
    group: int = 0  # a separator goes between groups, in menus and on the toolbar
    lecture: bool = True  # on the toolbar in presenter mode too (a projector's toolbar is short)


COMMANDS = (
    Command("play", "Play", "Play or pause training", ("Space",), ("&Training",), True),
    Command("step", "Step", "Train one iteration", ("S",), ("&Training",), True),
    Command("reset", "Reset", "Back to step 0 with the current settings; after a failure, "
            "start training again", ("R",), ("&Training",), True),
    Command("undo", "Undo change", "Undo the last change of a setting (it is marked on the "
            "charts like any change)", ("Ctrl+Z",), ("&Training",), group=1),
    Command("step_d", "Step D", "Show one D update in slow motion", ("D",), ("&Training",),
            True, group=2),
    Command("step_g", "Step G", "Show one G update in slow motion", ("G",), ("&Training",),
            True, group=2),
    Command("step_iteration", "Step iteration", "Show one whole iteration, every D and G "
            "update, in slow motion", ("I",), ("&Training",), group=2),
    Command("slow", "Slow motion", "Play in slow motion, update by update", ("M",),
            ("&Training",), True, True, group=2),
    Command("pick_scene", "Find a scene…", "Type a few letters of a lesson and press Enter",
            ("Ctrl+K",), ("&File",), group=0),
    Command("open_scene", "Open scene…", "Open a scene file", ("Ctrl+O",), ("&File",)),
    Command("save_scene", "Save scene…", "Save the current settings as a scene file",
            ("Ctrl+S",), ("&File",)),
    Command("open_session", "Open session…", "Open a saved session: settings, weights and "
            "history", ("Ctrl+Shift+O",), ("&File",), group=1),
    Command("save_session", "Save session…", "Save everything, to continue exactly here later",
            ("Ctrl+Shift+S",), ("&File",), group=1),
    Command("open_data", "Open data…", "Train on points from a CSV file (x,y per line), or drop "
            "one on the window", ("Ctrl+D",), ("&File", "&Data"), group=2),
    Command("compare_fix", "Compare with its fix", "Train this scene and the scene that fixes "
            "it (or that it fixes) side by side", (), ("&Compare",), True, group=3),
    Command("record", "Record", "Record what the views show to an MP4 or GIF (again to stop)",
            ("Ctrl+R",), ("&File",), True, True, group=3, lecture=False),
    Command("export", "Export…", "Render this scene to MP4, GIF, PNG, SVG or CSV", ("Ctrl+E",),
            ("&File",), True, group=3, lecture=False),
    Command("quit", "Quit", "Close GANscope (a long run is offered to be saved first)",
            ("Ctrl+Q",), ("&File",), group=4),
    Command("compare_seeds", "Compare seeds", "Train this scene on four seeds side by side: "
            "how robust is the lesson?", (), ("&Compare",), group=3),
    Command("compare_values", "Compare values…", "Train this scene at several values of one "
            "setting, side by side", (), ("&Compare",), group=3),
    Command("single", "One run", "Leave compare mode: back to this scene alone", (),
            ("&Compare",), group=4),
    Command("draw", "Draw data", "Draw your own data on the plot: left button paints, right "
            "button (or Shift) erases; again to train on it", ("B",), ("&Data",), checkable=True),
    Command("clear_drawing", "Clear drawing", "Start the drawing again from an empty plot", (),
            ("&Data",)),
    Command("presenter", "Presenter", "Presenter mode: full screen, the data view large, big "
            "text, only the lesson's controls (Esc leaves it)", ("P",), ("&View",), True, True,
            group=3),
    Command("fullscreen", "Full screen", "Full screen, or back", ("F11",), ("&View",)),
    Command("overview", "Model overview", "Show or hide the whole GAN as a live diagram",
            ("O",), ("&View",), checkable=True, group=1),
    Command("scenes_dock", "Scenes", "Show or hide the list of lessons", (), ("&View",),
            checkable=True, group=1),
    Command("controls_dock", "Controls", "Show or hide the controls", (), ("&View",),
            checkable=True, group=1),
    Command("help", "Help", "Every shortcut (Esc or a click closes it)", ("F1", "?"),
            ("&Help",), True, group=3),
    Command("tour", "Guided tour", "Each view and control in turn, in plain words", (),
            ("&Help",)),
)  # fmt: skip
COMMAND_BY_ID = {command.id: command for command in COMMANDS}
MENUS = ("&File", "&Training", "&Data", "&Compare", "&View", "&Help")
# keys the F1 sheet lists that are not commands of their own
OTHER_KEYS = (
    ("1 – 9", "open lesson 1 – 9 of the list (Ctrl+K finds any lesson by name)"),
    ("Esc", "close this sheet, leave presenter mode"),
    ("Mouse", "wheel zooms, drag pans the data view; hover a chart to read every value"),
)


# keys a number field has no use for: they reach the window's shortcuts even while one has
# focus (Qt offers keys to a focused text field first, and a line edit claims Ctrl+E)
def _key(text: str) -> Qt.Key:
    return QKeySequence(text)[0].key()  # type: ignore[index]  # (a QKeyCombination)


PASS_THROUGH = {_key(k) for c in COMMANDS for k in c.keys if "Ctrl" not in k} | {Qt.Key.Key_Escape}
PASS_THROUGH_CTRL = {_key(k) for c in COMMANDS for k in c.keys if "Ctrl" in k}


def key_text(command: Command) -> str:
    return " or ".join(command.keys)


def build_actions(
    window: QMainWindow, handlers: Mapping[str, Callable[..., object]]
) -> dict[str, QAction]:
    """A QAction per command, its tip naming its keys. A checkable command's handler gets
    the new state (`toggled`); the others are `triggered`."""
    actions = {}
    for command in COMMANDS:
        action = QAction(command.text, window)
        tip = f"{command.tip} ({key_text(command)})" if command.keys else command.tip
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(command.checkable)
        if command.keys:
            action.setShortcuts([QKeySequence(key) for key in command.keys])
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        handler = handlers[command.id]
        if command.checkable:
            action.toggled.connect(handler)
        else:
            action.triggered.connect(lambda _checked=False, h=handler: h())
        window.addAction(action)  # shortcuts work with the menu bar hidden too
        actions[command.id] = action
    return actions


def build_menus(window: QMainWindow, actions: Mapping[str, QAction]) -> dict[str, QMenu]:
    menus = {}
    for title in MENUS:
        menu = window.menuBar().addMenu(title)
        group = None
        for command in COMMANDS:
            if title in command.menus:
                if group is not None and command.group != group:
                    menu.addSeparator()
                group = command.group
                menu.addAction(actions[command.id])
        menus[title] = menu
    return menus


class Toolbar(QToolBar):
    """The toolbar commands in table order, a separator between groups, and the widgets
    (speed, seed…) right after the command they belong with. In presenter mode it keeps
    only the lesson's commands (at 1280x720 and presenter fonts, Presenter and Help went
    behind the overflow chevron) and shows the step in large type at its end."""

    def __init__(
        self,
        actions: Mapping[str, QAction],
        widgets_after: Mapping[str, list[QWidget]],
        spare: set[QWidget],
    ) -> None:
        """spare: widgets left out in presenter mode."""
        super().__init__("Training")
        self.setObjectName("training")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._spare: list[QAction] = []
        group = None
        for command in COMMANDS:
            if not command.toolbar:
                continue
            if group is not None and command.group != group:
                self.addSeparator()
            group = command.group
            action = actions[command.id]
            self.addAction(action)
            if not command.lecture:
                self._spare.append(action)
            for widget in widgets_after.get(command.id, []):
                added = self.addWidget(widget)
                if widget in spare:
                    self._spare.append(added)
        stretch = QWidget()
        stretch.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(stretch)
        self.step = QLabel()  # the step, large, for the back row (presenter mode only)
        self.step.setTextFormat(Qt.TextFormat.PlainText)
        self.step.setStyleSheet("font-weight: bold; font-size: 20pt; padding: 0 12px;")
        self._step_action = self.addWidget(self.step)
        self._step_action.setVisible(False)

    def set_presenter(self, on: bool) -> None:
        for action in self._spare:
            action.setVisible(not on)
        self._step_action.setVisible(on)

    def show_step(self, step: int) -> None:
        if self._step_action.isVisible():
            self.step.setText(f"step {step:,}")


class ShortcutsThroughFields(QObject):
    """Number fields keep digits, dots and signs; every other shortcut key reaches the window
    while one has focus, and Enter hands focus back so 1-9 load scenes again."""

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        for box in window.findChildren(QAbstractSpinBox):
            box.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            ctrl = bool(event.modifiers() & Qt.KeyboardModifier.ControlModifier)
            key = Qt.Key(event.key())
            return key in PASS_THROUGH_CTRL if ctrl else key in PASS_THROUGH
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            QTimer.singleShot(0, self.window.setFocus)  # after the field took the value
        return False


def show_dock(dock: QDockWidget, on: bool) -> None:
    """Open a dock in front (a tab behind another comes forward), or close it."""
    dock.setVisible(on)
    if on:
        dock.raise_()


def checked(action: QAction, on: bool) -> None:
    """Show a command's state without running it again."""
    action.blockSignals(True)
    action.setChecked(on)
    action.blockSignals(False)
