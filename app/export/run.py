"""Drive an export: train the scene, take a full snapshot every K iterations and turn each
into a frame (or a CSV row). Deterministic: the same scene, seed and options give the same
frames (CPU), because training is seeded and nothing else feeds the picture.

Long animations train in a child process (models/producer.py) so drawing frame k overlaps
training frame k+1; short ones and CSV train here (a child costs ~3 s to start).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.export.files import FrameSink, GifSink, Mp4Sink, PngSink, atomic_output
from app.export.options import ANIMATED, ExportOptions, frame_steps
from app.process.producer import SnapshotProducer, snapshots_at
from models import run
from models.config import TrainConfig
from models.engine import Trainer
from models.engine.batched import RunGroup
from models.history import MetricHistory
from models.snapshot import Snapshot

Progress = Callable[[int, int], None]
PIPELINE_MIN_FRAMES = 60  # below this the child's start-up costs more than the overlap saves


class ExportCancelled(Exception):
    """The user cancelled; nothing was written."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    frames: int  # frames encoded (rows, for CSV)
    bytes: int
    seconds: float
    diverged: str | None

    @property
    def frames_per_second(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0


def export_scene(
    config: TrainConfig,
    base_dir: Path | None,
    options: ExportOptions,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    pipeline: bool | None = None,
) -> ExportResult:
    """Write `options.out`; raise ExportError (bad destination, disk full) or ExportCancelled.
    A run that diverges is exported up to the divergence and says so in the result.
    pipeline: train in a child process (default: for animations of PIPELINE_MIN_FRAMES+)."""
    start = time.perf_counter()
    marks = frame_steps(options.steps, options.every)
    if pipeline is None:
        pipeline = options.format in ANIMATED and len(marks) >= PIPELINE_MIN_FRAMES
    with _snapshots(config, base_dir, marks, pipeline) as source:
        watched = WatchedSnapshots(source, len(marks), progress, cancelled)
        with atomic_output(options.out) as temp:
            if options.format == "csv":
                history = MetricHistory()
                for snapshot in watched:
                    history.append(snapshot.metrics)
                temp.write_text(run.metrics_csv(history, config.is_dirac), encoding="utf-8")
                count = len(history)
            else:
                count = _render(config, watched, options, temp)
    return ExportResult(
        path=options.out,
        frames=count,
        bytes=os.path.getsize(options.out),
        seconds=time.perf_counter() - start,
        diverged=watched.diverged,
    )


@contextlib.contextmanager
def _snapshots(
    config: TrainConfig, base_dir: Path | None, marks: list[int], pipeline: bool
) -> Iterator[Iterable[Snapshot]]:
    if not pipeline:
        yield snapshots_at(Trainer(config, base_dir), marks)
        return
    producer = SnapshotProducer(config, base_dir, marks)
    try:
        yield producer
    finally:
        producer.close()


class WatchedSnapshots:
    """Snapshots with progress reports, cancellation and the divergence message."""

    def __init__(
        self,
        source: Iterable[Any],
        total: int,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
        diverged: Callable[[Any], str | None] = lambda snapshot: snapshot.diverged,
    ) -> None:
        self.source, self.total = source, total
        self.progress, self.cancelled = progress, cancelled
        self._diverged_of = diverged
        self.diverged: str | None = None

    def __iter__(self) -> Iterator[Any]:
        for done, snapshot in enumerate(self.source, start=1):
            if self.cancelled is not None and self.cancelled():
                raise ExportCancelled
            self.diverged = self._diverged_of(snapshot)
            yield snapshot
            if self.progress is not None:
                self.progress(done, self.total)


def _render(
    config: TrainConfig, snapshots: Iterable[Snapshot], options: ExportOptions, temp: Path
) -> int:
    from app.export.frame import ExportFrame
    from app.export.qt import ensure_application

    ensure_application()
    title = options.title or config.scene.title or "GANscope"
    frame = ExportFrame(title, options.panels, options.size, options.scale, options.caption)
    frame.prepare(config, options.steps)
    return _encode(frame, snapshots, frame.show_snapshot, options, temp)


def _encode(
    frame: Any,
    items: Iterable[Any],
    show: Callable[[Any], None],
    options: ExportOptions,
    temp: Path,
) -> int:
    """Show each item on the frame and encode it (animations), or keep the last (stills)."""
    from app.export.qt import release

    sink = _sink(options, temp)
    encoded = 0
    closed = False
    try:
        for item in items:
            show(item)
            if options.format in ANIMATED:
                sink.add(frame.render_rgb())  # type: ignore[union-attr]
                encoded += 1
        if options.format == "svg":
            frame.render_svg(temp)
            if not temp.exists() or temp.stat().st_size == 0:
                raise OSError(f"could not write the SVG to {temp.parent}")
            encoded = 1
        elif options.format == "png" and sink is not None:
            sink.add(frame.render_rgb())
            encoded = 1
        if sink is not None:
            sink.close()
        closed = True
    finally:
        if sink is not None and not closed:  # stop ffmpeg; the partial file is discarded
            with contextlib.suppress(Exception):
                sink.close()
        release(frame)
    return encoded


def export_variants(
    configs: list[TrainConfig],
    labels: list[str],
    base_dir: Path | None,
    options: ExportOptions,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> ExportResult:
    """Several variants side by side (compare mode's export): the frames lay them out as a
    grid beside overlaid charts; a CSV holds every variant's rows, labelled."""
    start = time.perf_counter()
    marks = frame_steps(options.steps, options.every)
    group = RunGroup(configs, base_dir)

    def snapshots() -> Iterator[list[Snapshot]]:
        done = 0
        for mark in marks:
            group.step(mark - done)
            done = mark
            yield [trainer.snapshot() for trainer in group.trainers]

    watched = WatchedSnapshots(snapshots(), len(marks), progress, cancelled, first_diverged)
    with atomic_output(options.out) as temp:
        if options.format == "csv":
            histories = [MetricHistory() for _ in configs]
            for snaps in watched:
                for history, snap in zip(histories, snaps, strict=True):
                    history.append(snap.metrics)
            temp.write_text(labelled_csv(histories, labels, configs[0].is_dirac), encoding="utf-8")
            count = sum(len(h) for h in histories)
        else:
            from app.export.frame import CompareExportFrame
            from app.export.qt import ensure_application

            ensure_application()
            title = options.title or configs[0].scene.title or "GANscope"
            frame = CompareExportFrame(
                title, labels, options.size, options.scale, options.caption, options.panels
            )
            frame.prepare(configs[0], options.steps, len(configs))
            count = _encode(frame, watched, frame.show_snapshots, options, temp)
    return ExportResult(
        path=options.out,
        frames=count,
        bytes=os.path.getsize(options.out),
        seconds=time.perf_counter() - start,
        diverged=watched.diverged,
    )


def first_diverged(snaps: list[Snapshot]) -> str | None:
    return next((s.diverged for s in snaps if s.diverged), None)


def labelled_csv(histories: list[MetricHistory], labels: list[str], dirac: bool) -> str:
    """Every variant's metrics in one table, each row headed by its variant's label."""
    lines = []
    for index, (history, name) in enumerate(zip(histories, labels, strict=True)):
        table = run.metrics_csv(history, dirac).splitlines()
        if index == 0:
            lines.append("variant," + table[0])
        lines += [f'"{name.replace(chr(34), chr(39))}",{row}' for row in table[1:]]
    return "\n".join(lines) + "\n"


def _sink(options: ExportOptions, temp: Path) -> FrameSink | None:
    if options.format == "mp4":
        return Mp4Sink(temp, options.size, options.fps)
    if options.format == "gif":
        from app.colours import gif_palette  # Qt (pyqtgraph's colour maps): not for CSV

        return GifSink(temp, options.fps, gif_palette())
    if options.format == "png":
        return PngSink(temp, dpi=96 * options.scale)
    return None
