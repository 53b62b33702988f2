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
# Caps, so a history (live, or from someone's session file) never outgrows memory or the
# charts: rows of the run and of its abandoned branches together (8 rows a second while
# playing: 200,000 is 7 hours), edit markers and branches (oldest dropped first when live).
MAX_ROWS = 200_000
MAX_MARKERS = 2_000
MAX_BRANCHES = 200
MAX_COLUMNS = 256
MAX_LABEL_CHARS = 200
MAX_STEP = 10**12
MARKER_KINDS = ("edit", "branch")


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
        self._marker_at: dict[int, int] = {}  # ident -> index in markers (put_marker is O(1))
        self.abandoned: list[np.ndarray] = []  # (rows, columns) per branch left behind
        self._next_ident = 1
        self._last_edit: tuple[tuple[str, ...], float] | None = None

    # ----------------------------------------------------------------- rows
    def append(self, metrics: Mapping[str, float]) -> bool:
        """Add a row; False (and nothing added) if it repeats the last row's step."""
        step = float(metrics.get("step", math.nan))
        if self.size and self._data[self.size - 1, 0] == step:
            return False
        if self.size >= MAX_ROWS:
            self._thin()
        if self.size == self._data.shape[0]:
            self._data = np.concatenate([self._data, np.full_like(self._data, np.nan)])
        self._data[self.size] = [float(metrics.get(k, math.nan)) for k in COLUMNS]
        self.size += 1
        return True

    def __len__(self) -> int:
        return self.size

    def _thin(self) -> None:
        """At MAX_ROWS: every second row goes (the first and the newest stay), so a run of
        any length keeps its whole span, more coarsely, as the timeline does."""
        rows = self._data[: self.size]
        kept = np.concatenate([rows[:-1:2], rows[-1:]])
        self._data[: len(kept)] = kept
        self._data[len(kept) : self.size] = np.nan
        self.size = len(kept)

    def column(self, key: str) -> np.ndarray:
        return self._data[: self.size, COLUMNS.index(key)]

    def block(self, start: int) -> np.ndarray:
        """Rows from index `start` on, as an array (columns as COLUMNS): a read-only view,
        for readers that take new rows incrementally (the doctor)."""
        view = self._data[start : self.size]
        view.flags.writeable = False
        return view

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
        other._marker_at = dict(self._marker_at)
        other.abandoned = [branch.copy() for branch in self.abandoned]
        other._next_ident, other._last_edit = self._next_ident, self._last_edit
        return other

    def clear(self) -> None:
        """A fresh run: no rows, no markers, no branches."""
        self.size = 0
        self.markers.clear()
        self._marker_at.clear()
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
            self._add_marker(marker)
        self._last_edit = (keys, now)
        return marker

    def branch_at(self, step: int) -> Marker:
        """Going back to `step`: later rows become an abandoned branch, later markers go,
        and a branch marker shows where the new branch starts."""
        steps = self.column("step")
        keep = int(np.searchsorted(steps, step, side="right"))
        if keep < self.size:
            self.abandoned.append(self._data[max(keep - 1, 0) : self.size].copy())
            self._trim_branches()
        self.size = keep
        self.markers = [m for m in self.markers if m.step <= step]
        self._reindex()
        marker = Marker(step, f"back to step {step}", (), "branch", self._next_ident)
        self._next_ident += 1
        self._add_marker(marker)
        self._last_edit = None
        return marker

    def put_marker(self, marker: Marker) -> None:
        """Add a marker made elsewhere (the training process), replacing one with its ident
        (found through an index: 200,000 markers once took quadratic time here)."""
        index = self._marker_at.get(marker.ident)
        if index is not None and index < len(self.markers):
            if self.markers[index].ident == marker.ident:
                self.markers[index] = marker
                return
            self._reindex()
            if marker.ident in self._marker_at:
                self.markers[self._marker_at[marker.ident]] = marker
                return
        self._add_marker(marker)
        self._next_ident = max(self._next_ident, marker.ident + 1)

    def _add_marker(self, marker: Marker) -> None:
        self._marker_at[marker.ident] = len(self.markers)
        self.markers.append(marker)
        if len(self.markers) > MAX_MARKERS:  # the oldest tenth goes, so this stays rare
            del self.markers[: MAX_MARKERS // 10]
            self._reindex()

    def _reindex(self) -> None:
        self._marker_at = {m.ident: i for i, m in enumerate(self.markers)}

    def _trim_branches(self) -> None:
        """Keep abandoned branches within MAX_BRANCHES and, with the run, MAX_ROWS rows."""
        while len(self.abandoned) > 1 and (
            len(self.abandoned) > MAX_BRANCHES
            or sum(len(b) for b in self.abandoned) + self.size > MAX_ROWS
        ):
            self.abandoned.pop(0)

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
    def from_dict(cls, data: Any) -> MetricHistory:
        """The inverse of to_dict. Unknown columns are ignored and missing ones are NaN, so a
        history written by another version still loads. Raises ValueError (one line) if it
        is malformed or over the caps (MAX_ROWS, MAX_MARKERS, MAX_BRANCHES)."""
        history = cls()
        if not isinstance(data, Mapping):
            raise ValueError("the metric history is malformed (not a table)")
        columns = data.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise ValueError("the metric history is malformed (columns must be a list of names)")
        if len(columns) > MAX_COLUMNS:
            raise ValueError(
                f"the metric history has {len(columns):,} columns (at most {MAX_COLUMNS})"
            )
        rows = _list(data.get("rows"), "rows")
        branches = _list(data.get("abandoned", []), "abandoned")
        markers = _list(data.get("markers", []), "markers")
        if len(branches) > MAX_BRANCHES:
            raise ValueError(
                f"the metric history has {len(branches):,} branches (at most {MAX_BRANCHES:,})"
            )
        if len(markers) > MAX_MARKERS:
            raise ValueError(
                f"the metric history has {len(markers):,} markers (at most {MAX_MARKERS:,})"
            )
        total = len(rows) + sum(len(b) if isinstance(b, list) else 0 for b in branches)
        if total > MAX_ROWS:
            raise ValueError(
                f"the metric history has {total:,} rows with its branches (at most {MAX_ROWS:,})"
            )
        width = len(columns)
        for number, row in enumerate(rows, start=1):
            history.append(dict(zip(columns, _floats(row, width, f"row {number}"), strict=True)))
        for b, branch in enumerate(_list(branches, "abandoned"), start=1):
            values = [
                dict(zip(columns, _floats(r, width, f"branch {b} row {i}"), strict=True))
                for i, r in enumerate(_list(branch, f"branch {b}"), start=1)
            ]
            history.abandoned.append(
                np.array([[r.get(k, math.nan) for k in COLUMNS] for r in values]).reshape(
                    -1, len(COLUMNS)
                )
            )
        for number, m in enumerate(markers, start=1):
            history.put_marker(_marker(m, number))
        return history


def _list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"the metric history is malformed ({what} must be a list)")
    return value


