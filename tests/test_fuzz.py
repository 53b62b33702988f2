"""Fuzzing every text a user can hand the app (issue 15): `--set` flags, CSV point files and
export flags. Whatever the input, the outcome is a result or one clean error naming what is
wrong, never another exception. (The scene loader's fuzzing is in test_scene_loader.py.)

Bounded for CI: a fixed example budget per test, derandomised so a failure reproduces.
"""

from __future__ import annotations

import math
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from app.cli_input import BadInput, parse_assignments
from app.export.options import ExportError, build_options
from models.config import ConfigError, TrainConfig
from models.knobs import KNOBS
from models.targets import read_points_csv

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
BASE = TrainConfig()
KEYS = [knob.key for knob in KNOBS] + ["training.nonsense", "nosection.x", "training", ""]
TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(
        ["true", "false", "nan", "inf", "-inf", "1e39", "[0.5, 0.9]", "[[[[1]]]]", "{a = 1}"]
    ),
    st.sampled_from(["ns", "wgan-gp", "sgd", "cuda", "ring", "grid", '"quoted"', "[", "]]"]),
    st.text(max_size=30),
)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(KEYS), TOML_VALUES), max_size=4))
def test_set_flags_either_apply_or_name_the_problem(pairs: list[tuple[str, str]]) -> None:
    items = [f"{key}={value}" for key, value in pairs]
    try:
        changes = parse_assignments(items)
        config = BASE.with_changes(changes)
    except (BadInput, ConfigError) as exc:
        assert str(exc).strip()
        return
    for key in changes:
        section, _, name = key.partition(".")
        assert hasattr(getattr(config, section), name)


def test_a_set_value_nested_too_deeply_is_bad_input() -> None:
    try:
        parse_assignments(["training.lr_d=" + "[" * 3000 + "]" * 3000])
    except BadInput as exc:
        assert "nested too deeply" in str(exc)
    else:
        raise AssertionError("accepted a 3,000-deep value")


NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(["", " ", "x", "1e39", "-0", "0x10", "1,5", '"1"', "\ufeff1"]),
)
CSV_LINE = st.one_of(
    st.tuples(NUMBER, NUMBER).map(",".join),
    st.lists(NUMBER, max_size=4).map(",".join),
    st.text(max_size=20),
)


@FUZZ
@given(lines=st.lists(CSV_LINE, max_size=12), bom=st.booleans(), crlf=st.booleans())
def test_csv_files_either_load_finite_points_or_name_the_line(
    tmp_path: Path, lines: list[str], bom: bool, crlf: bool
) -> None:
    path = tmp_path / "points.csv"
    text = ("\r\n" if crlf else "\n").join(lines)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8", "surrogatepass"))
    try:
        points = read_points_csv(path)
    except ConfigError as exc:
        assert "target.file" in str(exc)
        return
    assert points.ndim == 2 and points.shape[1] == 2 and points.shape[0] >= 1
    assert all(math.isfinite(v) for v in points.flatten().tolist())


@FUZZ
@given(
    name=st.sampled_from(["a.mp4", "a.gif", "a.png", "a.csv", "a.txt", "a", "a[1].gif", "."]),
    steps=st.integers(min_value=-5, max_value=10**7),
    every=st.one_of(st.none(), st.integers(min_value=-5, max_value=10**6)),
    fps=st.integers(min_value=-5, max_value=500),
    size=st.one_of(st.none(), st.sampled_from(["1280x720", "10x10", "99999x2", "x", "axb", ""])),
    scale=st.floats(allow_nan=True, allow_infinity=True),
    panels=st.one_of(st.none(), st.sampled_from(["samples", "samples,charts", "nope", ",", ""])),
    title=st.text(max_size=250),
)
def test_export_flags_either_validate_or_list_every_problem(
    tmp_path: Path,
    name: str,
    steps: int,
    every: int | None,
    fps: int,
    size: str | None,
    scale: float,
    panels: str | None,
    title: str,
) -> None:
    try:
        options = build_options(
            tmp_path / name,
            steps=steps,
            every=every,
            fps=fps,
            size=size,
            scale=scale,
            panels=panels,
            title=title,
            overwrite=True,
        )
    except ExportError as exc:
        assert all(line.startswith("--") for line in str(exc).splitlines())
        return
    assert options.steps >= 0 and options.every >= 1 and options.fps >= 1
