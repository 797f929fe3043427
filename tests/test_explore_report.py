"""The optimisation report: one self-contained HTML page holding every figure, levers in their units,
money in 万元, ticks never in scientific notation, and a legend entry for every line."""

from __future__ import annotations

import base64
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pymoo")
pytest.importorskip("moocore")

from sim.explore import figures  # noqa: E402
from sim.explore.adapter import describe  # noqa: E402
from sim.explore.discover import Runs, discover, parse_fail  # noqa: E402
from sim.explore.report import build_report, front_table, nondominated  # noqa: E402
from sim.explore.search import Budget, search  # noqa: E402
from sim.explore.space import Lever, Objective  # noqa: E402
from sim.explore.units import format_value, plain, scale_for  # noqa: E402

GRANT = "funding.foundation_grant_yuan_per_1000_residents_year"
LEVERS = [
    Lever.real("workforce.posts_per_1000_residents", 0.0, 5.0),
    Lever.real(GRANT, 0.0, 2_000_000.0),
    Lever.choice("funding.contract_term_years", [1, 3, 5]),
    Lever.boolean("deliberation.enabled"),
]
OBJECTIVES = [Objective("coverage_vulnerable", "maximise", 0.0, 1.0),
              Objective("mean_wait_weeks", "minimise", 0.0, 12.0)]
SEEDS = (1, 2)


def cost(levers) -> float:
    """Yuan per year: posts at 400,000 yuan each per 1,000 residents, the grant, and meetings."""
    return (400_000.0 * levers["workforce.posts_per_1000_residents"] + levers[GRANT]
            + 50_000.0 * levers["deliberation.enabled"])


def evaluate(batch):
    """Reach grows with posts and grants; waits fall with posts and rise with grant-funded demand."""
    scores = []
    for levers in batch:
        posts = levers["workforce.posts_per_1000_residents"]
        grant = levers[GRANT] / 1e6
        term = levers["funding.contract_term_years"]
        reach = 1 - math.exp(-(0.3 * posts + 0.5 * grant) * (1 + 0.05 * term))
        wait = 10 * math.exp(-0.4 * posts) + 2 * grant + (0.5 if levers["deliberation.enabled"] else 0.0)
        scores.append({"coverage_vulnerable": reach, "mean_wait_weeks": wait})
    return scores


@pytest.fixture(scope="module")
def runs():
    return {seed: search(LEVERS, OBJECTIVES, evaluate, Budget(cost, 3_000_000.0), 4, pop_size=12, seed=seed)
            for seed in SEEDS}


@pytest.fixture(scope="module")
def found():
    rng = np.random.default_rng(7)
    x = pd.DataFrame({"a": rng.random(600), "b": rng.random(600), "c": rng.choice(["p", "q"], 600)})
    x["backlog_end"] = np.where((x["a"] > 0.6) & (x["b"] < 0.5), 1.0, 0.0)
    return discover(Runs(x, "toy"), "backlog_end", parse_fail("> 0.5"), ["a", "b", "c"], seed=1)


def embedded_images(page: str) -> list[bytes]:
    return [base64.b64decode(data) for data in re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)]


def test_report_page_is_self_contained_and_holds_every_figure(tmp_path, runs, found):
    page_path = build_report(runs, OBJECTIVES, LEVERS, tmp_path / "report", discovery=found, budget=3e6,
                             title="Staffing under a budget")
    page = page_path.read_text(encoding="utf-8")
    written = sorted(p.name for p in (tmp_path / "report" / "figures").iterdir())
    assert written == ["box_limits.png", "convergence.png", "parallel.png", "pareto.png", "tradeoff.png"]
    images = embedded_images(page)
    assert sorted(images) == sorted((tmp_path / "report" / "figures" / name).read_bytes() for name in written)
    assert all(image.startswith(b"\x89PNG") for image in images)
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)
    assert "http" not in text.lower()
    assert not re.search(r"<script|<link|<iframe|@import|url\(", text, re.IGNORECASE)
    for attribute in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert attribute.startswith("data:"), attribute
    assert "万元/year per 1,000 residents" in page and "300 万元/year" in page
    assert "When is backlog_end &gt; 0.5?" in page
    assert (tmp_path / "report" / "tables" / "nondominated.csv").is_file()


def test_report_without_a_discovery_leaves_its_figures_out(tmp_path, runs):
    page = build_report(runs[1], OBJECTIVES, LEVERS, tmp_path / "report").read_text(encoding="utf-8")
    assert len(embedded_images(page)) == 3
    assert "Scenario discovery" not in page
    with pytest.raises(ValueError, match="no column 'missing'"):
        build_report(runs, [*OBJECTIVES, Objective("missing", "maximise", 0, 1)], LEVERS, tmp_path / "other")
    assert not (tmp_path / "other").exists()


def test_front_table_numbers_the_pooled_front_with_levers_in_their_units(runs):
    archives = pd.concat([r.archive for r in runs.values()], ignore_index=True)
    front = nondominated(archives, OBJECTIVES)
    everything = pd.concat([r.candidates for r in runs.values()], ignore_index=True)
    for row in front.itertuples():
        better = ((everything["coverage_vulnerable"] >= row.coverage_vulnerable)
                  & (everything["mean_wait_weeks"] <= row.mean_wait_weeks)
                  & ((everything["coverage_vulnerable"] > row.coverage_vulnerable)
                     | (everything["mean_wait_weeks"] < row.mean_wait_weeks)))
        assert not better.any()
    front = front.assign(found_by="1")
    table = front_table(front, LEVERS, OBJECTIVES, "yuan/year")
    assert list(table["#"]) == list(range(1, len(front) + 1))
    grant = "foundation grant [万元/year per 1,000 residents]"
    assert grant in table.columns and "cost [万元/year]" in table.columns
    np.testing.assert_allclose(table[grant].str.replace(",", "").astype(float),
                               front[GRANT] / 1e4, rtol=1e-3, atol=0.01)
    assert set(table["deliberation enabled [flag]"]) <= {"yes", "no"}
    assert "Vulnerable residents reached in the last quarter [share] (max)" in table.columns
    assert "mean_wait_weeks (min)" in table.columns


