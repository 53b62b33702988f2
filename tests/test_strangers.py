"""Files from strangers (issue 21): sessions, scenes, point files, autosaves and output paths
are someone else's input. Each test names what it used to do."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import small_config
from crafted import (
    Parts,
    base_parts,
    lie_about_sizes,
    set_flag_bits,
    skeleton_entry,
    state_of,
    with_json,
    with_scene,
    with_state,
    with_tensor,
    write_parts,
)

from app.cli import main
from app.cli_input import BadInput, parse_seeds, parse_sweeps
from app.process import autosave
from models import atomic
from models.config import MAX_INLINE_POINTS, ConfigError
from models.history import MAX_MARKERS, MAX_ROWS, Marker, MetricHistory
from models.session_file import (
    MEMBER_LIMITS,
    SessionFileError,
    load_session,
    open_session,
)
from models.targets import read_points_csv
from scenes.loader import load_scene_file, resolve, scene_file_text

ROOT = Path(__file__).resolve().parent.parent


def resume(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`ganscope train --resume PATH --steps 1` in-process: its exit code and stderr lines."""
    code = main(["train", "--resume", str(path), "--steps", "1"])
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def refused(path: Path, capsys: pytest.CaptureFixture[str], *words: str) -> str:
    code, lines = resume(path, capsys)
    assert code == 2, lines
    assert len(lines) == 1, lines
    assert "Traceback" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ 1. tensors that do not fit


def _tensor_name(parts: Parts, start: str) -> str:
    tensors, _ = state_of(parts)
    return next(name for name in sorted(tensors) if name.startswith(start))


TENSOR_CASES = {
    # was: fused Adam wrote past its buffer (rc 134, "corrupted double-linked list"; SIGSEGV)
    "adam exp_avg zeros(1)": ("state/opt_g/state/0/exp_avg", lambda t: torch.zeros(1), "shape"),
    "adam exp_avg_sq wrong shape": (
        "state/opt_d/state/1/exp_avg_sq",
        lambda t: torch.zeros(3, 3),
        "shape",
    ),
    "adam step float64": ("state/opt_g/state/0/step", lambda t: t.double(), "dtype"),
    "adam step inf": ("state/opt_g/state/0/step", lambda t: t * float("inf"), "NaN or infinite"),
    # was: a traceback
    "probe_z 7x5": ("state/fixed/probe_z", lambda t: torch.zeros(7, 5), "shape"),
    # was: "likely learning rates are high... kept the last finite state"
    "NaN weights": ("state/G/net.0.weight", lambda t: t * float("nan"), "NaN"),
    "inf in a fixed batch": ("state/fixed/metric_z", lambda t: t / 0, "NaN or infinite"),
    "weights as int": ("state/D/head.weight", lambda t: t.int(), "dtype"),
    "rng state cut short": ("state/rng", lambda t: t[:100], "shape"),
}


