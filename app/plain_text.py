"""Text from files shown as text: one place for it (issue 21).

Qt guesses whether a string is rich text (Qt::mightBeRichText) for labels, message boxes and
tooltips. A scene title, a session's saved message or a key name echoed in an error is
someone else's text: guessed as HTML, `<img src="...">` in it loads a local file (a title of
`<img src="/dev/zero">` froze the window at 17.7 GB). So every widget that can show such text
is told it is plain, and rich text we build ourselves escapes every part that came from a file.

- `plain(label)`: a QLabel (or QLabel subclass) that shows its text literally.
- `warn(parent, title, text)` / `ask(parent, title, text)`: message boxes with plain text,
  used instead of the static QMessageBox.warning / question.
- `tooltip(text)`: a tooltip string that Qt renders literally (escaped, inside a tag).
- `escape(text)`: for a file-borne part of rich text we build (html.escape).
"""

from __future__ import annotations

import html
from typing import TypeVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

L = TypeVar("L", bound=QLabel)


def plain(label: L) -> L:
    """The label shows its text as typed, never as HTML; returns it (for chaining)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A new plain-text QLabel."""
    label = QLabel(parent)
    plain(label)
    label.setText(text)
    return label


def message_box(
    parent: QWidget | None,
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton = QMessageBox.StandardButton.Ok,
) -> QMessageBox:
    box = QMessageBox(icon, title, "", buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setText(text)
    return box


def exec_box(box: QMessageBox) -> int:
    """Show a message box and wait for the answer (tests replace this: a modal box would
    wait for a click that never comes)."""
    return box.exec()


def warn(parent: QWidget | None, title: str, text: str) -> None:
    """A warning with plain text (in place of QMessageBox.warning)."""
    exec_box(message_box(parent, QMessageBox.Icon.Warning, title, text))


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """A Yes/No question with plain text (in place of QMessageBox.question): True for Yes."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    box = message_box(parent, QMessageBox.Icon.Question, title, text, buttons)
    return exec_box(box) == QMessageBox.StandardButton.Yes


def tooltip(text: str) -> str:
    """`text` as a tooltip Qt shows literally: escaped, inside a tag so it is taken as rich
    text and the escapes are shown as the characters they stand for. Line breaks are kept."""
    if not text:
        return ""
    return f"<p style='white-space:pre-wrap'>{html.escape(text)}</p>"


def escape(text: str) -> str:
    """A file-borne part of rich text we build ourselves."""
    return html.escape(text)
