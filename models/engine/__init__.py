"""The training engine: a run's state, the iteration as phases, watching, safety, changes.

state.py     RunState: data, networks, optimizers, random stream, step; state_dict()
step.py      one iteration as phases (update D, then update G), as DCGAN's example reads
observe.py   snapshots, probes and metrics (never trains, never uses the training stream)
safety.py    the last finite state, and what to say when training blows up
changes.py   live changes, each doing what its knob's effect says (models/knobs.py)
trainer.py   Trainer: the parts put together (step, phases, apply, snapshot, state_dict)
"""

from models.engine.changes import ApplyReport
from models.engine.state import RunState, resolve_device
from models.engine.step import Phase
from models.engine.trainer import Trainer

__all__ = ["ApplyReport", "Phase", "RunState", "Trainer", "resolve_device"]
