"""The guided tour's stops in this window: each view and control, lit in turn, with what it
is for in plain words. The stops on toolbar commands say what the command table says."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDockWidget, QToolBar, QWidget

from app.teaching.tour import Stop
from app.window.commands import COMMAND_BY_ID, key_text
from app.window.layout import WindowParts


def tour_stops(parts: WindowParts, toolbar: QToolBar, actions: Mapping[str, QAction]) -> list[Stop]:
    def tool(command: str) -> Callable[[], QWidget | None]:
        return lambda: toolbar.widgetForAction(actions[command])

    def raise_dock(dock: QDockWidget) -> Callable[[], None]:
        def show() -> None:
            dock.show()
            dock.raise_()

        return show

    def said(*commands: str) -> str:
        """The commands' own tips, keys included: 'Play or pause training (Space). ...'"""
        return " ".join(
            f"{COMMAND_BY_ID[c].text}: {COMMAND_BY_ID[c].tip} ({key_text(COMMAND_BY_ID[c])})."
            if COMMAND_BY_ID[c].keys
            else f"{COMMAND_BY_ID[c].text}: {COMMAND_BY_ID[c].tip}."
            for c in commands
        )

    return [
        Stop("scenes", lambda: parts.browser.tree, "Lessons",
             "Each lesson is a pair: a failure (✗) and the fix (✓) the literature names. "
             "Pick one, press 1-9, or Ctrl+K and type its name.", raise_dock(parts.scenes_dock)),
        Stop("story", lambda: parts.browser.story, "The story",
             "What the scene sets up, what to watch for, and how to fix it, in a few "
             "sentences you can read aloud.", raise_dock(parts.scenes_dock)),
        Stop("data view", lambda: parts.stage.main, "The data view",
             "Blue dots are the real data, orange dots what the generator makes now. The "
             "background is D's verdict; the arrows show where G's loss pushes a sample."),
        Stop("key", lambda: parts.key, "The key",
             "What every colour and mark means, in plain words; it follows the layers "
             "that are on and the loss."),
        Stop("charts", lambda: parts.charts, "The charts",
             "Modes covered, distance to the data, D's verdict and more, over training "
             "steps. Every change you make is a marker."),
        Stop("play", tool("play"), "Play, step, reset", said("play", "step", "reset")),
        Stop("slow motion", tool("step_d"), "Slow motion", said("step_d", "step_g", "slow")),
        Stop("controls", lambda: parts.controls, "Controls",
             "Every setting of the run. Changes apply at once, between two iterations; "
             "hover one for what it does. Ctrl+Z undoes the last change.",
             raise_dock(parts.controls_dock)),
        Stop("timeline", lambda: parts.timeline, "Go back",
             "Drag back to an earlier step, change a control and play: a new branch. "
             "The charts keep the old one, faint."),
        Stop("overview", lambda: parts.overview, "Model overview",
             "The whole GAN as a diagram, live: noise, G, the samples, D, its "
             "predictions and both losses, with the two gradient paths (O toggles it).",
             raise_dock(parts.overview_dock)),
        Stop("draw", lambda: parts.stage.main, "Your own data", said("draw", "open_data")),
        Stop("compare", tool("compare_fix"), "Compare", said("compare_fix", "compare_seeds")),
        Stop("export", tool("export"), "Export and record", said("export", "record")),
        Stop("presenter", tool("presenter"), "Presenter mode",
             said("presenter") + " F1 lists every shortcut; this tour is in the Help menu."),
    ]  # fmt: skip
