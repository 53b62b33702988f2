"""Headless training runs: advance a trainer N iterations, logging metrics every K."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Mapping, Sequence

from models.metric_keys import CONTRACT_KEYS, DIRAC_KEYS
from models.snapshot import Snapshot
from models.trainer import Trainer


def default_log_every(steps: int) -> int:
    """About 100 rows for a run, at least every iteration for short ones."""
    return max(1, steps // 100)


def train(
    trainer: Trainer,
    steps: int,
    log_every: int,
    on_snapshot: Callable[[Snapshot], None] | None = None,
    chunk: int = 50,
) -> list[Mapping[str, float]]:
    """Run `steps` iterations; returns the metrics logged at step 0, every `log_every`
    iterations and at the end. Stops early if the trainer diverges."""
    rows: list[Mapping[str, float]] = []

    def log() -> None:
        snapshot = trainer.snapshot()
        rows.append(snapshot.metrics)
        if on_snapshot is not None:
            on_snapshot(snapshot)

    end = trainer.step_count + steps
    log()
    while trainer.step_count < end and not trainer.diverged:
        next_log = (trainer.step_count // log_every + 1) * log_every
        todo = min(chunk, end - trainer.step_count, next_log - trainer.step_count)
        trainer.step(todo)
        if trainer.diverged:
            break
        if trainer.step_count % log_every == 0 or trainer.step_count == end:
            log()
    return rows


def json_ready(value: float) -> float | None:
    """JSON has no NaN or Infinity: undefined metrics become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def metrics_csv(rows: Sequence[Mapping[str, float]], dirac: bool = False) -> str:
    """The metrics time series as CSV: the contract columns, one row per logged step."""
    columns = CONTRACT_KEYS + (DIRAC_KEYS if dirac else ())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        values = (row.get(c, math.nan) for c in columns)
        writer.writerow(["" if json_ready(v) is None else v for v in values])
    return out.getvalue()
