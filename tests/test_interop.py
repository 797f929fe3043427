"""The model from other tools and from Python scripts: EMA Workbench, SALib, mesa.batch_run, worker
processes, errors and warnings as Python callers see them."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool

import mesa
import numpy as np
import pandas as pd
import pytest

import sim
from sim.errors import MeasurementWarning, UserError, each_run_warns, warn_once
from sim.experiments import evaluate, evaluate_samples, load_experiment, run_experiment
from sim.experiments import runner as runner_module

SMALL = {"population__residents": 3000, "simulation__warmup_weeks": 8, "weeks": 60}
"""Three social workers measured for 52 weeks: small, yet turnover is defined."""
SMALL_SET = {"population.residents": 3000, "simulation.warmup_weeks": 8}


def script(tmp_path, body: str, name: str = "study.py", timeout: int = 240) -> subprocess.CompletedProcess:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return subprocess.run([sys.executable, path.name], cwd=tmp_path, capture_output=True, text=True,
                          timeout=timeout)


# EMA Workbench -----------------------------------------------------------------------------------
EMA_SCRIPT = """
    import ema_workbench
    import numpy as np
    from ema_workbench import (CategoricalParameter, Constant, Model, RealParameter, ReplicatorModel,
                               ScalarOutcome, perform_experiments)
    from sim.experiments import evaluate

    EMA3 = int(ema_workbench.__version__.split(".")[0]) >= 3
    kw = {"uncertainty_sampling_kwargs": {"rng": 5}} if EMA3 else {}
    if not EMA3:
        np.random.seed(5)
    small = [Constant("population__residents", 3000), Constant("simulation__warmup_weeks", 8),
             Constant("weeks", 60)]
    one = Model("one", function=evaluate)
    one.uncertainties = [RealParameter("workforce__salary_ratio", 0.5, 0.95),
                         CategoricalParameter("base", ["baseline", "pay_raise"])]
    one.constants = [Constant("seed", 1), *small]
    one.outcomes = [ScalarOutcome("sw_turnover_rate"), ScalarOutcome("sw_headcount_mean")]
    experiments, outcomes = perform_experiments(one, scenarios=3, **kw)
    assert "scenario" in experiments and "base" in experiments
    assert (outcomes["sw_headcount_mean"] > 0).all() and np.isfinite(outcomes["sw_turnover_rate"]).all()
    reps = ReplicatorModel("reps", function=evaluate)
    reps.uncertainties = [RealParameter("workforce__salary_ratio", 0.5, 0.95)]
    reps.constants = small
    reps.replications = [{"seed": s} for s in range(2)]
    reps.outcomes = [ScalarOutcome("sw_turnover_rate", function=np.mean)]
    experiments, outcomes = perform_experiments(reps, scenarios=2, **kw)
    assert outcomes["sw_turnover_rate"].shape == (2,)
    print("EMA", ema_workbench.__version__, "ok")
