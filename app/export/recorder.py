"""Record: capture what the window shows, frame by frame, into an MP4 or GIF.

The GUI thread only grabs the widget into an image (a few ms); converting and encoding run
on a background thread that drains a bounded queue, so recording never stalls the views. If
the encoder falls behind, frames are dropped and counted rather than piling up in memory.
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from app.export.files import FrameSink, GifSink, Mp4Sink, atomic_output
from app.export.options import ExportError
from app.export.qt import image_to_rgb

RECORD_FPS = {"mp4": 25, "gif": 10}  # GIFs store whole frames: fewer of them
QUEUE_FRAMES = 64


class ScreenRecorder(QObject):
    """Grabs `widget` at the recording's frame rate (at most) while recording."""

    finished = Signal(str, bool)  # message, ok

    def __init__(self, widget: QWidget, path: Path) -> None:
        super().__init__()
        self.widget = widget
        self.path = path
        self.fps = RECORD_FPS["gif" if path.suffix.lower() == ".gif" else "mp4"]
        self.frames = 0
        self.dropped = 0
        size = widget.size()  # fixed for the whole recording; H.264 needs even sides
        self.size = (max(size.width() // 2 * 2, 64), max(size.height() // 2 * 2, 64))
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=QUEUE_FRAMES)
        self._last_grab = 0.0
        self._started = time.perf_counter()
        self._thread = threading.Thread(target=self._encode, name="ganscope-record", daemon=True)
        self._thread.start()

    def capture(self) -> None:
        """Call after each drawn frame; keeps to the recording's frame rate."""
        now = time.perf_counter()
        if now - self._last_grab < 1.0 / self.fps:
            return
        self._last_grab = now
        image = self.widget.grab().toImage()
        width, height = self.size
        if (image.width(), image.height()) != (width, height):  # the window was resized
            image = image.scaled(
                width,
                height,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        try:
            self._queue.put_nowait(image_to_rgb(image))
            self.frames += 1
        except queue.Full:
            self.dropped += 1

    def stop(self) -> None:
        """Finish encoding in the background; `finished` says where the file went."""
        while self._thread.is_alive():  # a failed encoder stops draining: never block on it
            try:
                self._queue.put(None, timeout=0.1)
                return
            except queue.Full:
                continue

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _sink(self, temp: Path) -> FrameSink:
        if self.path.suffix.lower() == ".gif":
            return GifSink(temp, self.fps)
        return Mp4Sink(temp, self.size, self.fps)

    def _encode(self) -> None:
        try:
            with atomic_output(self.path) as temp:
                sink = self._sink(temp)
                count = 0
                while (rgb := self._queue.get()) is not None:
                    sink.add(rgb)
                    count += 1
                if count == 0:
                    raise ExportError("nothing was recorded (no frame was drawn)")
                sink.close()
        except ExportError as exc:
            self.finished.emit(f"Recording not saved: {exc}", False)
            return
        seconds = time.perf_counter() - self._started
        dropped = f", {self.dropped} dropped" if self.dropped else ""
        self.finished.emit(
            f"Saved recording {self.path} ({count} frames{dropped}, {seconds:.0f} s)", True
        )
