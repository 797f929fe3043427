"""The folder of one optimisation: every run as it finishes, each generation of the search, the final tables.

Layout::

    OUT/
      manifest.json                  what ran (file, scenario, code and library versions) and how far it got
      optimize.yaml                  the optimisation file as given
      draws.parquet                  the search and hold-out draws of the uncertain parameters
      runs/<candidate>-d0003-r0001.parquet   one row per finished run: candidate, draw, replication, seed,
                                     levers, drawn values, cost, slack and every KPI
      failures/<run>.json            a run that raised, with its error
      generations/s0001-g0004.parquet        one search's candidates of one generation: levers, cost, slack, scores
      tables/runs.parquet            every run, sorted by candidate, draw and replication
      tables/candidates.parquet      every proposed candidate of every search, in the order proposed
      tables/archive.parquet         the non-dominated candidates of all searches, numbered (``mix``)
      tables/convergence.parquet     hypervolume and epsilon-progress per search and generation
      tables/holdout.parquet         the hold-out runs of the final set and of the status quo
      tables/holdout_scores.parquet  each of them scored on the hold-out draws, with regret
      discovery/                     what makes the final set fail on the hold-out draws (``cogov discover``)
      report/report.html             the offline report

Every file is written to a hidden temporary name and renamed into place, so a killed process
leaves each file whole or absent. A run file is written as soon as the run returns, so a resumed
optimisation serves every finished run from here and simulates only the rest; the tables are
rebuilt from the runs. Resuming refuses, in one line, a changed optimisation file, scenario or
posterior, other model code, or other library versions.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from . import adapter
from .adapter import UserError

MANIFEST = "manifest.json"
KIND = "optimize"
FORMAT = 1
SPEC_COPY = "optimize.yaml"


def run_name(candidate: str, draw: int, replication: int) -> str:
    """The file name (without suffix) of one run."""
    return f"{candidate}-d{int(draw):04d}-r{int(replication):04d}"


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def code_hash() -> str:
    """A hash of the package's source: any change to the model (or to this code) changes it."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def fingerprint(source_bytes: bytes, scenario_hash: str, posterior: Path | None) -> dict[str, Any]:
    """What fixes an optimisation's results: the file, the resolved scenario, the posterior, the code, the libraries."""
    return {"file_sha256": file_hash(source_bytes), "scenario_hash": scenario_hash,
            "posterior_sha256": None if posterior is None else file_hash(posterior.read_bytes()),
            "code": code_hash(), "versions": adapter.versions()}


