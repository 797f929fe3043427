"""Scenario discovery on a sweep's runs: under which input conditions does an outcome fail?

A run is a case of interest when its outcome meets a threshold (``--fail "> 0.20"``). PRIM finds a
box of inputs where such runs concentrate (``prim``), with its coverage-density trade-off, the
quasi-p value of each restriction and how often resampled data restrict the same inputs; a
classification tree (``cart``) gives a second opinion as rules and feature scores. The result is
a folder of CSV tables, PNG figures and a Markdown summary, written whole or not at all::

    OUT/
      discovery.json            what was asked and what was found (the folder's marker)
      summary.md                the chosen box in words, with its evidence
      tables/trajectory.csv     every box of the PRIM trajectory: coverage, density, mass, restricted inputs
      tables/box.csv            the chosen box: one row per restricted side, limit and quasi-p value
      tables/inputs.csv         the sampled range (or categories) of every input
      tables/stability.csv      share of resamples that restrict each input
      tables/cart_leaves.csv, tables/cart_splits.csv, tables/feature_scores.csv
      figures/tradeoff.png      coverage against density, coloured by restricted inputs, chosen box ringed
      figures/box_limits.png    the chosen box's limits within each input's sampled range

``load_discovery`` reads such a folder back, for the optimisation report.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from . import adapter
from .adapter import UserError
from .folders import publish
from .inputs import input_kinds
from .units import axis_label, format_value

IDENTIFIERS = ("point_id", "replication", "seed", "label", "scenario", "seconds", "warnings")
"""Columns of a sweep's runs that identify or time a run and are never inputs or outcomes."""
MARKER = "discovery.json"
STABILITY_ITERATIONS = 10

Operator = Literal[">", ">=", "<", "<="]
_FAIL = re.compile(r"\s*(>=|<=|>|<)\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*")


@dataclass(frozen=True)
class Threshold:
    """When a run is a case of interest: its outcome compared with a number."""

    operator: Operator
    value: float

    def __call__(self, values: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=float)
        return {">": values > self.value, ">=": values >= self.value, "<": values < self.value,
                "<=": values <= self.value}[self.operator]

    def __str__(self) -> str:
        return f"{self.operator} {self.value:g}"


