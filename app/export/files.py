"""Atomic output and the frame encoders (MP4, GIF, PNG). No Qt here.

An export is written to a hidden temporary file next to the destination and renamed over it
only when complete, so a cancelled, failed or killed export never leaves half a file and
never damages a file that was there before.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import imageio_ffmpeg
import numpy as np
from PIL import Image

from app.export.options import ExportError
from models.atomic import DestinationRefused, checked_destination, new_file_mode
from models.atomic import describe_os_error as _describe
from models.pids import is_running

TEMP_MARK = ".ganscope-part"


def temp_path_for(path: Path, pid: int | None = None) -> Path:
    """A hidden sibling of `path` with the same suffix (ffmpeg picks its muxer by suffix),
    naming the process that writes it, so a later export can tell a dead writer's leftover
    from a live one's work."""
    pid = os.getpid() if pid is None else pid
    token = secrets.token_hex(4)
    return path.with_name(f".{path.stem}.{pid}-{token}{TEMP_MARK}{path.suffix}")


def leftover_temp_files(path: Path) -> dict[Path, int]:
    """Temporary files of exports to `path` that are still there, with their writers' pids.
    Matched by exact name, not by glob: 'a[1].mp4' is a valid name and a glob pattern."""
    pattern = re.compile(
        rf"\.{re.escape(path.stem)}\.(\d+)-[0-9a-f]{{8}}{re.escape(TEMP_MARK + path.suffix)}"
    )
    try:
        names = os.listdir(path.parent)
    except OSError:
        return {}
    matches = ((name, pattern.fullmatch(name)) for name in names)
    return {path.parent / name: int(m.group(1)) for name, m in matches if m}


def remove_dead_writers_files(path: Path) -> None:
    """Delete what killed exports to `path` left behind (SIGKILL gives no chance to clean
    up); files whose writer is still running are left alone."""
    for leftover, pid in leftover_temp_files(path).items():
        if not is_running(pid, unknown=True):  # unsure: keep the file
            with contextlib.suppress(OSError):
                leftover.unlink()


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces `path`, on any error or
    cancellation it is deleted. OS errors become ExportError with a readable reason; a
    destination that is a symbolic link or not a regular file is refused (never replaced,
    never written through), before and again just before the rename."""
    try:
        path = checked_destination(path)
    except DestinationRefused as exc:
        raise ExportError(f"--out: {exc.strerror}") from None
    remove_dead_writers_files(path)
    temp = temp_path_for(path)
    try:
        yield temp
        with open(temp, "rb+") as handle:
            os.fsync(handle.fileno())
            if hasattr(os, "fchmod"):
                os.fchmod(handle.fileno(), new_file_mode(path))
        checked_destination(path)
        os.replace(temp, path)
    except OSError as exc:
        raise ExportError(f"--out: could not write {path}: {describe_os_error(exc)}") from exc
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def describe_os_error(exc: OSError) -> str:
    return _describe(exc)


class FrameSink(Protocol):
    def add(self, rgb: np.ndarray) -> None: ...

    def close(self) -> None: ...


class Mp4Sink:
    """H.264 in yuv420p with the index up front (+faststart): plays in browsers, PowerPoint
    and Keynote. Bit-exact flags keep two runs of the same export byte-identical."""

    def __init__(self, path: Path, size: tuple[int, int], fps: int) -> None:
        self._writer = imageio_ffmpeg.write_frames(
            str(path),
            size,
            fps=fps,
            codec="libx264",
            pix_fmt_in="rgb24",
            pix_fmt_out="yuv420p",
            quality=None,
            macro_block_size=2,
            ffmpeg_log_level="error",
            output_params=[
                *("-crf", "20", "-preset", "veryfast", "-tune", "animation"),
                *("-movflags", "+faststart", "-map_metadata", "-1"),
                *("-fflags", "+bitexact", "-flags:v", "+bitexact"),
            ],
        )
        self._writer.send(None)  # start ffmpeg

    def add(self, rgb: np.ndarray) -> None:
        try:
            self._writer.send(np.ascontiguousarray(rgb))
        except OSError as exc:  # ffmpeg died: usually disk full or a vanished folder
            raise OSError(exc.errno or errno.EIO, f"ffmpeg stopped: {exc}") from exc

    def close(self) -> None:
        self._writer.close()


class GifSink:
    """A looping GIF in one fixed palette (no dithering: plots are flat colours and smooth
    colour maps; dithering only adds noise and bytes); Pillow stores only what changed
    between frames. Frames are kept as 8-bit palette images (a third of RGB), and a GIF is
    limited to gif_frame_limit() frames (see options.py) so that never grows without bound."""

    def __init__(self, path: Path, fps: int, palette: list[tuple[int, int, int]]) -> None:
        self._path = path
        self._duration_ms = round(1000 / fps / 10) * 10 or 10  # GIF counts in 1/100 s
        self._frames: list[Image.Image] = []
        flat = [value for colour in palette for value in colour]
        self._palette = Image.new("P", (1, 1))
        self._palette.putpalette(flat + flat[-3:] * (256 - len(palette)))

    def add(self, rgb: np.ndarray) -> None:
        image = Image.fromarray(rgb, "RGB")
        self._frames.append(image.quantize(palette=self._palette, dither=Image.Dither.NONE))

    def close(self) -> None:
        first, *rest = self._frames
        first.save(
            self._path,
            format="GIF",
            save_all=True,
            append_images=rest,
            duration=self._duration_ms,
            loop=0,
            optimize=False,
            disposal=1,
        )


class PngSink:
    """The last frame added, as a PNG (a still for a slide or a paper)."""

    def __init__(self, path: Path, dpi: float) -> None:
        self._path = path
        self._dpi = dpi
        self._last: np.ndarray | None = None

    def add(self, rgb: np.ndarray) -> None:
        self._last = rgb

    def close(self) -> None:
        if self._last is not None:
            image = Image.fromarray(self._last, "RGB")
            image.save(self._path, format="PNG", dpi=(self._dpi, self._dpi), optimize=False)