"""


@pytest.mark.slow
def test_ema_model_and_replicator_model_run_on_the_installed_ema(tmp_path):
    pytest.importorskip("ema_workbench")
    done = script(tmp_path, EMA_SCRIPT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ok" in done.stdout


def test_the_old_scenario_keyword_gets_one_clear_line():
    with pytest.raises(UserError, match=r"base=") as err:
        evaluate(scenario="baseline")
    assert "\n" not in str(err.value)
    with pytest.raises(UserError, match=r"base="):
        evaluate_samples(np.array([[0.6]]), ["workforce.salary_ratio"], ["trust_mean"], scenario="baseline")


def test_errors_from_python_name_the_function_not_a_command_line_option():
    for call, needle in ((lambda: evaluate(workforce__salary_ratoi=0.8), "evaluate: workforce__salary_ratoi"),
                         (lambda: evaluate(workforce__salary_ratio=9.0), "evaluate: workforce.salary_ratio"),
                         (lambda: sim.CommunityModel(workforce__salary_ratoi=1), "CommunityModel:")):
        with pytest.raises(UserError) as err:
            call()
        assert needle in str(err.value) and "--set" not in str(err.value)


# Warnings ------------------------------------------------------------------------------------------
def test_warn_once_says_each_kind_once_per_process_and_again_per_run():
    def warn(value):
        warn_once(f"value {value} is low", key="test-kind")

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for v in range(5):
            warn(v)
        with each_run_warns():
            warn(99)
        warn(100)
    assert [str(w.message) for w in caught] == ["value 0 is low", "value 99 is low"]


def test_a_warning_every_parameter_set_repeats_is_given_once():
    x = np.array([[30000.0, 0.6], [35000.0, 0.7], [40000.0, 0.8]])
    # A process that has not warned yet (earlier tests may have): the warning comes once, not three times.
    with each_run_warns(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        y = evaluate_samples(x, ["funding.contract_value_per_post_yuan_year", "workforce.salary_ratio"],
                             ["sw_headcount_mean"], seed=3, weeks=60, fixed=SMALL_SET)
    below = [w for w in caught if "below the cost of a post" in str(w.message)]
    assert len(y) == 3 and len(below) == 1
    assert len([w for w in caught if issubclass(w.category, MeasurementWarning)]) <= 2


# SALib ------------------------------------------------------------------------------------------------
def test_evaluate_samples_rounds_integers_and_takes_fixed_settings():
    from SALib import ProblemSpec

    sp = ProblemSpec({"names": ["workforce.salary_ratio", "workforce.target_caseload"],
                      "bounds": [[0.5, 0.9], [10, 20]], "outputs": ["sw_caseload_mean", "sw_headcount_mean"]})
    sp.sample_sobol(2, calc_second_order=False, seed=1)
    assert not np.all(np.mod(sp.samples[:, 1], 1) == 0)
    sp.evaluate(evaluate_samples, sp["names"], sp["outputs"], seed=2, base="baseline", weeks=60, fixed=SMALL_SET)
    assert sp.results.shape == (len(sp.samples), 2) and (sp.results[:, 1] > 0).all()
    with pytest.raises(UserError, match="both sampled"):
        evaluate_samples(np.array([[0.6]]), ["workforce.salary_ratio"], ["trust_mean"],
                         fixed={"workforce__salary_ratio": 0.7})
    with pytest.raises(UserError, match="did you mean"):
        evaluate_samples(np.array([[0.6]]), ["workforce.salary_ratio"], ["sw_turnover"])


def test_morris_and_sobol_intervals_stay_in_their_range(tmp_path):
    from sim.experiments import sensitivity

    params = {"workforce.salary_ratio": [0.5, 0.9], "workforce.admin_share": [0.1, 0.5],
              "funding.renewal_floor": [0.3, 0.8]}
    rng = np.random.default_rng(4)
    for kind, size in (("morris", {"trajectories": 6}), ("sobol", {"samples": 8})):
        exp = load_experiment({"name": kind, "design": {"kind": kind, "parameters": params, **size}})
        design = pd.DataFrame({"point_id": [p.id for p in exp.points]})
        for j, name in enumerate(exp.parameters):
            design[f"sample:{name}"] = exp.sample[:, j]
        noise = rng.normal(0, 1.0, size=len(design))
        runs = pd.DataFrame({"point_id": design["point_id"], "trust_mean": 0.01 * exp.sample[:, 0] + noise})
        table = sensitivity.indices(exp.spec, design, runs, ["trust_mean"])
        if kind == "morris":
            assert (table["mu_star_ci_low"] >= 0).all()
        else:
            for key in ("S1", "ST"):
                assert table[f"{key}_ci_low"].between(0, 1).all() and table[f"{key}_ci_high"].between(0, 1).all()


# mesa.batch_run ---------------------------------------------------------------------------------------
BATCH = {"population__residents": 3000, "simulation__horizon_weeks": 30, "simulation__warmup_weeks": 4,
         "simulation__resident_agents": False, "workforce__salary_ratio": [0.64, 0.85]}


def batch(**kw) -> pd.DataFrame:
    return pd.DataFrame(mesa.batch_run(sim.CommunityModel, max_steps=30, number_processes=1,
                                       display_progress=False, **kw))


def test_batch_run_iterations_are_distinct_seeded_replications():
    rows = batch(parameters=BATCH, iterations=3)
    assert len(rows) == 6 and (rows["week"] == 30).all()
    per_iteration = rows[rows["workforce__salary_ratio"] == 0.64]
    assert per_iteration[["backlog", "trust_mean"]].drop_duplicates().shape[0] == 3
    pd.testing.assert_frame_equal(rows, batch(parameters=BATCH, iterations=3))


def test_batch_run_takes_explicit_seeds_on_every_mesa_version():
    seeded = batch(parameters={**BATCH, "simulation__seed": [5, 6]})
    assert set(seeded["simulation__seed"]) == {5, 6}
    direct = sim.CommunityModel(None, seed=5, **{k: v for k, v in BATCH.items() if not isinstance(v, list)},
                                workforce__salary_ratio=0.64)
    direct.run(30)
    row = seeded[(seeded["simulation__seed"] == 5) & (seeded["workforce__salary_ratio"] == 0.64)].iloc[0]
    assert row["backlog"] == direct.datacollector.model_vars["backlog"][-1]
    with pytest.raises(UserError, match="seed or rng"):
        sim.CommunityModel(None, seed=1, rng=2)


def test_batch_run_rows_carry_run_level_kpis():
    rows = batch(parameters=BATCH, iterations=2)
    assert {"sw_turnover_rate", "summary.trust_mean", "seed"} <= set(rows.columns)
    fixed = {k.replace("__", "."): v for k, v in BATCH.items() if not isinstance(v, list)}
    for _, row in rows.iterrows():
        direct = sim.run_scenario("baseline", seed=int(row["seed"]), overrides={
            **fixed, "workforce.salary_ratio": row["workforce__salary_ratio"]}).summary
        assert row["sw_turnover_rate"] == direct["sw_turnover_rate"]
        assert row["summary.trust_mean"] == direct["trust_mean"]


def test_run_level_kpis_are_nan_before_the_last_week_and_absent_from_the_weekly_frame():
    model = sim.CommunityModel(None, seed=3, **{k: v for k, v in BATCH.items() if not isinstance(v, list)})
    model.run()
    values = model.datacollector.model_vars["sw_turnover_rate"]
    assert len(values) == 30 and all(np.isnan(values[:-1])) and values[-1] == model.summary()["sw_turnover_rate"]
    frame = model.datacollector.get_model_vars_dataframe()
    assert "sw_turnover_rate" not in frame and "summary.trust_mean" not in frame and "trust_mean" in frame


# Processes and the results store ----------------------------------------------------------------------
STUDY = """
    from sim.experiments import load_experiment, run_experiment

    exp = load_experiment({{"name": "s", "design": {{"kind": "grid", "parameters":
                           {{"workforce.salary_ratio": [0.6, 0.8]}}}}, "outcomes": ["sw_headcount_mean"]}},
                          replications=1, overrides={{"population.residents": 3000}}, weeks=20)
{call}
"""


def test_a_script_without_a_main_guard_fails_at_once_in_one_line(tmp_path):
    done = script(tmp_path, STUDY.format(call='    run_experiment(exp, "out", workers=2, progress=False)'),
                  timeout=120)
    assert done.returncode != 0
    last = done.stderr.strip().splitlines()[-1]
    assert "UserError" in last and "if __name__ ==" in last and "study.py" in last
    assert not (tmp_path / "out").exists()


def test_a_guarded_script_runs_on_a_pool_and_writes_its_report(tmp_path):
    call = ('    if __name__ == "__main__":\n'
            '        outcome = run_experiment(exp, "out", workers=2, progress=False)\n'
            '        print(outcome.status, outcome.report)')
    done = script(tmp_path, STUDY.format(call=call), timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "complete out/report.md" in done.stdout and (tmp_path / "out" / "tables" / "summary.csv").exists()


def test_importing_sim_keeps_the_platform_start_method(tmp_path):
    done = script(tmp_path, """
        import multiprocessing
        import sim  # noqa: F401
        print(multiprocessing.get_start_method(), multiprocessing.get_all_start_methods()[0])
    """)
    used, default = done.stdout.split()
    assert used == default


@pytest.mark.slow
def test_an_unguarded_ema_script_with_worker_processes_finishes(tmp_path):
    pytest.importorskip("ema_workbench")
    done = script(tmp_path, """
        from ema_workbench import Constant, Model, MultiprocessingEvaluator, RealParameter, ScalarOutcome
        from sim.experiments import evaluate

        model = Model("cogov", function=evaluate)
        model.uncertainties = [RealParameter("workforce__salary_ratio", 0.5, 0.95)]
        model.constants = [Constant("population__residents", 3000), Constant("weeks", 20), Constant("seed", 1)]
        model.outcomes = [ScalarOutcome("sw_headcount_mean")]
        with MultiprocessingEvaluator(model, n_processes=2) as evaluator:
            experiments, outcomes = evaluator.perform_experiments(scenarios=2)
        print("done", len(outcomes["sw_headcount_mean"]))
    """, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "done 2" in done.stdout


class BrokenPool(Executor):
    """An executor whose every run is lost with its worker."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_exception(BrokenProcessPool("a worker was killed"))
        return future


