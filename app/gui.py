"""GUI entry point: `ganscope` and `ganscope open SCENE`."""

from __future__ import annotations

import sys

DEFAULT_SCENE = "sandbox_ring"


def run_gui(
    scene_name: str | None = None,
    presenter: bool = False,
    play: bool = False,
    compare: str | None = None,
    slow: bool = False,
) -> int:
    """The window on a scene; `presenter`: start in presenter mode; `play`: start training
    as soon as the engine is up (a lecture that opens on the moving picture); `compare`:
    'fix' or 'seeds', start in compare mode; `slow`: start in slow motion."""
    from PySide6.QtCore import QCoreApplication, QEvent
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.plain_text import warn
    from models.config import ConfigError
    from scenes.loader import resolve

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("GANscope")
    problem = None
    try:
        scene = resolve(scene_name or DEFAULT_SCENE)
    except ConfigError as exc:
        problem = str(exc)
        scene = resolve(DEFAULT_SCENE)
    window = MainWindow(scene)
    window.show_fitted()
    window.offer_restore()
    if not (presenter or play or compare or slow):  # a lecture opening on the picture
        window.offer_tour()
    if presenter:
        window.presenter_action.setChecked(True)
    if compare:
        window.start_compare(compare)
    if play:
        window.worker.play()
    elif slow:
        window.slow_motion_when_ready()
    if problem:
        window.show_message(f"Could not open {scene_name}; showing {DEFAULT_SCENE}.", error=True)
        warn(window, "Scene not loaded", problem)
    code = app.exec()
    # Delete the window while the application still exists: left to interpreter shutdown,
    # Python may free the QApplication first, and Qt then crashes on exit.
    window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    del window
    return code
