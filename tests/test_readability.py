"""One readable presentation of every KPI: labels, units, percentages, intervals in range, figures a
reader can read, warnings when settings cannot show an effect, progress only where it helps."""

from __future__ import annotations

import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from sim import figures, outputs
from sim.cli import main
from sim.experiments import plots
from sim.experiments.formatting import (
    format_ci,
    format_difference,
    param_label,
    param_value,
    point_text,
    short_label,
)
from sim.run import measurement_warnings, run_scenario
from sim.scenario import load_scenario

SMALL = ["--weeks", "60", "--set", "simulation.warmup_weeks=8", "--set", "population.residents=3000"]
RAW = re.compile(r"\b(sw_turnover_rate|resolution_rate|sw_vacancy_rate)\b")


@pytest.fixture
def kept_figures(monkeypatch):
    """Figures the code closes, kept open for the test to inspect."""
    kept = []
    monkeypatch.setattr(plt, "close", lambda fig=None: kept.append(fig))
    return kept


# Formatting ---------------------------------------------------------------------------------------
def test_values_and_intervals_read_as_the_registry_declares():
    assert format_ci("sw_turnover_rate", 0.249, 0.165, 0.334) == "24.9% [16.5%, 33.4%]"
    assert format_ci("resolution_rate", 0.97, 0.9, 1.08) == "97.0% [90.0%, 100.0%]"
    assert format_ci("sw_vacancy_rate", 0.01, -0.02, 0.04) == "1.0% [0.0%, 4.0%]"
    assert format_ci("backlog_mean", 12.0, -3.0, 27.0).endswith("[0, 27]")
    assert format_difference("sw_turnover_rate", -0.031, -0.05, -0.012) == "-3.1 [-5.0, -1.2] pp"
    assert format_difference("resolution_rate", 0.5, -0.2, 1.4).endswith("+100.0] pp")


def test_parameters_read_without_scientific_notation():
    assert param_value("funding.contract_value_per_post_yuan_year", 6e4) == "60,000"
    assert param_value("workforce.salary_ratio", 0.64) == "0.64"
    assert param_value("needs.escalation_per_week", 1.25e-5) == "0.0000125"
    assert param_label("funding.contract_value_per_post_yuan_year") == "contract value per post (yuan/post/year)"
    assert point_text({"funding.contract_value_per_post_yuan_year": 6e4, "workforce.salary_ratio": 0.5}) == (
        "contract value per post 60,000, salary ratio 0.5")
    assert short_label("sw_quit_rate") == "Social-worker turnover, of which quits"


