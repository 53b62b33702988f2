"""The training process's entry point: a Session (models/session.py) steered over a
multiprocessing connection. Transport only; no Qt is imported in the child process."""

from __future__ import annotations

import contextlib
import traceback
from pathlib import Path
from typing import Any

from models import messages as msg
from models.config import TrainConfig
from models.session import Session


def serve(connection: Any, config: TrainConfig, base_dir: Path | None, threads: int = 1) -> None:
    """Child-process entry: a session steered over a multiprocessing connection. One torch
    thread by default, leaving the other core to drawing. Any unexpected error is reported
    (with its traceback) before the process ends, so the window can say what happened."""
    import torch

    torch.set_num_threads(threads)

    def inbox(timeout: float | None) -> msg.Command | None:
        return connection.recv() if connection.poll(timeout) else None

    try:
        Session(inbox, connection.send).run(config, base_dir)
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass  # the window went away: nothing left to report to
    except Exception as exc:
        with contextlib.suppress(OSError, ValueError):
            connection.send(
                msg.Crashed(message=f"{type(exc).__name__}: {exc}", details=traceback.format_exc())
            )
        raise SystemExit(1) from None
    finally:
        connection.close()
