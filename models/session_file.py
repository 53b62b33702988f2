"""Session files (.ganscope): everything needed to see a run again and continue it exactly.

A session file is a zip archive of plain, inspectable parts; no pickle anywhere:

    format.json          {"format": "ganscope-session", "version": 1, ...}
    scene.toml           the scene with every setting as it was (point data inline)
    state.safetensors    the tensors: weights, optimizer state, random stream, fixed batches
    state.json           the rest of the run state (step, loss sums, optimizer settings), with
                         placeholders where the tensors go
    history.json         the metric history, its edit markers and abandoned branches

Loading checks each part and says what is wrong in one line (a zip from another program, a
truncated or corrupt file, a newer format, a scene that does not validate, tensors that do
not fit the scene); the caller's current run is never touched by a failed load.
"""

from __future__ import annotations

import io
import json
import math
import os
import struct
import tomllib
import zipfile
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from models.atomic import write_atomic
from models.config import MAX_INLINE_POINTS, ConfigError, TrainConfig, parse_config
from models.engine import Trainer
from models.history import MetricHistory
from models.metrics import PROTOCOL_SAMPLES
from models.textfile import one_line, open_regular

FORMAT = "ganscope-session"
FORMAT_VERSION = 1
SUFFIX = ".ganscope"
MAX_FILE_BYTES = 1 << 30  # a default-scene session is about 1 MB
MEMBERS = ("format.json", "scene.toml", "state.safetensors", "state.json", "history.json")
# What each part may inflate to, and one budget for all of them together (a 1.2 MB zip whose
# headers lie took 2.2 GB; five 500 MB members 3.2 GB). scene.toml holds up to 200,000
# inline points (about 9 MB as TOML); history.json up to MAX_ROWS rows of 21 metrics.
MEMBER_LIMITS = {
    "format.json": 64 << 10,
    "scene.toml": 16 << 20,
    "state.json": 16 << 20,
    "history.json": 160 << 20,
    "state.safetensors": 768 << 20,
}
MAX_INFLATED_BYTES = 1 << 30
MAX_MEMBERS = 64  # a session has 5; a zip's directory lists every entry (a bomb, millions)
MAX_DIRECTORY_BYTES = 1 << 20
MAX_STATE_DEPTH = 16  # state.json's nesting (a run state needs 5)
STATE_SLACK_BYTES = 1 << 20  # the safetensors header
_EOCD, _EOCD_SIZE = b"PK\x05\x06", 22
_CHUNK = 1 << 20


class SessionFileError(ConfigError):
    """A session file that cannot be loaded: ONE line saying what is wrong (exit code 2),
    starting with the file's name; text from the file in it is escaped to one line."""

    def __init__(self, problems: Any, name: str = "") -> None:
        text = "; ".join(str(p) for p in problems)
        super().__init__([one_line(f"{name}: {text}" if name else text, 600)])


@dataclass(frozen=True)
class SavedSession:
    config: TrainConfig
    state: dict[str, Any]
    history: MetricHistory
    scene_name: str
    saved_at: str


# ------------------------------------------------------------------------------- saving


def save_session(path: Path, trainer: Trainer, history: MetricHistory, scene_name: str = "") -> int:
    """Write the trainer's run and its history to `path` (atomically); returns the bytes."""
    config = self_contained(trainer)
    tensors: dict[str, torch.Tensor] = {}
    skeleton = _flatten(trainer.state_dict(), "state", tensors)
    about = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "scene_name": scene_name,
        "step": trainer.step_count,
        "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "torch": torch.__version__,
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("format.json", json.dumps(about, indent=1))
        archive.writestr("scene.toml", config.to_toml())
        archive.writestr("state.safetensors", save_tensors(tensors))
        archive.writestr("state.json", json.dumps(skeleton))
        archive.writestr("history.json", json.dumps(history.to_dict()))
    data = buffer.getvalue()
    write_atomic(path, data)
    return len(data)


def self_contained(trainer: Trainer) -> TrainConfig:
    """The trainer's config with point data inline, so the file needs nothing beside it."""
    config = trainer.config
    if config.target.kind == "points" and config.target.file:
        points = trainer.run.target.support.detach().cpu().tolist()
        return config.with_changes({"target.file": "", "target.points": points})
    return config


