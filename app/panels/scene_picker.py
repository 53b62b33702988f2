"""Find a scene (Ctrl+K): type a few letters of a lesson's title, group or name, pick with
the arrow keys, Enter opens it. For a lecturer at the keyboard in front of a class: every
lesson is two keys and a word away, in presenter mode too (where the list is hidden), and
the digits 1-9 reach only the first nine."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from app.panels.scene_browser import ROLE_MARK
from app.plain_text import tooltip
from scenes.loader import Scene


def matches(scene: Scene, number: int, words: str) -> bool:
    """Every word typed appears in the scene's number, title, group or name."""
    info = scene.config.scene
    haystack = f"{number} {info.title} {info.group} {scene.name}".lower()
    return all(word in haystack for word in words.lower().split())


class ScenePicker(QDialog):
    chosen = Signal(object)  # the Scene to open

    def __init__(self, parent: QWidget, scenes: list[Scene]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Find a scene")
        self.scenes = scenes
        self.query = QLineEdit()
        self.query.setPlaceholderText("Type part of a lesson's name, e.g. ring r1, dirac, vanish")
        self.list = QListWidget()
        layout = QVBoxLayout(self)
        layout.addWidget(self.query)
        layout.addWidget(self.list)
        self.query.textChanged.connect(self._filter)
        self.query.returnPressed.connect(self._accept_current)
        self.list.itemActivated.connect(lambda _item: self._accept_current())
        self.query.installEventFilter(self)
        self._filter("")

    def open(self) -> None:
        """Show the picker, fitting its window, with an empty query."""
        parent = self.parentWidget()
        if parent is not None:
            self.resize(min(720, parent.width() - 40), min(520, parent.height() - 40))
        self.query.clear()
        self._filter("")
        super().open()
        self.query.setFocus()

    def _filter(self, text: str) -> None:
        self.list.clear()
        for number, scene in enumerate(self.scenes, start=1):
            if matches(scene, number, text):
                info = scene.config.scene
                item = QListWidgetItem(
                    f"{number}. {ROLE_MARK[info.role]}{info.title}   ({info.group})"
                )
                item.setData(Qt.ItemDataRole.UserRole, scene.name)
                item.setToolTip(tooltip(info.story))  # a story is a stranger's text
                self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)

    def _accept_current(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        name = item.data(Qt.ItemDataRole.UserRole)
        scene = next(s for s in self.scenes if s.name == name)
        self.accept()
        self.chosen.emit(scene)

    def eventFilter(self, watched: object, event: object) -> bool:
        """Up and down move through the list while the typing stays in the field."""
        moves = (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown)
        if (
            isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in moves
        ):
            self.list.keyPressEvent(event)
            return True
        return False
