"""`ganscope diagnose`: train a scene (or continue a saved session) headless and print what
the doctor (models/diagnosis) finds, in words. No Qt."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.cli_input import BadInput, parse_assignments, progress_bar, scene_config

DEFAULT_STEPS = 1000  # a scene without claims: what most lessons need to show their failure


def cmd_diagnose(args: argparse.Namespace) -> int:
    from models import run
    from models.diagnosis.doctor import diagnose
    from models.engine import Trainer
    from models.session_file import SUFFIX, open_session
    from scenes.checks import DIRAC_LOG_EVERY, LOG_EVERY, steps_needed

    if args.steps is not None and args.steps < 0:
        raise BadInput(f"--steps: must be >= 0; got {args.steps}")
    history = None
    if Path(args.scene).suffix == SUFFIX:
        if args.seed is not None:
            raise BadInput("--seed: a saved session keeps its own seed; give no --seed")
        trainer, saved = open_session(Path(args.scene))
        if args.set:
            trainer.apply(parse_assignments(args.set))
        history, name, steps = saved.history, saved.scene_name, args.steps or 0
    else:
        scene, config = scene_config(args)
        trainer = Trainer(config.with_changes({"training.device": "cpu"}), scene.base_dir)
        name = scene.name
        default = steps_needed(scene.config.checks) or DEFAULT_STEPS
        steps = args.steps if args.steps is not None else default
    # rows as the scene checks log them: the spacing the doctor's thresholds were measured at
    every = DIRAC_LOG_EVERY if trainer.config.is_dirac else LOG_EVERY
    show = progress_bar(sys.stderr)
    end = trainer.step_count + steps

    def progress(snapshot: object) -> None:
        if show:
            show(getattr(snapshot, "step", 0), end)

    if steps or history is None:
        history = run.train(trainer, steps, max(1, min(every, steps)), progress, history=history)
    findings = diagnose(history, trainer.config)
    seed = trainer.config.training.seed
    print(f"{name}, seed {seed}, {history.last_step} steps:")
    if trainer.diverged:
        print(f"  {trainer.diverged}")
    if not findings:
        print("  no finding: nothing the doctor can name is going wrong")
    for finding in findings:
        print("  " + finding.describe().replace("\n", "\n  "))
    return 0


def add_parser(sub: argparse._SubParsersAction) -> None:
    doctor = sub.add_parser(
        "diagnose", help="train a scene (or continue a session) and say what is going wrong"
    )
    doctor.add_argument("scene", help="shipped scene name, .toml file or .ganscope session")
    doctor.add_argument(
        "--steps",
        type=int,
        help="iterations to train (default: the scene's claims' length; a session: none)",
    )
    doctor.add_argument("--seed", type=int, help="override training.seed")
    doctor.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a setting (repeatable)"
    )
    doctor.set_defaults(func=cmd_diagnose)
