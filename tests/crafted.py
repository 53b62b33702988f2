"""Crafting session files as a stranger would (issue 21): start from a real, small session
and change one part: a member's bytes, a tensor, the JSON skeleton, the zip's headers."""

from __future__ import annotations

import json
import struct
import tempfile
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w
import torch
from conftest import small_config
from safetensors.torch import load as load_tensors
from safetensors.torch import save as save_tensors

from models.engine import Trainer
from models.history import MetricHistory
from models.session_file import save_session

Parts = dict[str, bytes]
_BASE: dict[str, Parts] = {}


def base_parts(optimizer: str = "adam") -> Parts:
    """The members of a real session: the small test scene, 3 iterations, 2 history rows."""
    if optimizer not in _BASE:
        trainer = Trainer(small_config(training={"optimizer": optimizer}))
        history = MetricHistory()
        trainer.step(2)
        history.append(trainer.snapshot().metrics)
        trainer.step(1)
        history.append(trainer.snapshot().metrics)
        history.mark_edit(2, ["training.lr_d"], "lr_d = 0.001", 0.0)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "base.ganscope"
            save_session(path, trainer, history, "crafted")
            with zipfile.ZipFile(path) as archive:
                _BASE[optimizer] = {name: archive.read(name) for name in archive.namelist()}
    return dict(_BASE[optimizer])


def write_parts(
    path: Path,
    parts: Parts,
    compression: int = zipfile.ZIP_DEFLATED,
    order: list[str] | None = None,
) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name in order or list(parts):
            archive.writestr(name, parts[name])
    return path


def state_of(parts: Parts) -> tuple[dict[str, torch.Tensor], Any]:
    return dict(load_tensors(parts["state.safetensors"])), json.loads(parts["state.json"])


def with_state(parts: Parts, tensors: dict[str, torch.Tensor], skeleton: Any) -> Parts:
    return {
        **parts,
        "state.safetensors": save_tensors({k: v.contiguous() for k, v in tensors.items()}),
        "state.json": json.dumps(skeleton).encode(),
    }


def with_tensor(parts: Parts, name: str, value: torch.Tensor) -> Parts:
    tensors, skeleton = state_of(parts)
    assert name in tensors, sorted(tensors)
    tensors[name] = value
    return with_state(parts, tensors, skeleton)


def with_scene(parts: Parts, change: Callable[[dict[str, Any]], None]) -> Parts:
    scene = tomllib.loads(parts["scene.toml"].decode())
    change(scene)
    return {**parts, "scene.toml": tomli_w.dumps(scene).encode()}


def with_json(parts: Parts, member: str, change: Callable[[Any], Any]) -> Parts:
    data = json.loads(parts[member])
    changed = change(data)
    return {**parts, member: json.dumps(data if changed is None else changed).encode()}


def skeleton_entry(skeleton: Any, *path: Any) -> Any:
    """skeleton_entry(s, "fixed") -> the tagged value at state["fixed"] ($dict pairs)."""
    node = skeleton
    for key in path:
        ((tag, inner),) = node.items()
        node = next(v for k, v in inner if k == key) if tag == "$dict" else inner[key]
    return node


def lie_about_sizes(data: bytes, member: str, size: int) -> bytes:
    """The zip with `member`'s uncompressed size in the central directory (and its local
    header) replaced by `size`: zipfile believes the directory."""
    raw = bytearray(data)
    name = member.encode()
    at = 0
    while (at := raw.find(b"PK\x01\x02", at)) >= 0:  # central directory entries
        length = struct.unpack_from("<H", raw, at + 28)[0]
        if raw[at + 46 : at + 46 + length] == name:
            struct.pack_into("<L", raw, at + 24, size)
        at += 4
    at = 0
    while (at := raw.find(b"PK\x03\x04", at)) >= 0:  # local headers
        length = struct.unpack_from("<H", raw, at + 26)[0]
        if raw[at + 30 : at + 30 + length] == name:
            struct.pack_into("<L", raw, at + 22, size)
        at += 4
    return bytes(raw)


def set_flag_bits(data: bytes, member: str, bits: int) -> bytes:
    """Set general-purpose flag bits (1: encrypted) on `member` in both headers."""
    raw = bytearray(data)
    name = member.encode()
    for signature, flag_at, name_len_at, name_at in (
        (b"PK\x01\x02", 8, 28, 46),
        (b"PK\x03\x04", 6, 26, 30),
    ):
        at = 0
        while (at := raw.find(signature, at)) >= 0:
            length = struct.unpack_from("<H", raw, at + name_len_at)[0]
            if raw[at + name_at : at + name_at + length] == name:
                flags = struct.unpack_from("<H", raw, at + flag_at)[0]
                struct.pack_into("<H", raw, at + flag_at, flags | bits)
            at += 4
    return bytes(raw)