def tick_texts(ax, which: str) -> list[str]:
    ax.figure.canvas.draw()
    axis = ax.xaxis if which == "x" else ax.yaxis
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


@pytest.mark.parametrize("values, unit, expected", [
    (np.linspace(0, 2_500_000, 6), "yuan/year", "250"),
    (np.linspace(0, 4e9, 5), "yuan", "40"),
    (np.linspace(1e-5, 5e-5, 5), "share", "0.000030"),
    (np.linspace(1_000_000, 1_000_010, 6), "persons", "1,000,010"),
])
def test_axis_ticks_are_plain_and_money_is_scaled(values, unit, expected):
    fig, ax = plt.subplots()
    ax.plot(values, values, label="line")
    cjk = figures.cjk_font() is not None
    scale = figures.format_axis(ax, "x", "quantity", values, lambda name: (name, unit), cjk=cjk)
    texts = tick_texts(ax, "x")
    plt.close(fig)
    assert texts and not [t for t in texts if re.search(r"[eE][-+]?\d|×", t)]
    assert ax.xaxis.get_offset_text().get_text() == ""
    assert expected in texts
    if "yuan" in unit:
        big = values.max() >= 1e8
        assert scale.unit.startswith(("亿元" if big else "万元") if cjk else ("100M yuan" if big else "10k yuan"))
        assert ax.get_xlabel() == f"quantity [{scale.unit}]"


def test_every_figure_line_has_a_legend_entry(runs):
    convergence = figures.convergence_figure({seed: r.convergence for seed, r in runs.items()})
    for ax in convergence.axes:
        labels = [line.get_label() for line in ax.get_lines()]
        assert labels == [f"seed {seed}" for seed in SEEDS]
        assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
        assert ax.get_xlabel().startswith("Evaluations") and "[" in ax.get_ylabel()
    plt.close(convergence)
    candidates = pd.concat([r.candidates for r in runs.values()], ignore_index=True)
    front = nondominated(candidates, OBJECTIVES)
    pareto = figures.pareto_figure(candidates, front, OBJECTIVES, "yuan/year")
    ax = pareto.axes[0]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    named = [a.get_label() for a in [*ax.get_lines(), *ax.collections] if not a.get_label().startswith("_")]
    assert sorted(legend) == sorted(named) and len(named) == 3
    label = "Vulnerable residents reached in the last quarter [share] (higher is better)"
    assert ax.get_xlabel().replace("\n", " ") == label
    plt.close(pareto)


def test_describe_reads_labels_and_units_from_the_schema():
    assert describe("workforce.salary_ratio") == ("salary ratio", "share of local average wage")
    assert describe("funding__foundation_grant_yuan_per_1000_residents_year") == (
        "foundation grant", "yuan/year per 1,000 residents")
    assert describe("deliberation.enabled") == ("deliberation enabled", "flag")
    assert describe("workforce") == ("workforce", "")
    assert describe("made_up_score") == ("made_up_score", "")


def test_describe_names_kpis_and_their_robustness_scores_from_the_output_registry():
    from sim.outputs import output

    assert describe("resolution_rate") == (output("resolution_rate").label, "share of needs ended")
    assert describe("sw_turnover_rate") == ("Social-worker turnover", "per worker-year")
    assert describe("ledger_age_mean_weeks_p10") == ("Mean weeks on the ledger so far, met in 90% of draws", "weeks")
    assert describe("resolution_rate_eldercare_worst") == ("Resolution rate: eldercare, worst draw",
                                                           "share of needs ended")
    assert describe("sw_turnover_rate_sd") == ("Social-worker turnover, spread over draws", "per worker-year")
    assert describe("coverage_vulnerable_satisficing")[1] == "share of draws"


def test_numbers_are_written_plainly_and_money_in_wan_or_yi():
    assert plain(1_234_567) == "1,234,567"
    assert plain(0.70213) == "0.7021" and plain(12.5) == "12.5" and plain(0.0) == "0" and plain(-0.00001) == "-0.00001"
    assert format_value(125_000, "yuan/year") == "12.5 万元/year"
    assert format_value(300_000_000, "yuan") == "3 亿元"
    assert format_value(800, "yuan/activity") == "800 元/activity"
    assert format_value(125_000, "yuan/year", cjk=False) == "12.5 10k yuan/year"
    assert format_value(0.35, "share") == "0.35 share" and format_value(True, "flag") == "True"
    assert scale_for("share", [1e9]).divisor == 1.0


def test_more_than_two_objectives_get_one_panel_per_pair(runs):
    objectives = [*OBJECTIVES, Objective("cost", "minimise", 0.0, 3_000_000.0)]
    candidates = pd.concat([r.candidates for r in runs.values()], ignore_index=True)
    front = nondominated(candidates, objectives)
    fig = figures.pareto_figure(candidates, front, objectives, "yuan/year")
    panels = [ax for ax in fig.axes if ax.get_visible() and ax.get_legend() is not None]
    pairs = {(ax.get_xlabel().split(" ")[0], ax.get_ylabel().split(" ")[0]) for ax in panels}
    plt.close(fig)
    assert pairs == {("Vulnerable", "mean_wait_weeks"), ("Vulnerable", "cost"), ("mean_wait_weeks", "cost")}
