"""The `ganscope` command. Headless subcommands (train, diagnose, scenes, bench's engine
part) never import Qt, so they run on a server or in a terminal without a display.

Exit codes: 0 ok, 2 bad input (the message names the key or flag and what is allowed),
1 anything else (including a run that diverged).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from app.cli_diagnose import add_parser as add_diagnose_parser
from app.cli_input import (
    BadInput,
    parse_fork_steps,
    parse_seeds,
    plan_runs,
    progress_bar,
    scene_config,
)
from app.cli_train import cmd_train
from models.config import ConfigError

if TYPE_CHECKING:
    from models.history import MetricHistory
    from scenes.live_fix import LiveFix
    from scenes.loader import Scene

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
_FIRST_SENTENCE = re.compile(r"(?<!\bal)\.\s")  # a full stop, but not the one in "et al."


def cmd_scenes(args: argparse.Namespace) -> int:
    from scenes.loader import library

    group = None
    for scene in library():
        info = scene.config.scene
        if info.group != group:
            group = info.group
            print(f"\n{group}")
        role = {"failure": "x", "fix": "+", "sandbox": " ", "reproduction": "="}[info.role]
        story = _FIRST_SENTENCE.split(info.story)[0].strip().rstrip(".")
        print(f"  {role} {scene.name:34s} {info.title}: {story}.")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Render frames headless (offscreen Qt; CSV needs no Qt at all) and encode them."""
    from app.export.options import ExportError, build_options, caption_title
    from app.export.run import ExportCancelled, export_scene, export_variants

    scene, config = scene_config(args)
    variants = export_variant_list(args, scene, config)
    try:
        options = build_options(
            args.out,
            args.steps,
            every=args.every,
            fps=args.fps,
            size=args.size,
            scale=args.scale,
            panels=args.panels,
            caption=args.caption,
            overwrite=args.overwrite,
            dirac=config.is_dirac,
            title=args.title or caption_title(scene.config, config),
        )
    except ExportError as exc:
        raise BadInput(str(exc)) from None
    # Ctrl-C, or a GUI's Cancel (SIGTERM): stop at the next frame and delete the temporary
    # file. (An exception raised inside the handler could be swallowed by pyqtgraph's paint.)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    show = progress_bar(sys.stderr)

    def progress(done: int, total: int) -> None:
        if args.progress_lines:
            print(json.dumps({"done": done, "total": total}), flush=True)
        elif show:
            show(done, total, "frames" if options.format != "csv" else "rows")

    try:
        if variants:
            configs, labels = variants
            result = export_variants(
                configs, labels, scene.base_dir, options, progress, stop.is_set
            )
        else:
            result = export_scene(config, scene.base_dir, options, progress, stop.is_set)
    except ExportError as exc:
        raise BadInput(str(exc)) from None
    except ExportCancelled:
        print("ganscope: export cancelled; nothing was written", file=sys.stderr)
        return EXIT_FAILED
    unit = "rows" if options.format == "csv" else "frames"
    print(
        f"wrote {result.path} ({result.frames} {unit}, {result.bytes / 1e6:.2f} MB, "
        f"{result.frames_per_second:.1f} {unit}/s)",
        file=sys.stderr,
    )
    if result.diverged:
        print(f"{result.diverged} (exported up to there)", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def export_variant_list(
    args: argparse.Namespace, scene: Any, config: Any
) -> tuple[list[Any], list[str]] | None:
    """The variants an export shows side by side: --variant files (the window's compare mode
    writes them) or --sweep/--seeds combinations; None for one run."""
    from models.engine.changes import label
    from scenes.loader import resolve

    if args.variant:
        configs = [config] + [resolve(v).config for v in args.variant]
        labels = list(args.label or [])
        if len(labels) != len(configs):
            raise BadInput(
                f"--label: give one per run ({len(configs)}: the scene and each --variant)"
            )
        return configs, labels
    if not (args.sweep or args.seeds):
        return None
    runs = plan_runs(args, config, low=2, high=8, what="an export shows 2 to 8 runs side by side")
    configs, labels = [], []
    for variant, seed in runs:
        configs.append(config.with_changes({**variant, "training.seed": seed}))
        words = [label(k, v) for k, v in variant.items()] + ([f"seed {seed}"] if args.seeds else [])
        labels.append("; ".join(words))
    return configs, labels


MAX_JOBS = 64


def max_jobs() -> int:
    """calibrate's --jobs at most: one torch process per core, and never more than 64."""
    return max(1, min(os.cpu_count() or 1, MAX_JOBS))


def cmd_live_fix(scenes: list[Scene], seeds: list[int], fork_steps: list[int]) -> int:
    """Each chosen failure (or a chosen fix's failure) trained once per seed and forked at
    steps 1,000 to 30,000 with each of its live fixes set: per fix and step, the seeds on
    which the fix's claims hold, counted from the change."""
    from scenes.live_fix import is_live, live_fixes
    from scenes.loader import library, resolve

    chosen = {scene.name for scene in scenes}
    failures: dict[str, Scene] = {}
    for scene in scenes:
        info = scene.config.scene
        if info.role in ("failure", "fix"):
            failure = scene if info.role == "failure" else resolve(info.pair)
            failures.setdefault(failure.name, failure)
    failed = 0
    started = time.perf_counter()
    for failure in failures.values():
        fixes = [
            fix
            for fix in library()
            if fix.config.scene.role == "fix"
            and fix.config.scene.pair == failure.name
            and (fix.name in chosen or failure.name in chosen)
            and is_live(failure, fix)
        ]
        if not fixes:
            continue
        print(f"{failure.name}, set live: {', '.join(f.name for f in fixes)}", flush=True)
        for result in live_fixes(failure, fixes, seeds, fork_steps, _print_live_fix):
            failed += len(seeds) - len(result.passing)
    print(f"checked in {time.perf_counter() - started:.0f} s", flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def _print_live_fix(result: LiveFix) -> None:
    print(f"  {result.line()}", flush=True)


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Every claim of the chosen scenes over seeds: pass counts and the worst seed per claim
    (the figures behind the scene library), and each seed's figures with --verbose."""
    from scenes.checks import (
        calibrate,
        run_seeds_in_parallel,
        seeds_where_failure_passes,
        steps_needed,
    )
    from scenes.loader import library, resolve

    seeds = parse_seeds(args.seeds)
    jobs_cap = max_jobs()
    if not 1 <= args.jobs <= jobs_cap:
        raise BadInput(
            f"--jobs: must be 1 to {jobs_cap} (one process per core, {MAX_JOBS} at most); "
            f"got {args.jobs}"
        )
    scenes = [resolve(name) for name in args.scenes] if args.scenes else library()
    if args.live_fix:
        return cmd_live_fix(scenes, seeds, parse_fork_steps(args.at))
    failed = 0
    runs: dict[str, dict[int, MetricHistory]] = {}  # scene -> seed -> its longest run so far
    started = time.perf_counter()
    for scene in scenes:
        checks = [c for c in scene.config.checks if c.fast or not args.fast]
        if not checks:
            continue
        print(f"{scene.name}: {scene.config.scene.title}", flush=True)
        report = calibrate(
            scene, checks, seeds, on_seed=print if args.verbose else None, jobs=args.jobs
        )
        runs[scene.name] = report.histories
        for line in report.lines():
            print(f"  {line}", flush=True)
        if scene.config.scene.role == "fix":
            failure = resolve(scene.config.scene.pair)
            steps = steps_needed(checks)
            failure_runs = runs.get(failure.name, {})
            if any(h.last_step < steps for h in failure_runs.values()) or not failure_runs:
                histories = run_seeds_in_parallel(failure, seeds, steps, args.jobs)
                failure_runs = runs[failure.name] = dict(zip(seeds, histories, strict=True))
            same = seeds_where_failure_passes(checks, failure_runs)
            print(
                f"  {len(seeds) - len(same):>3}/{len(seeds)}  beats {failure.name} "
                f"(the failure meets every claim above on seeds: {same or 'none'})",
                flush=True,
            )
            failed += len(same)
        print(f"  ({report.seconds:.0f} s)", flush=True)
        failed += report.failures
    print(f"calibrated in {time.perf_counter() - started:.0f} s", flush=True)
    return EXIT_FAILED if failed else EXIT_OK


def cmd_knobs(args: argparse.Namespace) -> int:
    """Every setting a scene file, --set or the window's controls can change."""
    from models.knobs import KNOBS

    section = ""
    for knob in KNOBS:
        if knob.section != section:
            section = knob.section
            print(f"\n[{section}]")
        print(f"  {knob.key:44s} {knob.describe_range()}  ({knob.effect})")
        if args.verbose:
            print(f"      {knob.help}")
    return EXIT_OK


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 10 <= seconds <= 86_400:
        raise argparse.ArgumentTypeError(f"{text!r}: give seconds from 10 to 86400")
    return seconds


def cmd_bench(args: argparse.Namespace) -> int:
    if args.soak is not None:
        from app.bench.gui import soak_probe  # imports Qt, so only when asked

        report = soak_probe(args.soak)
    else:
        from app.bench.engine import run_bench

        report = run_bench(quick=args.quick, gui=not args.no_gui)
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:32s} {value}")
    return EXIT_OK


def cmd_gui(args: argparse.Namespace) -> int:
    from app.gui import run_gui

    return run_gui(
        getattr(args, "scene", None),
        presenter=getattr(args, "presenter", False),
        play=getattr(args, "play", False),
        compare=getattr(args, "compare", None),
        slow=getattr(args, "slow", False),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ganscope", description="Watch GANs train, fail and get fixed on 2-D toy data."
    )
    sub = parser.add_subparsers(dest="command")

    opener = sub.add_parser("open", help="open the GUI on a scene (shipped name or .toml file)")
    opener.add_argument("scene")
    opener.add_argument("--presenter", action="store_true", help="start in presenter mode")
    opener.add_argument("--play", action="store_true", help="start training at once")
    opener.add_argument(
        "--slow", action="store_true", help="start in slow motion, update by update"
    )
    opener.add_argument(
        "--compare",
        choices=("fix", "seeds"),
        help="start in compare mode: the scene beside its fix, or on four seeds",
    )
    opener.set_defaults(func=cmd_gui)

    lister = sub.add_parser("scenes", help="list the shipped scenes with one-line stories")
    lister.set_defaults(func=cmd_scenes)

    trainer = sub.add_parser("train", help="train headless and print metrics")
    trainer.add_argument("scene", nargs="?", help="shipped scene name or .toml file")
    trainer.add_argument("--steps", type=int, required=True, help="iterations to run")
    trainer.add_argument("--seed", type=int, help="override training.seed")
    trainer.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a scene key, e.g. training.lr_d=1e-3 (repeatable)",
    )
    trainer.add_argument("--json", action="store_true", help="print final metrics as JSON")
    trainer.add_argument(
        "--sweep",
        action="append",
        metavar="KEY=V1,V2",
        help="train every value (repeatable: every combination); one record per run",
    )
    trainer.add_argument("--seeds", help="seeds and ranges to train, e.g. 0-7 (one record each)")
    trainer.add_argument("--csv", metavar="FILE", help="write the metrics time series as CSV")
    trainer.add_argument(
        "--checkpoint", metavar="FILE", help="save the session at the end (.ganscope)"
    )
    trainer.add_argument(
        "--resume", metavar="FILE", help="continue a saved session (bit-identical on the CPU)"
    )
    trainer.add_argument(
        "--overwrite", action="store_true", help="let --csv and --checkpoint replace a file"
    )
    trainer.add_argument(
        "--log-every",
        type=int,
        metavar="K",
        help="log metrics every K iterations (default: steps/100)",
    )
    trainer.set_defaults(func=cmd_train)
    add_diagnose_parser(sub)

    exporter = sub.add_parser(
        "export", help="render an animation (mp4, gif), a still (png, svg) or metrics (csv)"
    )
    exporter.add_argument("scene", help="shipped scene name or .toml file")
    exporter.add_argument("--steps", type=int, required=True, help="iterations to train")
    exporter.add_argument(
        "--out",
        required=True,
        help="output file: .mp4 .gif (animation), .png .svg (last frame), .csv (metrics)",
    )
    exporter.add_argument("--every", type=int, help="one frame every K iterations (default 10)")
    exporter.add_argument("--fps", type=int, default=30, help="frames per second of playback")
    exporter.add_argument(
        "--size", help="frame size in pixels, WIDTHxHEIGHT (default 1280x720; GIF 800x450)"
    )
    exporter.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="pixels per layout unit: 2 renders the same layout twice as sharp (dpi x2)",
    )
    exporter.add_argument(
        "--panels",
        help="comma-separated: samples, surface, magnitude, field, trails, manifold, charts, "
        "overview (the model diagram), phase (default samples,surface,field,charts; Dirac "
        "scenes phase,charts)",
    )
    exporter.add_argument(
        "--caption", action="store_true", help="title, step, losses and modes above the frame"
    )
    exporter.add_argument(
        "--title", help="the caption's title (default: the scene's, and any --set changes)"
    )
    exporter.add_argument("--seed", type=int, help="override training.seed")
    exporter.add_argument(
        "--set", action="append", metavar="KEY=VALUE", help="override a scene key (repeatable)"
    )
    exporter.add_argument("--overwrite", action="store_true", help="replace an existing file")
    exporter.add_argument(
        "--sweep", action="append", metavar="KEY=V1,V2", help="variants side by side (repeatable)"
    )
    exporter.add_argument("--seeds", help="the scene on these seeds side by side, e.g. 0-3")
    exporter.add_argument(
        "--variant", action="append", metavar="SCENE", help="another run beside it (repeatable)"
    )
    exporter.add_argument(
        "--label", action="append", help="what each run is called (with --variant: one each)"
    )
    exporter.add_argument("--progress-lines", action="store_true", help=argparse.SUPPRESS)
    exporter.set_defaults(func=cmd_export)

    calibrate = sub.add_parser("calibrate", help="check every scene's claims on several seeds")
    calibrate.add_argument("scenes", nargs="*", help="scene names (default: all shipped)")
    calibrate.add_argument("--seeds", default="0-2", help="seeds and ranges, e.g. 0-19 or 0,3,7-9")
    calibrate.add_argument("--fast", action="store_true", help="only the fast checks")
    calibrate.add_argument("--verbose", action="store_true", help="every seed's figures too")
    calibrate.add_argument(
        "--live-fix",
        action="store_true",
        help="each fix set live at steps 1,000-30,000 of its failure run (one run per seed)",
    )
    calibrate.add_argument(
        "--at", default="1000,5000,15000,30000", help="--live-fix: the steps it sets the fix at"
    )
    calibrate.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="processes (default: one per core)"
    )
    calibrate.set_defaults(func=cmd_calibrate)

    knobs = sub.add_parser("knobs", help="list every setting, its allowed values and effect")
    knobs.add_argument("--verbose", action="store_true", help="with a plain-words description")
    knobs.set_defaults(func=cmd_knobs)

    bench = sub.add_parser("bench", help="measure speed ratios side by side in one run")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--quick", action="store_true", help="a shorter run (less precise)")
    bench.add_argument("--no-gui", action="store_true", help="engine only (no Qt import)")
    bench.add_argument(
        "--soak",
        type=_positive_seconds,
        metavar="SECONDS",
        help="only the soak: the window playing for SECONDS (600 for the 10-minute soak), "
        "sampling steps/s and the memory of both processes",
    )
    bench.set_defaults(func=cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", cmd_gui)
    try:
        return func(args)
    except (ConfigError, BadInput) as exc:
        for line in str(exc).splitlines():
            print(f"ganscope: {line}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("ganscope: interrupted", file=sys.stderr)
        return EXIT_FAILED
