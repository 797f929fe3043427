"""Same inputs and seed give byte-identical outputs on another Python/Mesa installation.

CI runs the suite on Python 3.11 (Mesa 3.3) and then on 3.12 (Mesa 3.5), and points
``COGOV_OTHER_PYTHON`` at the other environment's interpreter.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

OTHER = os.environ.get("COGOV_OTHER_PYTHON")


def _run(python: str, scenario: str, out: Path) -> None:
    subprocess.run([python, "-m", "sim", "run", scenario, "--weeks", "80", "--seed", "11",
                    "--set", "population.residents=1500", "--no-figure", "--out", str(out)],
                   check=True, capture_output=True, text=True)


@pytest.mark.skipif(not OTHER, reason="COGOV_OTHER_PYTHON not set (CI sets it to the other Python's venv)")
@pytest.mark.parametrize("scenario", ["baseline", "funding_cut", "five_society_linkage"])
def test_outputs_identical_across_python_and_mesa_versions(scenario, tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    _run(sys.executable, scenario, here)
    _run(OTHER, scenario, there)
    versions = subprocess.run([OTHER, "-c", "import mesa, sys; print(sys.version_info[:2], mesa.__version__)"],
                              check=True, capture_output=True, text=True).stdout
    for name in ("summary.json", "timeseries.csv"):
        assert (here / name).read_bytes() == (there / name).read_bytes(), (name, versions)
