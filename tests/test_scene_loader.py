"""The scene loader under abuse: always a clean ConfigError, never a crash."""

from __future__ import annotations

from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from models.atomic import write_atomic
from models.config import ConfigError
from scenes.loader import (
    library,
    load_scene_file,
    parse_scene_text,
    resolve,
)

SECTIONS = [
    "scene",
    "target",
    "generator",
    "discriminator",
    "training",
    "regularization",
    "view",
    "checks",
    "nonsense",
    "",
]
KEYS = [
    "kind",
    "modes",
    "radius",
    "std",
    "depth",
    "width",
    "activation",
    "lr_d",
    "loss",
    "batch",
    "seed",
    "pack",
    "betas",
    "means",
    "file",
    "title",
    "z_dim",
    "x",
    "é",
]
TOML_VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda f: repr(f).replace("inf", "inf")),
    st.text(max_size=20).map(lambda s: '"' + s.replace("\\", "").replace('"', "") + '"'),
    st.sampled_from(["true", "false", "[]", "[1, 2]", "[[0, 0]]", "{}", "nan", "-inf", "1e999"]),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(SECTIONS), st.sampled_from(KEYS), TOML_VALUES), max_size=6)
)
def test_structured_garbage_is_a_clean_error(entries: list[tuple[str, str, str]]) -> None:
    lines = []
    for section, key, value in entries:
        if section:
            lines.append(f"[{section}]")
        lines.append(f"{key} = {value}")
    try:
        parse_scene_text("\n".join(lines))
    except ConfigError as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_is_a_clean_error(text: str) -> None:
    try:
        parse_scene_text(text)
    except ConfigError as exc:
        assert exc.problems


def test_error_names_the_key_and_allowed_values() -> None:
    with pytest.raises(ConfigError) as info:
        parse_scene_text('[generator]\nactivation = "swish"\nwidth = -3\n[trainig]\n')
    text = str(info.value)
    assert "generator.activation" in text and "'leaky_relu'" in text
    assert "generator.width" in text and "trainig: unknown key" in text


def test_a_check_on_an_unknown_metric_names_the_allowed_metrics() -> None:
    with pytest.raises(ConfigError) as info:
        parse_scene_text('[[checks]]\nmetric = "mode_covered"\n')
    text = str(info.value)
    assert "checks[0].metric" in text and "'modes_covered'" in text and "'w1'" in text


def test_huge_and_unicode_values(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        parse_scene_text("[training]\nbatch = 99999999999999999\n")
    assert "training.batch" in str(info.value)
    scene = parse_scene_text('[scene]\ntitle = "Modus-Kollaps — 模式崩溃 🎯"\n')
    assert scene.config.scene.title.endswith("🎯")
    big = tmp_path / "big.toml"
    big.write_text("# " + "x" * 2_000_000)
    with pytest.raises(ConfigError):
        load_scene_file(big)


def test_every_shipped_scene_round_trips_through_toml(tmp_path: Path) -> None:
    for scene in library():
        path = tmp_path / f"{scene.name}.toml"
        write_atomic(path, scene.config.to_toml())
        again = load_scene_file(path) if scene.config.target.kind != "points" else None
        if again is not None:
            assert again.config == scene.config, scene.name


def test_relative_csv_resolves_against_the_scene_folder() -> None:
    scene = resolve("sandbox_points")
    assert scene.base_dir is not None and (scene.base_dir / scene.config.target.file).exists()


def test_atomic_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "keep.toml"
    target.write_text("old")

    class Boom(Exception):
        pass

    class Exploding(str):
        def encode(self, *args: object) -> bytes:
            raise Boom

    with pytest.raises(Boom):
        write_atomic(target, Exploding("new"))
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.toml"]


def test_a_lesson_length_is_a_positive_bounded_integer_its_claims_stay_within() -> None:
    assert parse_scene_text("[scene]\nlength = 20000\n").config.lesson_length == 20000
    for bad in ("0", "-5", "2.5", '"long"', "10000000"):
        with pytest.raises(ConfigError) as info:
            parse_scene_text(f"[scene]\nlength = {bad}\n")
        assert "scene.length" in str(info.value), bad
    with pytest.raises(ConfigError) as info:
        parse_scene_text("[scene]\nlength = 2000\n[[checks]]\nsteps = 3000\n")
    assert "checks[0].steps (3,000) is past scene.length (2,000)" in str(info.value)


def test_a_scene_without_a_length_lasts_its_longest_claim_and_at_least_5000_steps() -> None:
    assert parse_scene_text("").config.lesson_length == 5000
    assert parse_scene_text("[[checks]]\nsteps = 8000\n").config.lesson_length == 8000