@pytest.mark.parametrize("case", sorted(TENSOR_CASES))
def test_a_saved_tensor_that_does_not_fit_the_scene_is_refused(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name, change, word = TENSOR_CASES[case]
    parts = base_parts()
    tensors, _ = state_of(parts)
    path = write_parts(tmp_path / "bad.ganscope", with_tensor(parts, name, change(tensors[name])))
    line = refused(path, capsys, "bad.ganscope", word)
    assert "learning rates" not in line


def test_rmsprop_and_sgd_state_is_checked_too(tmp_path: Path) -> None:
    rms = base_parts("rmsprop")
    name = _tensor_name(rms, "state/opt_d/state/0/square_avg")
    path = write_parts(tmp_path / "rms.ganscope", with_tensor(rms, name, torch.zeros(2)))
    with pytest.raises(SessionFileError, match="square_avg: shape"):
        open_session(path)
    sgd = base_parts("sgd")
    tensors, skeleton = state_of(sgd)
    opt = skeleton_entry(skeleton, "opt_g", "state")
    tensors["planted"] = torch.zeros(1)
    opt["$dict"].append([0, {"$dict": [["momentum_buffer", {"$tensor": "planted"}]]}])
    path = write_parts(tmp_path / "sgd.ganscope", with_state(sgd, tensors, skeleton))
    with pytest.raises(SessionFileError, match=r"unknown entries \(momentum_buffer\)"):
        open_session(path)
    for parts in (rms, sgd):  # and the real ones load
        open_session(write_parts(tmp_path / "fine.ganscope", parts))


def test_a_huge_view_batch_is_refused_before_it_is_read(tmp_path: Path) -> None:
    """Was: a 4M-row view_z took 3.3 GB and hung."""
    parts = with_tensor(base_parts(), "state/fixed/view_z", torch.zeros(4_000_000, 2))
    path = write_parts(tmp_path / "big.ganscope", parts)
    tracemalloc.start()
    try:
        with pytest.raises(SessionFileError, match="this scene's run needs at most"):
            load_session(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, peak


def test_fixed_entries_cannot_set_other_attributes(tmp_path: Path) -> None:
    """Was: a `fixed` entry named G replaced the generator (crash)."""
    parts = base_parts()
    tensors, skeleton = state_of(parts)
    tensors["planted"] = torch.zeros(64, 2)
    skeleton_entry(skeleton, "fixed")["$dict"].append(["G", {"$tensor": "planted"}])
    path = write_parts(tmp_path / "g.ganscope", with_state(parts, tensors, skeleton))
    with pytest.raises(SessionFileError, match=r"fixed: unknown entries \(G\)"):
        open_session(path)


def _param_group(skeleton: object, net: str) -> list[list[object]]:
    groups = skeleton_entry(skeleton, net, "param_groups")
    return groups["$list"][0]["$dict"]


def test_the_files_optimizer_settings_never_override_the_scene(tmp_path: Path) -> None:
    """Was: the file's param groups silently replaced the scene's lr, betas, eps and flags
    (a divergence then blamed the scene's values); `lr` as a string gave a traceback."""
    parts = base_parts()
    tensors, skeleton = state_of(parts)
    for net, lr in (("opt_g", 0.5), ("opt_d", "0.1")):
        for pair in _param_group(skeleton, net):
            if pair[0] == "lr":
                pair[1] = lr
            if pair[0] == "betas":
                pair[1] = {"$tuple": [0.0, 0.0]}
            if pair[0] == "fused":
                pair[1] = False
    path = write_parts(tmp_path / "lr.ganscope", with_state(parts, tensors, skeleton))
    trainer, saved = open_session(path)
    for optimizer, lr in (
        (trainer.run.opt_g, saved.config.training.lr_g),
        (trainer.run.opt_d, saved.config.training.lr_d),
    ):
        group = optimizer.param_groups[0]
        assert group["lr"] == lr and group["betas"] == saved.config.training.betas
        assert group["fused"] is True
    assert trainer.step(1) == 1


PLAIN_CASES: dict[str, Callable[[Parts], Parts]] = {
    # was: OverflowError tracebacks
    "step = inf": lambda p: with_json(p, "state.json", lambda s: _set_step(s, {"$float": "inf"})),
    "step as text": lambda p: with_json(p, "state.json", lambda s: _set_step(s, "12")),
    "history value 10**400": lambda p: with_json(
        p, "history.json", lambda h: h["rows"][0].__setitem__(1, 10**400)
    ),
    "history value as text": lambda p: with_json(
        p, "history.json", lambda h: h["rows"][0].__setitem__(1, "1.0")
    ),
    "marker step as float": lambda p: with_json(
        p, "history.json", lambda h: h["markers"][0].__setitem__("step", 1.5)
    ),
    "losses as a list": lambda p: with_json(p, "state.json", lambda s: _set(s, "losses", [])),
    "diverged as a number": lambda p: with_json(p, "state.json", lambda s: _set(s, "diverged", 3)),
    "nested 3,000 deep": lambda p: {
        **p,
        "state.json": ('{"$list": [' * 3000 + "]}" * 3000).encode(),
    },
    "lr as text in the scene": lambda p: with_scene(
        p, lambda s: s["training"].__setitem__("lr_d", "0.1")
    ),
    "tensor used twice": lambda p: with_json(p, "state.json", _alias_tensor),
}


def _set(skeleton: dict, key: str, value: object) -> None:
    for pair in skeleton["$dict"]:
        if pair[0] == key:
            pair[1] = value


def _set_step(skeleton: dict, value: object) -> None:
    _set(skeleton, "step", value)


def _alias_tensor(skeleton: dict) -> None:
    fixed = skeleton_entry(skeleton, "fixed")["$dict"]
    fixed[0][1] = fixed[1][1]


@pytest.mark.parametrize("case", sorted(PLAIN_CASES))
def test_malformed_values_are_one_line_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_parts(tmp_path / "bad.ganscope", PLAIN_CASES[case](base_parts()))
    refused(path, capsys, "bad.ganscope")


def test_an_encrypted_member_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was: RuntimeError('File is encrypted, password required') as a traceback."""
    path = write_parts(tmp_path / "plain.ganscope", base_parts())
    path.write_bytes(set_flag_bits(path.read_bytes(), "state.json", 0x1))
    refused(path, capsys, "encrypted")


def test_a_text_from_the_file_cannot_break_the_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A key name with line breaks and a terminal escape, echoed in the error: one line."""
    parts = with_scene(base_parts(), lambda s: s["training"].__setitem__("x\n\x1b[2Jy", 1))
    line = refused(write_parts(tmp_path / "keys.ganscope", parts), capsys)
    assert "\x1b" not in line and "\\x1b" in line


def test_diverged_text_from_a_file_is_one_line_of_plain_text(tmp_path: Path) -> None:
    parts = with_json(
        base_parts(), "state.json", lambda s: _set(s, "diverged", "bad\n<b>run</b>\x1b[31m")
    )
    trainer, _ = open_session(write_parts(tmp_path / "d.ganscope", parts))
    assert trainer.diverged is not None and "\n" not in trainer.diverged
    assert "\x1b" not in trainer.diverged


# ------------------------------------------------------------------ 3. output paths


@pytest.fixture
def specials(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A FIFO, a socket, a folder, a link and a dangling link, as destinations."""
    fifo = tmp_path / "fifo.csv"
    os.mkfifo(fifo)
    sock_path = tmp_path / "sock.csv"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(sock_path))
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "link.csv"
    link.symlink_to(victim)
    dangling = tmp_path / "dangling.csv"
    dangling.symlink_to(tmp_path / "nowhere")
    found = {"fifo": fifo, "socket": sock_path, "folder": folder, "link": link}
    found["dangling link"] = dangling
    if os.path.exists("/dev/null") and os.geteuid() == 0:
        found["/dev/null"] = Path("/dev/null")  # (a device: only root could replace it)
    yield found
    sock.close()
    assert victim.read_text() == "keep me"


@pytest.mark.parametrize("flag", ["--checkpoint", "--csv"])
def test_train_outputs_refuse_anything_but_a_regular_file(
    flag: str, specials: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: --checkpoint /dev/null replaced the device node with a 0600 regular file."""
    for kind, path in specials.items():
        before = os.lstat(path)
        code = main(["train", "sandbox_ring", "--steps", "0", flag, str(path), "--overwrite"])
        lines = capsys.readouterr().err.splitlines()
        assert code == 2 and len(lines) == 1 and flag in lines[0], (kind, lines)
        after = os.lstat(path)
        assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode), kind


def test_export_out_refuses_anything_but_a_regular_file(
    specials: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    for kind, path in specials.items():
        if path.suffix != ".csv":
            continue  # (/dev/null: the export's format comes from the suffix)
        before = os.lstat(path)
        code = main(["export", "sandbox_ring", "--steps", "0", "--out", str(path), "--overwrite"])
        lines = capsys.readouterr().err.splitlines()
        assert code == 2 and len(lines) == 1 and "--out" in lines[0], (kind, lines)
        assert (
            "only a regular file" in lines[0] or "symbolic link" in lines[0] or "folder" in lines[0]
        )
        assert os.lstat(path).st_ino == before.st_ino


def test_train_replaces_a_file_only_with_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "metrics.csv"
    out.write_text("mine")
    assert main(["train", "sandbox_ring", "--steps", "0", "--csv", str(out)]) == 2
    assert "--overwrite" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["train", "sandbox_ring", "--steps", "0", "--csv", str(out), "--overwrite"]) == 0
    assert out.read_text().startswith("step")


def test_new_files_get_the_users_umask_and_replaced_ones_keep_their_mode(tmp_path: Path) -> None:
    """Was: mkstemp's 0600 for every file written."""
    old = os.umask(0o027)
    try:
        atomic.write_atomic(tmp_path / "new.txt", "x")
        assert stat.S_IMODE(os.lstat(tmp_path / "new.txt").st_mode) == 0o640
        kept = tmp_path / "kept.txt"
        kept.write_text("old")
        kept.chmod(0o604)
        atomic.write_atomic(kept, "new")
        assert stat.S_IMODE(os.lstat(kept).st_mode) == 0o604 and kept.read_text() == "new"
    finally:
        os.umask(old)


def test_a_full_disk_is_one_line_and_the_old_file_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Was: a traceback from --checkpoint / --csv (export already said it in words)."""

    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    for flag, name in (("--checkpoint", "run.ganscope"), ("--csv", "run.csv")):
        out = tmp_path / name
        out.write_text("old")
        code = main(["train", "sandbox_ring", "--steps", "0", flag, str(out), "--overwrite"])
        lines = capsys.readouterr().err.splitlines()
        assert code == 2 and lines == [f"ganscope: {flag}: could not write {out}: the disk is full"]
        assert out.read_text() == "old"
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]  # none left


def _small_tmpfs(folder: Path) -> bool:
    if os.geteuid() != 0 or not sys.platform.startswith("linux"):
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True
    )
    return done.returncode == 0


def test_a_really_full_disk_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "tiny"
    folder.mkdir()
    if not _small_tmpfs(folder):
        pytest.skip("needs root and tmpfs to make a 64 kB disk")
    try:
        out = folder / "run.ganscope"
        code = main(["train", "sandbox_ring", "--steps", "0", "--checkpoint", str(out)])
        lines = capsys.readouterr().err.splitlines()
        assert code == 2 and lines == [
            f"ganscope: --checkpoint: could not write {out}: the disk is full"
        ]
        assert os.listdir(folder) == []
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_write_atomic_never_writes_through_a_link(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep")
    link = tmp_path / "autosave-1.ganscope"
    link.symlink_to(victim)
    with pytest.raises(atomic.DestinationRefused, match="symbolic link"):
        atomic.write_atomic(link, b"new")
    assert victim.read_text() == "keep" and link.is_symlink()


# ------------------------------------------------------------------ 4. autosave


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_autosave_offers_only_the_users_regular_files(tmp_path: Path) -> None:
    """Was: a planted link restored made every later autosave overwrite its target, a
    dangling one made the app exit at start, a folder broke autosave for good."""
    dead = [_dead_pid() for _ in range(5)]
    victim = tmp_path / "victim"
    victim.write_text("keep")
    real = tmp_path / f"autosave-{dead[0]}.ganscope"
    real.write_bytes(b"session")
    (tmp_path / f"autosave-{dead[1]}.ganscope").symlink_to(victim)
    (tmp_path / f"autosave-{dead[2]}.ganscope").symlink_to(tmp_path / "gone")
    (tmp_path / f"autosave-{dead[3]}.ganscope").mkdir()
    if os.geteuid() == 0:
        other = tmp_path / f"autosave-{dead[4]}.ganscope"
        other.write_bytes(b"someone else's")
        os.chown(other, 65534, 65534)
    assert autosave.crashed_sessions(tmp_path) == [real]
    assert "saved" in autosave.describe(tmp_path / f"autosave-{dead[2]}.ganscope")
    with pytest.raises(OSError, match="not a regular file"):
        autosave.Autosaver.adopt(_saver(tmp_path), tmp_path / f"autosave-{dead[1]}.ganscope")
    assert victim.read_text() == "keep"


class _saver:
    def __init__(self, folder: Path) -> None:
        self.path = folder / f"autosave-{os.getpid()}.ganscope"


def test_a_killed_saves_temporary_file_is_removed_when_its_writer_is_dead(tmp_path: Path) -> None:
    """Was: a killed save's .part file stayed for ever."""
    dead, alive = _dead_pid(), os.getppid()
    name = f"autosave-{dead}.ganscope"
    leftover = tmp_path / f".{name}.{dead}-0123abcd.part"
    live = tmp_path / f".autosave-{alive}.ganscope.{alive}-89abcdef.part"
    leftover.write_bytes(b"half")
    live.write_bytes(b"writing")
    autosave.crashed_sessions(tmp_path)
    assert not leftover.exists() and live.exists()


def test_write_atomic_removes_a_dead_writers_leftover_of_the_same_file(tmp_path: Path) -> None:
    out = tmp_path / "scene.toml"
    dead = _dead_pid()
    leftover = tmp_path / f".scene.toml.{dead}-0123abcd.part"
    leftover.write_bytes(b"half")
    atomic.write_atomic(out, "x")
    assert not leftover.exists() and out.read_text() == "x"


# ------------------------------------------------------------------ 5. memory


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_resume_from_a_device_is_refused_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    """Was: --resume /dev/zero grew without bound (8.3 GB in 30 s)."""
    line = refused(Path("/dev/zero"), capsys, "not a regular file")
    assert "device" in line


def _peak_while(run: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_headers_that_lie_about_sizes_are_inflated_only_as_far_as_they_say(tmp_path: Path) -> None:
    """Was: a 1.2 MB zip whose headers lie used 2.2 GB (zipfile inflates a member whole)."""
    parts = base_parts()
    parts["history.json"] = b" " * (64 << 20)  # 64 MB of spaces: 64 kB deflated
    data = (write_parts(tmp_path / "x.ganscope", parts)).read_bytes()
    path = tmp_path / "lies.ganscope"
    path.write_bytes(lie_about_sizes(data, "history.json", 1000))

    def load() -> None:
        with pytest.raises(SessionFileError, match="corrupt"):
            load_session(path)

    assert _peak_while(load) < 16 * 2**20


def test_declared_sizes_are_checked_against_one_budget(tmp_path: Path) -> None:
    """Was: 5 x 500 MB members took 3.2 GB and 46 s before the refusal."""
    data = write_parts(tmp_path / "x.ganscope", base_parts()).read_bytes()
    for member in ("history.json", "state.json", "format.json"):
        data = lie_about_sizes(data, member, 500 << 20)
    path = tmp_path / "big.ganscope"
    path.write_bytes(data)
    started = time.perf_counter()
    with pytest.raises(SessionFileError, match="declares"):
        load_session(path)
    assert time.perf_counter() - started < 2


def test_a_zip_of_many_members_is_refused_before_they_are_listed(tmp_path: Path) -> None:
    path = tmp_path / "many.ganscope"
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in base_parts().items():
            archive.writestr(name, data)
        for index in range(3000):
            archive.writestr(f"x{index}", b"")
    with pytest.raises(SessionFileError, match="3,005 entries"):
        load_session(path)


def test_a_history_over_its_caps_is_refused(tmp_path: Path) -> None:
    """Was: 10M history rows (25 MB) passed 6 GB, then crashed."""
    width = len(json.loads(base_parts()["history.json"])["columns"])
    rows = [[i] + [0] * (width - 1) for i in range(MAX_ROWS + 1)]
    parts = with_json(base_parts(), "history.json", lambda h: h.__setitem__("rows", rows))
    with pytest.raises(SessionFileError, match=f"at most {MAX_ROWS:,}"):
        load_session(write_parts(tmp_path / "rows.ganscope", parts))
    marks = [
        {"step": 1, "label": "x", "keys": [], "kind": "edit", "ident": i}
        for i in range(MAX_MARKERS + 1)
    ]
    parts = with_json(base_parts(), "history.json", lambda h: h.__setitem__("markers", marks))
    with pytest.raises(SessionFileError, match="markers"):
        load_session(write_parts(tmp_path / "marks.ganscope", parts))


def test_put_marker_is_constant_time() -> None:
    """Was: quadratic (200k markers hung)."""
    history = MetricHistory()
    started = time.perf_counter()
    for ident in range(1, 100_001):
        history.put_marker(Marker(ident, "x", (), "edit", ident))
        history.put_marker(Marker(ident, "y", (), "edit", ident))  # a drag continuing
    assert time.perf_counter() - started < 3
    assert len(history.markers) <= MAX_MARKERS and history.markers[-1].label == "y"


def test_live_history_stays_within_its_caps() -> None:
    history = MetricHistory()
    for step in range(MAX_ROWS + 10):
        history.append({"step": step})
    assert len(history) <= MAX_ROWS and history.column("step")[0] == 0
    assert history.last_step == MAX_ROWS + 9


def test_sweeps_and_seeds_are_counted_before_they_are_built(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Was: 1.3e7 sweep combinations built (2.7 GB) before the 256-run check; 2,000 seed
    ranges 2 GB."""
    sweeps = [
        f"training.{k}=" + ",".join(str(v) for v in range(1, 60))
        for k in ("lr_d", "lr_g", "batch", "d_steps")
    ]

    flags = [word for sweep in sweeps for word in ("--sweep", sweep)]

    def sweep() -> None:
        assert main(["train", "sandbox_ring", "--steps", "1", *flags]) == 2

    assert _peak_while(sweep) < 32 * 2**20
    assert "12,117,361 runs" in capsys.readouterr().err

    def seeds() -> None:
        with pytest.raises(BadInput, match="more than 10,000 seeds"):
            parse_seeds(",".join(["0-9999"] * 2000))

    assert _peak_while(seeds) < 4 * 2**20


def test_calibrate_jobs_are_capped(capsys: pytest.CaptureFixture[str]) -> None:
    """Was: no cap (10,000 would start 10,000 torch processes)."""
    assert main(["calibrate", "ring_collapse", "--seeds", "0", "--jobs", "10000"]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "--jobs: must be 1 to" in lines[0]
    assert main(["calibrate", "ring_collapse", "--seeds", "0", "--jobs", "0"]) == 2


# ------------------------------------------------------------------ 6. hangs


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    """A FIFO with a writer waiting, so a reader that opens it gets an empty stream instead of
    blocking the test for ever (refused at once is what must happen)."""
    path = tmp_path / "fifo.toml"
    os.mkfifo(path)
    writer = threading.Thread(target=lambda: open(path, "wb").close(), daemon=True)
    writer.start()
    yield path
    with open(os.open(path, os.O_RDONLY | os.O_NONBLOCK), "rb"):  # release the writer
        writer.join(5)


def test_a_fifo_is_refused_as_scene_points_or_session(
    fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: blocked for ever (as a session, a scene's target.file, or `ganscope open`)."""
    with pytest.raises(ConfigError, match="FIFO"):
        resolve(str(fifo))
    with pytest.raises(ConfigError, match="FIFO"):
        load_scene_file(fifo)
    with pytest.raises(ConfigError, match="FIFO"):
        read_points_csv(fifo)
    scene = tmp_path / "scene.toml"
    scene.write_text(f'[target]\nkind = "points"\nfile = "{fifo}"\n')
    with pytest.raises(ConfigError, match="FIFO"):
        load_scene_file(scene)
    with pytest.raises(SessionFileError, match="FIFO"):
        load_session(fifo)


def test_a_session_must_not_name_a_file_of_its_own(tmp_path: Path) -> None:
    """Was: a session's scene could read any local file as its data (/etc/passwd)."""
    parts = with_scene(
        base_parts(), lambda s: s["target"].update(kind="points", file="/etc/passwd")
    )
    with pytest.raises(SessionFileError, match="never reads another file"):
        load_session(write_parts(tmp_path / "x.ganscope", parts))


# ------------------------------------------------------------------ 8. silently wrong


def test_a_swept_seed_is_the_seed_each_run_uses(capsys: pytest.CaptureFixture[str]) -> None:
    """Was: --sweep training.seed=1,2,3 ran seed 0 three times while each record named its
    seed."""
    quick = ["--set", "training.batch=32", "--set", "view.resolution=8", "--set", "view.arrows=4"]
    code = main(
        ["train", "sandbox_ring", "--steps", "2", *quick, "--sweep", "training.seed=1,2", "--json"]
    )
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and [r["seed"] for r in records] == [1, 2]
    alone = []
    for seed in (1, 2):
        main(["train", "sandbox_ring", "--steps", "2", *quick, "--seed", str(seed), "--json"])
        alone.append(json.loads(capsys.readouterr().out))
    for record, single in zip(records, alone, strict=True):
        assert record["w1"] == pytest.approx(single["w1"], rel=1e-4)
    assert records[0]["w1"] != records[1]["w1"]


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        (["--sweep", "training.lr_d=1e-4", "--sweep", "training.lr_d=1e-3"], "given twice"),
        (["--seed", "3", "--seeds", "0-1"], "--seed and --seeds"),
        (["--sweep", "training.seed=1,2", "--seeds", "0-1"], "--sweep training.seed and --seeds"),
        (["--sweep", "training.seed=1,2", "--seed", "4"], "--seed and --sweep training.seed"),
        (["--set", "training.seed=4", "--seeds", "0-1"], "--set training.seed and --seeds"),
    ],
)
def test_conflicting_seed_and_sweep_flags_are_errors_naming_both(
    flags: list[str], named: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: a repeated --sweep key dropped the earlier values; --seed ignored beside --seeds."""
    for command in ("train", "export"):
        extra = ["--out", "/tmp/never.gif"] if command == "export" else []
        assert main([command, "sandbox_ring", "--steps", "1", *flags, *extra]) == 2
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1 and named in lines[0], lines


def test_parse_sweeps_refuses_a_repeated_key() -> None:
    with pytest.raises(BadInput, match="given twice"):
        parse_sweeps(["training.lr_d=1", "training.lr_d=2"])


@pytest.mark.parametrize("first", ["1,2a", "1a,b", "1;2", " -1,2,", "0x1,2", "1e5e,2"])
def test_a_malformed_first_csv_line_is_an_error_not_a_header(tmp_path: Path, first: str) -> None:
    """Was: dropped as a header, and training ran on the rest without a word."""
    path = tmp_path / "p.csv"
    path.write_text(f"{first}\n1,2\n3,4\n")
    with pytest.raises(ConfigError, match=r"line 1 of p\.csv"):
        read_points_csv(path)


@pytest.mark.parametrize("header", ["x,y", "X, Y", '"x","y"', "x1,y1", "lon,lat"])
def test_a_real_header_is_still_skipped(tmp_path: Path, header: str) -> None:
    path = tmp_path / "p.csv"
    path.write_text(f"{header}\n1,2\n3,4\n")
    assert read_points_csv(path).tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_a_points_file_too_big_to_checkpoint_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Was: a 250k-point CSV scene trained for 44 s and then failed to checkpoint."""
    points = np.random.default_rng(0).normal(size=(MAX_INLINE_POINTS + 1, 2))
    np.savetxt(tmp_path / "p.csv", points, delimiter=",", fmt="%.4f")
    scene = tmp_path / "big.toml"
    scene.write_text(
        '[target]\nkind = "points"\nfile = "p.csv"\nmodes = 1\n[training]\nbatch = 64\n'
    )
    out = tmp_path / "run.ganscope"
    started = time.perf_counter()
    code = main(["train", str(scene), "--steps", "100000", "--checkpoint", str(out)])
    lines = capsys.readouterr().err.splitlines()
    assert code == 2 and len(lines) == 1 and "--checkpoint" in lines[0], lines
    assert f"{MAX_INLINE_POINTS:,}" in lines[0] and not out.exists()
    assert time.perf_counter() - started < 30  # 100,000 steps would take minutes


def test_a_scene_too_big_to_open_again_is_not_saved() -> None:
    """The window's Save scene wrote drawings of up to 200,000 points into files the 1 MB
    scene loader then refused: about 20,000 inline points fit (48 bytes each as written)."""

    def with_points(count: int) -> object:
        points = np.round(np.random.default_rng(1).normal(size=(count, 2)), 5).tolist()
        return small_config(target={"kind": "points", "points": points})

    assert len(scene_file_text(with_points(19_000), None)) < 1_000_000
    with pytest.raises(ConfigError, match="save a session instead"):
        scene_file_text(with_points(25_000), None)


def test_a_session_holds_the_documented_inline_points() -> None:
    """README: 200,000 inline points fit a session (its scene.toml part is read up to
    16 MB; a scene file only up to 1 MB)."""
    points = np.round(np.random.default_rng(2).normal(size=(MAX_INLINE_POINTS, 2)), 5).tolist()
    text = small_config(target={"kind": "points", "points": points}).to_toml()
    assert len(text.encode()) <= MEMBER_LIMITS["scene.toml"]


def test_the_readme_limits_table_states_what_fits() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "about 20,000" in readme and "--overwrite" in readme
