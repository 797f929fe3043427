"""Experiment files, designs, seeds and statistics (no model runs beyond tiny ones)."""

from __future__ import annotations

import inspect
import itertools
from pathlib import Path

import mesa
import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as sps

import sim
from sim.cli import main
from sim.errors import UserError
from sim.experiments import differences, evaluate, evaluate_samples, load_experiment, mean_ci, run_seed
from sim.experiments.spec import shipped_experiments
from sim.outputs import kpi_names

pytestmark = pytest.mark.filterwarnings("ignore:.*below the cost of a post:UserWarning")

SHIPPED = sorted(shipped_experiments().values())
TINY = {"population.residents": 200, "simulation.resident_agents": False}


def write(tmp_path: Path, data: dict, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def grid(**extra) -> dict:
    return {"name": "g", "design": {"kind": "grid", "parameters": {
        "workforce.salary_ratio": [0.5, 0.8], "funding.contract_value_per_post_yuan_year": [6e4, 8e4, 1e5]}},
        **extra}


# Shipped files ---------------------------------------------------------------
def test_the_four_required_experiments_are_shipped():
    names = {p.stem for p in SHIPPED}
    assert {"funding_x_pay", "policy_comparison", "staffing_returns", "morris_screening"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_experiment_validates(path):
    exp = load_experiment(path)
    assert exp.points and exp.n_runs == len(exp.points) * exp.spec.replications
    assert set(exp.outcomes) <= set(kpi_names())


def test_shipped_experiments_have_the_designs_the_issue_asks_for():
    kinds = {p.stem: load_experiment(p) for p in SHIPPED}
    assert kinds["funding_x_pay"].kind == "grid"
    assert set(kinds["funding_x_pay"].parameters) == {"funding.contract_value_per_post_yuan_year",
                                                      "workforce.salary_ratio"}
    assert [p.label for p in kinds["policy_comparison"].points] == [
        "baseline", "pay_raise", "funding_cut", "staffing_expansion", "admin_burden",
        "five_society_linkage"]
    assert kinds["staffing_returns"].parameters == ["workforce.posts_per_1000_residents"]
    assert kinds["morris_screening"].kind == "morris"
    assert 8 <= len(kinds["morris_screening"].parameters) <= 10


# Designs ---------------------------------------------------------------------
def test_grid_is_the_full_factorial_in_listed_order(tmp_path):
    exp = load_experiment(write(tmp_path, grid()))
    got = [(p.params["workforce.salary_ratio"], p.params["funding.contract_value_per_post_yuan_year"])
           for p in exp.points]
    assert got == list(itertools.product([0.5, 0.8], [6e4, 8e4, 1e5]))
    assert [p.id for p in exp.points] == list(range(6))
    assert all(isinstance(v, float) for p in exp.points for v in p.params.values())


def test_scenarios_design_keeps_order_labels_and_overrides(tmp_path):
    data = {"name": "s", "design": {"kind": "scenarios", "scenarios": [
        "baseline", {"scenario": "baseline", "label": "paid", "set": {"workforce.salary_ratio": 0.9}}]}}
    exp = load_experiment(write(tmp_path, data))
    assert [p.label for p in exp.points] == ["baseline", "paid"]
    assert exp.scenarios["paid"].workforce.salary_ratio == 0.9
    assert exp.scenarios["baseline"].workforce.salary_ratio != 0.9


def test_lhs_puts_one_sample_in_every_stratum_and_rounds_integers(tmp_path):
    data = {"name": "l", "seed": 5, "design": {"kind": "lhs", "samples": 10, "parameters": {
        "workforce.salary_ratio": [0.5, 1.0], "workforce.target_caseload": [10, 20]}}}
    exp = load_experiment(write(tmp_path, data))
    x = np.array([p.params["workforce.salary_ratio"] for p in exp.points])
    assert sorted(np.floor((x - 0.5) / 0.05).astype(int)) == list(range(10))
    assert all(isinstance(p.params["workforce.target_caseload"], int) for p in exp.points)
    again = load_experiment(write(tmp_path, data, "again.yaml"))
    assert [p.params for p in again.points] == [p.params for p in exp.points]


def test_morris_and_sobol_sizes_follow_salib(tmp_path):
    params = {"workforce.salary_ratio": [0.5, 1.0], "workforce.admin_share": [0.1, 0.5],
              "funding.renewal_floor": [0.3, 0.8]}
    morris = load_experiment(write(tmp_path, {"name": "m", "design": {
        "kind": "morris", "trajectories": 4, "parameters": params}}, "m.yaml"))
    assert len(morris.points) == 4 * (3 + 1)
    steps = np.diff(morris.sample.reshape(4, 4, 3), axis=1)
    assert ((steps != 0).sum(axis=2) == 1).all()  # one parameter moves per step
    sobol = load_experiment(write(tmp_path, {"name": "s", "design": {
        "kind": "sobol", "samples": 8, "parameters": params}}, "s.yaml"))
    assert len(sobol.points) == 8 * (3 + 2)
    lo, hi = np.array(list(params.values())).T
    assert ((sobol.sample >= lo) & (sobol.sample <= hi)).all()


def test_shrink_options_change_size_not_validity():
    exp = load_experiment("morris_screening", replications=2, samples=2,
                          overrides={"population.residents": 300}, weeks=30)
    assert exp.spec.replications == 2 and len(exp.points) == 2 * (len(exp.parameters) + 1)
    assert exp.scenarios["baseline"].population.residents == 300
    assert exp.spec.weeks == 30


# Seeds -----------------------------------------------------------------------
def test_seeds_depend_only_on_master_point_and_replication():
    assert run_seed(7, 3) == run_seed(7, 3)
    assert run_seed(7, 3, point=2) == run_seed(7, 3, point=2)
    seeds = {run_seed(7, r, point=p) for p in range(20) for r in range(20)}
    assert len(seeds) == 400
    assert run_seed(7, 0) != run_seed(8, 0)
    assert all(0 <= s < 2**63 for s in seeds)


def test_common_random_numbers_share_seeds_across_points(tmp_path):
    from sim.experiments.runner import tasks

    crn = list(tasks(load_experiment(write(tmp_path, grid(replications=3)))))
    by_rep = {}
    for t in crn:
        by_rep.setdefault(t.replication, set()).add(t.seed)
    assert all(len(s) == 1 for s in by_rep.values()) and len(by_rep) == 3
    indep = list(tasks(load_experiment(write(tmp_path, grid(replications=3, common_random_numbers=False),
                                             "i.yaml"))))
    assert len({t.seed for t in indep}) == len(indep)


# Statistics ------------------------------------------------------------------
def test_mean_ci_matches_the_t_interval():
    x = np.array([1.0, 2.0, 4.0, 7.0, 11.0])
    m, lo, hi = mean_ci(x)
    half = sps.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)
    assert m == pytest.approx(5.0)
    assert (lo, hi) == pytest.approx((5.0 - half, 5.0 + half))
    assert np.isnan(mean_ci([3.0])[1])


def test_mean_ci_covers_the_true_mean_about_95_percent_of_the_time():
    rng = np.random.default_rng(11)
    hits = 0
    for _ in range(2000):
        _, lo, hi = mean_ci(rng.normal(3.0, 2.0, size=8))
        hits += lo <= 3.0 <= hi
    assert 0.93 < hits / 2000 < 0.97


def test_paired_differences_use_the_shared_seeds():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 5, size=30)  # shared by both points, as common random numbers give
    runs = pd.DataFrame({"point_id": [0] * 30 + [1] * 30, "seed": list(range(30)) * 2,
                         "y": np.r_[10 + noise, 11 + noise + rng.normal(0, 0.1, 30)]})
    d = differences(runs, ["y"]).iloc[0]
    assert d["method"] == "paired"
    assert d["ci_low"] < 1.0 < d["ci_high"] and d["ci_high"] - d["ci_low"] < 0.2
    unpaired = runs.assign(seed=np.r_[np.arange(30), np.arange(30, 60)])
    w = differences(unpaired, ["y"]).iloc[0]
    assert w["method"] == "welch" and w["ci_high"] - w["ci_low"] > 2


