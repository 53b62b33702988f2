"""Exports decode back to what was asked for: frame count, size, motion, determinism, clean
failures. Each format is read back with an independent decoder (ffmpeg, Pillow, XML)."""

from __future__ import annotations

import csv
import errno
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image, ImageSequence

from app.cli import main
from app.export.files import TEMP_MARK, Mp4Sink
from app.export.options import ExportError, build_options, frame_steps
from app.export.run import ExportCancelled, export_scene
from models.metric_keys import CONTRACT_KEYS
from scenes.loader import resolve

pytestmark = pytest.mark.usefixtures("qapp")

STEPS, EVERY = 40, 10  # frames at 0, 10, 20, 30, 40
FRAMES = 5
SMALL = ["--set", "training.batch=64", "--set", "view.resolution=24", "--set", "view.samples=256"]


def export(tmp_path: Path, name: str, *flags: str) -> tuple[int, Path, str]:
    out = tmp_path / name
    args = ["export", "sandbox_ring", "--steps", str(STEPS), "--every", str(EVERY)]
    code = main([*args, "--out", str(out), *SMALL, *flags])
    return code, out, ""


def mp4_frames(path: Path) -> tuple[dict, list[np.ndarray]]:
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    width, height = meta["size"]
    frames = [np.frombuffer(f, np.uint8).reshape(height, width, 3) for f in reader]
    return meta, frames


def moving(frames: list[np.ndarray]) -> float:
    """Mean absolute pixel change from the first frame to the last."""
    return float(np.abs(frames[0].astype(int) - frames[-1].astype(int)).mean())


def test_frame_steps_include_the_start_and_the_end() -> None:
    assert frame_steps(40, 10) == [0, 10, 20, 30, 40]
    assert frame_steps(45, 10) == [0, 10, 20, 30, 40, 45]
    assert frame_steps(0, 10) == [0]


def test_mp4_decodes_to_every_frame_at_the_asked_size_and_moves(tmp_path: Path) -> None:
    code, out, _ = export(tmp_path, "a.mp4", "--size", "320x180", "--fps", "12", "--caption")
    assert code == 0
    meta, frames = mp4_frames(out)
    assert len(frames) == FRAMES
    assert meta["size"] == (320, 180) and meta["fps"] == 12
    assert "h264" in meta["codec"] and "yuv420p" in meta["pix_fmt"]
    assert moving(frames) > 1.0  # the samples and charts visibly change
    assert not list(tmp_path.glob(f"*{TEMP_MARK}*"))


def test_same_scene_seed_and_flags_give_identical_files(tmp_path: Path) -> None:
    for suffix in ("mp4", "gif", "png"):
        _, first, _ = export(tmp_path, f"1.{suffix}", "--size", "240x160")
        _, second, _ = export(tmp_path, f"2.{suffix}", "--size", "240x160")
        assert first.read_bytes() == second.read_bytes(), suffix
    _, other_seed, _ = export(tmp_path, "3.png", "--size", "240x160", "--seed", "7")
    assert other_seed.read_bytes() != (tmp_path / "1.png").read_bytes()


def test_gif_loops_with_one_palette_frame_per_step_mark(tmp_path: Path) -> None:
    code, out, _ = export(tmp_path, "a.gif", "--size", "300x200", "--fps", "10")
    assert code == 0
    with Image.open(out) as gif:
        assert gif.format == "GIF" and gif.size == (300, 200)
        assert gif.info["loop"] == 0 and gif.info["duration"] == 100
        frames = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(gif)]
    assert len(frames) == FRAMES
    assert moving(frames) > 1.0


def test_gif_defaults_to_a_smaller_frame_than_video() -> None:
    assert build_options("/tmp/x.gif", 10, overwrite=True).size == (800, 450)
    assert build_options("/tmp/x.mp4", 10, overwrite=True).size == (1280, 720)


def test_png_is_the_last_frame_at_scale(tmp_path: Path) -> None:
    code, out, _ = export(tmp_path, "a.png", "--size", "400x300", "--scale", "2")
    assert code == 0
    with Image.open(out) as png:
        assert png.size == (400, 300)
        assert round(png.info["dpi"][0]) == 192


def test_png_shows_the_d_surface_across_the_data_view(tmp_path: Path) -> None:
    """Regression: the heatmap was once one pixel stretched over the view (a flat colour)."""
    code, out, _ = export(tmp_path, "s.png", "--size", "400x400", "--panels", "surface")
    assert code == 0
    pixels = np.asarray(Image.open(out).convert("RGB"))[80:320, 80:320].reshape(-1, 3)
    assert len(np.unique(pixels, axis=0)) > 20  # a colour map, not one flat colour


