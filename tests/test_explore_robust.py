"""Robustness metrics on a planted choice: the policy best on average fails in some futures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.explore.robust import (
    draw_table,
    mean,
    mean_and_spread,
    percentile,
    regret,
    satisficing,
    worst_case,
)


def planted() -> tuple[pd.DataFrame, np.ndarray]:
    """Needs met (share) under 200 draws of θ ~ U(0, 1).

    Policy A meets 95% of needs but collapses to 20% when θ > 0.8 (about one draw in five); B meets
    75% in every draw, give or take 1%; the status quo meets 50%. A is best on the mean
    (about 0.80 against 0.75) yet fails where B never does.
    """
    rng = np.random.default_rng(42)
    theta = rng.random(200)
    results = pd.DataFrame({
        "A": np.where(theta > 0.8, 0.2, 0.95),
        "B": 0.75 + rng.normal(0.0, 0.01, theta.size),
        "status_quo": np.full(theta.size, 0.5),
    }).T
    return results, theta


def test_mean_prefers_the_fragile_policy_robust_metrics_the_steady_one():
    results, theta = planted()
    assert 0.1 < (theta > 0.8).mean() < 0.3
    assert mean(results, "maximise").ranking()[:2] == ["A", "B"]
    assert percentile(results, 10, "maximise").best() == "B"
    assert satisficing(results, 0.6, "maximise").best() == "B"
    assert worst_case(results, "maximise").best() == "B"
    assert worst_case(regret(results, "maximise"), "minimise").best() == "B"


def test_directions_are_consistent_when_the_outcome_is_flipped():
    """Unmet needs (1 − met) to minimise must give exactly the rankings of needs met to maximise."""
    results, _ = planted()
    unmet = 1.0 - results
    for met_score, unmet_score in [
        (mean(results, "maximise"), mean(unmet, "minimise")),
        (percentile(results, 10, "maximise"), percentile(unmet, 10, "minimise")),
        (worst_case(results, "maximise"), worst_case(unmet, "minimise")),
        (satisficing(results, 0.6, "maximise"), satisficing(unmet, 0.4, "minimise")),
    ]:
        assert met_score.ranking() == unmet_score.ranking()
    pd.testing.assert_frame_equal(regret(results, "maximise"), regret(unmet, "minimise"))
    pd.testing.assert_frame_equal(regret(results, "maximise", reference="status_quo"),
                                  regret(unmet, "minimise", reference="status_quo"))


def test_metric_values():
    results = pd.DataFrame([[1.0, 2.0, 3.0, 4.0, 10.0], [3.0, 3.0, 3.0, 3.0, 3.0]], index=["x", "y"])
    np.testing.assert_allclose(mean(results, "maximise").values, [4.0, 3.0])
    np.testing.assert_allclose(percentile(results, 25, "maximise").values, [2.0, 3.0])
    np.testing.assert_allclose(percentile(results, 25, "minimise").values, [4.0, 3.0])
    np.testing.assert_allclose(worst_case(results, "maximise").values, [1.0, 3.0])
    np.testing.assert_allclose(worst_case(results, "minimise").values, [10.0, 3.0])
    np.testing.assert_allclose(satisficing(results, 3.0, "maximise").values, [0.6, 1.0])
    np.testing.assert_allclose(satisficing(results, 2.0, "minimise").values, [0.4, 0.0])
    average, spread = mean_and_spread(results, "minimise")
    assert (average.direction, spread.direction) == ("minimise", "minimise")
    np.testing.assert_allclose(spread.values, [np.std([1, 2, 3, 4, 10]), 0.0])
    np.testing.assert_allclose(regret(results, "maximise").to_numpy(), [[2, 1, 0, 0, 0], [0, 0, 0, 1, 7]])
    np.testing.assert_allclose(regret(results, "maximise", reference="y").to_numpy(),
                               [[2, 1, 0, -1, -7], [0, 0, 0, 0, 0]])
    assert satisficing(results, 3.0, "minimise").direction == "maximise"


def test_ties_keep_the_order_of_the_table():
    results = pd.DataFrame([[1.0, 2.0], [1.0, 2.0], [0.0, 5.0]], index=["second", "first", "third"])
    assert worst_case(results, "maximise").ranking() == ["second", "first", "third"]


def test_draw_table_averages_replications_within_each_draw():
    rows = [{"candidate": c, "draw": d, "replication": r, "unmet": 10 * i + d + r}
            for i, c in enumerate(["A", "B"]) for d in range(3) for r in range(4)]
    table = draw_table(pd.DataFrame(rows), "unmet")
    np.testing.assert_allclose(table.to_numpy(), [[1.5, 2.5, 3.5], [11.5, 12.5, 13.5]])
    assert list(table.index) == ["A", "B"] and list(table.columns) == [0, 1, 2]
    with pytest.raises(ValueError, match="every draw"):
        draw_table(pd.DataFrame(rows[:-4]), "unmet")


def test_bad_direction_is_an_error():
    with pytest.raises(ValueError, match="direction"):
        mean(np.ones((2, 3)), "maximize")
