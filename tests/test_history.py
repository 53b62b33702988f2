"""The metric history: rows, edit markers (a drag is one edit), branches, files."""

from __future__ import annotations

import json
import math

import numpy as np

from models.history import EDIT_MERGE_SECONDS, MetricHistory


def filled(steps: range) -> MetricHistory:
    history = MetricHistory()
    for step in steps:
        history.append({"step": step, "w1": 1.0 / (step + 1), "modes_covered": step % 3})
    return history


def test_rows_columns_and_repeated_steps() -> None:
    history = filled(range(0, 500, 100))
    assert not history.append({"step": 400, "w1": 9.0})  # the same step again is not a row
    assert len(history) == 5 and history.last_step == 400
    np.testing.assert_array_equal(history.column("step"), [0, 100, 200, 300, 400])
    assert math.isnan(history.column("d_loss")[0])  # a metric nobody logged is NaN
    assert history.value_at(260)["step"] == 300


def test_a_drag_is_one_marker_with_its_last_value() -> None:
    history = MetricHistory()
    first = history.mark_edit(100, ["regularization.r1_gamma"], "R1 gamma = 0.2", now=10.0)
    during = history.mark_edit(130, ["regularization.r1_gamma"], "R1 gamma = 0.6", now=10.5)
    last = history.mark_edit(170, ["regularization.r1_gamma"], "R1 gamma = 1", now=11.2)
    assert len(history.markers) == 1 and first.ident == during.ident == last.ident
    assert history.markers[0].step == 100 and history.markers[0].label == "R1 gamma = 1"
    later = history.mark_edit(400, ["regularization.r1_gamma"], "R1 gamma = 2", now=20.0)
    other = history.mark_edit(401, ["training.lr_d"], "D learning rate = 1e-3", now=20.1)
    assert len(history.markers) == 3 and later.ident != other.ident != last.ident
    assert EDIT_MERGE_SECONDS < 20.0 - 11.2


def test_going_back_keeps_the_abandoned_branch() -> None:
    history = filled(range(0, 600, 100))
    history.mark_edit(300, ["training.lr_d"], "D learning rate = 1e-3", now=0.0)
    history.branch_at(200)
    assert history.last_step == 200 and len(history.abandoned) == 1
    np.testing.assert_array_equal(history.abandoned[0][:, 0], [200, 300, 400, 500])
    assert [m.kind for m in history.markers] == ["branch"] and history.markers[0].step == 200
    history.append({"step": 300, "w1": 0.5})
    assert history.last_step == 300


def test_json_round_trip_keeps_rows_markers_and_branches() -> None:
    history = filled(range(0, 400, 100))
    history.mark_edit(100, ["training.lr_d"], "D learning rate = 1e-3", now=0.0)
    history.branch_at(200)
    history.append({"step": 300, "w1": 0.25})
    again = MetricHistory.from_dict(json.loads(json.dumps(history.to_dict())))
    np.testing.assert_array_equal(again.column("w1"), history.column("w1"))
    np.testing.assert_array_equal(again.column("d_loss"), history.column("d_loss"))
    assert again.markers == history.markers
    np.testing.assert_array_equal(again.abandoned[0], history.abandoned[0])
