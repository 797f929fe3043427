"""The wheel works on its own: built from a clean copy of the source and installed into a fresh
environment, it lists, runs and sweeps the bundled scenarios and shipped experiments by name from
any folder.

The fresh environment reuses the dependencies already installed here (each one linked in, the
project itself left out), so the test needs no downloads beyond the build backend; ``.ci/run``
also installs the wheel with its dependencies resolved from scratch.
"""

from __future__ import annotations

import email.parser
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

import sim
from sim.experiments.spec import EXPERIMENT_DIR, shipped_experiments
from sim.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
EXPERIMENTS = sorted(shipped_experiments())
"""Sweep experiments (the folder also holds optimisations, which cogov optimize loads)."""
SHIPPED_FILES = sorted(p.stem for p in (ROOT / "experiments").glob("*.yaml"))
NOT_SOURCE = shutil.ignore_patterns(".git", ".ci", "build", "dist", "*.egg-info", "runs", "results",
                                    "__pycache__", ".pytest_cache", ".hypothesis", ".venv")


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built the README's way from a copy of the source (no stale build/ folder)."""
    work = tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, work / "src", ignore=NOT_SOURCE)
    run([sys.executable, "-m", "pip", "wheel", str(work / "src"), "--no-deps", "-w", str(work / "dist")], work)
    (found,) = (work / "dist").glob("cogov_sim-*.whl")
    return found


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A fresh virtual environment holding the wheel, and the environment variables to run it with."""
    venv = tmp_path_factory.mktemp("venv")
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], venv)
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                    venv).stdout.strip())
    here = {Path(sysconfig.get_paths()[k]) for k in ("purelib", "platlib")}
    for folder in here:
        for entry in folder.iterdir():
            own = "cogov_sim" in entry.name or entry.name == "sim"
            if not own and not (site / entry.name).exists():
                (site / entry.name).symlink_to(entry)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], venv, env)
    return venv, env


def cogov(installed, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    venv, env = installed
    return run([str(venv / "bin" / "cogov"), *args], cwd, env)


@pytest.mark.slow
def test_wheel_carries_copies_of_the_scenarios_and_experiments(wheel):
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        for folder, stems in (("scenarios", SCENARIOS), ("experiments", SHIPPED_FILES)):
            assert stems
            shipped = {n for n in names if n.startswith(f"sim/bundled/{folder}/")}
            assert shipped == {f"sim/bundled/{folder}/{s}.yaml" for s in stems}
            for stem in stems:
                assert whl.read(f"sim/bundled/{folder}/{stem}.yaml") == (ROOT / folder / f"{stem}.yaml").read_bytes()
        assert not [n for n in names if n.startswith(("tests/", "scenarios/", "experiments/"))]


@pytest.mark.slow
def test_wheel_declares_the_license_and_the_extras(wheel):
    with zipfile.ZipFile(wheel) as whl:
        (name,) = (n for n in whl.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(whl.read(name).decode())
    assert meta["License-Expression"] == "MIT"
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert set(meta.get_all("Provides-Extra")) == set(declared)
    needed = {"explore": {"pymoo", "moocore", "scikit-learn"}, "calibration": {"pyabc", "cloudpickle"},
              "test": {"ema-workbench", "pytest"}}
    for extra, names in needed.items():
        given = {re.split(r"[<>=!~;\s\[]", r)[0].lower().replace("_", "-")
                 for r in meta.get_all("Requires-Dist") if f'extra == "{extra}"' in r}
        assert names <= given, (extra, given)


def test_ci_installs_every_extra_in_both_environments_and_checks_the_wheel():
    ci = (ROOT / ".ci" / "run").read_text()
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    (extras,) = re.findall(r'pip install -q -e "\.\[([^\]]*)\]"', ci)
    assert set(extras.split(",")) == set(declared)
    assert re.search(r"^run_suite python3 py311$", ci, re.MULTILINE)
    assert re.search(r'^  OTHER_PYTHON=\S+ run_suite "\$PY312" py312$', ci, re.MULTILINE)
    assert re.search(r"^check_wheel ", ci, re.MULTILINE)
    assert re.search(r'python"? -m sim run baseline', ci)
    # Every README and docs example also runs from the installed wheel, after each Python's suite.
    assert len(re.findall(r"^\s*check_wheel ", ci, re.MULTILINE)) == 2
    assert re.search(r'COGOV_FROM_WHEEL=1 "\$venv/bin/pytest" .*tests/test_docs_examples\.py', ci)


def test_the_set_example_in_the_help_has_social_workers():
    from sim.experiments.commands import SET_EXAMPLE

    sizes = [int(n) for n in re.findall(r"population\.residents=(\d+)", SET_EXAMPLE)]
    assert sizes and min(sizes) >= 3000, "a --set example small enough to fund no post shows nothing"


def test_source_checkout_reads_the_top_level_folders():
    if ROOT not in Path(sim.__file__).resolve().parents:
        pytest.skip("sim is imported from an installed package, not this checkout")
    assert SCENARIO_DIR == ROOT / "scenarios"
    assert EXPERIMENT_DIR == ROOT / "experiments"


@pytest.mark.slow
def test_installed_package_is_the_wheel_and_reads_its_own_copies(installed, tmp_path):
    venv, env = installed
    code = ("import json, sim; from sim.scenario import SCENARIO_DIR; from sim.experiments.spec import "
            "EXPERIMENT_DIR; print(json.dumps([sim.__file__, str(SCENARIO_DIR), str(EXPERIMENT_DIR)]))")
    paths = [Path(p).resolve() for p in json.loads(run([str(venv / "bin" / "python"), "-c", code], tmp_path,
                                                       env).stdout)]
    for path in paths:
        assert venv.resolve() in path.parents, path
        assert ROOT not in path.parents, path
    assert paths[1].parts[-3:] == ("sim", "bundled", "scenarios")


@pytest.mark.slow
def test_installed_cogov_lists_and_validates_every_bundled_scenario_by_name(installed, tmp_path):
    listed = [line.split()[0] for line in cogov(installed, "scenarios", cwd=tmp_path).stdout.splitlines()]
    assert listed == SCENARIOS
    out = cogov(installed, "validate", *SCENARIOS, cwd=tmp_path).stdout
    assert [line.split(":")[0] for line in out.splitlines()] == SCENARIOS


@pytest.mark.slow
def test_installed_package_loads_every_shipped_experiment_by_name(installed, tmp_path):
    venv, env = installed
    code = ("import sys; from sim.experiments.spec import load_experiment; "
            "print('\\n'.join(f'{n} {len(load_experiment(n).points)}' for n in sys.argv[1:]))")
    out = run([str(venv / "bin" / "python"), "-c", code, *EXPERIMENTS], tmp_path, env).stdout
    loaded = dict(line.split() for line in out.splitlines())
    assert sorted(loaded) == EXPERIMENTS and all(int(n) > 0 for n in loaded.values())


@pytest.mark.slow
def test_installed_cogov_runs_baseline_by_name_from_any_folder(installed, tmp_path):
    cogov(installed, "run", "baseline", "--weeks", "30", "--no-figure", "--out", "X", cwd=tmp_path)
    summary = json.loads((tmp_path / "X" / "summary.json").read_text())
    assert "sw_turnover_rate" in summary


@pytest.mark.slow
def test_installed_python_m_sim_runs_as_the_readme_says(installed, tmp_path):
    venv, env = installed
    run([str(venv / "bin" / "python"), "-m", "sim", "run", "baseline", "--weeks", "30", "--no-figure"],
        tmp_path, env)
    assert (tmp_path / "runs" / "baseline-seed42" / "summary.json").is_file()


@pytest.mark.slow
def test_installed_cogov_sweeps_a_shipped_experiment_by_name(installed, tmp_path):
    cogov(installed, "sweep", "funding_x_pay", "--reps", "1", "--weeks", "20", "--set", "population.residents=2000",
          "--workers", "1", "--no-progress", "--out", "Y", cwd=tmp_path)
    out = tmp_path / "Y"
    assert len(list((out / "runs").glob("*.parquet"))) == 16
    assert (out / "report.md").is_file() and not any((out / "failures").iterdir())
