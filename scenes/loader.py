"""Scene files: load and validate TOML, list the shipped library, write scenes back out."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from models.config import ConfigError, TrainConfig, parse_config
from models.targets import build_target
from models.textfile import describe_bytes, read_text_bounded

LIBRARY = Path(__file__).resolve().parent / "library"
RESOURCES = Path(__file__).resolve().parent.parent / "resources"
MAX_SCENE_BYTES = 1_000_000


@dataclass(frozen=True)
class Scene:
    name: str  # file stem, used on the command line and in the picker
    config: TrainConfig
    path: Path | None = None

    @property
    def base_dir(self) -> Path | None:
        """Where relative paths in the scene (point-cloud files) resolve."""
        return self.path.parent if self.path else None


def parse_scene_text(text: str, name: str = "scene", path: Path | None = None) -> Scene:
    """Validate TOML text into a Scene; every problem is a ConfigError line naming its key."""
    try:
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{name}: not valid TOML ({exc})"]) from None
    except RecursionError:
        raise ConfigError([f"{name}: arrays or tables nested too deeply to read"]) from None
    config = parse_config(data)
    _claims_within_length(config, name)
    if config.diagnosis and config.scene.role != "failure":
        raise ConfigError(
            [
                f"{name}: diagnosis: only a failure scene declares the finding it teaches "
                f"(scene.role is '{config.scene.role}')"
            ]
        )
    scene = Scene(name, config, path)
    if config.target.kind == "points":
        build_target(config.target, scene.base_dir)  # read and check the CSV now, not mid-run
    return scene


def _claims_within_length(config: TrainConfig, name: str) -> None:
    """A claim past `scene.length` would be about steps the lesson never shows."""
    length = config.scene.length
    if length is None:
        return
    problems = [
        f"{name}: checks[{index}].steps ({check.steps:,}) is past scene.length ({length:,}):"
        " a claim is about steps the lesson shows (raise scene.length, or end the claim there)"
        for index, check in enumerate(config.checks)
        if check.steps > length
    ]
    if problems:
        raise ConfigError(problems)


def load_scene_file(path: Path) -> Scene:
    text = read_text_bounded(path, MAX_SCENE_BYTES, "scene file")
    return parse_scene_text(text, scene_name(path), path)


def scene_name(path: Path) -> str:
    """A library file's name without its ordering number: 10_mode_collapse -> mode_collapse."""
    prefix, _, rest = path.stem.partition("_")
    return rest if prefix.isdigit() and rest else path.stem


def library_paths() -> list[Path]:
    return sorted(LIBRARY.glob("*.toml"))


def library() -> list[Scene]:
    """Every shipped scene, in file-name order (files are numbered by lesson)."""
    return [load_scene_file(path) for path in library_paths()]


def scene_names() -> list[str]:
    return [scene_name(path) for path in library_paths()]


def resolve(name_or_file: str) -> Scene:
    """A scene by file path, or by shipped name (with or without its number prefix)."""
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.exists():
        if not path.exists():
            raise ConfigError([f"{name_or_file}: no such scene file"])
        return load_scene_file(path)
    for candidate in library_paths():
        if name_or_file in (candidate.stem, scene_name(candidate)):
            return load_scene_file(candidate)
    names = ", ".join(scene_names())
    raise ConfigError([f"{name_or_file}: no such scene (shipped: {names}; or give a .toml file)"])


def portable_config(config: TrainConfig, base_dir: Path | None) -> TrainConfig:
    """The config with its point-cloud file made absolute, so a copy of the scene saved in
    another folder still finds its data. Inline points (drawn data) need nothing."""
    target = config.target
    if target.kind != "points" or not target.file or base_dir is None:
        return config
    if Path(target.file).is_absolute():
        return config
    return config.with_changes({"target.file": str((base_dir / config.target.file).resolve())})


def scene_file_text(config: TrainConfig, base_dir: Path | None) -> str:
    """The config as scene-file text (portable), or ConfigError if the file would be over
    the size the loader reads back (drawn points take ~48 bytes each: about 20,000 fit), so
    a saved scene always opens again."""
    text = portable_config(config, base_dir).to_toml()
    size = len(text.encode("utf-8"))
    if size > MAX_SCENE_BYTES:
        points = len(config.target.points)
        limit = describe_bytes(MAX_SCENE_BYTES)
        why = f" (its {points:,} inline points): save a session instead" if points else ""
        raise ConfigError(
            [f"the scene would be {describe_bytes(size)}, over the {limit} limit{why}"]
        )
    return text
