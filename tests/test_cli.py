"""The headless command line: contract keys, exit codes, clean errors, no Qt."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from models.metric_keys import CONTRACT_KEYS

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_train_default_scene_2000_steps_prints_every_contract_key(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(capsys, "train", "sandbox_ring", "--steps", "2000", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert set(CONTRACT_KEYS) <= set(report)
    assert report["step"] == 2000 and report["steps_per_s"] > 0 and report["wall_s"] > 0
    assert report["modes_total"] == 8 and report["diverged"] is None
    assert report["diagnosis"] == []  # a healthy run: the doctor finds nothing
    assert err == ""  # no progress bar when not on a terminal


def test_csv_has_contract_columns_and_one_row_per_logged_step(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "m.csv"
    code, _, err = run_cli(
        capsys,
        "train",
        "sandbox_ring",
        "--steps",
        "60",
        "--log-every",
        "20",
        "--csv",
        str(path),
        "--seed",
        "3",
    )
    assert code == 0, err
    rows = list(csv.DictReader(path.open()))
    assert tuple(rows[0]) == CONTRACT_KEYS
    assert [int(float(r["step"])) for r in rows] == [0, 20, 40, 60]


def test_same_seed_same_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("train", "sandbox_grid", "--steps", "30", "--json", "--seed", "5")
    first = json.loads(run_cli(capsys, *args)[1])
    second = json.loads(run_cli(capsys, *args)[1])
    for key in ("d_loss", "g_loss", "w1", "high_quality", "grad_norm_g"):
        assert first[key] == second[key], key


def test_dirac_scene_reports_phase_coordinates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "train", "sandbox_dirac", "--steps", "10", "--json")
    report = json.loads(out)
    assert code == 0 and {"theta", "psi", "distance"} <= set(report)
    assert report["modes_covered"] is None  # undefined for a point mass: null, not NaN


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--set", "training.lr_d=-1"], "training.lr_d: Input should be greater than 0"),
        (["--set", "generator.width=0"], "generator.width:"),
        (["--set", "training.loss=wgan2"], "'wgan-gp'"),
        (["--set", "training.lr_dd=1"], "training.lr_dd: unknown key"),
        (["--set", "nonsense"], "expected section.key=value"),
        (["--steps", "-4"], "--steps: must be >= 0"),
    ],
)
def test_bad_input_exits_2_naming_the_key(
    capsys: pytest.CaptureFixture[str], args: list[str], expected: str
) -> None:
    base = ["train", "sandbox_ring", "--steps", "1"]
    code, out, err = run_cli(capsys, *base, *args)
    assert code == 2 and out == ""
    assert expected in err and "Traceback" not in err


def test_bad_scene_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[training\nlr_d = 1")
    csv_scene = tmp_path / "pts.toml"
    csv_scene.write_text('[target]\nkind = "points"\nfile = "pts.csv"\n')
    (tmp_path / "pts.csv").write_text("x,y\n1,2\n3,four\n")
    empty_scene = tmp_path / "empty.toml"
    empty_scene.write_text('[target]\nkind = "points"\nfile = "none.csv"\n')
    (tmp_path / "none.csv").write_text("x,y\n")
    cases = [
        (broken, "not valid TOML"),
        (csv_scene, "line 3 of pts.csv"),
        (empty_scene, "holds no points"),
        (tmp_path / "missing.toml", "no such scene file"),
    ]
    for path, message in cases:
        code, _, err = run_cli(capsys, "train", str(path), "--steps", "1")
        assert code == 2 and message in err, (path, err)
    code, _, err = run_cli(capsys, "train", "no_such_scene", "--steps", "1")
    assert code == 2 and "sandbox_ring" in err


def test_divergence_exits_1_with_the_step_and_cause(
    capsys: pytest.CaptureFixture[str], diverging: list[str]
) -> None:
    code, out, err = run_cli(
        capsys,
        "train",
        "sandbox_ring",
        "--steps",
        "200",
        "--json",
        *diverging,
    )
    assert code == 1
    assert "NaN/Inf at step" in err and json.loads(out)["diverged"].startswith("training produced")


def test_scenes_lists_every_shipped_scene(capsys: pytest.CaptureFixture[str]) -> None:
    from scenes.loader import scene_names

    code, out, _ = run_cli(capsys, "scenes")
    assert code == 0
    assert all(name in out for name in scene_names())


def test_headless_commands_never_import_qt() -> None:
    probe = (
        "import sys; from app.cli import main; "
        "main(['train', 'sandbox_ring', '--steps', '2', '--json']); main(['scenes']); "
        "main(['diagnose', 'sandbox_dirac', '--steps', '5']); "
        "bad = [m for m in sys.modules if m.startswith(('PySide6', 'pyqtgraph', 'superqt'))]; "
        "assert not bad, bad"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_app_is_the_cli() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "train",
            "sandbox_ring",
            "--steps",
            "1",
            "--set",
            "training.batch=0",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "training.batch" in result.stderr


def test_sweep_gives_one_record_per_variant_and_seed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(
        capsys,
        *("train", "sandbox_ring", "--steps", "20", "--json", "--seeds", "0-1"),
        *("--sweep", "training.lr_d=1e-4,1e-3", "--sweep", "regularization.r1_gamma=0,1"),
        *("--set", "training.batch=64"),
    )
    assert code == 0, err
    records = [json.loads(line) for line in out.splitlines()]
    assert len(records) == 2 * 2 * 2
    combos = {
        (r["variant"]["training.lr_d"], r["variant"]["regularization.r1_gamma"], r["seed"])
        for r in records
    }
    assert len(combos) == 8 and all(r["step"] == 20 for r in records)
    assert all(r["diagnosis"] == [] for r in records)  # 20 steps: too early to name any


def test_a_sweep_equals_the_runs_one_by_one(capsys: pytest.CaptureFixture[str]) -> None:
    args = ("train", "sandbox_grid", "--steps", "30", "--json", "--set", "training.batch=64")
    _, out, _ = run_cli(capsys, *args, "--seeds", "4-5")
    together = [json.loads(line) for line in out.splitlines()]
    for record in together:
        alone = json.loads(run_cli(capsys, *args, "--seed", str(record["seed"]))[1])
        for key in ("d_loss", "g_loss", "w1", "grad_norm_g"):
            assert alone[key] == record[key], key


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--sweep", "training.lr_d"], "--sweep training.lr_d: expected KEY=VALUE,VALUE"),
        (["--sweep", "training.lr_d="], "expected KEY=VALUE,VALUE"),
        (["--sweep", "training.nope=1,2"], "training.nope: unknown key"),
        (["--sweep", "training.lr_d=1,-1"], "training.lr_d:"),
        (["--seeds", "3-1"], "--seeds:"),
        (["--seeds", "0-1", "--csv", "x.csv"], "--csv: one run only"),
    ],
)
def test_bad_sweeps_name_the_flag(
    capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, "train", "sandbox_ring", "--steps", "5", *flags)
    assert code == 2 and message in err, err


def test_calibrate_live_fix_forks_the_failure_and_counts_the_seeds_per_fix_and_step(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_cli(
        capsys, "calibrate", "dirac_alternating", "--live-fix", "--at", "300,100", "--seeds", "0"
    )
    assert code == 0, out + err
    assert "dirac_alternating, set live: dirac_r1, dirac_instance_noise" in out
    lines = [line.strip() for line in out.splitlines() if "set at step" in line]
    assert lines == [
        "1/1  dirac_r1 set at step 100",
        "1/1  dirac_instance_noise set at step 100",
        "1/1  dirac_r1 set at step 300",
        "1/1  dirac_instance_noise set at step 300",
    ]
    code, _, err = run_cli(capsys, "calibrate", "ring_collapse", "--live-fix", "--at", "0")
    assert code == 2 and "--at: 1 to 16 steps" in err


def test_train_json_names_the_failure_and_its_fix(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "train", "vanishing_minimax", "--steps", "200", "--json")
    assert code == 0, err
    found = {f["name"]: f for f in json.loads(out)["diagnosis"]}
    vanishing = found["vanishing_gradients"]
    assert vanishing["since"] <= 200 and vanishing["until"] is None
    assert "|grad G|" in vanishing["evidence"] and 0.5 <= vanishing["confidence"] <= 1
    assert vanishing["fixes"][0]["changes"] == {"training.loss": "ns"}


def test_diagnose_prints_the_finding_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "diagnose", "dirac_alternating", "--steps", "500")
    assert code == 0, err
    assert "oscillation (since step" in out and "fix 1:    R1 gamma = 0.3" in out
    code, out, _ = run_cli(capsys, "diagnose", "dirac_r1", "--steps", "500")
    assert code == 0 and "no finding" in out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("diagnose", "no_such_scene"), "no such scene"),
        (("diagnose", "dirac_r1", "--steps", "-1"), "--steps"),
        (("diagnose", "dirac_r1", "--set", "training.lr_q=1"), "training.lr_q"),
    ],
)
def test_diagnose_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], named: str
) -> None:
    code, out, err = run_cli(capsys, *args)
    assert code == 2 and named in err and out == ""
