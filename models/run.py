"""Headless training runs: advance a trainer N iterations, logging metrics every K."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable

from models.engine import Trainer
from models.engine.batched import RunGroup
from models.history import MetricHistory
from models.metric_keys import CONTRACT_KEYS, DIRAC_KEYS
from models.snapshot import Snapshot


def default_log_every(steps: int) -> int:
    """About 100 rows for a run, at least every iteration for short ones."""
    return max(1, steps // 100)


def train(
    trainer: Trainer,
    steps: int,
    log_every: int,
    on_snapshot: Callable[[Snapshot], None] | None = None,
    chunk: int = 50,
    history: MetricHistory | None = None,
) -> MetricHistory:
    """Run `steps` more iterations, logging metrics now, every `log_every` iterations and at
    the end (into `history` when continuing one). Stops early if the trainer diverges."""
    history = history if history is not None else MetricHistory()

    def log() -> None:
        snapshot = trainer.snapshot()
        history.append(snapshot.metrics)
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
    return history


def train_group(
    group: RunGroup,
    steps: int,
    log_every: int,
    on_log: Callable[[int], None] | None = None,
    chunk: int = 50,
) -> list[MetricHistory]:
    """`train` for several runs at once (stacked where they can be): each run's history,
    logged at the same steps as `train` logs a single run."""
    histories = [MetricHistory() for _ in group.trainers]
    stopped: set[int] = set()  # diverged runs log nothing more (as `train` stops)

    def log() -> None:
        for index, (trainer, history) in enumerate(zip(group.trainers, histories, strict=True)):
            if trainer.diverged:
                stopped.add(index)
            if index not in stopped:
                history.append(trainer.snapshot().metrics)
        if on_log is not None:
            on_log(done)

    done = 0
    log()
    while done < steps and not all(t.diverged for t in group.trainers):
        next_log = (done // log_every + 1) * log_every
        todo = min(chunk, steps - done, next_log - done)
        group.step(todo)
        done += todo
        if done % log_every == 0 or done == steps:
            log()
    return histories


def json_ready(value: float) -> float | None:
    """JSON has no NaN or Infinity: undefined metrics become null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def metrics_csv(history: MetricHistory, dirac: bool = False) -> str:
    """The metrics time series as CSV: the contract columns, one row per logged step."""
    columns = CONTRACT_KEYS + (DIRAC_KEYS if dirac else ())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in history.rows():
        values = (row.get(c, math.nan) for c in columns)
        writer.writerow(["" if json_ready(v) is None else v for v in values])
    return out.getvalue()
