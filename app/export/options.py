"""What an export is asked to produce, validated before any training starts (no Qt here).

Every problem is reported at once, one line per flag, naming what is allowed: the same
contract as the scene loader's errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

from models.atomic import destination_problem
from models.config import TrainConfig
from models.engine.changes import label

FORMATS = ("mp4", "gif", "png", "svg", "csv")
ANIMATED = ("mp4", "gif")
PANELS = (
    "samples", "surface", "magnitude", "field", "trails", "manifold", "charts", "phase", "overview"
)  # fmt: skip
DEFAULT_PANELS = ("samples", "surface", "field", "charts")
DIRAC_PANELS = ("phase", "charts")
DEFAULT_SIZE = {"gif": (800, 450)}  # GIFs store every pixel of every frame: keep them small
STANDARD_SIZE = (1280, 720)
MIN_SIDE, MAX_SIDE = 64, 4096
MAX_TITLE = 200
MAX_GIF_FPS = 50  # GIF delays are in 1/100 s and browsers clamp anything faster
# A GIF is assembled in memory (one byte per pixel per frame, then encoded): 1 GB holds 2,777
# frames at 800x450 or 482 at 1080p. Past that, an MP4 (streamed to disk) is the way.
GIF_MEMORY_BYTES = 1_000_000_000


def gif_frame_limit(size: tuple[int, int], scale: float = 1.0) -> int:
    """How many frames of this size a GIF may hold."""
    pixels = max(1, round(size[0] * scale) * round(size[1] * scale))
    return max(1, GIF_MEMORY_BYTES // pixels)


class ExportError(Exception):
    """Bad export flags or an unwritable destination: one line per problem (exit code 2)."""


@dataclass(frozen=True)
class ExportOptions:
    out: Path
    steps: int
    every: int = 10
    fps: int = 30
    size: tuple[int, int] = STANDARD_SIZE
    scale: float = 1.0
    panels: tuple[str, ...] = DEFAULT_PANELS
    caption: bool = False
    overwrite: bool = False
    title: str = ""  # the caption's title (default: the scene's, with any changed settings)

    @property
    def format(self) -> str:
        return self.out.suffix.lower().lstrip(".")

    @property
    def frame_count(self) -> int:
        """Frames of an animation: step 0, then one every `every` iterations, then the end."""
        return len(frame_steps(self.steps, self.every))


def frame_steps(steps: int, every: int) -> list[int]:
    """The iteration counts at which a frame (or a CSV row) is taken."""
    marks = list(range(0, steps + 1, every))
    if marks[-1] != steps:
        marks.append(steps)
    return marks


def parse_size(text: str) -> tuple[int, int]:
    """'1280x720' -> (1280, 720); odd sides round down to even (H.264 in yuv420p needs it)."""
    width, sep, height = text.lower().partition("x")
    try:
        w, h = int(width), int(height)
    except ValueError:
        raise ExportError(f"--size: expected WIDTHxHEIGHT, e.g. 1280x720; got {text!r}") from None
    if not sep or not (MIN_SIDE <= w <= MAX_SIDE and MIN_SIDE <= h <= MAX_SIDE):
        raise ExportError(
            f"--size: each side must be {MIN_SIDE}..{MAX_SIDE} pixels, e.g. 1280x720; got {text!r}"
        )
    return w - w % 2, h - h % 2


def parse_panels(text: str | None, dirac: bool) -> tuple[str, ...]:
    if text is None:
        return DIRAC_PANELS if dirac else DEFAULT_PANELS
    panels = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in panels if p not in PANELS]
    if unknown or not panels:
        raise ExportError(
            f"--panels: unknown {', '.join(unknown) or '(none given)'}; "
            f"allowed: {', '.join(PANELS)}"
        )
    return panels


def build_options(
    out: str,
    steps: int,
    every: int | None = None,
    fps: int = 30,
    size: str | None = None,
    scale: float = 1.0,
    panels: str | None = None,
    caption: bool = False,
    overwrite: bool = False,
    dirac: bool = False,
    title: str = "",
) -> ExportOptions:
    """Validate every flag and the destination; raise ExportError listing all problems."""
    problems = []
    path = Path(out).expanduser()
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        problems.append(
            f"--out: unknown file type {path.suffix or '(none)'!r}; "
            f"allowed: {', '.join('.' + f for f in FORMATS)}"
        )
    if steps < 0:
        problems.append(f"--steps: must be >= 0; got {steps}")
    if every is not None and every < 1:
        problems.append(f"--every: must be >= 1; got {every}")
    max_fps = MAX_GIF_FPS if fmt == "gif" else 120
    if not 1 <= fps <= max_fps:
        problems.append(f"--fps: must be 1..{max_fps} for .{fmt or 'mp4'}; got {fps}")
    if not 0.25 <= scale <= 4:
        problems.append(f"--scale: must be 0.25..4; got {scale}")
    if len(title) > MAX_TITLE or not title.isprintable():
        problems.append(f"--title: at most {MAX_TITLE} printable characters")
    parsed_size: tuple[int, int] = DEFAULT_SIZE.get(fmt, STANDARD_SIZE)
    parsed_panels: tuple[str, ...] = DEFAULT_PANELS
    for parse in ("size", "panels"):
        try:
            if parse == "size" and size is not None:
                parsed_size = parse_size(size)
            if parse == "panels":
                parsed_panels = parse_panels(panels, dirac)
        except ExportError as exc:
            problems.append(str(exc))
    if fmt == "gif" and steps >= 0 and (every or 10) >= 1:
        frames = steps // (every or 10) + 1
        limit = gif_frame_limit(parsed_size, scale)
        if frames > limit:
            problems.append(
                f"--steps/--every: this GIF would hold {frames:,} frames of "
                f"{parsed_size[0]}x{parsed_size[1]}; at most {limit:,} fit the "
                f"{GIF_MEMORY_BYTES // 10**9} GB a GIF is built in (raise --every, lower "
                "--steps or --size, or export an .mp4)"
            )
    problems.extend(destination_problems(path, overwrite))
    if problems:
        raise ExportError("\n".join(problems))
    return ExportOptions(
        out=path,
        steps=steps,
        every=every or 10,
        fps=fps,
        size=parsed_size,
        scale=scale,
        panels=parsed_panels,
        caption=caption,
        overwrite=overwrite,
        title=title,
    )


def destination_problems(path: Path, overwrite: bool) -> list[str]:
    """Refuse before training rather than after: a missing folder, no permission, an
    existing file that was not explicitly allowed to be replaced."""
    problem = destination_problem(path, "--out", overwrite)
    return [problem] if problem else []


def command_args(options: ExportOptions) -> list[str]:
    """The `ganscope export` flags that reproduce these options (after the scene argument)."""
    args = ["--steps", str(options.steps), "--out", str(options.out)]
    args += ["--every", str(options.every), "--fps", str(options.fps)]
    if options.format != "csv":
        args += ["--size", "{}x{}".format(*options.size), "--panels", ",".join(options.panels)]
        if options.scale != 1.0:
            args += ["--scale", f"{options.scale:g}"]
        if options.caption:
            args.append("--caption")
        if options.title:
            args += ["--title", options.title]
    if options.overwrite:
        args.append("--overwrite")
    return args


def training_changes(scene_config: TrainConfig, config: TrainConfig) -> dict[str, Any]:
    """What was changed from the scene that trains differently: not its words (title, story:
    after File > Open session they once counted as changes, and went into the caption and
    the command), not the device (a run is the same run on any)."""
    changes = scene_config.changes_to(config)
    changes.pop("training.device", None)
    return {key: value for key, value in changes.items() if not key.startswith("scene.")}


def caption_title(scene_config: TrainConfig, config: TrainConfig) -> str:
    """The scene's title, and what was changed from it ("... · R1 gamma = 1"), cut to the
    caption's length (the export once refused the title it had offered itself)."""
    parts = [label(key, value) for key, value in training_changes(scene_config, config).items()]
    title = config.scene.title or "GANscope"
    title = " · ".join([title, *parts]) if parts else title
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1] + "…"


def set_flags(scene_config: TrainConfig, config: TrainConfig) -> list[str]:
    """The `--set key=value` words that turn the scene into `config`, each value written as
    the TOML the command line reads back (quoted text, [0.5, 0.9]). Raises ValueError for a
    change no flag can say: a setting cleared to none, or data held inline (drawn points)."""
    words = []
    for key, value in training_changes(scene_config, config).items():
        if value is None:
            raise ValueError(f"{key} is cleared, which no --set can say")
        if key == "target.points":
            raise ValueError("the data is drawn or loaded points, held in the session")
        words += ["--set", f"{key}={toml_value(value)}"]
    return words


def toml_value(value: Any) -> str:
    """One value as TOML on one line: what `--set` parses (tomli_w breaks arrays over lines,
    and text once lost its spaces instead of being quoted)."""
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        raise ValueError("a table of values, which no --set can say")
    return tomli_w.dumps({"v": value})[len("v = ") :].strip()
