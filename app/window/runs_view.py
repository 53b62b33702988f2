"""What the window shows of the model's runs: one run on the stage (the data view or the
Dirac-GAN's portrait, its key, its charts), or several side by side in compare mode's grid
and charts. It follows the model: a run that starts rebuilds what it shows, a change
applied shows in the controls and on the charts. Changes made in the controls go to the run
the "Change:" box names (every variant, or one).
"""

from __future__ import annotations

import contextlib
from typing import Any

from PySide6.QtWidgets import QWidget

from app.model import WindowModel
from app.panels.compare_dialog import CompareDialog
from app.process.worker import TrainingWorker
from app.variants import variants_for
from app.views.compare_views import variant_legend
from app.window.files import FileActions
from app.window.layout import WindowParts
from models import messages as msg
from models.config import ConfigError, TrainConfig
from models.knobs import KNOB_BY_KEY
from models.targets import view_bounds
from scenes.loader import Scene

EVERY_VARIANT = "every variant"


class RunsView:
    def __init__(
        self, model: WindowModel, parts: WindowParts, worker: TrainingWorker, scenes: list[Scene]
    ) -> None:
        self.model, self.parts, self.worker, self.scenes = model, parts, worker, scenes
        model.run_started.connect(self.show_runs)
        model.config_changed.connect(self._config_changed)
        model.layers_changed.connect(self._show_layers)
        model.hint_changed.connect(self._show_hint)
        parts.controls.changes_requested.connect(self.send_changes)
        parts.variant_choice.currentIndexChanged.connect(lambda _i: self._show_controls())
        self._show_layers(model.layers)
        self._show_hint(model.hint)

    def show_runs(self, _event: msg.RunStarted | None = None) -> None:
        """Everything drawn before belongs to other runs: start the views again from this
        run's (or these runs') settings and history."""
        model, parts = self.model, self.parts
        parts.sample_view.restart()
        parts.phase_view.restart()
        if model.comparing:
            labels = [run.label for run in model.runs]
            parts.compare_grid.set_variants(labels)
            parts.compare_grid.set_layers(model.layers)
            parts.compare_charts.set_scene(model.config)
            parts.compare_charts.set_variants([run.history for run in model.runs])
            parts.compare_legend.setText(variant_legend(labels))
            parts.variant_choice.blockSignals(True)
            parts.variant_choice.clear()
            parts.variant_choice.addItems([EVERY_VARIANT, *labels])
            parts.variant_choice.blockSignals(False)
        else:
            self._show_scene(model.config)
            parts.charts.set_history(model.runs[0].history)
        parts.show_page(model.comparing)
        parts.overview.set_config(model.config)
        self._show_controls()
        self._show_key()
        parts.browser.show_scene(model.scene.name, model.config)

    def _show_scene(self, config: TrainConfig) -> None:
        parts = self.parts
        with contextlib.suppress(ConfigError):  # a bad point file is reported by the engine
            parts.sample_view.expect_bounds(view_bounds(config, base_dir=self.model.scene.base_dir))
        if config.is_dirac:
            parts.stage.set_views(parts.phase_view, parts.dirac_line)
        else:
            parts.stage.set_views(parts.sample_view, None)
        parts.charts.set_scene(config)

    def _config_changed(self, index: int, result: msg.ChangeResult) -> None:
        if result.marker is not None and not self.model.comparing:
            self.parts.charts.add_marker(result.marker)  # at once, not at the next refresh
        if index == 0:
            self.parts.overview.set_config(result.config)
            self._show_key()
        self._show_controls()

    def _show_controls(self) -> None:
        """The controls show the run changes go to; for every variant, the first one, and a
        note says where the variants differ (it once read "R1 gamma 0" for every variant
        while one ran at 1)."""
        model, choice = self.model, self.parts.variant_choice
        chosen = max(choice.currentIndex() - 1, 0) if model.comparing else 0
        chosen = min(chosen, len(model.runs) - 1)
        self.parts.controls.set_config(model.runs[chosen].config)
        note = ""
        if model.comparing and choice.currentIndex() <= 0:
            differ: list[str] = []
            for run in model.runs[1:]:
                differ += [k for k in model.config.changes_to(run.config) if k not in differ]
            words = [
                f"{KNOB_BY_KEY[k].label} "
                + " / ".join(KNOB_BY_KEY[k].format_value(r.config.value(k)) for r in model.runs)
                for k in differ
                if k in KNOB_BY_KEY and k != "training.seed"
            ]
            if words:
                note = "The controls show the first variant; the variants have " + (
                    "; ".join(words)
                )
        self.parts.variant_note.setText(note)
        self.parts.variant_note.setVisible(bool(note))

    def send_changes(self, changes: dict[str, Any]) -> None:
        if not self.model.comparing:
            self.worker.apply(changes)
            return
        index = self.parts.variant_choice.currentIndex() - 1  # -1: every variant
        self.worker.apply(changes, None if index < 0 else index)

    def _show_layers(self, layers: set[str]) -> None:
        self.parts.sample_view.set_layers(layers)
        if self.model.comparing:
            self.parts.compare_grid.set_layers(layers)
        self._show_key()

    def _show_hint(self, text: str) -> None:
        self.parts.sample_view.overlay.say(text)

    def _show_key(self) -> None:
        self.parts.key.show_key(self.model.config, self.model.layers)
        self.parts.stage.relayout()

    # ------------------------------------------------------------------ compare mode
    def start_compare(self, kind: str, key: str = "", values: tuple[object, ...] = ()) -> None:
        """Train variants of the current scene side by side (see app/variants.py)."""
        model = self.model
        pair = next((s for s in self.scenes if s.name == model.config.scene.pair), None)
        if kind == "fix" and pair is None:
            model.say("This scene has no fix to compare with.", error=True)
            return
        scene = Scene(model.scene.name, model.config, model.scene.path)
        configs, labels = variants_for(scene, pair, kind, values, key)
        self.worker.compare(configs, labels, model.scene.base_dir)
        model.say(f"Comparing: {', '.join(labels)}…")

    def compare_values_dialog(self, parent: QWidget) -> None:
        dialog = CompareDialog(parent, self.model.config)
        if dialog.exec() and dialog.choice is not None:
            self.start_compare("values", *dialog.choice)

    def leave_compare(self, files: FileActions) -> None:
        """Back to the scene alone, as it was loaded."""
        if self.model.comparing:
            files.load_scene(self.model.scene)
