"""Scenario discovery on planted failures: PRIM and CART recover the conditions that were planted,
and the project's PRIM gives the boxes EMA Workbench's PRIM gives on the same data."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pandas as pd
import pytest

from sim.explore.prim import (
    box_limits,
    box_table,
    prim,
    quasi_p_values,
    resample_stability,
    restricted_dimensions,
    select_box,
)


def latin_hypercube(n: int, dimensions: int, rng: np.random.Generator) -> np.ndarray:
    """One point in each of n equal slices of every dimension, slices paired at random."""
    slices = rng.permuted(np.tile(np.arange(n), (dimensions, 1)), axis=1).T
    return (slices + rng.random((n, dimensions))) / n


def planted() -> tuple[pd.DataFrame, pd.Series]:
    """2,000 LHS points over six inputs of every kind; failure exactly when u1 > 0.7 and u2 < 0.3."""
    u = latin_hypercube(2000, 6, np.random.default_rng(20240601))
    x = pd.DataFrame({
        "u1": u[:, 0], "u2": u[:, 1], "u3": u[:, 2],
        "u4": (u[:, 3] * 10).astype(int),
        "u5": np.array(["hotline", "wechat", "door_to_door"])[(u[:, 4] * 3).astype(int)],
        "u6": u[:, 5] > 0.5,
    })
    return x, (x["u1"] > 0.7) & (x["u2"] < 0.3)


def noisy(seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """A failure that is only likely (80% inside a <= 0.6-corner box, 10% elsewhere): PRIM pastes here."""
    rng = np.random.default_rng(seed)
    n = 1000
    x = pd.DataFrame({"a": rng.random(n), "b": rng.random(n), "k": rng.integers(0, 6, n).astype(float),
                      "c": rng.choice(["p", "q", "r"], n)})
    return x, rng.random(n) < np.where((x["a"] > 0.6) & (x["b"] < 0.5), 0.8, 0.1)


def test_prim_recovers_the_planted_box():
    x, failed = planted()
    result = prim(x, failed)
    i = select_box(result)
    limits = box_limits(result, i)
    assert list(limits) == ["u1", "u2"]
    assert abs(limits["u1"][0] - 0.7) <= 0.05 and limits["u1"][1] == x["u1"].max()
    assert limits["u2"][0] == x["u2"].min() and abs(limits["u2"][1] - 0.3) <= 0.05
    box = result.trajectory.loc[i]
    assert box["coverage"] >= 0.9 and box["density"] >= 0.9
    table = box_table(result, i)
    assert list(zip(table["input"], table["side"], strict=True)) == [("u1", "lower"), ("u2", "upper")]
    assert (table["quasi_p"] < 1e-10).all()


def test_prim_trajectory_peels_towards_density():
    x, failed = planted()
    trajectory = prim(x, failed).trajectory
    assert trajectory.loc[0, "step"] == "start"
    np.testing.assert_allclose(trajectory.loc[0, ["coverage", "density", "mass"]].astype(float),
                               [1.0, failed.mean(), 1.0])
    peels = trajectory[trajectory["step"] == "peel"]
    assert (np.diff(peels["mass"]) < 0).all() and (np.diff(peels["density"]) > 0).all()
    assert (trajectory["mass"] >= 0.05).all()
    assert set(trajectory["res_dim"]) <= {0, 1, 2}


def test_select_box_takes_the_widest_box_dense_enough():
    x, failed = planted()
    result = prim(x, failed)
    i = select_box(result, min_density=0.9)
    trajectory = result.trajectory
    assert trajectory.loc[i, "density"] >= 0.9
    assert trajectory.loc[i, "coverage"] == trajectory.loc[trajectory["density"] >= 0.9, "coverage"].max()
    assert restricted_dimensions(result, i) == ["u1", "u2"]
    assert select_box(result, min_density=1.01) == int(trajectory["density"].idxmax())


def test_prim_resampling_restricts_the_planted_inputs_only():
    x, failed = planted()
    result = prim(x, failed)
    stability = resample_stability(result, select_box(result), np.random.default_rng(3), iterations=10)
    assert set(stability.index[:2]) == {"u1", "u2"}
    assert (stability.loc[["u1", "u2"], "reproduce_density"] == 1.0).all()
    assert (stability.loc[["u1", "u2"], "reproduce_coverage"] >= 0.7).all()
    assert (stability.loc[["u3", "u4", "u5", "u6"]] <= 0.2).all().all()
    again = resample_stability(result, select_box(result), np.random.default_rng(3), iterations=10)
    pd.testing.assert_frame_equal(stability, again)


def test_prim_restricts_integer_and_categorical_inputs_by_whole_values():
    rng = np.random.default_rng(5)
    n = 1500
    x = pd.DataFrame({"share": rng.random(n), "workers": rng.integers(0, 10, n),
                      "channel": rng.choice(["hotline", "wechat", "door_to_door"], n), "pilot": rng.random(n) < 0.5})
    failed = (x["workers"] >= 7) & (x["channel"] == "door_to_door")
    result = prim(x, failed)
    i = select_box(result)
    assert box_limits(result, i) == {"workers": (7, 9), "channel": frozenset({"door_to_door"})}
    assert result.trajectory.loc[i, "density"] == 1.0 and result.trajectory.loc[i, "coverage"] == 1.0
    table = box_table(result, i)
    assert list(table["side"]) == ["lower", "categories"]
    assert table.loc[1, "limit"] == ("door_to_door",)


def test_prim_pastes_back_what_peeling_took_too_eagerly():
    x, failed = noisy(2)
    trajectory = prim(x, failed).trajectory
    pastes = trajectory.index[trajectory["step"] == "paste"]
    assert len(pastes) > 0
    for i in pastes:
        assert trajectory.loc[i, "mass"] > trajectory.loc[i - 1, "mass"]
        assert trajectory.loc[i, "density"] > trajectory.loc[i - 1, "density"]


def test_prim_rejects_outcomes_that_are_not_cases_of_interest():
    x, _ = planted()
    with pytest.raises(ValueError, match="boolean or 0/1"):
        prim(x, np.linspace(0, 1, len(x)))
    with pytest.raises(ValueError, match="rows"):
        prim(x, np.zeros(10))


def _ema_prim():
    pytest.importorskip("ema_workbench")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim as ema_prim
    return ema_prim


def _ema_box(ema_prim, x: pd.DataFrame, y: np.ndarray):
    """EMA Workbench's first box. Version 2.5 needs a density threshold; 3.0 removed it (and keeps every box)."""
    if "threshold" in inspect.signature(ema_prim.Prim).parameters:
        return ema_prim.Prim(x, y, threshold=0.5).find_box()
    return ema_prim.Prim(x, y).find_box()


