"""Comparisons and sweeps under a calibration's posterior: draws, pairing, guards, results."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim import run_scenario
from sim.errors import UserError
from sim.experiments.posterior import Posterior
from sim.experiments.runner import SerialExecutor, run_experiment, tasks
from sim.experiments.spec import load_experiment
from sim.experiments.store import load_results

QUIT = "workforce.base_quit_rate_per_year"
BURN = "workforce.burnout_gain"
TINY = {"population.residents": 600, "simulation.resident_agents": False, "simulation.warmup_weeks": 8}


def posterior_file(tmp_path, rows, name="posterior.parquet", generation=3):
    """A posterior as cogov calibrate writes it: parameters, weight, generation (plus an older one)."""
    frame = pd.DataFrame(rows)
    frame["generation"] = generation
    older = frame.assign(generation=generation - 1, weight=1.0)
    older[QUIT] = 0.9
    path = tmp_path / name
    pd.concat([older, frame], ignore_index=True).to_parquet(path)
    return path


def compare(scenarios, posterior, reps=4, **extra):
    data = {"name": "c", "design": {"kind": "scenarios", "scenarios": scenarios}, "replications": reps,
            "set": TINY, "weeks": 60, **extra}
    return load_experiment(data, posterior=posterior)


def test_draws_follow_the_weights_of_the_last_generation(tmp_path):
    path = posterior_file(tmp_path, {QUIT: [0.05, 0.1, 0.2], BURN: [0.03, 0.04, 0.05],
                                     "weight": [0.0, 3.0, 1.0]})
    post = Posterior.read(path)
    draws = [post.draw(7, r)[QUIT] for r in range(4000)]
    values, counts = np.unique(draws, return_counts=True)
    assert list(values) == [0.1, 0.2]                      # zero weight never drawn; generation 2 ignored
    assert counts[0] / len(draws) == pytest.approx(0.75, abs=0.03)
    assert post.draw(7, 5) == post.draw(7, 5)


def test_every_point_of_a_replication_shares_its_draw_under_common_random_numbers(tmp_path):
    path = posterior_file(tmp_path, {QUIT: np.linspace(0.05, 0.2, 50), "weight": 1.0})
    exp = compare(["baseline", "funding_cut", "pay_raise"], path, reps=6)
    by_rep: dict[int, set] = {}
    for t in tasks(exp):
        by_rep.setdefault(t.replication, set()).add((t.seed, t.params[QUIT]))
    assert all(len(v) == 1 for v in by_rep.values())        # same seed and same draw for every scenario
    assert len({next(iter(v)) for v in by_rep.values()}) == 6
    more = compare(["baseline", "funding_cut", "pay_raise"], path, reps=9)
    first = {(t.point_id, t.replication): t.params for t in tasks(exp)}
    assert all(first[(t.point_id, t.replication)] == t.params for t in tasks(more) if t.replication < 6)


def test_without_common_random_numbers_each_point_draws_its_own(tmp_path):
    path = posterior_file(tmp_path, {QUIT: np.linspace(0.05, 0.2, 50), "weight": 1.0})
    exp = compare(["baseline", "funding_cut"], path, reps=6, common_random_numbers=False)
    draws = {(t.point_id, t.replication): t.params[QUIT] for t in tasks(exp)}
    assert any(draws[(0, r)] != draws[(1, r)] for r in range(6))


def test_a_point_mass_posterior_gives_the_runs_of_fixed_parameters(tmp_path):
    path = posterior_file(tmp_path, {QUIT: [0.3], BURN: [0.07], "weight": [1.0]})
    exp = compare(["baseline"], path, reps=2)
    run_experiment(exp, tmp_path / "out", executor=SerialExecutor(), progress=False, report=False)
    runs = load_results(tmp_path / "out").sort_values("replication")
    assert (runs[QUIT] == 0.3).all() and (runs[BURN] == 0.07).all()
    for _, row in runs.iterrows():
        direct = run_scenario("baseline", seed=int(row["seed"]), weeks=60,
                              overrides={**TINY, QUIT: 0.3, BURN: 0.07}).summary
        assert row["sw_quit_rate"] == direct["sw_quit_rate"]
        assert row["needs_resolved_per_year"] == direct["needs_resolved_per_year"]


def test_parameter_uncertainty_widens_the_spread_across_replications(tmp_path):
    """Under a posterior split between a low and a high quit rate, replications differ by more than noise."""
    fixed = posterior_file(tmp_path, {QUIT: [0.1], "weight": [1.0]}, "fixed.parquet")
    split = posterior_file(tmp_path, {QUIT: [0.02, 1.0], "weight": [1.0, 1.0]}, "split.parquet")
    sd = {}
    for name, path in (("fixed", fixed), ("split", split)):
        exp = compare(["baseline"], path, reps=8, weeks=120,
                      set={"population.residents": 6000, "population.communities": 2, "funding.ngos": 2,
                           "simulation.resident_agents": False, "simulation.warmup_weeks": 20})
        run_experiment(exp, tmp_path / name, executor=SerialExecutor(), progress=False, report=False)
        sd[name] = load_results(tmp_path / name)["sw_quit_rate"].std()
    assert sd["split"] > 2 * sd["fixed"]


def test_the_posterior_changes_the_fingerprint(tmp_path):
    a = posterior_file(tmp_path, {QUIT: [0.1, 0.2], "weight": [1.0, 1.0]}, "a.parquet")
    b = posterior_file(tmp_path, {QUIT: [0.1, 0.2], "weight": [1.0, 2.0]}, "b.parquet")
    assert compare(["baseline"], a).fingerprint() != compare(["baseline"], b).fingerprint()
    assert compare(["baseline"], a).fingerprint() == compare(["baseline"], a).fingerprint()


def test_a_parameter_comes_from_one_place(tmp_path):
    path = posterior_file(tmp_path, {QUIT: [0.1], "weight": [1.0]})
    grid = {"name": "g", "set": TINY, "design": {"kind": "grid", "parameters": {QUIT: [0.1, 0.2]}}}
    with pytest.raises(UserError, match="both varied by the design and drawn from the posterior"):
        load_experiment(grid, posterior=path)
    with pytest.raises(UserError, match="both fixed by 'set' and drawn from the posterior"):
        compare(["baseline"], path, set={**TINY, QUIT: 0.1})
    scenario = tmp_path / "own.yaml"
    scenario.write_text(f"name: own\nworkforce:\n  {QUIT.split('.')[1]}: 0.15\n", encoding="utf-8")
    with pytest.raises(UserError, match="scenario 'own' sets 'workforce.base_quit_rate_per_year'"):
        compare([str(scenario)], path)


@pytest.mark.parametrize("content", [None, b"not parquet", "no_weights"])
def test_a_bad_posterior_is_one_line_and_exit_2(tmp_path, content):
    path = tmp_path / "posterior.parquet"
    if content == "no_weights":
        pd.DataFrame({QUIT: [0.1]}).to_parquet(path)
    elif content is not None:
        path.write_bytes(content)
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "sim.cli", "compare", "baseline", "--reps", "2", "--posterior",
                           str(path), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1 and "posterior" in proc.stderr
    assert not out.exists()
