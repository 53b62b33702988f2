"""A run's metric history: one row per full snapshot, the edits made along the way, and the
branches left behind by going back in time. Qt-free: the charts draw it, the scene checks
measure it, a saved session keeps it and diagnosis can read it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.metric_keys import CONTRACT_KEYS, DIRAC_KEYS

COLUMNS: tuple[str, ...] = (*CONTRACT_KEYS, *DIRAC_KEYS)  # "step" first
EDIT_MERGE_SECONDS = 1.5  # edits of the same knobs closer than this are one edit (a drag)


@dataclass(frozen=True)
class Marker:
    """A point on the step axis worth a label: an edit ("R1 gamma = 1") or a branch."""

    step: int
    label: str
    keys: tuple[str, ...] = ()
    kind: str = "edit"  # edit | branch
    ident: int = 0  # an edit that continues (a slider drag) keeps its marker's ident


class MetricHistory:
    """Growing columns of metrics (amortised O(1) appends), the edit markers, and the rows of
    abandoned branches (drawn faint)."""

    def __init__(self) -> None:
        self._data = np.full((256, len(COLUMNS)), np.nan)
        self.size = 0
        self.markers: list[Marker] = []
        self.abandoned: list[np.ndarray] = []  # (rows, columns) per branch left behind
        self._next_ident = 1
        self._last_edit: tuple[tuple[str, ...], float] | None = None

    # ----------------------------------------------------------------- rows
    def append(self, metrics: Mapping[str, float]) -> bool:
        """Add a row; False (and nothing added) if it repeats the last row's step."""
        step = float(metrics.get("step", math.nan))
        if self.size and self._data[self.size - 1, 0] == step:
            return False
        if self.size == self._data.shape[0]:
            self._data = np.concatenate([self._data, np.full_like(self._data, np.nan)])
        self._data[self.size] = [float(metrics.get(k, math.nan)) for k in COLUMNS]
        self.size += 1
        return True

    def __len__(self) -> int:
        return self.size

    def column(self, key: str) -> np.ndarray:
        return self._data[: self.size, COLUMNS.index(key)]

    def rows(self) -> list[dict[str, float]]:
        return [dict(zip(COLUMNS, row, strict=True)) for row in self._data[: self.size]]

    @property
    def last_step(self) -> int:
        return int(self._data[self.size - 1, 0]) if self.size else 0

    def value_at(self, step: float) -> dict[str, float]:
        """The row nearest to `step`."""
        if not self.size:
            return {}
        index = int(np.argmin(np.abs(self.column("step") - step)))
        return dict(zip(COLUMNS, self._data[index], strict=True))

    def copy(self) -> MetricHistory:
        """An independent copy (events carry copies: the session goes on appending)."""
        other = MetricHistory()
        other._data, other.size = self._data[: max(self.size, 1)].copy(), self.size
        other.markers = list(self.markers)
        other.abandoned = [branch.copy() for branch in self.abandoned]
        other._next_ident, other._last_edit = self._next_ident, self._last_edit
        return other

    def clear(self) -> None:
        """A fresh run: no rows, no markers, no branches."""
        self.size = 0
        self.markers.clear()
        self.abandoned.clear()
        self._last_edit = None

    # ----------------------------------------------------------------- edits and branches
    def mark_edit(self, step: int, keys: Sequence[str], label: str, now: float) -> Marker:
        """A marker for an edit made at `step` (wall-clock time `now`, in seconds). The same
        knobs edited again within EDIT_MERGE_SECONDS continue the same edit, as a slider
        drag does: its marker stays where the edit began and takes the newest label."""
        keys = tuple(keys)
        previous = self.markers[-1] if self.markers else None
        if (
            previous is not None
            and previous.kind == "edit"
            and self._last_edit is not None
            and self._last_edit[0] == keys
            and now - self._last_edit[1] <= EDIT_MERGE_SECONDS
        ):
            marker = Marker(previous.step, label, keys, "edit", previous.ident)
            self.markers[-1] = marker
        else:
            marker = Marker(step, label, keys, "edit", self._next_ident)
            self._next_ident += 1
            self.markers.append(marker)
        self._last_edit = (keys, now)
        return marker

    def branch_at(self, step: int) -> Marker:
        """Going back to `step`: later rows become an abandoned branch, later markers go,
        and a branch marker shows where the new branch starts."""
        steps = self.column("step")
        keep = int(np.searchsorted(steps, step, side="right"))
        if keep < self.size:
            self.abandoned.append(self._data[max(keep - 1, 0) : self.size].copy())
        self.size = keep
        self.markers = [m for m in self.markers if m.step <= step]
        marker = Marker(step, f"back to step {step}", (), "branch", self._next_ident)
        self._next_ident += 1
        self.markers.append(marker)
        self._last_edit = None
        return marker

    def put_marker(self, marker: Marker) -> None:
        """Add a marker made elsewhere (the training process), replacing one with its ident."""
        for i, existing in enumerate(self.markers):
            if existing.ident == marker.ident:
                self.markers[i] = marker
                return
        self.markers.append(marker)
        self._next_ident = max(self._next_ident, marker.ident + 1)

    # ----------------------------------------------------------------- files
    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (NaN as null) for session files."""
        return {
            "columns": list(COLUMNS),
            "rows": _json_rows(self._data[: self.size]),
            "markers": [vars(m) | {"keys": list(m.keys)} for m in self.markers],
            "abandoned": [_json_rows(branch) for branch in self.abandoned],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MetricHistory:
        """The inverse of to_dict. Unknown columns are ignored and missing ones are NaN, so a
        history written by another version still loads. Raises ValueError if malformed."""
        history = cls()
        try:
            columns = [str(c) for c in data["columns"]]
            for row in data["rows"]:
                history.append(dict(zip(columns, _floats(row), strict=True)))
            for branch in data.get("abandoned", []):
                rows = [dict(zip(columns, _floats(r), strict=True)) for r in branch]
                history.abandoned.append(
                    np.array([[r.get(k, math.nan) for k in COLUMNS] for r in rows]).reshape(
                        -1, len(COLUMNS)
                    )
                )
            for m in data.get("markers", []):
                history.put_marker(
                    Marker(
                        int(m["step"]),
                        str(m["label"]),
                        tuple(str(k) for k in m.get("keys", ())),
                        str(m.get("kind", "edit")),
                        int(m.get("ident", 0)),
                    )
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the metric history is malformed ({exc})") from None
        return history


def _json_rows(rows: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(v) else float(v) for v in row] for row in rows.tolist()]


def _floats(row: Sequence[Any]) -> list[float]:
    return [math.nan if v is None else float(v) for v in row]
