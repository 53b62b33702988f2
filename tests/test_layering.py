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


# The wings of app/ and what each may import from app/ (models/ and scenes/ are open to all).
# views/ draws (shared with export) and knows nothing of the window; process/ is the link to
# the training process and knows no widget; the window shell puts the rest together.
LEAVES = {"app.colours", "app.plain_text", "app.variants", "app.views.layers"}
WINGS = {
    "views": {"app.views"},
    "panels": {"app.views", "app.panels"},
    "teaching": {"app.views", "app.teaching"},
    "process": {"app.process"},
    "export": {"app.views", "app.process", "app.export"},
    "window": {"app.model", "app.views", "app.panels", "app.teaching", "app.process",
               "app.export", "app.window"},
}  # fmt: skip


def _app_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "app":
                found += [f"app.{alias.name}" for alias in node.names]
            elif node.module.startswith("app."):
                found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("app.")]
    return found


@pytest.mark.parametrize("wing", sorted(WINGS))
def test_each_wing_imports_only_the_wings_below_it(wing: str) -> None:
    allowed = WINGS[wing] | LEAVES
    bad = [
        (str(path.relative_to(ROOT)), module)
        for path in (ROOT / "app" / wing).rglob("*.py")
        for module in _app_imports(path)
        if not any(module == a or module.startswith(a + ".") for a in allowed)
    ]
    assert not bad


@pytest.mark.parametrize("module", ["app.model", "app.variants", "app.views.layers"])
def test_the_window_model_imports_no_qt(module: str) -> None:
    """Run in a fresh interpreter: importing it loads no Qt module at all."""
    code = (
        f"import sys, {module}; print(sorted(m for m in sys.modules if m.split('.')[0] in {QT!r}))"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_no_file_in_app_is_over_500_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "app").rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 500
    }
    assert not long


def test_the_main_window_is_a_thin_shell() -> None:
    path = ROOT / "app" / "window" / "main_window.py"
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 300
