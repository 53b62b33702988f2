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
import tomllib
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from models.atomic import write_atomic
from models.config import ConfigError, TrainConfig, parse_config
from models.engine import Trainer
from models.history import MetricHistory

FORMAT = "ganscope-session"
FORMAT_VERSION = 1
SUFFIX = ".ganscope"
MAX_FILE_BYTES = 1 << 30  # a default-scene session is about 1 MB
MAX_MEMBER_BYTES = 512 << 20
MEMBERS = ("format.json", "scene.toml", "state.safetensors", "state.json", "history.json")


class SessionFileError(ConfigError):
    """A session file that cannot be loaded: one line saying what is wrong (exit code 2)."""


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


def load_session(path: Path) -> SavedSession:
    """Read and check a session file; raise SessionFileError naming what is wrong."""
    name = Path(path).name
    try:
        size = Path(path).stat().st_size
    except OSError as exc:
        raise SessionFileError([f"{name}: cannot read the session file ({exc.strerror})"]) from None
    if size > MAX_FILE_BYTES:
        raise SessionFileError([f"{name}: {size / 2**20:.0f} MB is larger than a session can be"])
    try:
        with zipfile.ZipFile(path) as archive:
            parts = _read_members(archive, name)
    except zipfile.BadZipFile as exc:
        raise SessionFileError(
            [f"{name}: not a GANscope session, or a truncated or corrupt one ({exc})"]
        ) from None
    except OSError as exc:
        raise SessionFileError([f"{name}: cannot read the session file ({exc})"]) from None
    about = _json(parts["format.json"], name, "format.json")
    if not isinstance(about, dict) or about.get("format") != FORMAT:
        raise SessionFileError([f"{name}: not a GANscope session (its format.json is foreign)"])
    version = about.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SessionFileError([f"{name}: unreadable session format version {version!r}"])
    if version > FORMAT_VERSION:
        raise SessionFileError(
            [
                f"{name}: saved by a newer GANscope (session format {version}; this version "
                f"reads format {FORMAT_VERSION}): update GANscope to open it"
            ]
        )
    config = _config(parts["scene.toml"], name)
    try:
        tensors = load_tensors(parts["state.safetensors"])
    except (SafetensorError, ValueError) as exc:
        raise SessionFileError([f"{name}: the saved tensors are corrupt ({exc})"]) from None
    try:
        state = _unflatten(_json(parts["state.json"], name, "state.json"), tensors)
    except (KeyError, TypeError, ValueError) as exc:
        raise SessionFileError([f"{name}: the saved run state is malformed ({exc})"]) from None
    try:
        history = MetricHistory.from_dict(_json(parts["history.json"], name, "history.json"))
    except ValueError as exc:
        raise SessionFileError([f"{name}: {exc}"]) from None
    return SavedSession(
        config, state, history, str(about.get("scene_name", "")), str(about.get("saved_at", ""))
    )


def restore_trainer(saved: SavedSession) -> Trainer:
    """A new trainer continuing the saved run (a failure leaves nothing half built)."""
    trainer = Trainer(saved.config)
    try:
        trainer.load_state_dict(saved.state)
    except ValueError as exc:
        raise SessionFileError([f"session: {exc}"]) from None
    return trainer


def open_session(path: Path) -> tuple[Trainer, SavedSession]:
    saved = load_session(path)
    return restore_trainer(saved), saved


def _read_members(archive: zipfile.ZipFile, name: str) -> dict[str, bytes]:
    infos = {info.filename: info for info in archive.infolist()}
    if "format.json" not in infos:
        raise SessionFileError([f"{name}: not a GANscope session (a zip without format.json)"])
    missing = [m for m in MEMBERS if m not in infos]
    if missing:
        raise SessionFileError(
            [f"{name}: the session is incomplete (missing {', '.join(missing)})"]
        )
    parts = {}
    for member in MEMBERS:
        if infos[member].file_size > MAX_MEMBER_BYTES:
            raise SessionFileError([f"{name}: {member} is implausibly large"])
        parts[member] = archive.read(member)  # checks the CRC: corruption raises BadZipFile
    return parts


def _json(data: bytes, name: str, member: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise SessionFileError([f"{name}: {member} is not valid JSON ({exc})"]) from None


def _config(data: bytes, name: str) -> TrainConfig:
    try:
        parsed = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise SessionFileError([f"{name}: its scene.toml is not valid TOML ({exc})"]) from None
    try:
        return parse_config(parsed)
    except ConfigError as exc:
        raise SessionFileError([f"{name}: scene.toml: {line}" for line in exc.problems]) from None


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


def _unflatten(value: Any, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(value, dict):
        ((tag, inner),) = value.items()
        if tag == "$tensor":
            return tensors[inner]
        if tag == "$dict":
            return {k: _unflatten(v, tensors) for k, v in inner}
        if tag == "$list":
            return [_unflatten(v, tensors) for v in inner]
        if tag == "$tuple":
            return tuple(_unflatten(v, tensors) for v in inner)
        if tag == "$float":
            return float(inner)
        raise ValueError(f"unknown tag {tag!r}")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ValueError(f"unexpected {type(value).__name__}")
