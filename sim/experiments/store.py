"""The results folder of one experiment.

Layout::

    DIR/
      manifest.json          what ran, with which code, how far it got
      experiment.yaml        the resolved experiment (command-line changes applied)
      scenarios/<name>.yaml  each resolved base scenario
      design.parquet         one row per design point (and the raw sample matrix)
      runs/p00003-r0007.parquet     one row per finished run: ids, seed, parameters, KPIs
      series/p00003-r0007.parquet   its weekly series (when ``save_series``)
      failures/p00003-r0007.json    a failed run: error, traceback, parameters
      tables/, figures/, report.md  rebuilt by ``cogov report``

Every file is written to a hidden temporary name and renamed into place, so a
killed process leaves either the whole file or none; leftovers of killed
writes are hidden (ignored when loading) and removed when a sweep resumes.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import UserError
from ..inputs import read_yaml
from ..run import versions
from ..scenario import to_yaml as scenario_yaml
from .spec import Experiment, ResolvedExperiment
from .spec import to_yaml as experiment_yaml

MANIFEST = "manifest.json"
FORMAT = 1
"""Version of this folder layout."""


def run_name(point: int, replication: int) -> str:
    return f"p{point:05d}-r{replication:04d}"


def parse_run_name(stem: str) -> tuple[int, int]:
    p, r = stem.split("-")
    return int(p[1:]), int(r[1:])


def atomic_write(path: Path, write) -> None:
    """Call ``write(tmp)`` then rename ``tmp`` to ``path``; never leave a partial file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    atomic_write(path, lambda tmp: frame.to_parquet(tmp, index=False))


def git_commit() -> str:
    """The source commit, with "+changes" when the working tree differs ("" outside git)."""
    import subprocess

    here = Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True,
                              timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "."], cwd=here.parent,
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return ""
    if head.returncode:
        return ""
    return head.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")


