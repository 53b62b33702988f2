"""Imports point down only: app -> scenes -> models; Qt lives in app/ alone."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "superqt", "qtpy", "shiboken6")


def imported_modules(folder: str) -> list[tuple[str, str]]:
    found = []
    for path in (ROOT / folder).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(ROOT)), alias.name) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(ROOT)), node.module))
    return found


@pytest.mark.parametrize("folder", ["models", "scenes"])
def test_no_qt_below_app(folder: str) -> None:
    bad = [(f, m) for f, m in imported_modules(folder) if m.split(".")[0] in QT]
    assert not bad


def test_models_import_nothing_above_them() -> None:
    bad = [(f, m) for f, m in imported_modules("models") if m.split(".")[0] in ("app", "scenes")]
    assert not bad


def test_scenes_do_not_import_app() -> None:
    assert not [(f, m) for f, m in imported_modules("scenes") if m.split(".")[0] == "app"]


def test_ruff_is_clean() -> None:
    if importlib.util.find_spec("ruff") is None:
        pytest.skip("ruff is not installed (it comes with the [test] extra)")
    command = [sys.executable, "-m", "ruff", "check", "."]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
