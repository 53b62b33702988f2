"""Record: capture what the window shows, frame by frame, into an MP4 or GIF.

The GUI thread only grabs the widget into an image (a few ms) and stamps the step counter on
it; converting and encoding run on a background thread that drains a bounded queue, so
recording never stalls the views. If the encoder falls behind, frames are dropped and counted
rather than piling up in memory.

The file plays at the speed it was recorded: each grab carries its time, and the encoder
writes a fixed frame rate, repeating a grab until the next one is due. (Writing the grabs
back to back once made 11 s of lecture a 6.6 s video: the window draws fewer frames per
second than the file's rate when training is busy.)
"""

from __future__ import annotations

import queue
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QWidget

from app.colours import gif_palette
from app.export.files import FrameSink, GifSink, Mp4Sink, atomic_output
from app.export.options import ExportError, gif_frame_limit
from app.export.qt import image_to_rgb

RECORD_FPS = {"mp4": 25, "gif": 10}  # GIFs store whole frames: fewer of them
QUEUE_FRAMES = 64


class ScreenRecorder(QObject):
    """Grabs `widget` at the recording's frame rate (at most) while recording."""

    finished = Signal(str, bool)  # message, ok
    full = Signal(str)  # a GIF reached its frame limit: why recording has to stop

    def __init__(self, widget: QWidget, path: Path) -> None:
        super().__init__()
        self.widget = widget
        self.path = path
        self.fps = RECORD_FPS["gif" if path.suffix.lower() == ".gif" else "mp4"]
        self.frames = 0
        self.dropped = 0
        size = widget.size()  # fixed for the whole recording; H.264 needs even sides
        self.size = (max(size.width() // 2 * 2, 64), max(size.height() // 2 * 2, 64))
        self.frame_limit = gif_frame_limit(self.size) if path.suffix.lower() == ".gif" else None
        self._full = False
        self._queue: queue.Queue[tuple[float, np.ndarray] | None] = queue.Queue(
            maxsize=QUEUE_FRAMES
        )
        self.written = 0  # frames in the file (grabs repeated to keep real time)
        self._last_grab = 0.0
        self._started = time.perf_counter()
        self._stopped_at: float | None = None
        self._thread = threading.Thread(target=self._encode, name="ganscope-record", daemon=True)
        self._thread.start()

    def capture(self, step: int | None = None) -> None:
        """Call after each drawn frame; keeps to the recording's frame rate."""
        now = time.perf_counter()
        if self._full or now - self._last_grab < 1.0 / self.fps:
            return
        if self.frame_limit is not None and (now - self._started) * self.fps >= self.frame_limit:
            self._full = True  # the file plays in real time: its frames are time x fps
            width, height = self.size
            self.full.emit(
                f"Recording stopped: a GIF of {width}x{height} holds at most "
                f"{self.frame_limit:,} frames ({self.frame_limit / self.fps:.0f} s); "
                "record an MP4 for longer"
            )
            return
        self._last_grab = now
        image = self.widget.grab().toImage()
        if step is not None:
            stamp_step(image, step)
        width, height = self.size
        if (image.width(), image.height()) != (width, height):  # the window was resized
            image = image.scaled(
                width,
                height,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        try:
            self._queue.put_nowait((now - self._started, image_to_rgb(image)))
            self.frames += 1
        except queue.Full:
            self.dropped += 1

    def stop(self) -> None:
        """Finish encoding in the background; `finished` says where the file went."""
        self._stopped_at = time.perf_counter() - self._started
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
            return GifSink(temp, self.fps, gif_palette())
        return Mp4Sink(temp, self.size, self.fps)

    def _encode(self) -> None:
        try:
            with atomic_output(self.path) as temp:
                sink = self._sink(temp)
                previous: np.ndarray | None = None
                while (item := self._queue.get()) is not None:
                    at, rgb = item
                    if previous is not None:  # the previous grab shows until this one
                        self._write_until(sink, at, previous)
                    previous = rgb
                if previous is None:
                    raise ExportError("nothing was recorded (no frame was drawn)")
                self._write_until(sink, self._stopped_at or 0.0, previous)
                if self.written == 0:
                    sink.add(previous)
                    self.written = 1
                sink.close()
        except ExportError as exc:
            self.finished.emit(f"Recording not saved: {exc}", False)
            return
        seconds = self.written / self.fps
        dropped = f", {self.dropped} dropped" if self.dropped else ""
        self.finished.emit(
            f"Saved recording {self.path} ({self.frames} frames grabbed{dropped}, "
            f"{seconds:.1f} s at {self.fps} fps)",
            True,
        )

    def _write_until(self, sink: FrameSink, at: float, image: np.ndarray) -> None:
        """Repeat `image` for every frame slot of the file that starts before time `at`."""
        while self.written / self.fps < at:
            sink.add(image)
            self.written += 1


def stamp_step(image: QImage, step: int) -> None:
    """The step counter in the frame's top-left corner, on a white box."""
    painter = QPainter(image)
    try:
        font = QFont()
        font.setPointSize(max(10, image.height() // 45))
        font.setBold(True)
        painter.setFont(font)
        text = f"step {step:,}"
        box = painter.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        box.moveTopLeft(QPoint(8, 8))
        painter.fillRect(box, QColor(255, 255, 255, 225))
        painter.setPen(QColor("#222222"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    finally:
        painter.end()
