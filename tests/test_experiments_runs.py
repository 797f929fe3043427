"""Sweeps end to end on tiny models: reproducibility, resume, faults, Dask, reports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments import load_experiment, load_failures, load_results
from sim.experiments import runner as runner_module
from sim.experiments.spec import EXPERIMENT_DIR, shipped_experiments

ROOT = Path(__file__).resolve().parent.parent
SHRINK = ["--reps", "2", "--weeks", "30", "--set", "population.residents=300",
          "--set", "simulation.resident_agents=false", "--no-progress"]
TINY = {"name": "tiny", "base": "baseline",
        "set": {"population.residents": 300, "simulation.resident_agents": False,
                "workforce.posts_per_1000_residents": 10.0},
        "weeks": 30,
        "design": {"kind": "grid", "parameters": {"workforce.salary_ratio": [0.5, 0.7, 0.9],
                                                  "workforce.admin_share": [0.2, 0.5]}},
        "replications": 3, "seed": 99, "save_series": True,
        "outcomes": ["sw_burnout_mean", "trust_mean", "sw_pay_ratio_mean"]}


def write(folder: Path, data: dict, name: str = "tiny.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def sweep(path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "--no-progress", *extra])


def kpis(folder: Path) -> pd.DataFrame:
    return load_results(folder).drop(columns=["seconds"])


def no_temp_files(folder: Path) -> bool:
    return not list(folder.rglob("*.tmp"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[Path, Path]:
    """An uninterrupted one-worker sweep of the tiny experiment."""
    tmp = tmp_path_factory.mktemp("reference")
    path = write(tmp, TINY)
    assert sweep(path, tmp / "out", "--workers", "1") == 0
    return path, tmp / "out"


def test_sweep_saves_every_run_and_its_summary(reference):
    _, out = reference
    runs = load_results(out)
    assert len(runs) == 6 * 3
    assert list(runs[["point_id", "replication"]].itertuples(index=False, name=None)) == [
        (p, r) for p in range(6) for r in range(3)]
    assert runs["sw_pay_ratio_mean"].nunique() > 1
    summary = pd.read_csv(out / "tables" / "summary.csv")
    assert len(summary) == 6 * len(TINY["outcomes"])
    row = summary[(summary["point_id"] == 0) & (summary["outcome"] == "trust_mean")].iloc[0]
    x = runs.loc[runs["point_id"] == 0, "trust_mean"]
    assert row["mean"] == pytest.approx(x.mean()) and row["ci_low"] <= x.mean() <= row["ci_high"]
    assert (out / "figures" / "heatmap.png").exists() and (out / "report.md").exists()
    assert len(list((out / "series").glob("*.parquet"))) == 18


def test_one_and_two_workers_give_identical_results(reference, tmp_path):
    path, out1 = reference
    assert sweep(path, tmp_path / "two", "--workers", "2") == 0
    pd.testing.assert_frame_equal(kpis(out1), kpis(tmp_path / "two"))
    assert (out1 / "tables" / "summary.csv").read_bytes() == (
        tmp_path / "two" / "tables" / "summary.csv").read_bytes()


def test_killed_sweep_resumes_to_identical_results(reference, tmp_path):
    path, out_ref = reference
    out = tmp_path / "killed"
    total = 18
    stop_after = int(np.random.default_rng(int(time.time())).integers(1, total - 2))
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out),
                             "--workers", "1", "--no-progress"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while proc.poll() is None and len(list((out / "runs").glob("p*.parquet"))) < stop_after:
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
    finally:
        proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"sweep finished before it could be killed ({stop_after})"
    saved = sorted((out / "runs").glob("p*.parquet"))
    assert 0 < len(saved) < total
    for f in saved:
        assert len(pd.read_parquet(f)) == 1
    assert len(load_results(out)) == len(saved)
    assert sweep(path, out, "--workers", "2") == 2  # refuses to mix results without --resume
    assert sweep(path, out, "--workers", "2", "--resume") == 0
    assert no_temp_files(out)
    pd.testing.assert_frame_equal(kpis(out), kpis(out_ref))
    assert (out / "tables" / "summary.csv").read_bytes() == (out_ref / "tables" / "summary.csv").read_bytes()


def test_resume_ignores_and_removes_partial_files(reference, tmp_path):
    path, out_ref = reference
    out = tmp_path / "partial"
    assert sweep(path, out, "--workers", "1") == 0
    victim = out / "runs" / "p00002-r0001.parquet"
    victim.unlink()
    (out / "runs" / ".p00002-r0001.parquet.4242.tmp").write_bytes(b"PAR1 truncated")
    assert len(load_results(out)) == 17
    assert sweep(path, out, "--workers", "1", "--resume") == 0
    assert victim.exists() and no_temp_files(out)
    pd.testing.assert_frame_equal(kpis(out), kpis(out_ref))


def test_resume_refuses_a_changed_experiment(reference, tmp_path, capsys):
    path, _ = reference
    out = tmp_path / "changed"
    assert sweep(path, out, "--workers", "1", "--reps", "1") == 0
    assert sweep(path, out, "--workers", "1", "--reps", "2", "--resume") == 2
    assert "different experiment" in capsys.readouterr().err


def test_ctrl_c_stops_cleanly_and_keeps_finished_runs(reference, tmp_path):
    path, out_ref = reference
    out = tmp_path / "interrupted"
    proc = subprocess.Popen([sys.executable, "-m", "sim", "sweep", str(path), "--out", str(out),
                             "--workers", "2", "--no-progress"], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while proc.poll() is None and len(list((out / "runs").glob("p*.parquet"))) < 2:
        time.sleep(0.005)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "--resume" in err
    assert no_temp_files(out)
    saved = len(load_results(out))
    assert 2 <= saved < 18
    assert yaml.safe_load((out / "manifest.json").read_text())["status"] == "interrupted"
    assert sweep(path, out, "--workers", "1", "--resume") == 0
    pd.testing.assert_frame_equal(kpis(out), kpis(out_ref))


def test_a_failing_run_is_recorded_and_the_rest_continue(reference, tmp_path, monkeypatch, capsys):
    path, out_ref = reference
    real = runner_module.run_scenario

    def flaky(scenario, *, seed, weeks, overrides, scale=None):
        if overrides["workforce.salary_ratio"] == 0.7 and overrides["workforce.admin_share"] == 0.5:
            raise FloatingPointError("overflow in burnout")
        return real(scenario, seed=seed, weeks=weeks, overrides=overrides, scale=scale)

    monkeypatch.setattr(runner_module, "run_scenario", flaky)
    out = tmp_path / "failing"
    assert sweep(path, out, "--workers", "1") == 1
    err = capsys.readouterr().err
    assert "3 of 18 runs failed" in err and "FloatingPointError" in err and "salary_ratio=0.7" in err
    failures = load_failures(out)
    assert len(failures) == 3
    assert set(failures["workforce.salary_ratio"]) == {0.7}
    assert set(failures["workforce.admin_share"]) == {0.5}
    assert failures["error"].str.contains("overflow in burnout").all()
    assert failures["traceback"].str.contains("FloatingPointError").all()
    assert len(load_results(out)) == 15
    assert "Failed runs" in (out / "report.md").read_text()
    monkeypatch.setattr(runner_module, "run_scenario", real)
    assert sweep(path, out, "--workers", "1", "--resume") == 0
    assert len(load_failures(out)) == 0
    pd.testing.assert_frame_equal(kpis(out), kpis(out_ref))


def test_dask_executor_gives_the_same_results(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    path, out_ref = reference
    # A worker process of its own with one thread: warning capture is process-wide, so a worker
    # thread inside this process could record a warning the sweep's own thread gave meanwhile.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        out = tmp_path / "dask"
        assert sweep(path, out, "--executor", "dask", "--scheduler", cluster.scheduler_address) == 0
    pd.testing.assert_frame_equal(kpis(out), kpis(out_ref))


def test_dask_retries_the_runs_of_a_worker_that_dies(reference, tmp_path):
    distributed = pytest.importorskip("distributed")
    from distributed import Client

    path, out_ref = reference
    exp = load_experiment(path)
    killed = []

    def die_once(fn):
        def run(task):
            if task.point_id == 1 and task.replication == 0 and not os.path.exists(flag):
                Path(flag).touch()
                os._exit(1)
            return fn(task)
        return run

    flag = str(tmp_path / "died")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, Client(cluster) as client:
        executor = client.get_executor(pure=False)
        original = runner_module.run_task
        runner_module.run_task = die_once(original)
        try:
            outcome = runner_module.run_experiment(exp, tmp_path / "retry", executor=executor, workers=2,
                                                   progress=False)
        finally:
            runner_module.run_task = original
        killed.append(os.path.exists(flag))
    assert killed == [True]
    assert outcome.status == "complete" and outcome.completed == 18
    pd.testing.assert_frame_equal(kpis(tmp_path / "retry"), kpis(out_ref))


def test_report_rebuilds_tables_and_figures_without_running(reference, tmp_path):
    import shutil

    _, out_ref = reference
    out = tmp_path / "copy"
    shutil.copytree(out_ref, out)
    before = (out / "tables" / "summary.csv").read_bytes()
    for name in ("tables", "figures"):
        shutil.rmtree(out / name)
    (out / "report.md").unlink()
    runs_before = sorted(p.stat().st_mtime_ns for p in (out / "runs").iterdir())
    assert main(["report", str(out)]) == 0
    assert (out / "tables" / "summary.csv").read_bytes() == before
    assert (out / "figures" / "heatmap.png").exists()
    assert "Results by design point" in (out / "report.md").read_text()
    assert sorted(p.stat().st_mtime_ns for p in (out / "runs").iterdir()) == runs_before


def test_compare_uses_common_random_numbers_and_paired_differences(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", "baseline", "pay_raise", "--out", str(out), "--workers", "1",
                 "--set", "workforce.posts_per_1000_residents=10", *SHRINK]) == 0
    runs = load_results(out)
    seeds = runs.groupby("label")["seed"].apply(list)
    assert seeds["baseline"] == seeds["pay_raise"]
    diffs = pd.read_csv(out / "tables" / "differences.csv")
    assert set(diffs["method"]) == {"paired"} and set(diffs["label"]) == {"pay_raise"}
    d = diffs[diffs["outcome"] == "sw_pay_ratio_mean"].iloc[0]
    pair = runs.pivot(index="seed", columns="label", values="sw_pay_ratio_mean")
    assert d["difference"] == pytest.approx((pair["pay_raise"] - pair["baseline"]).mean())
    assert (out / "figures" / "kpis.png").exists() and (out / "figures" / "series.png").exists()
    assert "pay_raise" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(shipped_experiments()))
def test_shipped_experiment_runs_end_to_end_when_shrunk(name, tmp_path):
    exp = load_experiment(name)
    command = "sensitivity" if exp.kind in ("morris", "sobol") else "sweep"
    extra = ["--samples", "2"] if exp.kind in ("morris", "lhs", "sobol") else []
    out = tmp_path / name
    assert main([command, name, "--out", str(out), "--workers", "2", *SHRINK, *extra]) == 0
    shrunk = load_experiment(name, replications=2, samples=2 if extra else None)
    assert len(load_results(out)) == shrunk.n_runs
    assert (out / "report.md").exists() and list((out / "figures").glob("*.png"))
    if command == "sensitivity":
        table = pd.read_csv(out / "tables" / "sensitivity.csv")
        assert set(table["parameter"]) == set(exp.parameters)


@pytest.mark.parametrize("script", ["staffing_curve.py", "turnover_by_pay.py"])
def test_batch_script_runs_on_tiny_settings(script, tmp_path):
    result = subprocess.run([sys.executable, str(EXPERIMENT_DIR / script), "--tiny", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.rglob("*.png"))
