"""The one build step the metadata in pyproject.toml cannot say: ship the scenarios, experiments, posteriors.

The top-level ``scenarios/`` and ``experiments/`` folders stay the files users read and
edit; a wheel (or a non-editable install) gets copies of their YAML files under
``sim/bundled/``, where :func:`sim.scenario.shipped_folder` finds them first, and the
published posteriors of ``docs/calibration/`` go to ``sim/bundled/docs/calibration/``, so an
experiment's ``../docs/calibration/...`` path holds in both layouts. An editable install
needs no copies: it reads the top-level folders.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments")
POSTERIORS = "docs/calibration"
"""Published posteriors, which shipped experiments name by a path relative to their own folder."""


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped YAML files into the built package."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for name in SHIPPED:
            files = sorted((ROOT / name).glob("*.yaml"))
            if not files:
                raise SystemExit(f"error: {ROOT / name}: no YAML files to ship")
            target = Path(self.build_lib) / "sim" / "bundled" / name
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for f in files:
                shutil.copy2(f, target / f.name)
        posteriors = sorted((ROOT / POSTERIORS).glob("*_posterior.parquet"))
        if posteriors:
            target = Path(self.build_lib) / "sim" / "bundled" / POSTERIORS
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)
            for f in posteriors:
                shutil.copy2(f, target / f.name)


setup(cmdclass={"build_py": BuildWithShippedFiles})