# Bad experiment files: one line, exit code 2, nothing written ------------------
BAD = [
    ({"design": {"kind": "grid", "parameters": {"workforce.salary_ratio": [0.5]}}}, "name"),
    (grid(replicatons=3), "did you mean 'replications'"),
    ({"name": "x", "design": {"kind": "gird", "parameters": {}}}, "did you mean 'grid'"),
    ({"name": "x", "design": {"kind": "grid", "parameters": {"workforce.salary_ratoi": [0.5]}}},
     "did you mean 'workforce.salary_ratio'"),
    ({"name": "x", "design": {"kind": "grid", "parameters": {"workforce.salary_ratio": [0.5, 9]}}},
     "design.parameters.workforce.salary_ratio: value 9"),
    ({"name": "x", "design": {"kind": "grid", "parameters": {"workforce": [1]}}}, "names a section"),
    ({"name": "x", "design": {"kind": "grid", "parameters": {"simulation.seed": [1, 2]}}}, "master seed"),
    (grid(outcomes=["sw_turnover"]), "did you mean 'sw_turnover_rate'"),
    (grid(replications=0), "replications"),
    (grid(base="basline"), "did you mean 'baseline'"),
    ({"name": "x", "design": {"kind": "morris", "parameters": {
        "workforce.salary_ratio": [0.9, 0.5], "workforce.admin_share": [0.1, 0.2]}}}, "low < high"),
    ({"name": "x", "design": {"kind": "sobol", "samples": 100, "parameters": {
        "workforce.salary_ratio": [0.5, 0.9], "workforce.admin_share": [0.1, 0.2]}}}, "power of two"),
    ({"name": "x", "design": {"kind": "scenarios", "scenarios": ["baseline", "pay_rise"]}},
     "did you mean 'pay_raise'"),
    ({"name": "x", "design": {"kind": "scenarios", "scenarios": ["baseline", "baseline"]}}, "unique"),
    ({"name": "x", "design": {"kind": "lhs", "parameters": {"deliberation.enabled": [0, 1]}}},
     "not numeric"),
    (grid(set={"workforce.salary_ratio": 0.7}), "both varied"),
]


