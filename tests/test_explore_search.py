"""The lever search: a planted optimum under an active budget, the hard budget itself, and replay.

The planted problem ("outreach") has the shape of the real one: staff posts and programme money
compete for one budget, an outreach channel and a pilot grant are options with costs, and the
money is split between two groups whose reach are the two objectives.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("pymoo")
pytest.importorskip("moocore")

from sim.explore.convergence import hypervolume, igd_plus, normalise  # noqa: E402
from sim.explore.search import Budget, CachingEvaluator, fit_to_budget, search  # noqa: E402
from sim.explore.space import Lever, Objective, candidate_key  # noqa: E402

QUALITY = {"hotline": 0.8, "wechat": 1.0, "door_to_door": 1.1}
CHANNEL_COST = {"hotline": 0.0, "wechat": 0.0, "door_to_door": 1.5}
SPACE = [
    Lever.integer("social_workers", 0, 10),
    Lever.real("programme_funds", 0.0, 10.0),
    Lever.real("elderly_share", 0.0, 1.0),
    Lever.choice("outreach_channel", ["hotline", "wechat", "door_to_door"]),
    Lever.boolean("pilot_grant"),
]
OBJECTIVES = [Objective("elderly_reached", "maximise", 0.0, 1.0), Objective("youth_reached", "maximise", 0.0, 1.0)]
NOISE = 0.005


def outreach_cost(levers) -> float:
    return (2.0 * levers["social_workers"] + levers["programme_funds"] + CHANNEL_COST[levers["outreach_channel"]]
            + 0.5 * levers["pilot_grant"])


BUDGET = Budget(outreach_cost, 10.0)


def reach(levers) -> np.ndarray:
    """Noise-free reach of the elderly and of the young."""
    scale = (QUALITY[levers["outreach_channel"]] * (1.02 if levers["pilot_grant"] else 1.0)
             * (1 + levers["social_workers"]) * math.sqrt(levers["programme_funds"]) / 8)
    share = levers["elderly_share"]
    return np.array([scale * math.sqrt(share), scale * math.sqrt(1 - share)])


def noisy_reach(batch):
    """Reach plus zero-mean noise seeded from the candidate, as a model run seeded per candidate would be."""
    scores = []
    for levers in batch:
        assert outreach_cost(levers) <= BUDGET.limit, levers
        digest = hashlib.sha256(candidate_key(levers).encode()).digest()
        noise = np.random.default_rng(int.from_bytes(digest[:8], "little")).normal(0.0, NOISE, 2)
        elderly, youth = reach(levers) + noise
        scores.append({"elderly_reached": float(elderly), "youth_reached": float(youth)})
    return scores


TRUE_FRONT = np.column_stack([np.sin(np.linspace(0, np.pi / 2, 2001)), np.cos(np.linspace(0, np.pi / 2, 2001))])


def true_points(table: pd.DataFrame) -> np.ndarray:
    """The noise-free, normalised objectives of the candidates in a result table."""
    levers = table[[lever.name for lever in SPACE]].to_dict("records")
    return normalise(np.array([reach(row) for row in levers]), OBJECTIVES)


def test_planted_front_is_what_the_docstring_claims():
    """Brute force over every integer and option: the best reach radius is 1, only at 3 workers on WeChat."""
    best = {}
    for workers in range(11):
        for channel in QUALITY:
            for pilot in (False, True):
                funds = BUDGET.limit - outreach_cost({"social_workers": workers, "programme_funds": 0.0,
                                                      "outreach_channel": channel, "pilot_grant": pilot})
                if funds >= 0:
                    levers = {"social_workers": workers, "programme_funds": funds, "elderly_share": 0.5,
                              "outreach_channel": channel, "pilot_grant": pilot}
                    best[(workers, channel, pilot)] = float(np.hypot(*reach(levers)))
    winner = max(best, key=best.get)
    assert winner == (3, "wechat", False)
    np.testing.assert_allclose(best[winner], 1.0)
    assert sorted(best.values())[-2] < 0.96


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_search_finds_the_planted_front(seed):
    """Planted optimum, known analytically.

    Reach of each group is g·sqrt(share) and g·sqrt(1 − share), g = quality × pilot factor ×
    (1 + workers)·sqrt(funds)/8, and the cost 2·workers + funds + channel cost + 0.5·pilot must stay
    within 10. Reach grows with funds, so the budget binds: funds = 10 − 2·workers − extras. On WeChat
    without the pilot, (1 + w)·sqrt(10 − 2w) peaks at w = 3 (its derivative vanishes at 10 − 2w = 1 + w),
    giving g = 4·2/8 = 1; every other channel, the pilot grant, and the neighbouring worker counts
    reach at most 0.954 (checked by brute force above). The Pareto front is therefore the quarter
    circle elderly² + youth² = 1, reached by 3 workers, 4 units of funds, WeChat, no pilot and any
    share. Scores carry zero-mean noise (sd 0.005); the archive is judged on the noise-free scores of
    the candidates it holds.
    """
    result = search(SPACE, OBJECTIVES, noisy_reach, BUDGET, generations=50, pop_size=40, seed=seed,
                    reference_front=TRUE_FRONT)
    found = true_points(result.archive)
    front = normalise(TRUE_FRONT, OBJECTIVES)
    assert igd_plus(found, front) <= 0.02
    assert hypervolume(found) >= 0.98 * hypervolume(front)
    assert (result.archive["social_workers"] == 3).mean() >= 0.9
    assert (result.archive["outreach_channel"] == "wechat").all()
    convergence = result.convergence
    assert list(convergence["generation"]) == list(range(50))
    assert np.all(np.diff(convergence["hypervolume"]) >= -1e-12)
    assert np.all(np.diff(convergence["epsilon_progress"]) >= 0)
    assert convergence["igd_plus"].iloc[-1] < convergence["igd_plus"].iloc[0]


def test_no_candidate_over_budget_is_ever_evaluated():
    """Every candidate, initial sample and offspring alike, is within budget when evaluated and in the records."""
    seen = []

    def evaluate(batch):
        seen.extend(batch)
        return noisy_reach(batch)

    result = search(SPACE, OBJECTIVES, evaluate, BUDGET, generations=12, pop_size=30, seed=5)
    costs = np.array([outreach_cost(levers) for levers in seen])
    assert len(seen) == len(result.candidates) == 12 * 30
    assert (costs <= BUDGET.limit).all()
    np.testing.assert_array_equal(result.candidates["cost"], costs)
    np.testing.assert_array_equal(result.candidates["slack"], BUDGET.limit - costs)
    assert (result.candidates["slack"] >= 0).all()
    # The repair had work to do: offspring pushed past the budget land on it.
    assert (result.candidates.loc[result.candidates["generation"] > 0, "slack"] < 1e-9).sum() > 30


def test_tight_budget_with_costly_options_is_still_respected():
    """A budget below what most options cost: choices and switches fall back, levers shrink, none escapes."""
    space = [Lever.integer("posts", 0, 20), Lever.real("grant", 0.0, 50.0),
             Lever.choice("venue", ["hall", "rented", "new_build"]), Lever.boolean("evening_hours")]
    venue_cost = {"hall": 0.0, "rented": 6.0, "new_build": 30.0}

    def cost(levers):
        return (3.0 * levers["posts"] + 0.5 * levers["grant"] + venue_cost[levers["venue"]]
                + 4.0 * levers["evening_hours"])

    budget = Budget(cost, 8.0)
    objectives = [Objective("service", "maximise", 0.0, 10.0), Objective("footfall", "maximise", 0.0, 10.0)]

    def evaluate(batch):
        assert all(cost(levers) <= budget.limit for levers in batch)
        return [{"service": levers["posts"] + 0.1 * levers["grant"], "footfall": 2.0 * levers["evening_hours"]
                 + levers["grant"] / 10 + (1.0 if levers["venue"] != "hall" else 0.0)} for levers in batch]

    result = search(space, objectives, evaluate, budget, generations=8, pop_size=20, seed=2)
    assert (result.candidates["slack"] >= 0).all()
    assert set(result.candidates["venue"]) <= {"hall", "rented"}


def test_fit_to_budget_shrinks_only_what_costs_money():
    over = {"social_workers": 5, "programme_funds": 6.0, "elderly_share": 0.3, "outreach_channel": "wechat",
            "pilot_grant": False}
    fitted = fit_to_budget(over, SPACE, BUDGET)
    # Cost 16 shrinks along (5, 6) towards (0, 0) until it is 10; the share and the options stay.
    assert {k: fitted[k] for k in ("social_workers", "elderly_share", "outreach_channel", "pilot_grant")} == {
        "social_workers": 3, "elderly_share": 0.3, "outreach_channel": "wechat", "pilot_grant": False}
    np.testing.assert_allclose(fitted["programme_funds"], 4.0, atol=1e-12)
    assert outreach_cost(fitted) <= BUDGET.limit


def test_fit_to_budget_gives_money_freed_by_whole_posts_back_to_funds():
    """(7 workers, 0.5 funds) costs 14.5; at 4 workers the shrunk funds (0.36) would leave money unused."""
    fitted = fit_to_budget({"social_workers": 7, "programme_funds": 0.5, "elderly_share": 0.5,
                            "outreach_channel": "hotline", "pilot_grant": False}, SPACE, BUDGET)
    assert (fitted["social_workers"], fitted["programme_funds"]) == (4, 0.5)


def test_fit_to_budget_cleans_levers_within_budget_and_drops_an_unaffordable_option():
    cleaned = fit_to_budget({"social_workers": np.float64(2.6), "programme_funds": np.float64(-1.0),
                             "elderly_share": np.float64(1.5), "outreach_channel": np.str_("hotline"),
                             "pilot_grant": np.True_}, SPACE, BUDGET)
    assert cleaned == {"social_workers": 3, "programme_funds": 0.0, "elderly_share": 1.0,
                       "outreach_channel": "hotline", "pilot_grant": True}
    assert [type(v) for v in cleaned.values()] == [int, float, float, str, bool]
    door_to_door_dear = Budget(
        lambda levers: 20.0 * (levers["outreach_channel"] == "door_to_door") + levers["programme_funds"], 10.0)
    fitted = fit_to_budget({**cleaned, "programme_funds": 2.0, "outreach_channel": "door_to_door"}, SPACE,
                           door_to_door_dear)
    assert fitted == {**cleaned, "programme_funds": 2.0, "outreach_channel": "hotline"}


def test_same_seed_same_search_and_another_seed_another():
    first = search(SPACE, OBJECTIVES, noisy_reach, BUDGET, generations=6, pop_size=20, seed=11)
    again = search(SPACE, OBJECTIVES, noisy_reach, BUDGET, generations=6, pop_size=20, seed=11)
    other = search(SPACE, OBJECTIVES, noisy_reach, BUDGET, generations=6, pop_size=20, seed=12)
    pd.testing.assert_frame_equal(first.candidates, again.candidates)
    pd.testing.assert_frame_equal(first.archive, again.archive)
    pd.testing.assert_frame_equal(first.convergence, again.convergence)
    assert list(first.candidates["key"]) != list(other.candidates["key"])


class Interrupted(Exception):
    """Stands for the process being killed while a generation is being evaluated."""


def test_killed_search_replayed_from_its_seed_evaluates_nothing_twice():
    generations, killed_at = 10, 4
    uninterrupted = search(SPACE, OBJECTIVES, CachingEvaluator(noisy_reach), BUDGET, generations=generations,
                           pop_size=24, seed=9, reference_front=TRUE_FRONT)
    calls: Counter[str] = Counter()
    batches = 0

    def counted(batch):
        nonlocal batches
        batches += 1
        calls.update(candidate_key(levers) for levers in batch)
        return noisy_reach(batch)

    def killed(batch):
        if batches == killed_at:
            raise Interrupted
        return counted(batch)

    store: dict[str, dict[str, float]] = {}
    with pytest.raises(Interrupted):
        search(SPACE, OBJECTIVES, CachingEvaluator(killed, store), BUDGET, generations=generations, pop_size=24,
               seed=9, reference_front=TRUE_FRONT)
    stored_before = len(store)
    assert stored_before == len(calls) > 0

    resumed_evaluator = CachingEvaluator(counted, store)
    resumed = search(SPACE, OBJECTIVES, resumed_evaluator, BUDGET, generations=generations, pop_size=24, seed=9,
                     reference_front=TRUE_FRONT)
    assert max(calls.values()) == 1
    assert resumed_evaluator.evaluated == len(store) - stored_before
    replayed = resumed.candidates["generation"] < killed_at
    assert resumed_evaluator.served >= replayed.sum()
    assert set(resumed.candidates.loc[replayed, "key"]) <= set(list(store)[:stored_before])
    pd.testing.assert_frame_equal(resumed.candidates, uninterrupted.candidates)
    pd.testing.assert_frame_equal(resumed.archive, uninterrupted.archive)
    pd.testing.assert_frame_equal(resumed.convergence, uninterrupted.convergence)


def test_caching_evaluator_passes_each_unseen_candidate_once():
    received = []

    def evaluate(batch):
        received.append([levers["x"] for levers in batch])
        return [{"y": levers["x"] * 2} for levers in batch]

    cached = CachingEvaluator(evaluate)
    assert cached([{"x": 1}, {"x": 2}, {"x": 1}]) == [{"y": 2}, {"y": 4}, {"y": 2}]
    assert cached([{"x": 2}, {"x": 3}]) == [{"y": 4}, {"y": 6}]
    assert cached([{"x": 3}]) == [{"y": 6}]
    assert received == [[1, 2], [3]]
    assert (cached.evaluated, cached.served) == (3, 3)


def test_more_than_three_objectives_run_on_nsga3_within_budget():
    space = [Lever.real(f"spend_{i}", 0.0, 5.0) for i in range(4)] + [Lever.integer("sites", 1, 4)]

    def cost(levers):
        return sum(levers[f"spend_{i}"] for i in range(4)) + 2.0 * levers["sites"]

    budget = Budget(cost, 10.0)
    objectives = [Objective(f"outcome_{i}", "maximise", 0.0, 5.0) for i in range(4)]

    def evaluate(batch):
        assert all(cost(levers) <= budget.limit for levers in batch)
        return [{f"outcome_{i}": math.sqrt(levers[f"spend_{i}"] * levers["sites"]) for i in range(4)}
                for levers in batch]

    runs = [search(space, objectives, evaluate, budget, generations=6, pop_size=36, seed=4) for _ in range(2)]
    pd.testing.assert_frame_equal(runs[0].candidates, runs[1].candidates)
    assert (runs[0].candidates["slack"] >= 0).all()
    assert len(runs[0].candidates) == 6 * 36
    assert runs[0].convergence["hypervolume"].iloc[-1] > runs[0].convergence["hypervolume"].iloc[0]


def test_objective_missing_from_scores_is_an_error():
    with pytest.raises(KeyError, match="youth_reached"):
        search(SPACE, OBJECTIVES, lambda batch: [{"elderly_reached": 0.5} for _ in batch], BUDGET, generations=1,
               pop_size=8, seed=0)


def test_budget_that_not_even_the_cheapest_levers_meet_is_an_error():
    with pytest.raises(ValueError, match="cheapest"):
        search(SPACE, OBJECTIVES, noisy_reach, Budget(lambda levers: 1.0 + outreach_cost(levers), 0.5),
               generations=1, pop_size=8, seed=0)