class Store:
    """Reads and writes one results folder."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.series = self.root / "series"
        self.failures = self.root / "failures"

    # Opening ---------------------------------------------------------------
    @classmethod
    def check(cls, root: str | Path, exp: ResolvedExperiment, *, resume: bool = False) -> Store:
        """Fail before any work if ``root`` cannot take this experiment's results."""
        store = cls(root)
        root = store.root
        if root.exists() and not root.is_dir():
            raise UserError("is a file, not a folder", source=str(root), field="--out")
        manifest = root / MANIFEST
        if manifest.exists():
            old = store.manifest()
            if not resume:
                raise UserError("already holds results; add --resume to continue them, or choose "
                                "another --out", source=str(root), field="--out")
            if old.get("fingerprint") != exp.fingerprint():
                raise UserError("holds results of a different experiment (or its scenarios or options "
                                "changed since); choose another --out", source=str(root),
                                field="--out")
        elif root.exists() and any(p for p in root.iterdir() if not p.name.startswith(".")):
            raise UserError("is not empty and holds no experiment results; choose another --out",
                            source=str(root), field="--out")
        probe = root
        while not probe.exists():
            probe = probe.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            raise UserError("output folder is not writable", source=str(root), field="--out")
        return store

    @classmethod
    def open(cls, root: str | Path, exp: ResolvedExperiment, *, resume: bool = False,
             command: str = "") -> Store:
        """Create the folder, or reopen it to resume the same experiment."""
        store = cls.check(root, exp, resume=resume)
        root = store.root
        manifest = root / MANIFEST
        for folder in (root, store.runs, store.failures, root / "scenarios"):
            folder.mkdir(parents=True, exist_ok=True)
        if exp.spec.save_series:
            store.series.mkdir(exist_ok=True)
        store.remove_partial()
        if not manifest.exists():
            store._write_inputs(exp, command)
        return store

    def _write_inputs(self, exp: ResolvedExperiment, command: str) -> None:
        write_text(self.root / "experiment.yaml", experiment_yaml(exp.spec))
        for name, scenario in exp.scenarios.items():
            write_text(self.root / "scenarios" / f"{name}.yaml", scenario_yaml(scenario))
        rows = []
        for p in exp.points:
            rows.append({"point_id": p.id, "label": p.label, "scenario": p.scenario, **p.params})
        design = pd.DataFrame(rows)
        if exp.sample is not None:
            for j, name in enumerate(exp.parameters):
                design[f"sample:{name}"] = exp.sample[:, j]
        write_parquet(self.root / "design.parquet", design)
        self.write_manifest({
            "format": FORMAT, "experiment": exp.spec.name, "source": exp.source,
            "design": exp.kind, "fingerprint": exp.fingerprint(), "points": len(exp.points),
            "replications": exp.spec.replications, "runs": exp.n_runs,
            "parameters": exp.parameters, "outcomes": exp.outcomes, "seed": exp.spec.seed,
            "common_random_numbers": exp.spec.common_random_numbers,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command,
            "versions": versions(), "git_commit": git_commit(), "status": "started",
        })

    def remove_partial(self) -> None:
        """Remove temporary files left by writes that a killed process never finished."""
        for folder in (self.root, self.runs, self.series, self.failures, self.root / "scenarios"):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    # Manifest ----------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError("not a results folder (no manifest.json)", source=str(self.root)) from None
        except json.JSONDecodeError as exc:
            raise UserError(f"manifest.json is not valid JSON ({exc.msg})", source=str(path)) from None

    def write_manifest(self, data: dict[str, Any]) -> None:
        write_text(self.root / MANIFEST, json.dumps(data, indent=2, sort_keys=False) + "\n")

    def update_manifest(self, **changes: Any) -> None:
        self.write_manifest({**self.manifest(), **changes})

    def experiment(self) -> Experiment:
        return Experiment.model_validate(read_yaml(self.root / "experiment.yaml", "experiment"))

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.root / "design.parquet")

    # Runs --------------------------------------------------------------------
    def done(self) -> set[tuple[int, int]]:
        """(point, replication) of every saved run."""
        return {parse_run_name(p.stem) for p in self.runs.glob("p*.parquet")}

    def save_run(self, record: dict[str, Any], series: pd.DataFrame | None = None) -> None:
        """Save one finished run; the run file is written last, so it marks the run as done."""
        name = run_name(record["point_id"], record["replication"])
        if series is not None:
            self.series.mkdir(exist_ok=True)
            write_parquet(self.series / f"{name}.parquet", series)
        write_parquet(self.runs / f"{name}.parquet", pd.DataFrame([record]))
        (self.failures / f"{name}.json").unlink(missing_ok=True)

    def save_failure(self, record: dict[str, Any]) -> None:
        name = run_name(record["point_id"], record["replication"])
        write_text(self.failures / f"{name}.json", json.dumps(record, indent=2, default=str) + "\n")

    def iter_series(self, point: int | None = None) -> Iterator[tuple[int, int, pd.DataFrame]]:
        """Weekly series one run at a time (memory stays flat however many runs there are)."""
        pattern = f"p{point:05d}-r*.parquet" if point is not None else "p*.parquet"
        for path in sorted(self.series.glob(pattern)):
            p, r = parse_run_name(path.stem)
            if (self.runs / path.name).exists():
                yield p, r, pd.read_parquet(path)


def load_results(root: str | Path) -> pd.DataFrame:
    """Every saved run of a results folder, one row per run, sorted by point and replication."""
    store = Store(root)
    store.manifest()
    files = sorted(store.runs.glob("p*.parquet"))
    if not files:
        return pd.DataFrame(columns=["point_id", "replication", "seed"])
    import pyarrow.dataset as ds

    table = ds.dataset([str(f) for f in files], format="parquet").to_table()
    frame = table.to_pandas()
    return frame.sort_values(["point_id", "replication"], kind="stable").reset_index(drop=True)


def load_failures(root: str | Path) -> pd.DataFrame:
    """Failed runs that were not later completed: ids, parameters, error."""
    store = Store(root)
    rows = []
    for path in sorted(store.failures.glob("p*.json")):
        if not (store.runs / f"{path.stem}.parquet").exists():
            rows.append(json.loads(path.read_text(encoding="utf-8")))
    return pd.DataFrame(rows)

