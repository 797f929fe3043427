"""``cogov optimize`` on the model: the hard budget read back from the store, common random numbers, a serial run
killed with SIGKILL and resumed bit-identically (to a run on a process pool) without re-simulating, Dask giving the
same tables as the pool, hold-out regret, discovery on the results, and bad input refused in one line before any
run."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

pytest.importorskip("pymoo")
pytest.importorskip("moocore")

import sim.cli  # noqa: E402
from sim.experiments import runner  # noqa: E402
from sim.explore import problem  # noqa: E402
from sim.explore.space import candidate_key  # noqa: E402
from sim.explore.store import MANIFEST  # noqa: E402
from sim.run import run_scenario  # noqa: E402
from sim.scenario import load_scenario  # noqa: E402
from sim.seeds import run_seed  # noqa: E402
from sim.submodels.funding import budget_per_year  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TABLES = ("runs", "candidates", "archive", "convergence", "holdout", "holdout_scores")
POSTERIOR = {"workforce.base_quit_rate_per_year": (0.06, 0.14), "needs.hazard_per_year.eldercare": (0.15, 0.3)}

TINY = {
    "name": "tiny",
    "description": "A small estate for a few weeks: the machinery, not the answers.",
    "scenario": "aging_estate",
    "set": {"population.residents": 300, "simulation.warmup_weeks": 8, "funding.contract_indexation": 1.0},
    "weeks": 30,
    "seed": 11,
    "levers": {
        "workforce.posts_per_1000_residents": {"type": "real", "low": 3.0, "high": 15.0},
        "funding.contract_value_per_post_yuan_year": {"type": "real", "low": 60000, "high": 140000},
        "workforce.salary_ratio": {"type": "real", "low": 0.55, "high": 1.0},
        "workforce.share_coordination": {"type": "real", "low": 0.1, "high": 0.3,
                                         "balance": "workforce.share_casework"},
        "funding.contract_term_years": {"type": "integer", "low": 1, "high": 3},
        "workforce.ladder_step_years": {"type": "choice", "options": [0.0, 2.0]},
    },
    "budget": {"yuan_per_year": 200_000},
    "uncertainty": {"posterior": "posterior.parquet", "draws": 2, "replications": 1, "holdout_draws": 3},
    "objectives": [
        {"kpi": "ledger_age_mean_weeks", "direction": "minimise", "robustness": {"metric": "worst"},
         "range": [0, 30]},
        {"kpi": "resolution_rate_eldercare", "direction": "maximise",
         "robustness": {"metric": "percentile", "q": 25}},
    ],
    "search": {"population": 6, "generations": 3, "seeds": [1]},
}


@pytest.fixture(autouse=True)
def explore_commands(monkeypatch):
    monkeypatch.setattr(sim.cli, "COMMAND_MODULES", ("sim.explore.commands",))


def write_posterior(path: Path) -> Path:
    """A synthetic posterior as ``cogov calibrate`` writes it: two generations, the last one weighted."""
    rng = np.random.default_rng(5)
    frames = []
    for generation in (0, 1):
        frame = pd.DataFrame({name: rng.uniform(low, high, 20) for name, (low, high) in POSTERIOR.items()})
        frame["weight"] = rng.random(20)
        frame["weight"] /= frame["weight"].sum()
        frame["generation"] = generation
        frames.append(frame)
    pd.concat(frames, ignore_index=True).to_parquet(path, index=False)
    return path


def write_spec(folder: Path, data: dict | None = None, **changes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "posterior.parquet").exists():
        write_posterior(folder / "posterior.parquet")
    data = {**(data or TINY), **changes}
    path = folder / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def cogov(*argv: str) -> int:
    return sim.cli.main([str(a) for a in argv])


def tables(out: Path) -> dict[str, pd.DataFrame]:
    return {name: pd.read_parquet(out / "tables" / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """One uninterrupted optimisation of the tiny file on a pool of two worker processes: the reference every
    other run (serial and killed, on Dask) is compared with."""
    folder = tmp_path_factory.mktemp("tiny")
    spec = write_spec(folder)
    out = folder / "reference"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sim.cli, "COMMAND_MODULES", ("sim.explore.commands",))
        assert cogov("optimize", spec, "--out", out, "--workers", "2", "--no-progress", "--no-report") == 0
    return spec, out


def test_no_evaluated_candidate_exceeds_the_budget_and_each_shows_cost_and_slack(tiny):
    spec, out = tiny
    resolved = problem.load(spec)
    runs = pd.read_parquet(out / "tables" / "runs.parquet")
    quo = problem.candidate_id(candidate_key(resolved.status_quo()))
    searched = runs[runs["candidate"] != quo]
    assert len(searched) > 0 and (searched["cost"] <= 200_000).all()
    np.testing.assert_allclose(searched["slack"], 200_000 - searched["cost"])
    levers = [lever.name for lever in resolved.levers]
    for candidate in searched.drop_duplicates("candidate").to_dict("records"):
        changes = {**resolved.spec.set, **{name: candidate[name] for name in levers}}
        changes["workforce.share_casework"] = 0.65 - candidate["workforce.share_coordination"]
        assert budget_per_year(load_scenario("aging_estate", changes)) == candidate["cost"]
    generations = pd.concat([pd.read_parquet(p) for p in sorted((out / "generations").glob("*.parquet"))])
    assert len(generations) == 3 * 6 and {"cost", "slack"} <= set(generations.columns)
    assert (generations["cost"] <= 200_000).all() and (generations["slack"] >= 0).all()


def test_every_candidate_sees_the_same_draws_and_seeds(tiny):
    spec, out = tiny
    runs = pd.read_parquet(out / "tables" / "runs.parquet")
    draws = pd.read_parquet(out / "draws.parquet")
    assert list(draws["draw"]) == [0, 1, 2, 3, 4] and list(draws["holdout"]) == [False] * 2 + [True] * 3
    posterior = pd.read_parquet(spec.parent / "posterior.parquet")
    last = posterior[posterior["generation"] == 1]
    for row in draws.to_dict("records"):
        matches = (last[list(POSTERIOR)] == pd.Series({k: row[k] for k in POSTERIOR})).all(axis=1)
        assert matches.any(), "every draw is a particle of the posterior's last generation"
    for (draw, replication), group in runs.groupby(["draw", "replication"]):
        assert set(group["seed"]) == {run_seed(11, replication, draw)}
        for name in POSTERIOR:
            assert group[name].nunique() == 1
    assert not runs.duplicated(["candidate", "draw", "replication"]).any()


def test_holdout_scores_the_final_set_and_the_status_quo_with_regret(tiny):
    _, out = tiny
    scores = pd.read_parquet(out / "tables" / "holdout_scores.parquet")
    archive = pd.read_parquet(out / "tables" / "archive.parquet")
    assert list(scores["mix"]) == [*(str(m) for m in archive["mix"]), "status quo"]
    quo = scores.set_index("mix").loc["status quo"]
    for kpi in ("ledger_age_mean_weeks", "resolution_rate_eldercare"):
        assert quo[f"{kpi}_regret_sq_mean"] == 0 and quo[f"{kpi}_regret_sq_p90"] == 0
        in_set = scores[scores["mix"] != "status quo"]
        assert (in_set[f"{kpi}_regret_set_mean"] >= 0).all() and math.isnan(quo[f"{kpi}_regret_set_mean"])
    holdout = pd.read_parquet(out / "tables" / "holdout.parquet")
    assert set(holdout["draw"]) == {2, 3, 4} and len(holdout) == 3 * len(scores)


def wait_for_generations(out: Path, k: int, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the optimisation ended before it could be killed"
        try:
            if json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("generations_done", 0) >= k:
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"no {k} generations within {timeout} s")


def test_killed_after_k_generations_and_resumed_gives_the_same_tables_and_simulates_nothing_twice(tiny, tmp_path):
    spec, reference = tiny
    out = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "sim", "optimize", str(spec), "--out", str(out), "--workers",
                                "1", "--no-progress", "--no-report"], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        wait_for_generations(out, 2, process)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    stored = len(list((out / "runs").glob("*.parquet")))
    assert stored >= 2 * 6 * 2
    assert not (out / "tables" / "archive.parquet").exists()
    assert cogov("optimize", spec, "--out", out, "--workers", "1", "--no-progress", "--no-report", "--resume") == 0
    resumed, expected = tables(out), tables(reference)
    for name in TABLES:
        pd.testing.assert_frame_equal(resumed[name], expected[name], check_exact=True, obj=name)
    for name in ("archive", "convergence"):
        file = Path("tables") / f"{name}.parquet"
        assert (out / file).read_bytes() == (reference / file).read_bytes()
    sessions = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["sessions"]
    assert len(sessions) == 1, "the killed session never got to record itself"
    assert stored + sessions[0]["simulated"] == len(resumed["runs"])
    assert sessions[0]["served"] >= stored
    assert not resumed["runs"].duplicated(["candidate", "draw", "replication"]).any()
    again = cogov("optimize", spec, "--out", out, "--workers", "1", "--no-progress", "--no-report", "--resume")
    assert again == 0
    last = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["sessions"][-1]
    assert last["simulated"] == 0 and last["served"] == len(resumed["runs"])


def test_dask_gives_the_same_tables_as_the_process_pool(tiny, tmp_path):
    pytest.importorskip("distributed")
    spec, reference = tiny
    out = tmp_path / "dask"
    assert cogov("optimize", spec, "--out", out, "--workers", "2", "--executor", "dask", "--no-progress",
                 "--no-report") == 0
    got, expected = tables(out), tables(reference)
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=True, obj=name)


def test_discover_explains_the_holdout_runs_of_an_optimisation(tiny, tmp_path, capsys):
    _, out = tiny
    holdout = pd.read_parquet(out / "tables" / "holdout.parquet")
    threshold = float(holdout["ledger_age_mean_weeks"].median())
    assert cogov("discover", out, "--outcome", "ledger_age_mean_weeks", "--fail", f"> {threshold}", "--out",
                 tmp_path / "from-folder") == 0
    meta = json.loads((tmp_path / "from-folder" / "discovery.json").read_text(encoding="utf-8"))
    levers = [name for name in TINY["levers"]]
    assert meta["inputs"] == [*levers, *POSTERIOR] and meta["source"].endswith("holdout.parquet")
    assert cogov("discover", out / "tables" / "holdout.parquet", "--outcome", "ledger_age_mean_weeks", "--fail",
                 f"> {threshold}", "--out", tmp_path / "from-table") == 0
    table_meta = json.loads((tmp_path / "from-table" / "discovery.json").read_text(encoding="utf-8"))
    assert sorted(table_meta["inputs"]) == sorted(meta["inputs"])
    assert "PRIM box" in capsys.readouterr().out


def refused(capsys, *argv) -> str:
    assert cogov(*argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("error: "), err
    return err


def test_resuming_is_refused_for_a_changed_file_or_other_versions(tiny, tmp_path, capsys, monkeypatch):
    spec, reference = tiny
    out = tmp_path / "copy"
    shutil.copytree(reference, out)
    line = refused(capsys, "optimize", spec, "--out", out, "--no-progress")
    assert "already holds an optimisation; add --resume" in line
    monkeypatch.setattr(problem.adapter, "versions", lambda: {"numpy": "0.0"})
    line = refused(capsys, "optimize", spec, "--out", out, "--resume", "--no-progress")
    assert "other versions" in line and "numpy" in line
    monkeypatch.undo()
    monkeypatch.setattr(sim.cli, "COMMAND_MODULES", ("sim.explore.commands",))
    edited = write_spec(tmp_path / "edited", description="Edited.")
    (edited.parent / "posterior.parquet").write_bytes((spec.parent / "posterior.parquet").read_bytes())
    line = refused(capsys, "optimize", edited, "--out", out, "--resume", "--no-progress")
    assert "the optimisation file changed" in line


def lever(path, spec):
    return {"levers": {**TINY["levers"], path: spec}}


BAD = [
    ("unknown lever", lever("workforce.salary_ratoi", {"type": "real", "low": 0.6, "high": 1.0}),
     "levers.workforce.salary_ratoi: unknown field 'salary_ratoi'; did you mean 'workforce.salary_ratio'?"),
    ("setup-only lever", lever("population.share_aged_60_plus", {"type": "real", "low": 0.5, "high": 0.9}),
     "levers.population.share_aged_60_plus: population.share_aged_60_plus is read only when the model is built"),
    ("bounds outside the schema", lever("workforce.salary_ratio", {"type": "real", "low": 0.01, "high": 1.0}),
     "levers.workforce.salary_ratio.low: 0.01 is outside the schema's bounds for workforce.salary_ratio"),
    ("budget no mix meets", {"budget": {"yuan_per_year": 50_000}},
     "budget.yuan_per_year: no lever mix meets it: with every lever at its floor the levers cost 6 万元/year"),
    ("objective not in the registry", {"objectives": [{"kpi": "turnover_rate", "direction": "minimise"}]},
     "objectives[0].kpi: unknown KPI 'turnover_rate'"),
]


def no_runs(task):
    raise AssertionError("a model run started")


@pytest.mark.parametrize("case, changes, message", BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_one_line_and_exit_2_before_any_run(tmp_path, capsys, monkeypatch, case, changes, message):
    monkeypatch.setattr(runner, "run_task", no_runs)
    spec = write_spec(tmp_path, **changes)
    line = refused(capsys, "optimize", spec, "--out", tmp_path / "out", "--workers", "1")
    assert f"tiny.yaml: {message}" in line, line
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("columns, message", [
    (["workforce.quit_rate"], "column 'workforce.quit_rate' of posterior.parquet does not match the scenario's "
                              "parameters: unknown field 'quit_rate'"),
    (["population.share_children"], "population.share_children is read only when the model is built"),
    (["workforce.salary_ratio"], "column 'workforce.salary_ratio' of posterior.parquet is a lever"),
])
def test_a_posterior_that_does_not_match_the_scenario_is_refused_before_any_run(tmp_path, capsys, monkeypatch,
                                                                                columns, message):
    monkeypatch.setattr(runner, "run_task", no_runs)
    frame = pd.DataFrame({name: [0.1, 0.2] for name in columns}).assign(weight=0.5, generation=0)
    tmp_path.mkdir(exist_ok=True)
    frame.to_parquet(tmp_path / "posterior.parquet", index=False)
    spec = write_spec(tmp_path)
    line = refused(capsys, "optimize", spec, "--out", tmp_path / "out")
    assert "uncertainty.posterior" in line and message in line, line
    assert not (tmp_path / "out").exists()


def test_the_street_office_pays_exactly_the_priced_budget_whatever_happens_in_a_run():
    """Hiring and training after quits come out of the agencies' contract value: with budget growth switched off,
    the office's yearly payments equal the priced budget in every run, whether workers stay or leave. A contract
    lost at evaluation leaves the office paying nothing until the re-tender, so then it pays less, never more."""
    separations, lost = [], []
    for changes in ({"workforce.salary_ratio": 0.9, "funding.contract_term_years": 3},
                    {"workforce.posts_per_1000_residents": 4.0, "funding.contract_value_per_post_yuan_year": 50000.0,
                     "funding.renewal_floor": 0.3, "funding.renewal_ceiling": 0.6}):  # renewal made uncertain
        scenario = load_scenario("aging_estate", {**changes, "funding.budget_growth_per_year": 0.0,
                                                  "funding.contract_indexation": 1.0, "simulation.warmup_weeks": 16,
                                                  "population.residents": 600})
        for seed in (1, 2, 3):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                summary = run_scenario(scenario, seed=seed, weeks=120).summary
            paid, priced = summary["money_in_government_per_year"], budget_per_year(scenario)
            if summary["contracts_lost"] == 0:
                assert paid == pytest.approx(priced, rel=1e-12)
            else:
                assert paid < priced
                lost.append(seed)
            separations.append(summary["sw_turnover_rate"])
    assert max(separations) > 0
    assert lost and len(lost) < 6, "both cases must occur among these runs"


def test_the_pricing_of_a_candidate_is_the_models_own_rule():
    resolved = problem.load(ROOT / "experiments" / "optimize_aging_estate.yaml")
    pricing = problem.Pricing(resolved)
    rng = np.random.default_rng(2)
    for _ in range(5):
        levers = {lever.name: (lever.clean(rng.uniform(lever.lower, lever.upper)) if lever.kind in ("real", "integer")
                               else lever.options[int(rng.integers(len(lever.options)))]) for lever in resolved.levers}
        changes = {**resolved.spec.set, **levers,
                   "workforce.share_casework": 0.65 - levers["workforce.share_coordination"]}
        assert pricing(levers) == budget_per_year(load_scenario("aging_estate", changes))
    assert pricing(resolved.status_quo()) == 160_000


def test_the_smoke_example_runs_end_to_end(tmp_path):
    out = tmp_path / "smoke"
    spec = ROOT / "experiments" / "optimize_aging_estate_smoke.yaml"
    assert cogov("optimize", spec, "--out", out, "--workers", "2", "--no-progress") == 0
    runs = pd.read_parquet(out / "tables" / "runs.parquet")
    resolved = problem.load(spec)
    quo = problem.candidate_id(candidate_key(resolved.status_quo()))
    assert (runs.loc[runs["candidate"] != quo, "cost"] <= resolved.budget).all()
    page = (out / "report" / "report.html").read_text(encoding="utf-8")
    assert "The final set on fresh draws" in page and "status quo" in page and "万元/year" in page
    assert "Mean weeks on the ledger so far, met in 90% of draws" in page and "Social-worker turnover" in page
    assert (out / "report" / "figures" / "holdout.png").is_file()


def test_the_docs_page_renders_from_an_optimisation_folder(tiny, tmp_path):
    from sim.explore import docs
    from sim.explore.optimize import score_describe

    spec, out = tiny
    resolved = problem.load(spec)
    outcome = docs.outcome_from(out, resolved)
    images = docs._figures(outcome, tmp_path / "img", score_describe(resolved))
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    page = docs.render(outcome, manifest, docs.EXAMPLE, images, tmp_path / "page.md", cpu=0.5)
    assert docs.recorded(page)["settings"]["population"] == 6
    assert "## What the model answers" in page and "(img/holdout.png)" in page
    assert "Mean weeks on the ledger so far, worst draw" in page
    section = docs.performance_section(outcome, manifest, docs.EXAMPLE, cpu=0.5)
    assert section.startswith(docs.PERFORMANCE_HEADING) and "| 3 | 18 |" in section
