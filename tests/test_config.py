"""Config validation: every bad value is a readable line that names its key."""

from __future__ import annotations

import pytest

from models.config import ConfigError, parse_config


def problems(data: dict) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(data)
    return info.value.problems


def test_empty_scene_is_the_default_ring() -> None:
    config = parse_config({})
    assert config.target.kind == "ring"
    assert config.target.modes == 8
    assert config.training.loss == "ns"


@pytest.mark.parametrize(
    ("data", "key", "allowed"),
    [
        ({"training": {"lr_d": -1e-3}}, "training.lr_d", "greater than 0"),
        ({"generator": {"width": 0}}, "generator.width", "greater than or equal to 1"),
        ({"target": {"std": -1.0}}, "target.std", "greater than or equal to 0"),
        ({"target": {"std": 0.0}}, "target", "only for the Dirac-GAN"),
        ({"training": {"batch": 0}}, "training.batch", "greater than or equal to 1"),
        ({"training": {"loss": "wgan2"}}, "training.loss", "'hinge'"),
        ({"discriminator": {"activation": "swish"}}, "discriminator.activation", "'leaky_relu'"),
        ({"training": {"lr_g": "fast"}}, "training.lr_g", "valid number"),
        ({"training": {"betas": [0.5, 1.5]}}, "training.betas", "[0, 1)"),
        ({"training": {"lr_g": float("nan")}}, "training.lr_g", "finite"),
    ],
)
def test_bad_value_names_key_and_what_is_allowed(data: dict, key: str, allowed: str) -> None:
    [line] = problems(data)
    assert line.startswith(f"{key}:")
    assert allowed in line


def test_unknown_keys_are_errors_because_they_are_typos() -> None:
    lines = problems({"training": {"lr_dd": 1e-3}, "trainig": {}})
    assert any(line.startswith("training.lr_dd: unknown key") for line in lines)
    assert any(line.startswith("trainig: unknown key") for line in lines)


def test_all_problems_are_reported_at_once() -> None:
    lines = problems({"training": {"lr_d": -1, "batch": 0}, "generator": {"depth": 0}})
    assert len(lines) == 3


def test_cross_section_rule_batch_multiple_of_pack() -> None:
    [line] = problems({"training": {"batch": 10}, "regularization": {"pack": 4}})
    assert "training.batch" in line and "regularization.pack" in line


def test_gaussian_mixture_lengths_must_agree() -> None:
    [line] = problems({"target": {"kind": "gaussians", "means": [[0, 0], [1, 1]], "stds": [0.1]}})
    assert line.startswith("target:") and "stds has 1 entries but means has 2" in line


def test_with_changes_validates_and_leaves_original_alone() -> None:
    config = parse_config({})
    changed = config.with_changes({"training.lr_d": 3e-4, "regularization.r1_gamma": 1.0})
    assert changed.training.lr_d == 3e-4 and changed.regularization.r1_gamma == 1.0
    assert config.training.lr_d == 1e-3
    with pytest.raises(ConfigError) as info:
        config.with_changes({"training.nope": 1, "training.batch": -2})
    assert [p.split(":")[0] for p in info.value.problems] == ["training.nope", "training.batch"]


def test_wgan_gp_defaults_to_lambda_10_unless_set() -> None:
    assert parse_config({"training": {"loss": "wgan-gp"}}).gradient_penalty == 10.0
    explicit = {"training": {"loss": "wgan-gp"}, "regularization": {"gradient_penalty": 1.0}}
    assert parse_config(explicit).gradient_penalty == 1.0
    assert parse_config({}).gradient_penalty == 0.0


def test_every_knob_is_a_config_key_bounded_as_the_table_says() -> None:
    from models.knobs import KNOBS

    config = parse_config({})
    for knob in KNOBS:
        config.value(knob.key)  # every knob is a key of the scene file
        if knob.kind not in ("float", "int") or knob.low is None:
            continue
        if knob.kind == "int":
            outside: float = int(knob.low) - 1
        else:
            outside = knob.low if knob.above_low else knob.low - 1.0
        with pytest.raises(ConfigError) as info:
            config.with_changes({knob.key: outside})
        assert info.value.problems[0].startswith(knob.key), knob.key


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("training.batch", True),
        ("training.lr_d", True),
        ("generator.batch_norm", "yes"),
        ("generator.batch_norm", 1),
        ("training.batch", 256.0),
    ],
)
def test_types_are_strict_not_coerced(key: str, value: object) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({}).with_changes({key: value})
    assert info.value.problems[0].startswith(key)


def test_schema_version_must_be_the_integer_1() -> None:
    [line] = problems({"schema_version": True})
    assert line.startswith("schema_version:")


def test_a_typo_suggests_the_knob() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({}).with_changes({"training.lr_dd": 1e-3})
    assert "did you mean training.lr_d?" in info.value.problems[0]
