"""The key under the data view: what the dots, the background and the arrows mean, in three
plain lines (GAN Lab's captions are the bar). It follows the visible layers and the loss,
and scales with presenter mode; it is text under the plot, so it never covers data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app import colours
from models.config import TrainConfig
from models.objectives import Objective


def dot(colour: str, glyph: str = "●") -> str:
    return f"<span style='color:{colour}'>{glyph}</span>"


def key_lines(config: TrainConfig, layers: set[str]) -> list[str]:
    """The key's lines for these visible layers (escaped text: the scene cannot inject)."""
    if config.is_dirac:
        return [
            f"{dot(colours.REAL)} the real data: one point at 0. {dot(colours.FAKE)} the "
            "generator: one point at θ.",
            f"Portrait: the state (θ, ψ) moving in the plane; {dot(colours.REAL, '✕')} the goal "
            "(0, 0), where G is right and D has gone flat.",
            "Grey arrows: where gradient descent pushes the state from each point, averaged "
            "over any noise.",
        ]
    objective = Objective(config.training.loss)
    dots = []
    if "real" in layers:
        dots.append(f"{dot(colours.REAL)} real data")
    if "fake" in layers:
        dots.append(f"{dot(colours.FAKE)} generated samples")
    if "trails" in layers:
        dots.append(f"{dot(colours.FAKE_DARK, '╱')} their recent paths")
    if "modes" in layers:
        dots.append("○ mode centres")
    if "manifold" in layers:
        dots.append(f"{dot(colours.MANIFOLD, '▦')} G's image of a noise grid")
    lines = ["Dots: " + ",&nbsp; ".join(dots) if dots else "Dots: hidden"]
    if "surface" in layers:
        if objective.probabilistic:
            verdict = "the probability D gives that a point is real"
        elif objective.wasserstein:
            verdict = "the critic's score, above its median"
        else:
            verdict = "D's score"
        lines.append(
            f"Background: {verdict}: {dot(colours.REAL, '■')} blue says real, "
            f"{dot(colours.FAKE, '■')} orange says generated, white cannot tell."
        )
    elif "magnitude" in layers:
        lines.append(
            "Background: how hard G's loss pushes a sample there (log scale): dark means the "
            "gradient has vanished."
        )
    else:
        lines.append("Background: hidden")
    if "arrows" in layers:
        if "normalised" in layers:
            lines.append("Arrows: the direction each generated sample is pushed (length fixed).")
        else:
            lines.append(
                "Arrows: where each generated sample is pushed next (−∂L_G/∂x), on a log "
                "scale: a dot means the gradient has vanished."
            )
    else:
        lines.append("Arrows: hidden")
    return lines


class DataKey(QLabel):
    def __init__(self) -> None:
        super().__init__()
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setContentsMargins(6, 2, 6, 2)
        self.presenter = False

    def show_key(self, config: TrainConfig, layers: set[str]) -> None:
        size = 12 if self.presenter else 9
        body = "<br>".join(key_lines(config, layers))
        self.setText(f"<div style='font-size:{size}pt; line-height:115%'>{body}</div>")

    def set_presenter(self, on: bool) -> None:
        self.presenter = on
