"""The classroom script in docs/teaching.md says what the model does; these runs check each statement.

Every move is made the way the page makes it (``sim.viz.levers``: a settled community after the
warm-up, levers applied as dated policy changes), at the demo's size, over several seeds paired
across the arms. A statement holds when it holds on average and, where the script says it
plainly, in most seeds.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

pytest.importorskip("solara", reason="the demo needs the viz extra: pip install 'cogov-sim[viz]'")

SEEDS = tuple(range(1, 7))
YEAR = 52


def demo_run(scenario: str, seed: int, moves: tuple[tuple[int, dict], ...], weeks: int) -> dict[str, np.ndarray]:
    """Weekly series of the demo after its week 0, with lever moves at demo weeks."""
    import warnings

    from sim.viz import levers

    warnings.simplefilter("ignore")
    s, _ = levers.demo_scenario(scenario)
    m = levers.start_model(s, seed, levers.lever_values(s))
    start = m.week
    for k in range(weeks):
        for week, move in moves:
            if k == week:
                levers.apply_levers(m, move)
        m.step()
    cols = m.datacollector.columns
    return {name: np.asarray(cols[name], dtype=float)[start:] for name in
            ("sw_quits", "sw_layoffs", "sw_headcount", "sw_burnout_mean", "backlog", "volunteers_active")}


ARMS = {
    "baseline": ("baseline", ()),
    "pay": ("baseline", ((26, {"workforce.salary_ratio": 0.85}),)),
    "pay_and_budget": ("baseline", ((26, {"workforce.salary_ratio": 0.85}),
                                    (30, {"funding.contract_value_per_post_yuan_year": 100_000}))),
    "admin": ("baseline", ((0, {"workforce.admin_share": 0.6}),)),
    "aging": ("aging_estate", ()),
    "aging_uncoordinated": ("aging_estate", ((0, {"workforce.share_coordination": 0.0}),)),
}


@pytest.fixture(scope="module")
def runs():
    jobs = [(arm, scenario, seed, moves) for arm, (scenario, moves) in ARMS.items() for seed in SEEDS]
    with ProcessPoolExecutor(2) as pool:
        done = list(pool.map(demo_run, *zip(*[(sc, sd, mv, 2 * YEAR) for _, sc, sd, mv in jobs], strict=True)))
    out: dict[str, list[dict[str, np.ndarray]]] = {arm: [] for arm in ARMS}
    for (arm, *_), series in zip(jobs, done, strict=True):
        out[arm].append(series)
    return out


def per_seed(runs, arm: str, name: str, weeks: slice, how=np.sum) -> np.ndarray:
    return np.array([how(r[name][weeks]) for r in runs[arm]])


FIRST, SECOND, LAST_QUARTER = slice(0, YEAR), slice(YEAR, 2 * YEAR), slice(2 * YEAR - 13, 2 * YEAR)


def test_step_2_workers_leave_at_typical_pay(runs):
    quits = per_seed(runs, "baseline", "sw_quits", slice(0, 2 * YEAR)) / 2
    assert 0.3 <= quits.mean() <= 2.0            # about one of five workers a year


def test_step_3_a_raise_without_money_costs_posts_at_the_renewal_not_before(runs):
    layoffs_first = per_seed(runs, "pay", "sw_layoffs", FIRST) - per_seed(runs, "baseline", "sw_layoffs", FIRST)
    layoffs_second = per_seed(runs, "pay", "sw_layoffs", SECOND) - per_seed(runs, "baseline", "sw_layoffs", SECOND)
    # Most seeds: nothing before the renewal (the reserve carries the raise). Where the contract still has
    # most of its year to run, the agency sees the money run out and gives notice at once.
    assert (layoffs_first == 0).sum() >= 4 and layoffs_second.sum() > layoffs_first.sum()
    head = (per_seed(runs, "pay", "sw_headcount", LAST_QUARTER, np.mean)
            - per_seed(runs, "baseline", "sw_headcount", LAST_QUARTER, np.mean))
    backlog = (per_seed(runs, "pay", "backlog", LAST_QUARTER, np.mean)
               - per_seed(runs, "baseline", "backlog", LAST_QUARTER, np.mean))
    assert head.mean() < 0 and (head < 0).sum() >= 4
    assert backlog.mean() > 0


def test_step_3_the_budget_helps_only_from_the_next_signing(runs):
    before = (per_seed(runs, "pay_and_budget", "sw_headcount", slice(30, YEAR), np.mean)
              - per_seed(runs, "pay", "sw_headcount", slice(30, YEAR), np.mean))
    after = (per_seed(runs, "pay_and_budget", "sw_headcount", LAST_QUARTER, np.mean)
             - per_seed(runs, "pay", "sw_headcount", LAST_QUARTER, np.mean))
    assert np.all(before == 0)                   # the same runs until the contract is signed again
    assert after.mean() > 0


def test_step_4_admin_burden_raises_burnout_and_backlog_then_quits(runs):
    burnout = (per_seed(runs, "admin", "sw_burnout_mean", LAST_QUARTER, np.mean)
               - per_seed(runs, "baseline", "sw_burnout_mean", LAST_QUARTER, np.mean))
    backlog = (per_seed(runs, "admin", "backlog", slice(YEAR - 13, YEAR), np.mean)
               - per_seed(runs, "baseline", "backlog", slice(YEAR - 13, YEAR), np.mean))
    quits = per_seed(runs, "admin", "sw_quits", SECOND) - per_seed(runs, "baseline", "sw_quits", SECOND)
    assert np.all(burnout > 0) and np.all(backlog > 0)
    assert quits.mean() > 0


def test_step_5_volunteers_drift_away_without_coordination(runs):
    year_end = slice(YEAR - 13, YEAR)
    without = per_seed(runs, "aging_uncoordinated", "volunteers_active", year_end, np.mean)
    with_ = per_seed(runs, "aging", "volunteers_active", year_end, np.mean)
    assert np.all(without < with_) and without.mean() < 0.5 * with_.mean()
