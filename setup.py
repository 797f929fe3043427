"""The one build step the metadata in pyproject.toml cannot say: ship the scenarios and experiments.

The top-level ``scenarios/`` and ``experiments/`` folders stay the files users read and
edit; a wheel (or a non-editable install) gets copies of their YAML files under
``sim/bundled/``, where :func:`sim.scenario.shipped_folder` finds them first. An editable
install needs no copies: it reads the top-level folders.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = ("scenarios", "experiments")


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


setup(cmdclass={"build_py": BuildWithShippedFiles})
