"""Draw data (B): paint a point cloud on the data view, then train on it. The drawing
replaces the target as one live change (inline points, so a saved session carries them)."""

from __future__ import annotations

from PySide6.QtGui import QAction

from app.model import WindowModel
from app.process.worker import TrainingWorker
from app.window.files import FileActions
from app.window.layout import WindowParts
from app.window.slow_motion import SlowMotionControl


class DrawingControl:
    def __init__(
        self,
        model: WindowModel,
        parts: WindowParts,
        worker: TrainingWorker,
        files: FileActions,
        slow: SlowMotionControl,
        action: QAction,
    ) -> None:
        self.model, self.parts, self.worker = model, parts, worker
        self.slow, self.action = slow, action
        self.drawer = parts.drawer
        self.drawer.finished.connect(lambda points: files.use_points(points, "your drawing"))
        self.drawer.refused.connect(lambda text: model.say(text, error=True))
        model.run_started.connect(lambda _event: self.cancel())

    def set_drawing(self, on: bool) -> None:
        """Draw data on / off; off trains on the drawing (the data view's own square)."""
        if on == self.drawer.drawing:
            return
        if on and (self.model.comparing or self.model.config.is_dirac):
            self.model.say("Drawing works on one 2-D scene: not the Dirac-GAN or compare.")
            self.action.setChecked(False)
            return
        view = self.parts.sample_view
        if on:
            self.worker.pause()
            self.slow.end()
            self.drawer.start()
            view.hide_data_while_drawing(True)
            self.model.set_hint("")
            self.model.say(
                "Drawing: left button paints, right button or Shift erases. "
                "Press Draw data (B) again to train on it."
            )
        else:
            self.drawer.finish()
            view.hide_data_while_drawing(False)

    def cancel(self) -> None:
        """A new scene or a reset: the unfinished drawing is dropped."""
        if self.drawer.drawing:
            self.drawer.cancel()
            self.parts.sample_view.hide_data_while_drawing(False)
            self.action.setChecked(False)
