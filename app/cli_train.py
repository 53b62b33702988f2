"""`ganscope train`: one run, a resumed session, or a sweep of runs trained as stacked
models; the final metrics as a line of text or JSON, the time series as CSV."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from app.cli_input import (
    MAX_SWEEP_RUNS,
    BadInput,
    check_destination,
    parse_assignments,
    plan_runs,
    progress_bar,
    scene_config,
)
from models.metric_keys import CONTRACT_KEYS, DIRAC_KEYS

EXIT_OK, EXIT_FAILED = 0, 1


def _write_output(flag: str, path: Path, write: Any) -> None:
    """Run `write()`; an OS error (a full disk, a destination planted meanwhile) becomes one
    line naming the flag (exit 2), and the old file, if any, is left as it was."""
    from models.atomic import describe_os_error

    try:
        write()
    except OSError as exc:
        raise BadInput(f"{flag}: could not write {path}: {describe_os_error(exc)}") from None


def cmd_train(args: argparse.Namespace) -> int:
    from models import run
    from models.atomic import write_atomic
    from models.engine import Trainer
    from models.session_file import SUFFIX, open_session, save_session, saveable_problem

    if args.scene and Path(args.scene).suffix == SUFFIX and not args.resume:
        args.resume, args.scene = args.scene, None  # a saved session: it is continued
    if args.steps < 0:
        raise BadInput(f"--steps: must be >= 0; got {args.steps}")
    if args.log_every is not None and args.log_every < 1:
        raise BadInput(f"--log-every: must be >= 1; got {args.log_every}")
    if args.sweep or args.seeds:
        return train_sweep(args)
    csv_path = check_destination(args.csv, "--csv", args.overwrite)
    checkpoint = check_destination(args.checkpoint, "--checkpoint", args.overwrite)
    history = None
    if args.resume:
        if args.scene or args.seed is not None:
            raise BadInput("--resume: continues a saved session; give no scene and no --seed")
        trainer, saved = open_session(Path(args.resume))
        if args.set:
            trainer.apply(parse_assignments(args.set))
        history, name, config = saved.history, saved.scene_name, trainer.config
    else:
        if not args.scene:
            raise BadInput("train: give a scene (name or .toml file) or --resume FILE.ganscope")
        scene, config = scene_config(args)
        trainer = Trainer(config, scene.base_dir)
        name = scene.name
    if checkpoint and (problem := saveable_problem(trainer)):
        raise BadInput(f"--checkpoint: {problem}")  # before training, not after it
    show = progress_bar(sys.stderr)
    log_every = args.log_every or run.default_log_every(args.steps)
    end = trainer.step_count + args.steps

    def progress(snapshot: Any) -> None:
        if show:
            covered = snapshot.metrics.get("modes_covered")
            show(snapshot.step, end, f"modes {covered}" if covered == covered else "")

    history = run.train(trainer, args.steps, log_every, progress, history=history)
    if csv_path:
        text = run.metrics_csv(history, config.is_dirac)
        _write_output("--csv", csv_path, lambda: write_atomic(csv_path, text))
    if checkpoint:
        _write_output(
            "--checkpoint", checkpoint, lambda: save_session(checkpoint, trainer, history, name)
        )
    final = history.rows()[-1]
    if trainer.diverged:
        print(trainer.diverged, file=sys.stderr)
    about = {"scene": name, "seed": config.training.seed}
    print_record(final, about, trainer.diverged, args.json, findings(history, trainer.config))
    return EXIT_FAILED if trainer.diverged else EXIT_OK


def findings(history: Any, config: Any) -> list[dict[str, Any]]:
    """The doctor's findings on a run, as `--json` lists them (empty when healthy)."""
    from models.diagnosis.doctor import diagnose

    return [finding.to_json() for finding in diagnose(history, config)]


def print_record(
    final: dict[str, float],
    about: dict[str, Any],
    diverged: str | None,
    as_json: bool,
    diagnosis: list[dict[str, Any]],
) -> None:
    """One run's final metrics and the doctor's findings: a JSON object (undefined values
    null), or a line of text (the findings named at its end)."""
    from models import run

    if as_json:
        report: dict[str, Any] = {k: run.json_ready(v) for k, v in final.items()}
        report.update(about, diverged=diverged, diagnosis=diagnosis)
        print(json.dumps(report))
    else:
        keys = [k for k in (*CONTRACT_KEYS, *DIRAC_KEYS) if k in final and final[k] == final[k]]
        head = " ".join(f"{k}={v}" for k, v in about.items() if k != "scene")
        named = "  diagnosis: " + ", ".join(f["name"] for f in diagnosis) if diagnosis else ""
        line = "  ".join(f"{k}={final[k]:.4g}" for k in keys)
        print(head + ("  " if head else "") + line + named)


def train_sweep(args: argparse.Namespace) -> int:
    """Every combination of the --sweep values, on every --seeds seed: one record each.
    Runs of one shape train as one stacked model (the same numbers as one by one)."""
    from models import run
    from models.engine.batched import RunGroup

    for flag, given in (
        ("--csv", args.csv),
        ("--checkpoint", args.checkpoint),
        ("--resume", args.resume),
    ):
        if given:
            raise BadInput(f"{flag}: one run only; with --sweep or --seeds use --json")
    if not args.scene:
        raise BadInput("train: give a scene (name or .toml file)")
    scene, base = scene_config(args)
    runs = plan_runs(args, base, low=1, high=MAX_SWEEP_RUNS, what=f"at most {MAX_SWEEP_RUNS}")
    configs, about = [], []
    for variant, seed in runs:
        config = base.with_changes({**variant, "training.seed": seed})
        configs.append(config)
        about.append({"scene": scene.name, "seed": config.training.seed, "variant": variant})
    show = progress_bar(sys.stderr)
    log_every = args.log_every or run.default_log_every(args.steps)
    group = RunGroup(configs, scene.base_dir)

    def progress(done: int) -> None:
        if show:
            show(done, args.steps, f"{len(configs)} runs")

    histories = run.train_group(group, args.steps, log_every, progress)
    failed = False
    for trainer, history, facts in zip(group.trainers, histories, about, strict=True):
        diagnosis = findings(history, trainer.config)
        print_record(history.rows()[-1], facts, trainer.diverged, args.json, diagnosis)
        failed = failed or trainer.diverged is not None
    return EXIT_FAILED if failed else EXIT_OK