@pytest.mark.parametrize("data,needle", BAD, ids=[n for _, n in BAD])
def test_bad_experiment_exits_2_with_one_line(tmp_path, capsys, data, needle):
    path = write(tmp_path, data)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and str(path) in err
    assert needle in err
    assert not out.exists()


@pytest.mark.parametrize("text,needle", [("name: x\ndesign: [1\n", "malformed YAML"),
                                         ("- a\n- b\n", "mapping"), ("", "mapping"),
                                         ("name: x\nname: y\n", "key 'name' appears twice")])
def test_unreadable_experiment_exits_2(tmp_path, capsys, text, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    assert main(["sweep", str(path), "--no-progress"]) == 2
    assert needle in capsys.readouterr().err


@pytest.mark.parametrize("argv,needle", [
    (["sweep", "funding_x_pay", "--workers", "0"], "--workers"),
    (["sweep", "funding_x_pay", "--scheduler", "tcp://x:1"], "--executor dask"),
    (["sweep", "funding_x_pay", "--set", "workforce.salary_ratoi=1"], "did you mean"),
    (["sweep", "funding_x_pay", "--samples", "3"], "no samples"),
    (["sweep", "funding_x_pay", "--reps", "0"], "replications"),
    (["sensitivity", "funding_x_pay"], "morris or sobol"),
    (["sweep", "no_such_experiment"], "no such experiment"),
    (["compare", "baseline", "pay_rise"], "did you mean 'pay_raise'"),
    (["report", "."], "not a results folder"),
])
def test_bad_command_line_exits_2(tmp_path, capsys, argv, needle):
    assert main([*argv, *(["--out", str(tmp_path / "o")] if argv[0] != "report" else [])]) == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_output_folder_with_other_content_is_refused(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sweep", "staffing_returns", "--out", str(tmp_path), "--no-progress"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


# Interoperability ---------------------------------------------------------------
def test_evaluate_is_a_plain_function_of_flat_keywords():
    tiny = {"population__residents": 200, "simulation__resident_agents": False,
            "workforce__posts_per_1000_residents": 10.0}
    a = evaluate(seed=4, weeks=12, workforce__salary_ratio=0.9, **tiny)
    assert pd.Series(a).equals(pd.Series(evaluate(seed=4, weeks=12, workforce__salary_ratio=0.9, **tiny)))
    assert set(a) == set(kpi_names())
    low = evaluate(seed=4, weeks=12, workforce__salary_ratio=0.5, **tiny)
    assert low["sw_pay_ratio_mean"] < a["sw_pay_ratio_mean"]
    with pytest.raises(UserError, match="did you mean"):
        evaluate(workforce__salary_ratoi=0.9)


def test_evaluate_plugs_into_salib_problemspec():
    from SALib import ProblemSpec

    sp = ProblemSpec({"names": ["workforce.salary_ratio", "funding.renewal_floor"],
                      "bounds": [[0.5, 0.9], [0.3, 0.8]], "outputs": ["trust_mean", "sw_pay_ratio_mean"]})
    sp.sample_latin(3, seed=1)
    sp.evaluate(evaluate_samples, sp["names"], sp["outputs"], seed=2, weeks=10,
                base={"population": {"residents": 3000}, "simulation": {"resident_agents": False}})
    assert sp.results.shape == (3, 2) and np.isfinite(sp.results).all()


def test_mesa_batch_run_accepts_flat_overrides_and_rng():
    params = {"population__residents": 200, "simulation__resident_agents": False,
              "simulation__horizon_weeks": 12, "simulation__warmup_weeks": 0,
              "workforce__salary_ratio": [0.6, 0.9]}
    kw = {}
    if "rng" in inspect.signature(mesa.batch_run).parameters:
        kw["rng"] = [1, 2]
    else:
        params["rng"] = [1, 2]
    runs = pd.DataFrame(mesa.batch_run(sim.CommunityModel, parameters=params, max_steps=12,
                                       number_processes=1, display_progress=False, **kw))
    assert len(runs) == 4 and (runs["week"] == 12).all()
    assert set(runs["workforce__salary_ratio"]) == {0.6, 0.9}
    again = pd.DataFrame(mesa.batch_run(sim.CommunityModel, parameters=params, max_steps=12,
                                        number_processes=1, display_progress=False, **kw))
    pd.testing.assert_frame_equal(runs, again)


def test_dask_executor_without_dask_installed_exits_2_before_writing(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "distributed", None)
    out = tmp_path / "o"
    assert main(["sweep", "staffing_returns", "--executor", "dask", "--out", str(out)]) == 2
    assert "pip install 'cogov-sim[dask]'" in capsys.readouterr().err
    assert not out.exists()
