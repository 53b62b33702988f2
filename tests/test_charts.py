"""The charts as a class sees them: hovering never breaks the panel, a reset starts the step
axis again, and the rewound branch stays visible in presenter mode."""

from __future__ import annotations

import numpy as np
import pytest

from app.views.charts import ChartsView
from models.config import TrainConfig
from models.history import MetricHistory

pytestmark = pytest.mark.usefixtures("qapp")


def long_history(steps: int = 2_542) -> MetricHistory:
    history = MetricHistory()
    for step in range(0, steps + 1, 10):
        history.append(
            {
                "step": step, "d_loss": 1.2 + 0.1 * np.sin(step), "g_loss": 0.8,
                "d_real": 0.7, "d_fake": 0.3, "grad_norm_g": 1e-3, "grad_norm_d": 0.5,
                "modes_covered": 3, "modes_covered_20": 2, "modes_total": 8, "w1": 1.1,
                "w1_floor": 0.04, "high_quality": 0.9, "reverse_kl": 0.4, "dominant_mode": 2,
            }
        )  # fmt: skip
    history.mark_edit(900, ("regularization.r1_gamma",), "R1 gamma = 1", 0.0)
    return history


def shown(qtbot, width: int = 560, height: int = 640) -> ChartsView:  # type: ignore[no-untyped-def]
    charts = ChartsView()
    qtbot.addWidget(charts)
    charts.resize(width, height)
    charts.set_scene(TrainConfig())
    charts.set_history(long_history())
    charts.show()
    settle(qtbot, charts)
    return charts


def settle(qtbot, charts: ChartsView) -> None:  # type: ignore[no-untyped-def]
    """Wait until the grid's layout stops moving (its columns settle over a few event-loop
    turns; a test that measured after 10 ms failed on a busy machine)."""
    seen: list[object] = []

    def still() -> bool:
        seen.append(layout_of(charts))
        return len(seen) >= 3 and seen[-1] == seen[-2] == seen[-3]

    qtbot.waitUntil(still, timeout=5000)


def layout_of(charts: ChartsView) -> list[tuple[float, float, float, float]]:
    return [
        (r.left(), r.right(), *charts.plots[key].vb.viewRange()[0])
        for key in charts.shown
        if (r := charts.plots[key].sceneBoundingRect()) is not None
    ]


def test_hovering_a_chart_leaves_the_panel_as_it_was(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Was: the one-line readout widened the grid past the view; titles, the newest steps
    and markers were cut off, and the step axis showed 0-800 of 2,542."""
    charts = shown(qtbot)
    before = layout_of(charts)
    text = charts.show_values_at(1_234)
    settle(qtbot, charts)
    assert "step 1230" in text
    after = layout_of(charts)
    width = charts.width()
    for left, right, x0, x1 in after:
        assert left >= 0 and right <= width + 1, (
            f"a chart now spans {left:.0f}-{right:.0f} of {width}"
        )
        assert x1 >= 2_542, f"the step axis shows {x0:.0f}-{x1:.0f} of 2,542"
    assert np.allclose(np.array(before), np.array(after), atol=2.0)


def test_after_a_reset_the_step_axis_starts_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    charts = shown(qtbot)
    charts.show_values_at(2_000)
    fresh = MetricHistory()
    charts.set_history(fresh)  # a reset: the new run's history, empty at first
    settle(qtbot, charts)
    for step in (0, 20, 40, 60):
        fresh.append({"step": step, "w1": 1.0, "d_loss": 1.3, "modes_covered": 0})
        charts.refresh()
        qtbot.wait(5)
    for key in charts.shown:
        x0, x1 = charts.plots[key].vb.viewRange()[0]
        assert x1 <= 200, f"{key}: the step axis still shows {x0:.0f}-{x1:.0f} after a reset"


def test_the_abandoned_branch_stays_visible_in_presenter_mode(qtbot) -> None:  # type: ignore[no-untyped-def]
    charts = shown(qtbot)
    charts.history.branch_at(1_000)
    charts.refresh()
    charts.set_presenter(True)
    for key, item in charts.faint.items():
        assert item.opts["pen"].widthF() >= 2.5, f"{key}'s abandoned branch is a hairline"
        assert item.opacity() >= 0.45


@pytest.mark.parametrize("width", [330, 440])
def test_every_chart_keeps_readable_step_ticks_in_presenter_mode(qtbot, width: int) -> None:  # type: ignore[no-untyped-def]
    """Was: at presenter fonts the lower charts had one tick (2k) on a 0-2.9k axis."""
    charts = shown(qtbot, width, 560)
    charts.set_presenter(True)
    charts.set_compact(True)
    charts.set_columns(1)
    settle(qtbot, charts)
    for key in charts.shown:
        axis = charts.plots[key].getAxis("bottom")
        low, high = charts.plots[key].vb.viewRange()[0]
        ((_, ticks),) = axis.tickValues(low, high, axis.geometry().width())
        assert len(ticks) >= 2, f"{key}: step ticks {ticks}"


def test_presenter_titles_never_push_the_charts_past_their_panel(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Was: at 1280x720 the presenter titles widened the grid under the Controls dock
    ('Distance to data' half hidden, the newest steps cut off)."""
    charts = shown(qtbot, 380, 620)
    charts.set_presenter(True)
    charts.set_compact(True)
    charts.set_columns(1)
    settle(qtbot, charts)
    for _left, right, _, x1 in layout_of(charts):
        assert right <= charts.width() + 1 and x1 >= 2_542


def test_a_long_marker_label_stays_inside_its_chart(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Drawn data's label ('Target shape = points, data: 300 points; bounds = (...)') once ran
    left past the chart's axis: it is shortened to the room there, and whole in its tooltip."""
    charts = shown(qtbot, width=420)
    long = "Target shape = points, data: 300 points; bounds = (-2.57, 2.57, -2.57, 2.57)"
    charts.history.mark_edit(1_300, ("target.points",), long, 1.0)
    charts.set_history(charts.history)
    charts.show()
    settle(qtbot, charts)
    box = charts.plots[charts.shown[0]].vb.sceneBoundingRect()
    label = charts.marker_labels[-1]
    assert label.toPlainText().endswith("…") and label.toolTip() == long
    drawn = label.sceneBoundingRect()
    assert box.left() - 1 <= drawn.left() and drawn.right() <= box.right() + 1