def _differences(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """Why stored results cannot be continued with these inputs, in words, or None."""
    if old.get("file_sha256") != new["file_sha256"]:
        return "the optimisation file changed since these results were made"
    if old.get("scenario_hash") != new["scenario_hash"]:
        return "the scenario (with 'set' applied) changed since these results were made"
    if old.get("posterior_sha256") != new["posterior_sha256"]:
        return "the posterior file changed since these results were made"
    was, now = old.get("versions") or {}, new["versions"]
    changed = [f"{name} {was.get(name, 'none')} then, {now.get(name, 'none')} now"
               for name in sorted(set(was) | set(now)) if was.get(name) != now.get(name)]
    if changed:
        return f"these results were made with other versions ({'; '.join(changed)})"
    if old.get("code") != new["code"]:
        return f"these results were made by other code (source hash {old.get('code')} then, {new['code']} now)"
    return None


class OptimizationStore:
    """Reads and writes one optimisation folder."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.failures = self.root / "failures"
        self.generations = self.root / "generations"
        self.tables = self.root / "tables"

    @classmethod
    def check(cls, root: str | Path, inputs: Mapping[str, Any], *, resume: bool) -> OptimizationStore:
        """Fail before any work, in one line, if ``root`` cannot take (or continue) these results."""
        store = cls(root)
        where = f"--out {store.root}"
        if store.root.exists() and not store.root.is_dir():
            raise UserError("is a file, not a folder", source=where)
        if (store.root / MANIFEST).is_file():
            old = store.manifest()
            if old.get("kind") != KIND:
                raise UserError("holds results that are not an optimisation's; choose another --out", source=where)
            if not resume:
                raise UserError("already holds an optimisation; add --resume to continue it, or choose another --out",
                                source=where)
            why = _differences(old, inputs)
            if why is not None:
                raise UserError(f"{why}; they cannot be resumed, choose another --out", source=where)
        elif store.root.is_dir() and any(p for p in store.root.iterdir() if not p.name.startswith(".")):
            raise UserError("is not empty and holds no optimisation; choose another --out", source=where)
        probe = store.root
        while not probe.exists():
            probe = probe.parent
        if not os.access(probe, os.W_OK | os.X_OK):
            raise UserError(f"cannot write in '{probe}'", source=where)
        return store

    @classmethod
    def open(cls, root: str | Path, inputs: Mapping[str, Any], *, resume: bool, name: str, source: str,
             spec_text: bytes, draws: pd.DataFrame, levers: list[str], uncertain: list[str],
             command: str = "") -> OptimizationStore:
        """Create the folder, or reopen it to continue the same optimisation.

        The manifest lists the levers and the uncertain parameters, the inputs ``cogov discover``
        explains an optimisation's runs by.
        """
        store = cls.check(root, inputs, resume=resume)
        for folder in (store.root, store.runs, store.failures, store.generations, store.tables):
            folder.mkdir(parents=True, exist_ok=True)
        store.remove_partial()
        if not (store.root / MANIFEST).is_file():
            (store.root / SPEC_COPY).write_bytes(spec_text)
            adapter.write_parquet(store.root / "draws.parquet", draws)
            store.write_manifest({"format": FORMAT, "kind": KIND, "name": name, "source": source, "levers": levers,
                                  "uncertain": uncertain, **inputs,
                                  "git_commit": adapter.git_commit(), "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                  "command": command, "status": "started", "generations_done": 0, "sessions": []})
        return store

    def remove_partial(self) -> None:
        """Remove temporary files left by writes that a killed process never finished."""
        for folder in (self.root, self.runs, self.failures, self.generations, self.tables):
            if folder.is_dir():
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)

    # Manifest ------------------------------------------------------------------------------------------------
    def manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise UserError(f"not an optimisation folder (no {MANIFEST})", source=str(self.root)) from None
        except json.JSONDecodeError as exc:
            raise UserError(f"{MANIFEST} is not valid JSON ({exc.msg})", source=str(path)) from None

    def write_manifest(self, data: Mapping[str, Any]) -> None:
        adapter.write_text(self.root / MANIFEST, json.dumps(data, indent=2) + "\n")

    def update_manifest(self, **changes: Any) -> None:
        self.write_manifest({**self.manifest(), **changes})

    def add_session(self, session: Mapping[str, Any]) -> None:
        manifest = self.manifest()
        self.write_manifest({**manifest, "sessions": [*manifest.get("sessions", []), dict(session)]})

    # Runs ----------------------------------------------------------------------------------------------------
    def stored_runs(self) -> dict[str, dict[str, Any]]:
        """Every finished run, by run id."""
        files = sorted(self.runs.glob("*.parquet"))
        if not files:
            return {}
        import pyarrow.dataset as ds

        frame = ds.dataset([str(f) for f in files], format="parquet").to_table().to_pandas()
        return {run_name(row["candidate"], row["draw"], row["replication"]): row for row in frame.to_dict("records")}

    def save_run(self, run_id: str, row: Mapping[str, Any]) -> None:
        """One finished run, as a one-row Parquet file (written by pyarrow directly: twice as fast as pandas)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([dict(row)])
        adapter.atomic_write(self.runs / f"{run_id}.parquet", lambda tmp: pq.write_table(table, tmp))
        (self.failures / f"{run_id}.json").unlink(missing_ok=True)

    def save_failure(self, run_id: str, record: Mapping[str, Any]) -> None:
        adapter.write_text(self.failures / f"{run_id}.json", json.dumps(dict(record), indent=2, default=str) + "\n")

    # Generations and tables ----------------------------------------------------------------------------------
    def save_generation(self, seed: int, generation: int, frame: pd.DataFrame) -> None:
        adapter.write_parquet(self.generations / f"s{seed:04d}-g{generation:04d}.parquet", frame)

    def write_table(self, name: str, frame: pd.DataFrame) -> Path:
        path = self.tables / f"{name}.parquet"
        adapter.write_parquet(path, frame)
        return path

    def table(self, name: str) -> pd.DataFrame:
        return pd.read_parquet(self.tables / f"{name}.parquet")


def is_optimisation(folder: Path) -> bool:
    """Whether a folder holds an optimisation (rather than a sweep)."""
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("kind") == KIND
    except (OSError, ValueError):
        return False


def discovery_runs(folder: Path) -> tuple[pd.DataFrame, Path, list[str]]:
    """An optimisation's runs to explain: the hold-out runs if there are any, else every run; with their inputs
    (the levers and the uncertain parameters)."""
    store = OptimizationStore(folder)
    manifest = store.manifest()
    for name in ("holdout", "runs"):
        path = store.tables / f"{name}.parquet"
        if path.is_file():
            return pd.read_parquet(path), path, [*manifest.get("levers", []), *manifest.get("uncertain", [])]
    raise UserError("the optimisation has not written its tables yet (finish it with --resume)", source=str(folder))
