"""GUI entry point."""

from __future__ import annotations


def run_gui(scene_name: str | None = None) -> int:
    from PySide6.QtWidgets import QApplication, QLabel

    app = QApplication.instance() or QApplication([])
    label = QLabel(f"GANscope: {scene_name or 'default scene'} (the live views land with issue 5)")
    label.resize(640, 120)
    label.show()
    return app.exec()
