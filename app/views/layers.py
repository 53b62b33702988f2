"""The data view's layers, by name, with what each shows in plain words. Qt-free: the window
model (app/model.py) keeps which are visible, the views draw them, exports name them."""

from __future__ import annotations

LAYERS = {
    "real": "Real data",
    "fake": "Generated samples",
    "trails": "Sample trails",
    "surface": "D's verdict (background)",
    "magnitude": "Gradient strength (background)",
    "arrows": "Gradient arrows",
    "normalised": "Arrows: direction only",
    "manifold": "Generator manifold",
    "modes": "Mode centres",
}
LAYER_HELP = {
    "real": "Blue dots: samples of the real data G has to learn.",
    "fake": "Orange dots: what the generator makes now (the same noise inputs every frame, "
    "so each dot moves smoothly).",
    "trails": "Where each generated sample was over the last frames: its path.",
    "surface": "D's verdict at every point: blue where D says 'real', orange where it says "
    "'generated', white where it cannot tell.",
    "magnitude": "How strongly G's loss pushes a sample at each point (log scale): dark "
    "regions are where G's gradient has vanished.",
    "arrows": "Where each generated sample would be pushed next: minus the gradient of G's "
    "loss. Length is on a log scale, so a vanishing gradient shows as dots.",
    "normalised": "Draw every arrow at the same length: only the direction of the push.",
    "manifold": "The image of a grid of noise inputs: how G folds its input space onto the plane.",
    "modes": "Circles at the centres of the target's modes (the parts that count as covered).",
}
DEFAULT_LAYERS = {"real", "fake", "surface", "arrows", "modes"}
