"""The scene picker (shipped lessons grouped as failure -> fix, every one numbered) and the
chosen scene's story.

Scene files are shared between lecturers, so their text is shown as text: every field is
HTML-escaped (a story's "<=" once cut the flagship's "Watch for" short), and the story pane
never fetches a resource a text names (an `<img src="/dev/zero">` once read 2 GB and killed
the app)."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QUrl
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QHeaderView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.plain_text import tooltip
from models.config import TrainConfig
from scenes.loader import Scene

ROLE_MARK = {"failure": "✗ ", "fix": "✓ ", "sandbox": "", "reproduction": "≈ "}


class TextOnly(QTextBrowser):
    """A text view that never loads anything a document names: no files, no network."""

    def __init__(self) -> None:
        super().__init__()
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, kind: int, name: QUrl | str) -> object:
        return None


def story_html(config: TrainConfig, evidence: bool, presenter: bool) -> str:
    info = config.scene
    size = 15 if presenter else 10

    def paragraph(label: str, text: str) -> str:
        body = html.escape(text)
        return f"<p><b>{label}</b> {body}</p>" if label else f"<p>{body}</p>"

    parts = [f"<h3>{html.escape(info.title)}</h3>", paragraph("", info.story)]
    if info.expect:
        parts.append(paragraph("Watch for:", info.expect))
    if info.fix:
        parts.append(paragraph("Fix:", info.fix))
    if evidence and info.evidence:
        parts.append(f"<p style='color:#555'><b>Measured:</b> {html.escape(info.evidence)}</p>")
    return f"<div style='font-size:{size}pt'>{''.join(parts)}</div>"


class WrappingTree(QTreeWidget):
    """A one-column tree whose titles wrap within its width, never cut: at presenter fonts
    six rows once read 'Mescheder et al. 2018, Dirac-GA...' alike. (QTreeView asks its
    delegate for a row's height without the column's width, so word wrap alone does not
    wrap; the delegate is given it.)"""

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderHidden(True)
        self.setWordWrap(True)
        self.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setItemDelegate(_WrappingDelegate(self))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.scheduleDelayedItemsLayout()  # row heights follow the new width


class _WrappingDelegate(QStyledItemDelegate):
    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self.tree = tree

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        depth, parent = 1, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        view = QStyleOptionViewItem(option)
        self.initStyleOption(view, index)
        width = self.tree.viewport().width() - self.tree.indentation() * depth
        view.rect = QRect(0, 0, max(width, 40), 10_000)
        view.features |= QStyleOptionViewItem.ViewItemFeature.WrapText
        style = self.tree.style()
        return style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, view, QSize(), self.tree)


class SceneBrowser(QWidget):
    """Shipped scenes grouped as failure -> fix, and the chosen scene's story."""

    def __init__(self, scenes: list[Scene]) -> None:
        super().__init__()
        self.tree = WrappingTree()
        self.story = TextOnly()
        self.evidence = QPushButton("Show the measured figures")
        self.evidence.setCheckable(True)
        self.evidence.setToolTip("The per-seed figures behind this scene's claims")
        self.evidence.toggled.connect(lambda _: self._render())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.tree, 2)
        layout.addWidget(self.story, 3)
        layout.addWidget(self.evidence)
        groups: dict[str, QTreeWidgetItem] = {}
        self.items: dict[str, QTreeWidgetItem] = {}
        for number, scene in enumerate(scenes, start=1):
            info = scene.config.scene
            if info.group not in groups:
                groups[info.group] = QTreeWidgetItem(self.tree, [info.group])
                groups[info.group].setExpanded(True)
            item = QTreeWidgetItem(
                groups[info.group], [f"{number}. {ROLE_MARK[info.role]}{info.title}"]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, scene.name)
            item.setToolTip(0, tooltip(info.story))  # a story is text, never HTML
            self.items[scene.name] = item
        self.presenter = False
        self._config: TrainConfig | None = None

    def show_scene(self, name: str, config: TrainConfig) -> None:
        """The scene the window runs: lit in the list (none lit for a scene from elsewhere)
        and its story shown."""
        item = self.items.get(name)
        if item is not None:
            self.tree.setCurrentItem(item)
            self.tree.scrollToItem(item)
        else:
            self.tree.clearSelection()
        self.show_story(config)

    def show_story(self, config: TrainConfig) -> None:
        self._config = config
        self.evidence.setVisible(bool(config.scene.evidence))
        self._render()

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
        self._render()

    def _render(self) -> None:
        if self._config is not None:
            shown = self.evidence.isChecked()
            self.story.setHtml(story_html(self._config, shown, self.presenter))
