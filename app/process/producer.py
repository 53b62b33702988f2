"""Full snapshots at chosen iteration counts, trained in a child process.

An export draws frame k while frame k+1 trains: on 2 cores this overlaps the two biggest
costs instead of adding them. The child trains exactly what an in-process run would (same
seed, same steps; one torch thread, which gives bit-identical results here), and the pipe's
small buffer keeps it at most a frame or two ahead.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from models.config import TrainConfig
from models.engine import Trainer
from models.snapshot import Snapshot

_CONTEXT = multiprocessing.get_context("spawn")  # never fork a process that may run Qt
_END = "end"


def snapshots_at(trainer: Trainer, marks: Sequence[int]) -> Iterator[Snapshot]:
    """Step to each mark and yield a full snapshot there; stop after a divergence."""
    for mark in marks:
        trainer.step(mark - trainer.step_count)
        snapshot = trainer.snapshot()
        yield snapshot
        if trainer.diverged:
            return


def _produce(connection: Any, config: TrainConfig, base_dir: Path | None, marks: list[int]) -> None:
    import torch

    torch.set_num_threads(1)
    try:
        for snapshot in snapshots_at(Trainer(config, base_dir), marks):
            connection.send(snapshot)
        connection.send(_END)
    except (BrokenPipeError, EOFError, KeyboardInterrupt):
        pass  # the export was cancelled or failed: nobody is listening
    except Exception as exc:  # report, so the export fails with a message and not a hang
        connection.send(RuntimeError(f"training failed: {exc!r}"))
    finally:
        connection.close()


class SnapshotProducer:
    """Iterate the snapshots a child process trains; close() ends the child at any point."""

    def __init__(self, config: TrainConfig, base_dir: Path | None, marks: Sequence[int]) -> None:
        self._pipe, child_end = _CONTEXT.Pipe(duplex=False)
        self._process = _CONTEXT.Process(
            target=_produce,
            args=(child_end, config, base_dir, list(marks)),
            name="ganscope-export-training",
            daemon=True,
        )
        self._process.start()
        child_end.close()
        self.trainer_diverged: str | None = None

    def __iter__(self) -> Iterator[Snapshot]:
        while True:
            try:
                item = self._pipe.recv()
            except EOFError:
                raise RuntimeError("the training process ended unexpectedly") from None
            if isinstance(item, Exception):
                raise item
            if isinstance(item, str) and item == _END:
                return
            self.trainer_diverged = item.diverged
            yield item

    def close(self) -> None:
        self._pipe.close()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join(timeout=5)
