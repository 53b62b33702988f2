"""The frame loop: on a ~60 Hz timer, draw each run's newest snapshot where the model holds
one that was not drawn yet; the charts at most every CHART_EVERY frames. Training never
waits on drawing: snapshots the timer does not get to are simply replaced by newer ones.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

from app.model import WindowModel
from app.window.layout import WindowParts
from app.window.status_bar import StatusBar
from models.snapshot import Snapshot

FRAME_MS = 16  # redraw check at ~60 Hz; draws only when a new snapshot arrived
CHART_EVERY = 12  # charts redraw every 12th frame at most (~5 Hz; metrics arrive at 8 Hz)
RATE_EVERY = 30  # the fps and it/s labels, twice a second


class FrameLoop(QObject):
    def __init__(
        self,
        model: WindowModel,
        parts: WindowParts,
        status: StatusBar,
        drawn: Callable[[int], None],
        training_alive: Callable[[], bool],
    ) -> None:
        """drawn(step): the window drew a frame of this step (a recording takes it, the
        presenter's step count shows it); training_alive: whether the training process runs
        (a stopped one shows "stopped", not a rate)."""
        super().__init__(parts.window)
        self.model, self.parts, self.status = model, parts, status
        self.drawn_step, self.training_alive = drawn, training_alive
        self.drawn: dict[int, Snapshot] = {}
        self.frames_drawn = 0
        self._frames = 0
        self._charts_dirty = False
        self._draw_times: deque[float] = deque(maxlen=60)
        self._step_times: deque[tuple[float, int]] = deque(maxlen=40)
        model.history_grew.connect(self._history_grew)
        model.snapshot.connect(self._snapshot_arrived)
        model.run_started.connect(lambda _event: self.restart())
        self.timer = QTimer(self)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.draw)
        self.timer.start()

    def restart(self) -> None:
        """A new run: nothing of the old one is drawn again, and its rate is forgotten."""
        self.drawn.clear()
        self._step_times.clear()
        self.status.step.setText("step 0")
        self._charts_dirty = True

    def _history_grew(self, _index: int) -> None:
        self._charts_dirty = True

    def _snapshot_arrived(self, index: int, snapshot: Snapshot) -> None:
        if index == 0:
            self._step_times.append((time.perf_counter(), snapshot.step))

    def draw(self) -> None:
        self._frames += 1
        for index, run in enumerate(self.model.runs):
            snapshot = run.latest
            if snapshot is None or self.drawn.get(index) is snapshot:
                continue
            self.drawn[index] = snapshot
            self._show(index, snapshot)
            if index == 0:  # the first run stands for the rest in the diagram and the counts
                if self.parts.overview.isVisible():
                    self.parts.overview.show_snapshot(snapshot)
                self._draw_times.append(time.perf_counter())
                self.frames_drawn += 1
                self.drawn_step(snapshot.step)
                self.status.step.setText(f"step {snapshot.step:,}")
                self.status.device.setText(f"device: {snapshot.device}")
        if self._charts_dirty and self._frames % CHART_EVERY == 0:
            self._charts_dirty = False
            parts = self.parts
            (parts.compare_charts if self.model.comparing else parts.charts).refresh()
        if self._frames % RATE_EVERY == 0:
            self._show_rates()

    def _show(self, index: int, snapshot: Snapshot) -> None:
        parts = self.parts
        if self.model.comparing:
            parts.compare_grid.show_snapshot(index, snapshot)
        elif snapshot.dirac is not None:
            parts.phase_view.show_snapshot(snapshot)
            parts.dirac_line.show_snapshot(snapshot)
        else:
            parts.sample_view.show_snapshot(snapshot)

    def _show_rates(self) -> None:
        now = time.perf_counter()
        self.status.fps.setText(f"{sum(now - t < 1.0 for t in self._draw_times)} fps")
        if not self.training_alive():
            self.status.rate.setText("stopped")
        elif len(self._step_times) >= 2 and self.model.playing:
            (t0, s0), (t1, s1) = self._step_times[0], self._step_times[-1]
            rate = (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0
            self.status.rate.setText(f"{rate:.0f} it/s")
        elif not self.model.playing:
            self.status.rate.setText("paused")