# ------------------------------------------------------------------------------- loading
# A session file comes from someone else (a student hands one in): nothing in it is trusted.
# Only a regular file is read; the zip's directory is checked before zipfile parses it; every
# member is inflated in a stream against its own cap and one budget for the whole file
# (declared sizes can lie); the scene must be self-contained; every tensor must fit the run
# the scene builds (models/engine/state_check.py); the history is capped (models/history.py).


def load_session(path: Path) -> SavedSession:
    """Read and check a session file; raise SessionFileError naming what is wrong."""
    name = one_line(Path(path).name, 120)
    try:
        handle = open_regular(Path(path), name)
    except ConfigError as exc:
        problems = [line.replace(f"{name}: ", "", 1) for line in exc.problems]
        raise SessionFileError(problems, name) from None
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise SessionFileError(
                [
                    f"{size / 2**20:.0f} MB is larger than a session can be "
                    f"({MAX_FILE_BYTES // 2**20} MB)"
                ],
                name,
            )
        try:
            _check_directory(handle, size, name)
            with zipfile.ZipFile(handle) as archive:
                return _load_parts(archive, name)
        except SessionFileError:
            raise
        except (zipfile.BadZipFile, EOFError, zlib.error, struct.error) as exc:
            raise SessionFileError(
                [f"not a GANscope session, or a truncated or corrupt one ({exc})"], name
            ) from None
        except (OSError, ValueError, RuntimeError, NotImplementedError, OverflowError) as exc:
            raise SessionFileError([f"cannot read the session file ({exc})"], name) from None


