"""The doctor: feeds a run's metric history, row by row, to the detectors (models/diagnosis/
rules.py) and keeps their findings: when each began, whether it is still going on, the
evidence and the fixes.

Incremental, so the window can ask every few frames: `Doctor.update(history)` reads only the
rows added since its last call, and each detector looks at a bounded trailing window of rows.
A history that went back in time (a branch, a reset, thinning at its row cap) is read again
from its first row, once. No training and no random numbers: the same history always gives
the same findings.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.config import TrainConfig
from models.diagnosis.fixes import Fix, prescribe
from models.diagnosis.rules import RULES, Rule, Window
from models.history import COLUMNS, MetricHistory

# Rows kept for the trailing windows. The longest window is 400 steps; a live run logs a row
# every ~10 steps while playing (8 rows a second at ~100 steps a second), slow motion one per
# step: 512 rows keep every window whole at the first and bound the work at the second.
MAX_WINDOW_ROWS = 512


@dataclass(frozen=True)
class Finding:
    """One failure named by the doctor, from step `since` to `until` (None: still going on)."""

    name: str
    since: int
    until: int | None
    named_at: int  # the step of the row on which the doctor first named it (>= since)
    confidence: float  # 0.5 when first reported, 1.0 once it has held three times as long
    evidence: str  # the numbers behind it, from the latest row it held on
    symptom: str  # what the user sees, in the course's plain words
    cause: str  # why it happens
    part: str  # "D", "G" or "both": the part of the model at fault
    fixes: tuple[Fix, ...]  # ranked: the first is what "Apply fix" applies
    no_fix: str = ""  # when no fix is measured to work here, this says so instead

    def to_json(self) -> dict[str, Any]:
        """The `ganscope train --json` form (contract keys: name, since, until, confidence,
        evidence, fixes)."""
        return {
            "name": self.name,
            "since": self.since,
            "until": self.until,
            "named_at": self.named_at,
            "confidence": round(self.confidence, 3),
            "evidence": self.evidence,
            "symptom": self.symptom,
            "cause": self.cause,
            "part": self.part,
            "fixes": [fix.to_json() for fix in self.fixes],
            "no_fix": self.no_fix,
        }

    def describe(self) -> str:
        """The finding in words, as `ganscope diagnose` prints it."""
        when = (
            f"since step {self.since}"
            if self.until is None
            else (f"steps {self.since}-{self.until}")
        )
        lines = [
            f"{self.name.replace('_', ' ')} ({when}, confidence {self.confidence:.2f})",
            f"  evidence: {self.evidence}",
            f"  symptom:  {self.symptom}",
            f"  cause:    {self.cause}",
        ]
        for rank, fix in enumerate(self.fixes, start=1):
            lines.append(f"  fix {rank}:    {fix.label} (measured: {fix.scene}, {fix.why})")
        if self.no_fix:
            lines.append(f"  no fix:   {self.no_fix}")
        return "\n".join(lines)


@dataclass
class _Track:
    """One detector's state: the current run of rows it held on, and its open finding."""

    held_since: int | None = None  # first step of the current run of rows it holds on
    failing_since: int | None = None  # while a finding is open: first step it stopped holding
    open_at: int | None = None  # index in `_episodes` of its finding still going on


@dataclass
class _Episode:
    """A finding as it is being written: `evidence` and `last` follow the newest row."""

    name: str
    since: int
    named_at: int
    evidence: str
    last: int
    until: int | None = None


class Doctor:
    """Findings of one run. Call `update(history)` as rows arrive; read `findings`."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self._reset()

    def _reset(self) -> None:
        self._rows: deque[np.ndarray] = deque(maxlen=MAX_WINDOW_ROWS)
        self._seen = 0
        self._last_step = math.nan
        self._tracks = {rule.name: _Track() for rule in RULES}
        self._episodes: list[_Episode] = []  # in order of onset

    def set_config(self, config: TrainConfig) -> None:
        """A live change (or an applied fix): later rows are judged, and fixes offered, for
        the new settings. Findings so far stay."""
        self.config = config

    def update(self, history: MetricHistory) -> list[Finding]:
        """Read the rows added since the last call (all of them after a branch or reset)."""
        steps = history.column("step")
        if len(history) < self._seen or (self._seen and steps[self._seen - 1] != self._last_step):
            self._reset()
        if len(history) > self._seen:
            for row in history.block(self._seen):
                self._feed(row)
            self._seen = len(history)
            self._last_step = float(steps[self._seen - 1])
        return self.findings

    def _feed(self, row: np.ndarray) -> None:
        self._rows.append(row)
        window = Window(np.asarray(self._rows), self.config)
        step = int(row[0])
        for rule in RULES:
            if rule.applies(self.config):
                self._judge(rule, window, step)

    def _judge(self, rule: Rule, window: Window, step: int) -> None:
        track = self._tracks[rule.name]
        evidence = rule.holds(window)
        if evidence is not None:
            track.failing_since = None
            if track.held_since is None:
                track.held_since = window.onset(rule)
            if track.open_at is None and step - track.held_since >= rule.hold_steps:
                track.open_at = len(self._episodes)
                self._episodes.append(_Episode(rule.name, track.held_since, step, evidence, step))
            elif track.open_at is not None:
                episode = self._episodes[track.open_at]
                episode.evidence, episode.last = evidence, step
            return
        if track.open_at is None:
            track.held_since = None
            return
        if track.failing_since is None:
            track.failing_since = step
        if step - track.failing_since >= rule.hold_steps:  # ended: it stopped holding then
            self._episodes[track.open_at].until = track.failing_since
            track.open_at = track.held_since = track.failing_since = None

    @property
    def findings(self) -> list[Finding]:
        """Every finding so far, in order of onset; fixes for the current settings."""
        by_name = {rule.name: rule for rule in RULES}
        found = []
        for episode in self._episodes:
            rule = by_name[episode.name]
            held = (episode.last - episode.since) / max(rule.hold_steps, 1)
            fixes, no_fix = prescribe(episode.name, self.config)
            found.append(
                Finding(
                    name=episode.name,
                    since=episode.since,
                    until=episode.until,
                    named_at=episode.named_at,
                    confidence=min(1.0, 0.5 + held / 6),
                    evidence=episode.evidence,
                    symptom=rule.symptom,
                    cause=rule.cause,
                    part=rule.part,
                    fixes=fixes,
                    no_fix=no_fix,
                )
            )
        return found

    @property
    def ongoing(self) -> list[Finding]:
        return [f for f in self.findings if f.until is None]


def diagnose(history: MetricHistory, config: TrainConfig) -> list[Finding]:
    """Every finding of a whole history at once (headless: `train --json`, `diagnose`)."""
    return Doctor(config).update(history)


def diagnose_rows(rows: list[Mapping[str, float]], config: TrainConfig) -> list[Finding]:
    """The same for plain metric rows (a test's or a script's own)."""
    history = MetricHistory()
    for row in rows:
        history.append({key: row.get(key, math.nan) for key in COLUMNS})
    return diagnose(history, config)