def test_the_model_overview_can_be_exported_under_the_views(tmp_path: Path) -> None:
    code, plain, _ = export(tmp_path, "plain.png", "--size", "1280x720")
    code_with, drawn, _ = export(
        tmp_path, "diagram.png", "--size", "1280x720", "--panels", "samples,charts,overview"
    )
    assert code == code_with == 0
    bottom = np.asarray(Image.open(drawn).convert("RGB"))[560:700]
    plain_bottom = np.asarray(Image.open(plain).convert("RGB"))[560:700]

    # the diagram's colours (the loss bars' purple, the real thumbnail's blue) are there
    def purple(rows: np.ndarray) -> int:
        return int(np.all(np.abs(rows.astype(int) - (0xCC, 0x79, 0xA7)) < 12, axis=-1).sum())

    assert purple(bottom) > 1000 > 10 * purple(plain_bottom)  # measured 4,241 vs 92


def test_svg_is_vector_with_points_axes_and_the_heatmap(tmp_path: Path) -> None:
    code, out, _ = export(tmp_path, "a.svg", "--size", "640x360")
    assert code == 0
    root = ElementTree.parse(out).getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    tags = [element.tag.removeprefix(ns) for element in root.iter()]
    assert tags.count("image") >= 1  # the D surface (raster data by nature)
    assert tags.count("path") + tags.count("polyline") > 200  # points and arrows as vectors
    assert tags.count("text") >= 20  # tick labels and titles stay text, not cached pixmaps


def test_csv_has_contract_columns_one_row_per_mark_and_needs_no_qt(tmp_path: Path) -> None:
    out = tmp_path / "m.csv"
    script = (
        "import sys; from app.cli import main; "
        f"code = main(['export', 'sandbox_ring', '--steps', '45', '--every', '10', '--out', "
        f"{str(out)!r}, '--set', 'training.batch=64']); "
        "assert 'PySide6' not in sys.modules, 'Qt imported'; sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with out.open() as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == CONTRACT_KEYS
    assert [int(float(r[0])) for r in rows[1:]] == [0, 10, 20, 30, 40, 45]


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        (["--out", "{tmp}/a.avi"], ["--out", ".avi", ".mp4"]),
        (["--out", "{tmp}/missing/a.mp4"], ["--out", "does not exist"]),
        (["--out", "{tmp}/a.mp4", "--size", "big"], ["--size", "1280x720"]),
        (["--out", "{tmp}/a.mp4", "--size", "10x10"], ["--size", "64..4096"]),
        (["--out", "{tmp}/a.mp4", "--panels", "samples,bogus"], ["--panels", "bogus", "charts"]),
        (["--out", "{tmp}/a.gif", "--fps", "60"], ["--fps", "1..50"]),
        (["--out", "{tmp}/a.mp4", "--every", "0"], ["--every", ">= 1"]),
    ],
)
def test_bad_flags_exit_2_naming_the_flag_and_what_is_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, flags: list[str], names: list[str]
) -> None:
    flags = [f.replace("{tmp}", str(tmp_path)) for f in flags]
    code = main(["export", "sandbox_ring", "--steps", "10", *flags])
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    for name in names:
        assert name in err
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_existing_file_is_kept_unless_overwrite_is_given(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "keep.png"
    out.write_bytes(b"precious")
    code, _, _ = export(tmp_path, "keep.png")
    assert code == 2 and "--overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    code, _, _ = export(tmp_path, "keep.png", "--size", "200x120", "--overwrite")
    assert code == 0 and out.read_bytes().startswith(b"\x89PNG")


def test_odd_sizes_round_down_to_even_for_h264() -> None:
    assert build_options("/tmp/x.mp4", 10, size="321x181", overwrite=True).size == (320, 180)


def test_disk_full_leaves_no_file_and_keeps_the_old_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "a.mp4"
    out.write_bytes(b"old")

    def full(self: Mp4Sink, rgb: np.ndarray) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Mp4Sink, "add", full)
    scene = resolve("sandbox_ring")
    options = build_options(str(out), STEPS, every=EVERY, size="160x120", overwrite=True)
    with pytest.raises(ExportError, match="disk is full"):
        export_scene(scene.config, scene.base_dir, options)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.mp4"]


def test_cancel_writes_nothing(tmp_path: Path) -> None:
    scene = resolve("sandbox_ring")
    options = build_options(str(tmp_path / "a.gif"), STEPS, every=EVERY, size="160x120")
    seen: list[int] = []
    with pytest.raises(ExportCancelled):
        export_scene(
            scene.config,
            scene.base_dir,
            options,
            progress=lambda done, total: seen.append(done),
            cancelled=lambda: len(seen) >= 2,
        )
    assert seen == [1, 2]
    assert not list(tmp_path.iterdir())


