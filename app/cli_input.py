"""The command line's own inputs, read and checked before any work: `--set` assignments,
`--seeds` ranges and `--sweep` lists (counted before they are built, so 1e7 runs are refused
in a millisecond, not after 2.7 GB), output paths, and the terminal's progress bar."""

from __future__ import annotations

import argparse
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

MAX_SWEEP_RUNS = 256


class BadInput(Exception):
    """A user error the command reports in one line per problem, with exit code 2."""


def parse_assignments(items: Sequence[str]) -> dict[str, Any]:
    """`--set training.lr_d=1e-3` pairs; values are TOML (numbers, true, [0.5, 0.9]) or text."""
    changes: dict[str, Any] = {}
    problems = []
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            problems.append(f"--set {item}: expected section.key=value, e.g. training.lr_d=1e-3")
            continue
        try:
            value = tomllib.loads(f"v = {raw.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw.strip()
        except RecursionError:
            problems.append(f"--set {key.strip()}: the value is nested too deeply to read")
            continue
        changes[key.strip()] = value
    if problems:
        raise BadInput("\n".join(problems))
    return changes


def progress_bar(stream: Any) -> Any:
    """A one-line progress bar on a terminal; nothing when output is piped."""
    if not stream.isatty():
        return None

    def show(done: int, total: int, text: str = "") -> None:
        width = 30
        filled = int(width * done / max(total, 1))
        end = "\n" if done >= total else ""
        stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {text}{end}")
        stream.flush()

    return show


def plan_runs(
    args: argparse.Namespace, base: Any, low: int, high: int, what: str
) -> list[tuple[dict[str, Any], int]]:
    """Every (--sweep values, seed) pair to run, counted before any is built: the sweep's
    values as given (a swept training.seed is the run's seed), each on every --seeds seed.
    Conflicting ways of choosing seeds and a repeated --sweep key are errors naming both."""
    import itertools
    import math

    sweeps = parse_sweeps(args.sweep or [])
    swept = [key for key, _ in sweeps]
    swept_seed = "training.seed" in swept
    set_seed = any(item.partition("=")[0].strip() == "training.seed" for item in args.set or [])
    if args.seeds and args.seed is not None:
        raise BadInput("--seed and --seeds: both choose the seed; give one (--seeds 0-7 runs each)")
    if args.seeds and swept_seed:
        raise BadInput("--sweep training.seed and --seeds: both choose seeds; give one of them")
    if args.seed is not None and swept_seed:
        raise BadInput("--seed and --sweep training.seed: both choose the seed; give one")
    if set_seed and (args.seeds or swept_seed):
        flag = "--seeds" if args.seeds else "--sweep training.seed"
        raise BadInput(f"--set training.seed and {flag}: both choose the seed; give one")
    combinations = math.prod(len(values) for _, values in sweeps)
    seeds = parse_seeds(args.seeds) if args.seeds else [base.training.seed]
    total = combinations * len(seeds)
    if not low <= total <= high:
        raise BadInput(f"--sweep/--seeds: {total:,} runs; {what}")
    runs = []
    for combo in itertools.product(*[values for _, values in sweeps]):
        variant = dict(zip(swept, combo, strict=True))
        for seed in [variant["training.seed"]] if swept_seed else seeds:
            runs.append((variant, seed))
    return runs


MAX_SEEDS = 10_000


def parse_seeds(text: str, limit: int = MAX_SEEDS) -> list[int]:
    """'0-19' or '0,3,7-9' -> the seeds in order; BadInput naming --seeds otherwise. The
    seeds are counted before the list is built: more than `limit` is an error."""
    from models.knobs import MAX_SEED

    ranges: list[tuple[int, int]] = []
    count = 0
    for part in text.split(","):
        low, dash, high = part.strip().partition("-")
        try:
            first = int(low)
            last = int(high) if dash else first
        except ValueError:
            raise BadInput(
                f"--seeds: expected seeds and ranges such as 0-19 or 0,3,7-9; got {text[:60]!r}"
            ) from None
        if not 0 <= first <= last <= MAX_SEED:
            raise BadInput(f"--seeds: {part.strip()[:40]!r} is not a range of seeds 0..{MAX_SEED}")
        count += last - first + 1
        if count > limit:
            raise BadInput(f"--seeds: more than {limit:,} seeds (at most {limit:,} here)")
        ranges.append((first, last))
    return list(dict.fromkeys(seed for first, last in ranges for seed in range(first, last + 1)))


def parse_fork_steps(text: str, limit: int = 16) -> list[int]:
    """'1000,15000' -> the steps, ascending; BadInput naming --at otherwise."""
    from models.config import MAX_LESSON_LENGTH

    try:
        steps = sorted({int(part) for part in text.split(",")})
    except ValueError:
        raise BadInput(f"--at: expected steps such as 1000,15000; got {text[:60]!r}") from None
    if not steps or len(steps) > limit or not 1 <= steps[0] <= steps[-1] <= MAX_LESSON_LENGTH:
        raise BadInput(
            f"--at: 1 to {limit} steps, each 1 to {MAX_LESSON_LENGTH:,}; got {text[:60]!r}"
        )
    return steps


def check_destination(path: str | None, flag: str, overwrite: bool) -> Path | None:
    from models.atomic import destination_problem

    if path is None:
        return None
    problem = destination_problem(Path(path), flag, overwrite)
    if problem:
        raise BadInput(problem)
    return Path(path).expanduser()


def parse_sweeps(items: Sequence[str]) -> list[tuple[str, list[Any]]]:
    """`--sweep training.lr_d=1e-4,1e-3` -> [("training.lr_d", [1e-4, 1e-3])]. A key given
    in two --sweep flags is an error (the earlier values were dropped without a word)."""
    sweeps: list[tuple[str, list[Any]]] = []
    for item in items:
        key, sep, raw = item.partition("=")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not sep or not key.strip() or not values:
            raise BadInput(
                f"--sweep {item[:80]}: expected KEY=VALUE,VALUE,..., e.g. training.lr_d=1e-4,1e-3"
            )
        if key.strip() in (k for k, _ in sweeps):
            raise BadInput(
                f"--sweep {key.strip()}: given twice; list every value in one --sweep "
                f"{key.strip()}=A,B,C"
            )
        if len(values) > MAX_SWEEP_RUNS:
            raise BadInput(
                f"--sweep {key.strip()}: {len(values):,} values; at most {MAX_SWEEP_RUNS}"
            )
        parsed = []
        for value in values:
            try:
                parsed.append(tomllib.loads(f"v = {value}")["v"])
            except (tomllib.TOMLDecodeError, RecursionError):
                parsed.append(value)
        sweeps.append((key.strip(), parsed))
    return sweeps


def scene_config(args: argparse.Namespace) -> tuple[Any, Any]:
    """The scene named on the command line with its --set and --seed overrides applied."""
    from scenes.loader import resolve

    scene = resolve(args.scene)
    changes = parse_assignments(args.set or [])
    if args.seed is not None:
        changes["training.seed"] = args.seed
    config = scene.config.with_changes(changes) if changes else scene.config
    return scene, config
