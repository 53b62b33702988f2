"""Drive an export: train the scene in this process, take a frame every K iterations and
feed it to the chosen encoder. Deterministic: the same scene, seed and options give the same
frames (CPU), because training is seeded and nothing else feeds the picture."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from app.export.files import FrameSink, GifSink, Mp4Sink, PngSink, atomic_output
from app.export.options import ANIMATED, ExportOptions, frame_steps
from models import run
from models.config import TrainConfig
from models.trainer import Trainer

Progress = Callable[[int, int], None]


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
) -> ExportResult:
    """Write `options.out`; raise ExportError (bad destination, disk full) or ExportCancelled.
    A run that diverges is exported up to the divergence and says so in the result."""
    start = time.perf_counter()
    trainer = Trainer(config, base_dir)
    marks = frame_steps(options.steps, options.every)
    with atomic_output(options.out) as temp:
        if options.format == "csv":
            rows = _collect(trainer, marks, None, progress, cancelled)
            temp.write_text(run.metrics_csv(rows, config.is_dirac), encoding="utf-8")
            count = len(rows)
        else:
            count = _render(config, trainer, marks, options, temp, progress, cancelled)
    return ExportResult(
        path=options.out,
        frames=count,
        bytes=os.path.getsize(options.out),
        seconds=time.perf_counter() - start,
        diverged=trainer.diverged,
    )


def _collect(
    trainer: Trainer,
    marks: list[int],
    on_snapshot: Callable[[object], None] | None,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> list[Mapping[str, float]]:
    """Step to each mark and take a full snapshot there; stop early on divergence."""
    rows = []
    for index, mark in enumerate(marks):
        if cancelled is not None and cancelled():
            raise ExportCancelled
        trainer.step(mark - trainer.step_count)
        snapshot = trainer.snapshot()
        rows.append(snapshot.metrics)
        if on_snapshot is not None:
            on_snapshot(snapshot)
        if progress is not None:
            progress(index + 1, len(marks))
        if trainer.diverged:
            break
    return rows


def _render(
    config: TrainConfig,
    trainer: Trainer,
    marks: list[int],
    options: ExportOptions,
    temp: Path,
    progress: Progress | None,
    cancelled: Callable[[], bool] | None,
) -> int:
    from app.export.frame import ExportFrame
    from app.export.qt import ensure_application

    ensure_application()
    frame = ExportFrame(
        config.scene.title or "GANscope",
        options.panels,
        options.size,
        options.scale,
        options.caption,
    )
    frame.prepare(config.is_dirac, options.steps)
    sink = _sink(options, temp)
    encoded = 0
    closed = False

    def take(snapshot: object) -> None:
        nonlocal encoded
        frame.show_snapshot(snapshot)  # type: ignore[arg-type]
        if sink is not None and options.format in ANIMATED:
            sink.add(frame.render_rgb())
            encoded += 1

    try:
        _collect(trainer, marks, take, progress, cancelled)
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
        frame.close()
        frame.deleteLater()
    return encoded


def _sink(options: ExportOptions, temp: Path) -> FrameSink | None:
    if options.format == "mp4":
        return Mp4Sink(temp, options.size, options.fps)
    if options.format == "gif":
        return GifSink(temp, options.fps)
    if options.format == "png":
        return PngSink(temp, dpi=96 * options.scale)
    return None