def test_dirac_scene_exports_its_phase_portrait(tmp_path: Path) -> None:
    out = tmp_path / "d.png"
    code = main(
        ["export", "sandbox_dirac", "--steps", "30", "--out", str(out), "--size", "480x240"]
    )
    assert code == 0
    pixels = np.asarray(Image.open(out).convert("RGB"))
    assert pixels.shape == (240, 480, 3)
    assert (pixels < 250).any(axis=2).mean() > 0.05  # something is drawn, not a blank frame


def test_training_in_a_child_process_gives_the_same_frames(tmp_path: Path) -> None:
    """Long exports train in a child process; the frames must not depend on that."""
    scene = resolve("sandbox_ring")
    config = scene.config.with_changes({"training.batch": 64, "view.resolution": 24})
    files = []
    for pipeline in (False, True):
        out = tmp_path / f"{pipeline}.gif"
        options = build_options(str(out), STEPS, every=EVERY, size="240x160")
        result = export_scene(config, scene.base_dir, options, pipeline=pipeline)
        assert result.frames == FRAMES
        files.append(out.read_bytes())
    assert files[0] == files[1]


def test_a_diverging_run_is_exported_up_to_the_divergence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, diverging: list[str]
) -> None:
    out = tmp_path / "boom.gif"
    code = main(
        [
            "export",
            "sandbox_ring",
            "--steps",
            "50",
            "--every",
            "1",
            "--out",
            str(out),
            "--size",
            "160x120",
            *diverging,
        ]
    )
    err = capsys.readouterr().err
    assert code == 1 and "NaN/Inf at step" in err and "exported up to there" in err
    with Image.open(out) as gif:
        assert 1 <= gif.n_frames < 51


def test_the_export_command_exits_cleanly(tmp_path: Path) -> None:
    """As its own process (as the GUI's Export runs it): exit code 0, no crash at shutdown
    (Qt once crashed at exit when Python freed the application before the frame)."""
    for name in ("a.svg", "a.gif"):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "app",
                "export",
                "sandbox_ring",
                "--steps",
                "20",
                "--size",
                "320x180",
                "--out",
                str(tmp_path / name),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert f"wrote {tmp_path / name}" in done.stderr
        assert "propagateSizeHints" not in done.stderr  # the harmless Qt warning is kept quiet


def test_variants_export_as_a_grid_and_a_labelled_csv(tmp_path: Path) -> None:
    from app.cli import main

    gif = tmp_path / "seeds.gif"
    code = main(
        ["export", "sandbox_ring", "--steps", "20", "--every", "10", "--seeds", "0-1",
         "--set", "training.batch=64", "--out", str(gif), "--size", "640x360"]
    )  # fmt: skip
    assert code == 0
    with Image.open(gif) as image:
        assert image.size == (640, 360) and image.n_frames == 3
    table = tmp_path / "seeds.csv"
    assert main(["export", "sandbox_ring", "--steps", "20", "--every", "10", "--seeds", "0-1",
                 "--set", "training.batch=64", "--out", str(table)]) == 0  # fmt: skip
    lines = table.read_text().splitlines()
    assert lines[0].startswith("variant,step") and len(lines) == 1 + 2 * 3
    assert lines[1].startswith('"seed 0",0') and lines[-1].startswith('"seed 1",20')


def test_a_compare_export_draws_only_the_chosen_panels(tmp_path: Path) -> None:
    """--panels once left the charts in a compare grid export whatever it said."""
    from app.cli import main

    def coloured_share(panels: str) -> tuple[float, float]:
        """The share of coloured pixels (D's surface) in the left and right thirds of the
        last frame, at step 200."""
        gif = tmp_path / f"{panels.replace(',', '_')}.gif"
        assert main(
            ["export", "sandbox_ring", "--steps", "200", "--every", "200", "--seeds", "0-1",
             "--set", "training.batch=64", "--out", str(gif), "--size", "640x360",
             "--panels", panels]
        ) == 0  # fmt: skip
        with Image.open(gif) as image:
            image.seek(image.n_frames - 1)
            rgb = np.asarray(image.convert("RGB")).astype(int)
        # 25, not 60: D's surface has pale ends since issue 20.4 (at 60 only 16% of the
        # grid third counts; at 25, 43% of the grid against 2% of a charts-only frame)
        saturated = (rgb.max(axis=2) - rgb.min(axis=2)) > 25
        third = rgb.shape[1] // 3
        return saturated[:, :third].mean(), saturated[:, -third:].mean()

    left, right = coloured_share("samples,surface,charts")
    assert left > 0.2 and right < 0.1  # the grid on the left, the charts on the right
    left, right = coloured_share("samples,surface")
    assert left > 0.3 and right > 0.3  # the grid alone fills the frame
    left, right = coloured_share("charts")
    assert left < 0.1 and right < 0.1  # charts alone: no surface anywhere