def _ema_restrictions(box, x: pd.DataFrame) -> dict[str, object]:
    """Limits of EMA's last box on the inputs it restricts, in the shape of ``box_limits``."""
    limits = box.box_lims[-1]
    restricted = {}
    for name in x.columns:
        lower, upper = limits.loc[0, name], limits.loc[1, name]
        if isinstance(lower, set):
            if lower != set(x[name]):
                restricted[name] = frozenset(lower)
        elif (lower, upper) != (x[name].min(), x[name].max()):
            restricted[name] = (float(lower), float(upper))
    return restricted


def _ema_quasi_p(box, x: pd.DataFrame) -> dict[tuple[str, str], float]:
    """EMA's quasi-p values of its last box keyed like ``quasi_p_values`` (EMA marks an open side with -1;
    the list is ``qp`` in 2.5 and ``p_values`` in 3.0)."""
    values = {}
    for name, pair in (box.p_values if hasattr(box, "p_values") else box.qp)[-1].items():
        sides = ("lower", "upper") if pd.api.types.is_numeric_dtype(x[name]) else ("categories", "")
        values.update({(name, side): p for side, p in zip(sides, pair, strict=True) if p >= 0})
    return values


def test_ema_workbench_prim_finds_the_same_planted_box():
    ema_prim = _ema_prim()
    x, failed = planted()
    ours = prim(x, failed)
    theirs = _ema_box(ema_prim, x, failed.to_numpy(dtype=int))
    mine, ema = box_limits(ours, select_box(ours)), _ema_restrictions(theirs, x)
    assert list(ema) == list(mine) == ["u1", "u2"]
    np.testing.assert_allclose(np.ravel(list(ema.values())), np.ravel(list(mine.values())), atol=0.05)
    np.testing.assert_allclose(theirs.peeling_trajectory[["coverage", "density"]].iloc[-1],
                               ours.trajectory[["coverage", "density"]].iloc[-1], atol=0.02)