def _marker(m: Any, number: int) -> Marker:
    where = f"marker {number}"
    if not isinstance(m, Mapping):
        raise ValueError(f"{where}: not a table")
    step, ident = m.get("step"), m.get("ident", 0)
    label, keys, kind = m.get("label"), m.get("keys", []), m.get("kind", "edit")
    for name, value in (("step", step), ("ident", ident)):
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_STEP:
            raise ValueError(f"{where}: {name} must be a whole number from 0 to {MAX_STEP:.0e}")
    if not isinstance(label, str):
        raise ValueError(f"{where}: label must be text")
    if not isinstance(keys, list) or len(keys) > 64 or not all(isinstance(k, str) for k in keys):
        raise ValueError(f"{where}: keys must be a list of setting names")
    if kind not in MARKER_KINDS:
        raise ValueError(f"{where}: kind must be one of {', '.join(MARKER_KINDS)}")
    label = label if len(label) <= MAX_LABEL_CHARS else label[: MAX_LABEL_CHARS - 1] + "…"
    assert isinstance(step, int) and isinstance(ident, int)  # (checked above)
    return Marker(step, label, tuple(k[:80] for k in keys), kind, ident)


def _json_rows(rows: np.ndarray) -> list[list[float | None]]:
    return [[None if math.isnan(v) else float(v) for v in row] for row in rows.tolist()]


def _floats(row: Any, width: int, where: str) -> list[float]:
    """A row's values as floats (None is NaN); ValueError naming the row otherwise."""
    if not isinstance(row, list) or len(row) != width:
        raise ValueError(f"{where}: expected a list of {width} values")
    values = []
    for v in row:
        if v is None:
            values.append(math.nan)
        elif isinstance(v, float):
            values.append(v)
        elif isinstance(v, int) and not isinstance(v, bool):
            try:
                values.append(float(v))
            except OverflowError:
                raise ValueError(f"{where}: a value beyond the float range") from None
        else:
            raise ValueError(f"{where}: {type(v).__name__} where a number belongs")
    return values