def parse_fail(text: str) -> Threshold:
    """``"> 0.20"`` as a threshold; anything but one comparison and one finite number is refused."""
    match = _FAIL.fullmatch(text)
    value = float(match.group(2)) if match else math.nan
    if not math.isfinite(value):
        raise UserError(f"expected a comparison (>, >=, <, <=) and a number, e.g. '> 0.20', got {text!r}",
                        source="--fail")
    return Threshold(match.group(1), value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Runs:
    """The rows to explain, with what the sweep's manifest says about its columns (``None`` for a table)."""

    table: pd.DataFrame
    source: str
    parameters: list[str] | None = None
    outcomes: list[str] | None = None


def read_runs(path: str | Path) -> Runs:
    """A sweep's results folder, an optimisation's folder (its hold-out runs, else all its runs), or a Parquet or
    CSV table with one row per run."""
    from .store import discovery_runs, is_optimisation

    path = Path(path)
    if path.is_dir() and is_optimisation(path):
        table, source, inputs = discovery_runs(path)
        outcomes = [c for c in adapter.kpi_names() if c in table.columns]
        return Runs(table, adapter.shown_path(source), [c for c in inputs if c in table.columns], outcomes)
    if path.is_dir():
        runs = Runs(adapter.sweep_runs(path), str(path), adapter.sweep_parameters(path), adapter.sweep_outcomes(path))
        if runs.table.empty:
            raise UserError("the sweep has no finished runs yet", source=str(path))
        return runs
    if not path.exists():
        raise UserError("no such results folder or table", source=str(path))
    readers = {".parquet": pd.read_parquet, ".csv": pd.read_csv}
    if path.suffix.lower() not in readers:
        raise UserError("expected a results folder, a .parquet or a .csv table", source=str(path))
    try:
        table = readers[path.suffix.lower()](path)
    except (ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"cannot read the table ({first})", source=str(path)) from None
    return Runs(table, str(path))


def _hint(word: str, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(allowed), n=1)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; allowed: {', '.join(allowed)}" if allowed else ""


def check_outcome(runs: Runs, outcome: str) -> None:
    """The outcome must be a numeric column of the runs (a KPI the sweep kept, for a sweep)."""
    columns = [c for c in runs.table.columns if c not in IDENTIFIERS]
    known = [k for k in runs.outcomes if k in runs.table.columns] if runs.outcomes is not None else columns
    if outcome not in known:
        raise UserError(f"unknown outcome '{outcome}'{_hint(outcome, known)}", source="--outcome")
    if not pd.api.types.is_numeric_dtype(runs.table[outcome]):
        raise UserError(f"outcome '{outcome}' is not numeric", source="--outcome")


def choose_inputs(runs: Runs, outcome: str, names: Sequence[str] | None = None) -> list[str]:
    """The inputs PRIM and CART may restrict: as named, else the parameters the sweep varied.

    A plain table does not say which columns are parameters; its inputs are the columns that name
    a scenario parameter, and a table with none needs ``--inputs``.
    """
    columns = list(runs.table.columns)
    if names is not None:
        if len(set(names)) != len(names):
            raise UserError("an input is named twice", source="--inputs")
        for name in names:
            if name not in columns:
                raise UserError(f"no column '{name}'{_hint(name, columns)}", source="--inputs")
            if name == outcome:
                raise UserError(f"'{name}' is the outcome; it cannot explain itself", source="--inputs")
        return list(names)
    if runs.parameters is not None:
        inputs = [p for p in runs.parameters if p in columns]
        if not inputs:
            raise UserError("the sweep varied no parameters; name the inputs with --inputs", source=runs.source)
        return inputs
    inputs = [c for c in columns if c not in IDENTIFIERS and c != outcome and adapter.schema_field(c) is not None]
    if not inputs:
        raise UserError("no column of the table names a scenario parameter, so the inputs are unknown; name them "
                        "with --inputs", source=runs.source)
    return inputs


def parse_inputs(text: str | None) -> list[str] | None:
    """``"a,b,c"`` as a list of column names; ``None`` stays ``None``."""
    if text is None:
        return None
    names = [name.strip() for name in text.split(",")]
    if not all(names):
        raise UserError(f"expected column names separated by commas, got {text!r}", source="--inputs")
    return names


@dataclass(frozen=True)
class Discovery:
    """What a discovery found, as tables (see the module docstring for their columns)."""

    outcome: str
    rule: str
    source: str
    inputs: tuple[str, ...]
    rows: int
    cases: int
    dropped: int
    per_point: bool
    seed: int
    chosen: int
    how_chosen: str
    trajectory: pd.DataFrame
    box: pd.DataFrame
    ranges: pd.DataFrame
    stability: pd.DataFrame
    leaves: pd.DataFrame | None = None
    splits: pd.DataFrame | None = None
    scores: pd.DataFrame | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def title(self) -> str:
        return f"When is {self.outcome} {self.rule}?"


def _cases(runs: Runs, outcome: str, inputs: Sequence[str], fail: Threshold, per_point: bool
           ) -> tuple[pd.DataFrame, np.ndarray, int]:
    """The inputs and the case-of-interest flags, one row per run (or per point), and the rows left out."""
    table = runs.table
    if per_point:
        if "point_id" not in table.columns:
            raise UserError("--per-point needs a 'point_id' column", source=runs.source)
        grouped = table.groupby("point_id", sort=True)
        varying = [name for name in inputs if (grouped[name].nunique(dropna=False) > 1).any()]
        if varying:
            raise UserError(f"input '{varying[0]}' differs between the runs of one point", source="--per-point")
        table = pd.concat([grouped[list(inputs)].first(), grouped[outcome].mean()], axis=1).reset_index(drop=True)
    missing = table[outcome].isna()
    table = table.loc[~missing].reset_index(drop=True)
    for name in inputs:
        if table[name].isna().any():
            raise UserError(f"input '{name}' has missing values", source=runs.source)
    if table.empty:
        raise UserError(f"no run has a value of '{outcome}'", source=runs.source)
    values = table[outcome].to_numpy(dtype=float)
    flags = fail(values)
    if flags.all() or not flags.any():
        which = "every" if flags.all() else "no"
        raise UserError(f"{which} run has {outcome} {fail} ({outcome} runs from {values.min():g} to "
                        f"{values.max():g}), so there is nothing to tell apart", source="--fail")
    return table[list(inputs)], flags, int(missing.sum())


def _ranges(x: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for name, kind in input_kinds(x).items():
        if kind == "categorical":
            categories = tuple(sorted((v.item() if isinstance(v, np.generic) else v for v in pd.unique(x[name])),
                                      key=str))
            rows.append({"input": name, "kind": kind, "low": np.nan, "high": np.nan, "categories": categories})
        else:
            rows.append({"input": name, "kind": kind, "low": float(x[name].min()), "high": float(x[name].max()),
                         "categories": None})
    return pd.DataFrame(rows, columns=["input", "kind", "low", "high", "categories"])


def discover(runs: Runs, outcome: str, fail: Threshold, inputs: Sequence[str] | None = None, *, seed: int = 0,
             min_density: float | None = None, box: int | None = None, per_point: bool = False) -> Discovery:
    """Run PRIM and CART on the runs; every random draw comes from ``seed``.

    The box reported is ``box`` (an index into the trajectory), else the widest box of at least
    ``min_density``, else the end of the trajectory.
    """
    from .prim import box_table, prim, resample_stability, restricted_dimensions, select_box

    check_outcome(runs, outcome)
    inputs = choose_inputs(runs, outcome, inputs)
    if min_density is not None and not 0 < min_density <= 1:
        raise UserError(f"must be above 0 and at most 1, got {min_density:g}", source="--min-density")
    x, flags, dropped = _cases(runs, outcome, inputs, fail, per_point)
    try:
        result = prim(x, flags)
    except ValueError as exc:
        raise UserError(str(exc), source=runs.source) from None
    last = len(result.trajectory) - 1
    if box is not None:
        if not 0 <= box <= last:
            raise UserError(f"the trajectory has boxes 0 to {last}, got {box}", source="--box")
        chosen, how = box, f"box #{box} of the trajectory, as asked"
    elif min_density is not None:
        chosen = select_box(result, min_density)
        how = f"the box of largest coverage among those of density at least {min_density:.0%}"
    else:
        chosen, how = select_box(result), "the last and densest box of the trajectory"
    trajectory = result.trajectory.copy()
    trajectory.insert(0, "box", range(len(trajectory)))
    trajectory["restricted"] = ["; ".join(restricted_dimensions(result, i)) for i in range(len(trajectory))]
    rng = np.random.default_rng(seed)
    stability = resample_stability(result, chosen, rng, iterations=STABILITY_ITERATIONS)
    stability = stability.rename_axis("input").reset_index()
    found = Discovery(
        outcome=outcome, rule=str(fail), source=runs.source, inputs=tuple(inputs), rows=len(x),
        cases=int(flags.sum()), dropped=dropped, per_point=per_point, seed=seed, chosen=chosen, how_chosen=how,
        trajectory=trajectory, box=box_table(result, chosen), ranges=_ranges(x), stability=stability)
    return _with_cart(found, x, flags)


def _with_cart(found: Discovery, x: pd.DataFrame, flags: np.ndarray) -> Discovery:
    """Add CART's leaves, splits and feature scores; without scikit-learn, a note says they are missing."""
    try:
        from .cart import cart, cart_leaves, cart_splits, feature_scores
    except ImportError:
        return replace(found, notes=(*found.notes, "CART and feature scores skipped: scikit-learn is not installed."))
    tree = cart(x, flags, seed=found.seed)
    leaves = cart_leaves(tree).drop(columns="conditions")
    scores = feature_scores(x, flags, seed=found.seed).rename_axis("input").reset_index()
    return replace(found, leaves=leaves, splits=cart_splits(tree), scores=scores)


# Writing and reading ----------------------------------------------------------------------------------------


def _json_cell(value: object) -> str:
    return json.dumps(list(value) if isinstance(value, tuple | frozenset | set) else value, default=str)


def restriction_text(rows: pd.DataFrame, unit: str) -> str:
    """One input's restriction in words: ``≥ 0.7021 and ≤ 0.9``, ``one of hotline, wechat``."""
    parts = []
    for row in rows.itertuples():
        if row.side == "categories":
            parts.append("one of " + ", ".join(map(str, row.limit)))
        else:
            parts.append(f"{'≥' if row.side == 'lower' else '≤'} {format_value(row.limit, unit)}")
    return " and ".join(parts)


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    def cell(value: object) -> str:
        return str(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(map(cell, header)) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(map(cell, row)) + " |" for row in rows]
    return "\n".join(lines)


def summary_markdown(found: Discovery, describe=adapter.describe) -> str:
    """The discovery in words: what was asked, the chosen box with its evidence, CART's second opinion."""
    box = found.trajectory.loc[found.chosen]
    unit_of = {name: describe(name) for name in found.inputs}
    what = "points (replications averaged)" if found.per_point else "runs"
    lines = [f"# Scenario discovery: {found.title}", "",
             f"Source: `{found.source}`. {found.rows:,} {what}, of which {found.cases:,} "
             f"({found.cases / found.rows:.1%}) have {found.outcome} {found.rule} (the cases of interest).",
             f"Inputs ({len(found.inputs)}): {', '.join(found.inputs)}. Seed {found.seed}."]
    if found.dropped:
        lines.append(f"{found.dropped:,} rows without a value of {found.outcome} were left out.")
    lines += ["", f"## The chosen box (#{found.chosen} of the PRIM trajectory)", "",
              f"Chosen as {found.how_chosen}; another box is chosen with `--box I` (an index into "
              "`tables/trajectory.csv`) or `--min-density SHARE`.", "",
              f"Coverage {box['coverage']:.1%} (share of all cases of interest inside the box), density "
              f"{box['density']:.1%} (share of the box's {what} that are cases), mass {box['mass']:.1%} of all "
              f"{what} ({int(box['n']):,}).", ""]
    if found.box.empty:
        lines.append("The box restricts no input.")
    else:
        rows = []
        for name, part in found.box.groupby("input", sort=False):
            label, unit = unit_of[name]
            rows.append((axis_label(label, unit), f"`{name}`", restriction_text(part, unit),
                         _p(float(part["quasi_p"].min()))))
        lines.append(_markdown_table(("input", "column", "restriction", "quasi-p"), rows))
        lines += ["", "A quasi-p value is the chance of a box this dense if the restriction were dropped; a large "
                  "one marks a restriction that is probably noise."]
    lines += ["", "![trade-off](figures/tradeoff.png)", "", "![box limits](figures/box_limits.png)", "",
              "## Stability under resampling", "",
              f"Share of {STABILITY_ITERATIONS} PRIM runs on half the data whose box nearest in coverage (or density) "
              "restricts the input:", "",
              _markdown_table(("input", "near the coverage", "near the density"),
                              [(r.input, f"{r.reproduce_coverage:.0%}", f"{r.reproduce_density:.0%}")
                               for r in found.stability.itertuples()])]
    if found.leaves is not None and found.scores is not None:
        lines += ["", "## Second opinion: classification tree (CART)", "",
                  _markdown_table(("leaf rule", what, "cases", "density", "coverage"),
                                  [(r.rule, f"{r.n:,}", f"{r.k:,}", f"{r.density:.1%}", f"{r.coverage:.1%}")
                                   for r in found.leaves.head(5).itertuples()]),
                  "", "Feature scores (extremely randomised trees, sum to 1):", "",
                  _markdown_table(("input", "score"), [(r.input, f"{r.score:.3f}") for r in found.scores.itertuples()])]
    lines += ["", *[f"Note: {note}" for note in found.notes]] if found.notes else []
    lines += ["", "Tables: `tables/` (CSV). Figures: `figures/` (PNG).", ""]
    return "\n".join(lines)


def write_discovery(found: Discovery, out: str | Path, describe=adapter.describe) -> Path:
    """Write the discovery's tables, figures and summary to ``out``, whole or not at all."""
    from .figures import box_limits_figure, save, tradeoff_figure

    def build(folder: Path) -> None:
        tables, figures = folder / "tables", folder / "figures"
        tables.mkdir()
        figures.mkdir()
        found.trajectory.to_csv(tables / "trajectory.csv", index=False)
        found.box.assign(limit=found.box["limit"].map(_json_cell)).to_csv(tables / "box.csv", index=False)
        found.ranges.assign(categories=found.ranges["categories"].map(
            lambda c: _json_cell(c) if c is not None else "")).to_csv(tables / "inputs.csv", index=False)
        found.stability.to_csv(tables / "stability.csv", index=False)
        for name in ("leaves", "splits", "scores"):
            table = getattr(found, name)
            if table is not None:
                file = {"leaves": "cart_leaves", "splits": "cart_splits", "scores": "feature_scores"}[name]
                table.to_csv(tables / f"{file}.csv", index=False)
        save(tradeoff_figure(found.trajectory, found.chosen, found.title), figures / "tradeoff.png")
        box = found.trajectory.loc[found.chosen]
        save(box_limits_figure(found.box, found.ranges,
                               f"Box #{found.chosen}: coverage {box['coverage']:.0%}, density {box['density']:.0%}",
                               describe), figures / "box_limits.png")
        (folder / "summary.md").write_text(summary_markdown(found, describe), encoding="utf-8")
        meta = {"outcome": found.outcome, "rule": found.rule, "source": found.source, "inputs": list(found.inputs),
                "rows": found.rows, "cases": found.cases, "dropped": found.dropped, "per_point": found.per_point,
                "seed": found.seed, "chosen": found.chosen, "how_chosen": found.how_chosen,
                "notes": list(found.notes)}
        (folder / MARKER).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    return publish(Path(out), MARKER, build)


def load_discovery(folder: str | Path) -> Discovery:
    """A discovery folder written by ``write_discovery``, read back as tables."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"not a discovery folder (no {MARKER})", source=str(folder)) from None
    tables = folder / "tables"

    def optional(name: str) -> pd.DataFrame | None:
        path = tables / f"{name}.csv"
        return pd.read_csv(path) if path.is_file() else None

    box = pd.read_csv(tables / "box.csv", dtype={"limit": str})
    box["limit"] = box["limit"].map(lambda text: _tuple(json.loads(text)))
    ranges = pd.read_csv(tables / "inputs.csv", dtype={"categories": str}, keep_default_na=False,
                         na_values={"low": [""], "high": [""]})
    ranges["categories"] = ranges["categories"].map(lambda text: tuple(json.loads(text)) if text else None)
    trajectory = pd.read_csv(tables / "trajectory.csv", keep_default_na=False)
    return Discovery(
        outcome=meta["outcome"], rule=meta["rule"], source=meta["source"], inputs=tuple(meta["inputs"]),
        rows=meta["rows"], cases=meta["cases"], dropped=meta["dropped"], per_point=meta["per_point"],
        seed=meta["seed"], chosen=meta["chosen"], how_chosen=meta["how_chosen"], trajectory=trajectory, box=box,
        ranges=ranges, stability=pd.read_csv(tables / "stability.csv"), leaves=optional("cart_leaves"),
        splits=optional("cart_splits"), scores=optional("feature_scores"), notes=tuple(meta["notes"]))


def _tuple(value: object) -> object:
    return tuple(value) if isinstance(value, list) else value


def default_out(results: str | Path, outcome: str) -> Path:
    """Beside the runs: ``RESULTS/discovery-KPI/`` for a sweep, ``TABLE-discovery-KPI/`` for a table."""
    results = Path(results)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", outcome)
    if results.is_dir():
        return results / f"discovery-{safe}"
    return results.with_name(f"{results.stem}-discovery-{safe}")
