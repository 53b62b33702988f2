"""The Export… dialog: the same options as `ganscope export`, checked before anything runs,
with the equivalent command shown so a lecturer can script the same export later."""

from __future__ import annotations

import shlex
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app import colours
from app.export.options import (
    ANIMATED,
    DEFAULT_PANELS,
    DEFAULT_SIZE,
    DIRAC_PANELS,
    PANELS,
    STANDARD_SIZE,
    ExportError,
    ExportOptions,
    build_options,
    command_args,
)
from app.plain_text import ask, plain

SIZES = ("1280x720", "1920x1080", "800x450", "640x360", "1080x1080")
FILTERS = "MP4 video (*.mp4);;GIF animation (*.gif);;PNG image (*.png);;SVG vector (*.svg);;"
FILTERS += "Metrics CSV (*.csv)"


class ExportDialog(QDialog):
    """Collects and validates export options; `options` is set when accepted."""

    def __init__(
        self,
        parent: QWidget | None,
        scene_words: list[str] | str,
        dirac: bool,
        steps: int,
        title: str = "",
    ) -> None:
        """scene_words: the scene argument and --set flags that reproduce the current
        settings on the command line, or why no command can."""
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.scene_words = scene_words
        self.dirac = dirac
        self.title = title
        self._size_edited = False
        self.options: ExportOptions | None = None
        self._confirmed_overwrite: Path | None = None

        self.path = QLineEdit(str(Path.home() / "ganscope.mp4"))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.steps = _spin(1, 10_000_000, steps)
        self.every = _spin(1, 1_000_000, 10)
        self.fps = _spin(1, 120, 30)
        self.size_box = QComboBox()
        self.size_box.setEditable(True)
        self.size_box.addItems(SIZES)
        self.scale = QDoubleSpinBox()
        self.scale.setRange(0.25, 4.0)
        self.scale.setSingleStep(0.25)
        self.scale.setValue(1.0)
        self.scale.setToolTip("2 draws the same layout twice as sharp: crisp text on big screens")
        self.caption = QCheckBox("Title, step and losses above the frame")
        self.caption.setChecked(True)
        panels = QGridLayout()
        self.panels: dict[str, QCheckBox] = {}
        chosen = DIRAC_PANELS if dirac else DEFAULT_PANELS
        for index, name in enumerate(PANELS):
            box = QCheckBox(name)
            box.setChecked(name in chosen)
            panels.addWidget(box, index // 4, index % 4)
            self.panels[name] = box

        form = QFormLayout()
        form.addRow("File", where)
        form.addRow("Iterations", self.steps)
        form.addRow("Frame every", self.every)
        form.addRow("Frames per second", self.fps)
        form.addRow("Size (pixels)", self.size_box)
        form.addRow("Scale", self.scale)
        form.addRow("Panels", panels)
        form.addRow("", self.caption)
        self.summary = plain(QLabel())
        self.command = plain(QLabel())  # holds the scene's title (--title)
        self.command.setWordWrap(True)
        self.command.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.command.setStyleSheet("font-family: monospace; color: #555;")
        self.errors = plain(QLabel())
        self.errors.setWordWrap(True)
        self.errors.setStyleSheet(f"color: {colours.ERROR};")
        for label in (self.command, self.errors):  # a long path or title never widens the
            # dialog (a session's story in the command once made it 1,640 px wide): they wrap
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        note = QLabel(
            "Trains the current settings again from step 0 (same seed, same frames every time)."
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.command)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        for spin in (self.steps, self.every, self.fps):
            spin.valueChanged.connect(self._update_summary)
        self.path.textChanged.connect(self._follow_format)
        self.path.textChanged.connect(self._update_summary)
        self.size_box.currentTextChanged.connect(self._update_summary)
        line = self.size_box.lineEdit()
        assert line is not None  # (an editable combo box has one)
        line.textEdited.connect(self._size_was_edited)
        self.size_box.activated.connect(self._size_was_edited)
        self._update_summary()

    def _size_was_edited(self, *_: object) -> None:
        self._size_edited = True

    def _follow_format(self, text: str) -> None:
        """A GIF defaults to 800x450, as on the command line (GIFs store every pixel of
        every frame); other formats to 1280x720, unless the size was chosen by hand."""
        if self._size_edited:
            return
        suffix = Path(text.strip()).suffix.lower().lstrip(".")
        default = DEFAULT_SIZE.get(suffix, STANDARD_SIZE)
        self.size_box.blockSignals(True)
        self.size_box.setCurrentText("{}x{}".format(*default))
        self.size_box.blockSignals(False)

    def chosen_panels(self) -> str:
        return ",".join(name for name, box in self.panels.items() if box.isChecked())

    def build(self) -> ExportOptions:
        """Options from the widgets; raises ExportError naming each bad field."""
        out = Path(self.path.text().strip()).expanduser()
        return build_options(
            str(out),
            self.steps.value(),
            every=self.every.value(),
            fps=self.fps.value(),
            size=self.size_box.currentText(),
            scale=self.scale.value(),
            panels=self.chosen_panels(),
            caption=self.caption.isChecked(),
            overwrite=out == self._confirmed_overwrite,
            dirac=self.dirac,
            title=self.title if self.caption.isChecked() else "",
        )

    def accept(self) -> None:
        out = Path(self.path.text().strip()).expanduser()
        if out.exists() and out.is_file() and out != self._confirmed_overwrite:
            if not ask(self, "Replace file?", f"{out} exists. Replace it?"):
                return
            self._confirmed_overwrite = out
        try:
            self.options = self.build()
        except ExportError as exc:
            self.errors.setText(str(exc).replace("--", ""))
            return
        super().accept()

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), FILTERS)
        if path:
            self._confirmed_overwrite = Path(path)  # the file dialog already asked
            self.path.setText(path)

    def _update_summary(self) -> None:
        out = Path(self.path.text().strip() or "out.mp4")
        fmt = out.suffix.lower().lstrip(".")
        frames = self.steps.value() // self.every.value() + 1
        if fmt in ANIMATED:
            seconds = frames / self.fps.value()
            self.summary.setText(f"{frames} frames, {seconds:.1f} s of {fmt.upper()}")
        elif fmt == "csv":
            self.summary.setText(f"{frames} rows of metrics")
        else:
            self.summary.setText(f"one {fmt.upper() or 'image'} of the last step")
        try:
            args = command_args(self.build())
            self.errors.setText("")
        except ExportError:
            args = ["--steps", str(self.steps.value()), "--out", str(out)]
        if isinstance(self.scene_words, str):
            self.command.setText(f"No equivalent command: {self.scene_words}.")
            return
        words = ["ganscope", "export", *self.scene_words, *args]
        self.command.setText(" ".join(shlex.quote(w) for w in words))


def _spin(low: int, high: int, value: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    return spin
