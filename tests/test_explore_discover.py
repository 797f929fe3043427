"""``cogov discover`` end to end on a planted failure: the box found, the files written, and bad input
refused in one line with exit code 2 before anything is written."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import sim.cli
from sim.errors import UserError
from sim.explore import figures
from sim.explore.discover import Runs, discover, load_discovery, parse_fail

INPUTS = ["u1", "u2", "u3", "u4", "u5", "u6"]
FILES = ["discovery.json", "summary.md", "tables/trajectory.csv", "tables/box.csv", "tables/inputs.csv",
         "tables/stability.csv", "tables/cart_leaves.csv", "tables/cart_splits.csv", "tables/feature_scores.csv",
         "figures/tradeoff.png", "figures/box_limits.png"]


def planted_runs() -> pd.DataFrame:
    """2,000 LHS runs over six inputs of every kind; failure exactly when u1 > 0.7 and u2 < 0.3.

    ``failure_rate`` is the KPI; ``backlog_end`` is another KPI that tracks failure closely, so a
    discovery that took KPIs for inputs would restrict it.
    """
    rng = np.random.default_rng(20240601)
    n = 2000
    u = (rng.permuted(np.tile(np.arange(n), (6, 1)), axis=1).T + rng.random((n, 6))) / n
    runs = pd.DataFrame({
        "point_id": np.arange(n), "replication": 0, "seed": rng.integers(0, 2**31, n), "label": "",
        "u1": u[:, 0], "u2": u[:, 1], "u3": u[:, 2], "u4": (u[:, 3] * 10).astype(int),
        "u5": np.array(["hotline", "wechat", "door_to_door"])[(u[:, 4] * 3).astype(int)], "u6": u[:, 5] > 0.5,
    })
    failed = (runs["u1"] > 0.7) & (runs["u2"] < 0.3)
    runs["failure_rate"] = np.where(failed, 0.25, 0.15) + rng.uniform(-0.04, 0.04, n)
    runs["backlog_end"] = 100 * runs["failure_rate"] + rng.normal(0, 0.1, n)
    return runs


@pytest.fixture(scope="module")
def runs() -> pd.DataFrame:
    return planted_runs()


def sweep_folder(path, runs: pd.DataFrame):
    """A results folder as ``cogov sweep`` leaves it: a manifest and run files."""
    (path / "runs").mkdir(parents=True)
    (path / "manifest.json").write_text(json.dumps({
        "format": 1, "experiment": "planted", "design": "lhs", "parameters": INPUTS,
        "outcomes": ["failure_rate", "backlog_end"], "replications": 1, "status": "done"}), encoding="utf-8")
    runs.to_parquet(path / "runs" / "p00000-r0000.parquet", index=False)
    return path


def cogov(*argv: str) -> int:
    """The real command line with only the core commands and ``discover`` registered."""
    return sim.cli.main(list(argv))


@pytest.fixture(autouse=True)
def discover_command(monkeypatch):
    monkeypatch.setattr(sim.cli, "COMMAND_MODULES", ("sim.explore.commands",))


def assert_planted_box(box: pd.DataFrame) -> None:
    limits = {(r.input, r.side): r.limit for r in box.itertuples()}
    assert set(limits) == {("u1", "lower"), ("u2", "upper")}
    assert abs(limits[("u1", "lower")] - 0.7) <= 0.05
    assert abs(limits[("u2", "upper")] - 0.3) <= 0.05


def test_discover_finds_the_planted_box_in_a_sweep_folder(tmp_path, runs, capsys):
    folder = sweep_folder(tmp_path / "planted", runs)
    assert cogov("discover", str(folder), "--outcome", "failure_rate", "--fail", "> 0.20", "--seed", "3") == 0
    out = folder / "discovery-failure_rate"
    for name in FILES:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    found = load_discovery(out)
    assert found.inputs == tuple(INPUTS)
    assert found.cases == int(((runs["u1"] > 0.7) & (runs["u2"] < 0.3)).sum())
    assert_planted_box(found.box)
    assert (found.box["quasi_p"] < 1e-10).all()
    box = found.trajectory.loc[found.chosen]
    assert box["coverage"] >= 0.9 and box["density"] >= 0.9
    assert found.trajectory.loc[found.chosen, "restricted"] == "u1; u2"
    stable = found.stability.set_index("input")
    assert (stable.loc[["u1", "u2"], "reproduce_density"] == 1.0).all()
    assert set(found.scores["input"].iloc[:2]) == {"u1", "u2"}
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "failure_rate > 0.2" in summary and "`u1`" in summary and "figures/tradeoff.png" in summary
    printed = capsys.readouterr().out
    assert "u1 ≥ 0.7" in printed and f"Results in {out}/" in printed
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]


def test_discover_reads_a_csv_table_with_named_inputs(tmp_path, runs):
    table = tmp_path / "runs.csv"
    runs.to_csv(table, index=False)
    out = tmp_path / "found"
    assert cogov("discover", str(table), "--outcome", "failure_rate", "--fail", ">=0.2", "--inputs",
                 "u1, u2,u3,u4,u5,u6", "--out", str(out), "--min-density", "0.95") == 0
    found = load_discovery(out)
    assert found.inputs == tuple(INPUTS)
    assert_planted_box(found.box)
    assert found.trajectory.loc[found.chosen, "density"] >= 0.95
    assert "at least 95%" in found.how_chosen


def test_discover_is_reproducible_from_its_seed(runs):
    first = discover(Runs(runs, "planted", INPUTS, ["failure_rate"]), "failure_rate", parse_fail("> 0.2"), seed=5)
    again = discover(Runs(runs, "planted", INPUTS, ["failure_rate"]), "failure_rate", parse_fail("> 0.2"), seed=5)
    pd.testing.assert_frame_equal(first.stability, again.stability)
    pd.testing.assert_frame_equal(first.scores, again.scores)
    pd.testing.assert_frame_equal(first.trajectory, again.trajectory)


def test_discover_per_point_averages_replications(runs):
    twice = pd.concat([runs, runs.assign(replication=1, failure_rate=runs["failure_rate"] + 0.01)])
    found = discover(Runs(twice, "planted", INPUTS, ["failure_rate"]), "failure_rate", parse_fail("> 0.205"),
                     per_point=True)
    assert found.rows == len(runs)
    assert_planted_box(found.box)


@pytest.mark.parametrize("text, operator, value", [
    ("> 0.20", ">", 0.2), (">=0.2", ">=", 0.2), ("  < -1.5e3 ", "<", -1500.0), ("<= .5", "<=", 0.5), ("> 3", ">", 3.0),
])
def test_fail_expressions_are_read_exactly(text, operator, value):
    threshold = parse_fail(text)
    assert (threshold.operator, threshold.value) == (operator, value)
    np.testing.assert_array_equal(threshold(np.array([value - 1, value, value + 1])),
                                  {">": [0, 0, 1], ">=": [0, 1, 1], "<": [1, 0, 0], "<=": [1, 1, 0]}[operator])


def refused(capsys, *argv: str) -> str:
    assert cogov(*argv) == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.mark.parametrize("text", ["0.2", "=> 0.2", "== 0.2", "> abc", "> 0.2 0.3", "> 0.2%", ">", "", "> nan",
                                  "> inf", "< 1e999", "> 0,2", ">> 1", "> 0.2\n< 0.1"])
def test_bad_fail_expressions_exit_2_in_one_line(tmp_path, runs, capsys, text):
    folder = sweep_folder(tmp_path / "planted", runs)
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rate", "--fail", text)
    assert line.startswith("error: --fail: expected a comparison")
    assert not (folder / "discovery-failure_rate").exists()


def test_unknown_outcome_exits_2_with_a_hint(tmp_path, runs, capsys):
    folder = sweep_folder(tmp_path / "planted", runs)
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rat", "--fail", "> 0.2")
    assert line == "error: --outcome: unknown outcome 'failure_rat'; did you mean 'failure_rate'?"
    line = refused(capsys, "discover", str(folder), "--outcome", "u1", "--fail", "> 0.2")
    assert "unknown outcome 'u1'" in line
    assert not [p.name for p in folder.iterdir() if p.name.startswith("discovery") or p.name.startswith(".")]


@pytest.mark.parametrize("argv, message", [
    (["--inputs", "u1,u9"], "--inputs: no column 'u9'"),
    (["--inputs", "u1,,u2"], "--inputs: expected column names separated by commas"),
    (["--inputs", "u1,failure_rate"], "is the outcome"),
    (["--seed", "-1"], "must be a whole number of at least 0"),
    (["--min-density", "1.5"], "--min-density: must be above 0 and at most 1"),
    (["--box", "9999"], "--box: the trajectory has boxes 0 to"),
])
def test_bad_options_exit_2_in_one_line(tmp_path, runs, capsys, argv, message):
    folder = sweep_folder(tmp_path / "planted", runs)
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rate", "--fail", "> 0.2", *argv)
    assert message in line


def test_a_threshold_no_run_meets_is_refused(tmp_path, runs, capsys):
    folder = sweep_folder(tmp_path / "planted", runs)
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rate", "--fail", "> 5")
    assert "no run has failure_rate > 5" in line


def test_a_plain_table_without_parameter_columns_needs_inputs(tmp_path, runs, capsys):
    table = tmp_path / "runs.parquet"
    runs.to_parquet(table, index=False)
    line = refused(capsys, "discover", str(table), "--outcome", "failure_rate", "--fail", "> 0.2")
    assert "name them with --inputs" in line
    line = refused(capsys, "discover", str(tmp_path / "missing.csv"), "--outcome", "failure_rate", "--fail", "> 0.2")
    assert "no such results folder or table" in line


def test_a_table_inputs_default_to_the_columns_naming_scenario_parameters(runs):
    table = runs.rename(columns={"u1": "workforce.salary_ratio", "u2": "workforce.admin_share"})
    found = discover(Runs(table, "table"), "failure_rate", parse_fail("> 0.2"))
    assert found.inputs == ("workforce.salary_ratio", "workforce.admin_share")
    assert set(found.box["input"]) == {"workforce.salary_ratio", "workforce.admin_share"}


def test_a_failed_write_leaves_nothing_and_keeps_the_earlier_result(tmp_path, runs, monkeypatch):
    folder = sweep_folder(tmp_path / "planted", runs)
    argv = ("discover", str(folder), "--outcome", "failure_rate", "--fail", "> 0.2")
    out = folder / "discovery-failure_rate"

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(figures, "box_limits_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cogov(*argv)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "runs"]
    monkeypatch.undo()
    monkeypatch.setattr(sim.cli, "COMMAND_MODULES", ("sim.explore.commands",))
    assert cogov(*argv) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.setattr(figures, "box_limits_figure", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        cogov(*argv, "--seed", "9")
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in folder.iterdir()) == ["discovery-failure_rate", "manifest.json", "runs"]


def test_an_output_folder_holding_other_files_is_refused_untouched(tmp_path, runs, capsys):
    folder = sweep_folder(tmp_path / "planted", runs)
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rate", "--fail", "> 0.2",
                   "--out", str(folder))
    assert "no discovery.json" in line
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "runs"]


def test_discovery_errors_are_user_errors_with_a_source():
    with pytest.raises(UserError) as err:
        parse_fail("between 1 and 2")
    assert err.value.source == "--fail" and err.value.exit_code == 2


def test_a_sweep_without_finished_runs_is_refused(tmp_path, runs, capsys):
    folder = sweep_folder(tmp_path / "planted", runs)
    (folder / "runs" / "p00000-r0000.parquet").unlink()
    line = refused(capsys, "discover", str(folder), "--outcome", "failure_rate", "--fail", "> 0.2")
    assert "no finished runs" in line