# Printed tables -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_and_sweep_print_labels_units_and_percentages(tmp_path, capsys):
    assert main(["compare", "baseline", "pay_raise", "--reps", "2", *SMALL, "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "cmp")]) == 0
    out, err = capsys.readouterr()
    assert "Social-worker turnover (per worker-year)" in out and "%" in out and not RAW.search(out)
    assert "pp" in out
    assert "2 replications per scenario" in err
    summary = pd.read_csv(tmp_path / "cmp" / "tables" / "summary.csv")
    shares = summary[summary["outcome"].map(lambda o: outputs.output(o).kind in (outputs.Kind.SHARE,
                                                                                  outputs.Kind.INDEX))]
    assert shares["ci_low"].dropna().ge(0).all() and shares["ci_high"].dropna().le(1).all()
    for o, lo in zip(summary["outcome"], summary["ci_low"], strict=True):
        assert not lo < outputs.output(o).bounds[0]
    report = (tmp_path / "cmp" / "report.md").read_text()
    assert "Social-worker turnover (per worker-year)" in report and "| sw_turnover_rate |" not in report

    grid = tmp_path / "grid.yaml"
    grid.write_text("name: g\ndesign:\n  kind: grid\n  parameters:\n"
                    "    funding.contract_value_per_post_yuan_year: [60000, 100000]\n"
                    "    workforce.salary_ratio: [0.5, 0.8]\n"
                    "outcomes: [sw_turnover_rate, resolution_rate]\n", encoding="utf-8")
    assert main(["sweep", str(grid), "--reps", "1", *SMALL, "--workers", "1", "--no-progress",
                 "--out", str(tmp_path / "grid")]) == 0
    out = capsys.readouterr().out
    assert "60,000" in out and "100,000" in out and "e+0" not in out and not RAW.search(out)
    assert "Social-worker turnover" in out and "contract value per post" in out


# Warnings when the settings cannot show an effect -----------------------------------------------------
def test_runs_that_measure_too_little_say_so_in_one_line_each(tmp_path, capsys):
    assert main(["run", "baseline", "--weeks", "30", "--set", "population.residents=500", "--no-figure",
                 "--out", str(tmp_path / "r")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert any(line.startswith("warning: no social workers") for line in err)
    assert any(line.startswith("warning: only 1 week measured") for line in err)
    few = load_scenario("baseline", {"population.residents": 3000})
    notes = measurement_warnings(few, {"sw_headcount_mean": 3.0, "sw_posts_funded_mean": 3.0,
                                       "sw_first_year_worker_years": 1.0, "sw_later_worker_years": 8.0})
    assert set(notes) == {"few_worker_years"}
    assert measurement_warnings(few, {"sw_headcount_mean": 50.0, "sw_posts_funded_mean": 50.0,
                                      "sw_first_year_worker_years": 10.0, "sw_later_worker_years": 90.0}) == {}


def test_a_sweep_repeats_each_distinct_warning_once_with_its_count(tmp_path, capsys):
    grid = tmp_path / "g.yaml"
    grid.write_text("name: g\ndesign:\n  kind: grid\n  parameters:\n    workforce.salary_ratio: [0.5, 0.6, 0.7]\n"
                    "outcomes: [sw_turnover_rate]\n", encoding="utf-8")
    assert main(["sweep", str(grid), "--reps", "2", "--weeks", "20", "--set", "population.residents=500",
                 "--workers", "1", "--no-progress", "--out", str(tmp_path / "o")]) == 0
    err = capsys.readouterr().err
    assert err.count("no social workers") == 1 and "6 of 6 runs: no social workers" in err


# Figures ----------------------------------------------------------------------------------------------
def test_overview_has_units_a_legend_for_every_line_and_explains_the_warm_up(tmp_path, kept_figures):
    result = run_scenario("baseline", weeks=60, overrides={"simulation.warmup_weeks": 8,
                                                           "population.residents": 3000})
    figures.overview(result.timeseries, result.scenario, tmp_path / "o.png", {"workforce.salary_ratio": 0.8})
    fig = kept_figures[-1]
    assert "set: workforce.salary_ratio=0.8" in fig._suptitle.get_text()
    for ax in fig.axes:
        assert ax.get_ylabel()
        legend = ax.get_legend()
        if ax.get_lines():
            shown = {t.get_text() for t in legend.get_texts()} if legend else set()
            if legend is None:  # the separations line lives on the twin axis; its legend holds every line
                continue
            assert any("warm-up" in s for s in shown)
    texts = {t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()}
    assert any("separations" in t for t in texts)


def summary_frame(outcomes: list[str]) -> pd.DataFrame:
    rows = []
    for i, (money, ratio) in enumerate([(6e4, 0.5), (6e4, 0.8), (1e5, 0.5), (1e5, 0.8)]):
        for o in outcomes:
            m = 0.2 + 0.1 * i
            rows.append({"point_id": i, "funding.contract_value_per_post_yuan_year": money,
                         "workforce.salary_ratio": ratio, "outcome": o, "mean": m, "ci_low": m - 0.5,
                         "ci_high": m + 0.9})
    return pd.DataFrame(rows)


def test_heatmap_reads_without_scientific_notation_and_with_legible_cells(tmp_path, kept_figures):
    summary = summary_frame(["sw_turnover_rate", "trust_mean"])
    plots.heatmap(summary, "funding.contract_value_per_post_yuan_year", "workforce.salary_ratio",
                  ["sw_turnover_rate", "trust_mean"], tmp_path / "h.png", "population.residents=3,000")
    fig = kept_figures[-1]
    ax = fig.axes[0]
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["6", "10"] and ("万元" in ax.get_xlabel() or "10k yuan" in ax.get_xlabel())
    assert ax.get_title() == "Social-worker turnover"
    cells = [t for t in ax.texts]
    assert all(t.get_fontsize() >= 7 for t in cells) and len({t.get_color() for t in cells}) == 2
    assert all("e+" not in t.get_text() for t in cells)
    assert "[0.0%," in cells[0].get_text()  # the interval held to the rate's range
    assert "set: population.residents=3,000" in fig._suptitle.get_text()


def test_bands_stay_in_range_and_every_line_has_a_legend_entry(tmp_path, kept_figures):
    weeks = np.arange(1, 21)
    bands = pd.concat([pd.DataFrame({"point_id": p, "column": "coverage_vulnerable", "week": weeks,
                                     "mean": 0.9 + 0.0 * weeks, "ci_low": 0.7, "ci_high": 1.2}) for p in (0, 1)])
    plots.series_bands(bands, {0: "baseline", 1: "pay_raise"}, tmp_path / "s.png", warmup_weeks=8)
    fig = kept_figures[-1]
    ax = fig.axes[0]
    top = max(path.vertices[:, 1].max() for path in ax.collections[-1].get_paths())
    assert top <= 1.0
    labels = {t.get_text() for t in fig.legends[0].get_texts()}
    assert {"baseline", "pay_raise"} <= labels and any("warm-up" in x for x in labels)
    assert ax.get_title() == "Vulnerable residents reached in the last quarter"


def test_sensitivity_chart_has_an_x_label(tmp_path, kept_figures):
    table = pd.DataFrame({"outcome": "sw_turnover_rate", "parameter": ["workforce.salary_ratio",
                                                                       "workforce.admin_share"],
                          "mu_star": [0.1, 0.02], "mu_star_ci_low": [0.05, 0.0], "mu_star_ci_high": [0.15, 0.05],
                          "mu": [-0.1, 0.01], "sigma": [0.03, 0.01]})
    plots.sensitivity(table, tmp_path / "m.png")
    ax = kept_figures[-1].axes[0]
    assert ax.get_xlabel() and [t.get_text() for t in ax.get_yticklabels()] == ["admin share", "salary ratio"]


# Progress ---------------------------------------------------------------------------------------------
def test_progress_over_weeks_only_when_asked_or_long_on_a_terminal(capsys):
    small = {"population.residents": 300, "simulation.resident_agents": False}
    run_scenario("baseline", weeks=5, overrides=small, progress=None)
    assert "week" not in capsys.readouterr().err
    run_scenario("baseline", weeks=5, overrides=small, progress=True)
    assert "/5 [" in capsys.readouterr().err
    from sim.run import PROGRESS_SECONDS, expected_seconds

    assert expected_seconds(load_scenario("district")) > PROGRESS_SECONDS > expected_seconds(
        load_scenario("baseline", {"population.residents": 300}))
    assert math.isfinite(PROGRESS_SECONDS)