def test_ema_workbench_prim_follows_the_same_trajectory_when_pasting():
    """On a noisy outcome with a categorical input, where peeling overshoots and pasting acts,
    the two PRIMs agree step for step, quasi-p values included."""
    ema_prim = _ema_prim()
    for seed in (2, 3):
        x, failed = noisy(seed)
        ours = prim(x, failed)
        theirs = _ema_box(ema_prim, x, failed.astype(int))
        np.testing.assert_allclose(theirs.peeling_trajectory[["coverage", "density", "mass"]].to_numpy(dtype=float),
                                   ours.trajectory[["coverage", "density", "mass"]].to_numpy(dtype=float))
        last = len(ours.trajectory) - 1
        assert _ema_restrictions(theirs, x) == box_limits(ours, last)
        ema_p, ours_p = _ema_quasi_p(theirs, x), quasi_p_values(ours, last)
        assert set(ema_p) == set(ours_p)
        np.testing.assert_allclose([ema_p[k] for k in ours_p], list(ours_p.values()), rtol=1e-9)


def _cart():
    pytest.importorskip("sklearn")
    from sim.explore import cart

    return cart


def test_cart_splits_on_the_planted_conditions():
    trees = _cart()
    x, failed = planted()
    result = trees.cart(x, failed, seed=0)
    splits = trees.cart_splits(result)
    assert set(splits["input"]) == {"u1", "u2"}
    leaves = trees.cart_leaves(result)
    densest = leaves.iloc[0]
    assert densest["density"] == 1.0 and densest["coverage"] >= 0.9
    conditions = {(c.input, c.operator): c.value for c in densest["conditions"]}
    assert set(conditions) == {("u1", ">"), ("u2", "<=")}
    assert abs(conditions[("u1", ">")] - 0.7) <= 0.05 and abs(conditions[("u2", "<=")] - 0.3) <= 0.05
    assert (leaves["density"].iloc[1:] == 0.0).all()


def test_cart_reads_categorical_splits_back_as_categories():
    trees = _cart()
    rng = np.random.default_rng(5)
    n = 1500
    x = pd.DataFrame({"share": rng.random(n), "workers": rng.integers(0, 10, n),
                      "channel": rng.choice(["hotline", "wechat", "door_to_door"], n)})
    leaves = trees.cart_leaves(trees.cart(x, (x["workers"] >= 7) & (x["channel"] == "door_to_door")))
    assert leaves.loc[0, "conditions"] == (trees.Condition("workers", ">", 6.5),
                                           trees.Condition("channel", "==", "door_to_door"))
    assert leaves.loc[0, "rule"] == "workers > 6.5 and channel == 'door_to_door'"
    assert leaves.loc[0, "density"] == 1.0


@pytest.mark.parametrize("method", ["extra_trees", "permutation"])
def test_feature_scores_rank_the_planted_inputs_first(method):
    trees = _cart()
    x, failed = planted()
    scores = trees.feature_scores(x, failed, method=method, n_estimators=100, seed=1)
    assert set(scores.index[:2]) == {"u1", "u2"}
    assert scores[["u1", "u2"]].min() > 2 * scores.iloc[2:].max()
    np.testing.assert_allclose(scores.sum(), 1.0)
    pd.testing.assert_series_equal(scores, trees.feature_scores(x, failed, method=method, n_estimators=100, seed=1))
