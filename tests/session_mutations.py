"""Mutations of a real session file, as a stranger might craft them (issue 21): used by the
hypothesis fuzz test in-process and by its child process that measures peak memory."""

from __future__ import annotations

import json
import random
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch
from crafted import (
    Parts,
    base_parts,
    lie_about_sizes,
    set_flag_bits,
    state_of,
    with_state,
    write_parts,
)

from models.session_file import MEMBERS

KINDS = ("bytes", "json", "tensor", "sizes", "zip", "scene")
DTYPES = (torch.float32, torch.float64, torch.float16, torch.int64, torch.uint8, torch.bool)
ODD_VALUES: list[Any] = [
    None, True, -1, 0, 10**400, 2**63, 1e308, "x", "inf", [], {}, [[[]]],
    {"$tensor": "state/rng"}, {"$float": "nan"}, {"$float": "inf"}, {"$float": "boom"},
    {"$dict": [[None, 1]]}, {"$list": "no"}, {"$tuple": [1]}, {"a": 1, "b": 2},
]  # fmt: skip


def _json_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            paths += _json_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value[:30]):
            paths += _json_paths(item, (*path, index))
    return paths


def _replace(root: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    node = root
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = new
    return root


def mutate(rng: random.Random, kind: str, folder: Path, name: str = "fuzz") -> Path:
    """A crafted session file in `folder`: one mutation of `kind` of a real session."""
    parts: Parts = base_parts(rng.choice(["adam", "adam", "rmsprop", "sgd"]))
    path = folder / f"{name}.ganscope"
    member = rng.choice(MEMBERS)
    if kind == "bytes":
        data = bytearray(parts[member])
        how = rng.choice(["truncate", "flip", "random", "empty"])
        if how == "truncate":
            data = data[: rng.randrange(len(data) + 1)]
        elif how == "flip":
            for _ in range(rng.randint(1, 8)):
                if data:
                    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "random":
            data = bytearray(rng.randbytes(rng.randrange(200)))
        else:
            data = bytearray()
        parts[member] = bytes(data)
    elif kind == "json":
        member = rng.choice(["state.json", "history.json", "format.json"])
        data = json.loads(parts[member])
        target = rng.choice(_json_paths(data))
        data = _replace(data, target, rng.choice(ODD_VALUES))
        parts[member] = json.dumps(data).encode()
    elif kind == "tensor":
        tensors, skeleton = state_of(parts)
        name_ = rng.choice(sorted(tensors))
        old = tensors[name_]
        shape = list(old.shape)
        how = rng.choice(["shape", "dtype", "values", "scalar", "empty"])
        if how == "shape":
            shape = [rng.choice([0, 1, 2, 5, 7, 64]) for _ in range(rng.randint(0, 3))]
        dtype = rng.choice(DTYPES) if how == "dtype" else old.dtype
        value = torch.zeros(shape if how != "scalar" else [], dtype=dtype)
        if how == "values" and value.is_floating_point() and value.numel():
            value = value + rng.choice([float("nan"), float("inf"), -1e38, 1e30])
        if how == "empty":
            value = torch.zeros(0, dtype=old.dtype)
        tensors[name_] = value
        parts = with_state(parts, tensors, skeleton)
    elif kind == "scene":
        text = parts["scene.toml"].decode()
        line = rng.choice(
            [
                '[training]\nlr_d = "0.1"\n',
                "[target]\nfile = '/etc/passwd'\n",
                "[generator]\nwidth = 100000\n",
                '["<img src=x>"]\na = 1\n',
                "[training]\nbatch = 1e400\n",
                "[view]\nsamples = 5\n",
            ]
        )
        parts["scene.toml"] = (text + "\n" + line).encode()
    write_parts(path, parts, compression=rng.choice([zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED]))
    if kind == "sizes":
        data = path.read_bytes()
        size = rng.choice([0, 1, 10, 1 << 20, 500 << 20, 2**32 - 1])
        path.write_bytes(lie_about_sizes(data, member, size))
    elif kind == "zip":
        how = rng.choice(["encrypt", "drop", "duplicate", "many", "cut"])
        data = path.read_bytes()
        if how == "encrypt":
            path.write_bytes(set_flag_bits(data, member, 1))
        elif how == "cut":
            path.write_bytes(data[: rng.randrange(len(data))])
        else:
            order = [m for m in parts if not (how == "drop" and m == member)]
            if how == "duplicate":
                order.append(member)
            with warnings.catch_warnings(), zipfile.ZipFile(path, "w") as archive:
                warnings.simplefilter("ignore")  # "Duplicate name": on purpose
                for entry in order:
                    archive.writestr(entry, parts[entry])
                for index in range(100 if how == "many" else 0):
                    archive.writestr(f"extra{index}", b"")
    return path