def small_experiment(**extra):
    return load_experiment({"name": "tiny", "design": {"kind": "grid", "parameters": {
        "workforce.salary_ratio": [0.6, 0.8]}}, "outcomes": ["sw_headcount_mean"], **extra},
        replications=2, overrides=SMALL_SET, weeks=60)


def test_a_broken_pool_raises_from_python(tmp_path):
    with pytest.raises(runner_module.WorkersDied, match="resume=True"):
        run_experiment(small_experiment(), tmp_path / "out", executor=BrokenPool(), workers=1, progress=False)


def test_results_folder_errors_name_python_arguments(tmp_path):
    run_experiment(small_experiment(), tmp_path / "out", workers=1, progress=False, report=False)
    with pytest.raises(UserError) as err:
        run_experiment(small_experiment(), tmp_path / "out", workers=1, progress=False)
    assert "resume=True" in str(err.value) and "--resume" not in str(err.value)


def test_series_files_carry_their_run_and_the_report_is_written(tmp_path):
    outcome = run_experiment(small_experiment(save_series=True), tmp_path / "out", workers=1, progress=False)
    series = pd.read_parquet(tmp_path / "out" / "series")
    assert list(series.columns[:3]) == ["point_id", "replication", "seed"]
    assert set(series.groupby(["point_id", "replication"]).size()) == {60}
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert set(zip(series["point_id"], series["seed"], strict=True)) == set(zip(runs["point_id"], runs["seed"],
                                                                                strict=True))
    assert outcome.report == tmp_path / "out" / "report.md" and outcome.report.exists()