def restore_trainer(saved: SavedSession) -> Trainer:
    """A new trainer continuing the saved run (a failure leaves nothing half built)."""
    try:
        trainer = Trainer(saved.config)
        trainer.load_state_dict(saved.state)
    except (ValueError, RuntimeError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise SessionFileError([f"session: {exc}"]) from None
    return trainer


def open_session(path: Path) -> tuple[Trainer, SavedSession]:
    saved = load_session(path)
    try:
        return restore_trainer(saved), saved
    except SessionFileError as exc:
        raise SessionFileError([str(exc).removeprefix("session: ")], saved_name(path)) from None


def saved_name(path: Path) -> str:
    return one_line(Path(path).name, 120)


def saveable_problem(trainer: Trainer) -> str | None:
    """Why this run cannot be saved as a session (checked before training, not after)."""
    target = trainer.config.target
    if target.kind == "points" and target.file:
        count = int(trainer.run.target.support.shape[0])
        if count > MAX_INLINE_POINTS:
            return (
                f"its {count:,} points are more than a session holds inline "
                f"({MAX_INLINE_POINTS:,}); train without --checkpoint, or on fewer points"
            )
    return None


class _Budget:
    """Bytes inflated so far against the one budget for the whole file."""

    def __init__(self, limit: int, name: str) -> None:
        self.left, self.limit, self.name = limit, limit, name

    def spend(self, count: int, member: str) -> None:
        self.left -= count
        if self.left < 0:
            raise SessionFileError(
                [
                    f"{member}: the parts inflate to more than the {self.limit // 2**20} MB a "
                    "session may hold"
                ],
                self.name,
            )


def _check_directory(handle: Any, size: int, name: str) -> None:
    """Read the zip's end record as zipfile will, and refuse a central directory too large
    or with too many entries before zipfile builds an object for every entry."""
    tail_size = min(size, (1 << 16) + _EOCD_SIZE)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = len(tail) - _EOCD_SIZE
    if not (at >= 0 and tail[at : at + 4] == _EOCD and tail[-2:] == b"\0\0"):
        at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise SessionFileError(
            ["not a GANscope session, or a truncated or corrupt one (not a zip archive)"], name
        )
    fields = struct.unpack("<4s4H2LH", tail[at : at + _EOCD_SIZE])
    entries, directory = fields[4], fields[5]
    locator_at = size - tail_size + at - 20
    if locator_at >= 0:
        handle.seek(locator_at)
        locator = handle.read(20)
        if locator[:4] == b"PK\x06\x07":
            record_at = struct.unpack("<4sLQL", locator)[2]
            if 0 <= record_at <= size - 56:
                handle.seek(record_at)
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06":
                    values = struct.unpack("<4sQ2H2L4Q", record)
                    entries, directory = values[7], values[8]
    if entries > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise SessionFileError(
            [
                f"its zip directory lists {entries:,} entries in {directory:,} bytes (a session "
                f"has {len(MEMBERS)}; at most {MAX_MEMBERS} are read)"
            ],
            name,
        )
    handle.seek(0)


def _load_parts(archive: zipfile.ZipFile, name: str) -> SavedSession:
    infos = archive.infolist()
    if len(infos) > MAX_MEMBERS:
        raise SessionFileError(
            [f"the zip holds {len(infos):,} entries (at most {MAX_MEMBERS} are read)"], name
        )
    by_name: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        if info.filename in by_name:
            raise SessionFileError([f"{one_line(info.filename, 60)} is in the zip twice"], name)
        by_name[info.filename] = info
    if "format.json" not in by_name:
        raise SessionFileError(["not a GANscope session (a zip without format.json)"], name)
    missing = [m for m in MEMBERS if m not in by_name]
    if missing:
        raise SessionFileError([f"the session is incomplete (missing {', '.join(missing)})"], name)
    declared = 0
    for member in MEMBERS:
        info = by_name[member]
        if info.flag_bits & 0x1:
            raise SessionFileError([f"{member} is encrypted (sessions never are)"], name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise SessionFileError(
                [
                    f"{member} is compressed with method {info.compress_type} (sessions use "
                    "deflate or none)"
                ],
                name,
            )
        if info.file_size > MEMBER_LIMITS[member]:
            raise SessionFileError(
                [
                    f"{member} declares {info.file_size:,} bytes; at most "
                    f"{MEMBER_LIMITS[member]:,} are read"
                ],
                name,
            )
        declared += info.file_size
    if declared > MAX_INFLATED_BYTES:
        raise SessionFileError(
            [
                f"its parts declare {declared / 2**20:.0f} MB; a session may hold "
                f"{MAX_INFLATED_BYTES // 2**20} MB"
            ],
            name,
        )
    budget = _Budget(MAX_INFLATED_BYTES, name)

    def read(member: str, limit: int | None = None) -> bytes:
        return _read_member(archive, by_name[member], limit or MEMBER_LIMITS[member], budget, name)

    about = _json(read("format.json"), name, "format.json")
    if not isinstance(about, dict) or about.get("format") != FORMAT:
        raise SessionFileError(["not a GANscope session (its format.json is foreign)"], name)
    version = about.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError(
            [f"unreadable session format version {one_line(repr(version), 40)}"], name
        )
    if version > FORMAT_VERSION:
        raise SessionFileError(
            [
                f"saved by a newer GANscope (session format {version}; this version reads format "
                f"{FORMAT_VERSION}): update GANscope to open it"
            ],
            name,
        )
    config = _config(read("scene.toml"), name)
    if config.target.file:
        raise SessionFileError(
            [
                f"scene.toml: target.file names {one_line(repr(config.target.file), 80)}; a "
                "session holds its points inline and never reads another file"
            ],
            name,
        )
    skeleton = _json(read("state.json"), name, "state.json")
    state_limit = min(MEMBER_LIMITS["state.safetensors"], _state_bytes_limit(config))
    if by_name["state.safetensors"].file_size > state_limit:
        raise SessionFileError(
            [
                f"state.safetensors declares {by_name['state.safetensors'].file_size:,} bytes; "
                f"this scene's run needs at most {state_limit:,}"
            ],
            name,
        )
    try:
        tensors = load_tensors(read("state.safetensors", state_limit))
    except (SafetensorError, ValueError, RuntimeError, TypeError, OverflowError) as exc:
        raise SessionFileError(
            [f"the saved tensors are corrupt ({one_line(str(exc), 200)})"], name
        ) from None
    try:
        state = _unflatten(skeleton, tensors, set())
    except (KeyError, TypeError, ValueError, RecursionError, OverflowError) as exc:
        raise SessionFileError(
            [f"the saved run state is malformed ({one_line(str(exc), 200)})"], name
        ) from None
    if not isinstance(state, dict):
        raise SessionFileError(["the saved run state is malformed (not a table)"], name)
    try:
        history = MetricHistory.from_dict(_json(read("history.json"), name, "history.json"))
    except ValueError as exc:
        raise SessionFileError([f"history.json: {exc}"], name) from None
    return SavedSession(
        config,
        state,
        history,
        one_line(str(about.get("scene_name", "")), 120),
        one_line(str(about.get("saved_at", "")), 40),
    )


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: _Budget, name: str
) -> bytes:
    """The member's bytes, inflated a chunk at a time: never more than its declared size,
    its cap, or what is left of the file's budget (a header may say 1 kB of 5 GB)."""
    chunks, total = [], 0
    cap = min(limit, info.file_size)
    with archive.open(info) as stream:
        while True:
            chunk = stream.read(_CHUNK)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                raise SessionFileError(
                    [f"{info.filename} inflates to more than {cap:,} bytes"], name
                )
            budget.spend(len(chunk), info.filename)
            chunks.append(chunk)
    return b"".join(chunks)


def _state_bytes_limit(config: TrainConfig) -> int:
    """The most bytes state.safetensors can take for this scene: its networks' tensors three
    times (weights, two optimizer moments), a step per parameter, the fixed batches, the
    random state, and room for the file's header."""
    try:
        from models.engine.state import RunState

        g, d = RunState.networks_for(config)
    except (ValueError, RuntimeError, TypeError) as exc:
        raise SessionFileError([f"scene.toml: {one_line(str(exc), 200)}"]) from None
    tensors = [*g.state_dict().values(), *d.state_dict().values()]
    weights = sum(t.numel() * t.element_size() for t in tensors)
    z_dim = 1 if config.is_dirac else config.generator.z_dim
    batch, samples = config.training.batch, config.view.samples
    fixed = 4 * (2 * PROTOCOL_SAMPLES + 2 * batch + (samples + PROTOCOL_SAMPLES + batch) * z_dim)
    return 3 * weights + 64 * len(tensors) + fixed + (1 << 16) + STATE_SLACK_BYTES


def _json(data: bytes, name: str, member: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_json_constant)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SessionFileError([f"{member} is not valid JSON ({exc})"], name) from None


def _json_constant(word: str) -> float:
    return float(word)  # NaN, Infinity, -Infinity: the history may hold an infinite norm


def _config(data: bytes, name: str) -> TrainConfig:
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SessionFileError([f"its scene.toml is not valid TOML ({exc})"], name) from None
    try:
        return parse_config(parsed)
    except ConfigError as exc:
        raise SessionFileError([f"scene.toml: {line}" for line in exc.problems], name) from None


# ------------------------------------------------------------------------------- the codec
# Nested state dicts hold tensors, numbers, strings, lists, tuples and dicts with int or str
# keys (optimizer state is keyed by parameter index). Tensors go to safetensors under their
# path; everything else to JSON, tagged where JSON would lose the type.


def _flatten(value: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, torch.Tensor):
        tensors[path] = value.detach().to("cpu").contiguous().clone()
        return {"$tensor": path}
    if isinstance(value, dict):
        return {"$dict": [[k, _flatten(v, f"{path}/{k}", tensors)] for k, v in value.items()]}
    if isinstance(value, list | tuple):
        tag = "$tuple" if isinstance(value, tuple) else "$list"
        return {tag: [_flatten(v, f"{path}/{i}", tensors) for i, v in enumerate(value)]}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": repr(value)}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TypeError(f"cannot save a {type(value).__name__} at {path}")


def _unflatten(value: Any, tensors: dict[str, torch.Tensor], used: set[str], depth: int = 0) -> Any:
    if depth > MAX_STATE_DEPTH:
        raise ValueError(f"nested more than {MAX_STATE_DEPTH} levels deep")
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError("a tagged value must have exactly one tag")
        ((tag, inner),) = value.items()
        if tag == "$tensor":
            if not isinstance(inner, str) or inner not in tensors:
                raise ValueError(f"no saved tensor named {one_line(repr(inner), 60)}")
            if inner in used:
                raise ValueError(f"tensor {one_line(inner, 60)} is used twice")
            used.add(inner)
            return tensors[inner]
        if tag == "$float":
            if inner not in ("nan", "inf", "-inf"):
                raise ValueError(
                    f"$float must be nan, inf or -inf; got {one_line(repr(inner), 40)}"
                )
            return float(inner)
        if not isinstance(inner, list):
            raise ValueError(f"{one_line(repr(tag), 40)} must hold a list")
        if tag == "$dict":
            items = {}
            for pair in inner:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise ValueError("a table entry must be a [key, value] pair")
                key, item = pair
                if isinstance(key, bool) or not isinstance(key, int | str):
                    raise ValueError("a table key must be a number or text")
                items[key] = _unflatten(item, tensors, used, depth + 1)
            return items
        if tag == "$list":
            return [_unflatten(v, tensors, used, depth + 1) for v in inner]
        if tag == "$tuple":
            return tuple(_unflatten(v, tensors, used, depth + 1) for v in inner)
        raise ValueError(f"unknown tag {one_line(repr(tag), 40)}")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"unexpected {type(value).__name__}")
