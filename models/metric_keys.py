"""The metrics contract: the name of every logged metric, in the column order of exports.

Its own module so the scene config (which validates a check's metric name) and the run log
(which writes the columns) share one list without importing each other.
"""

from __future__ import annotations

from typing import Literal, get_args

ContractKey = Literal[
    "step",
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "grad_norm_g",
    "grad_norm_d",
    "modes_covered",
    "modes_covered_20",
    "modes_total",
    "high_quality",
    "reverse_kl",
    "dominant_mode",
    "w1",
    "w1_floor",
    "d_weights_at_clip",
    "wall_s",
    "steps_per_s",
]
DiracKey = Literal["theta", "psi", "distance"]
MetricKey = Literal[ContractKey, DiracKey]

# Metric columns of CSV exports and `ganscope train --json`, in this order; Dirac scenes add
# DIRAC_KEYS.
CONTRACT_KEYS: tuple[str, ...] = get_args(ContractKey)
DIRAC_KEYS: tuple[str, ...] = get_args(DiracKey)
