"""Classification trees (CART) and feature scores for scenario discovery.

A second opinion on PRIM (Breiman et al. 1984; Lempert et al. 2008): a decision tree splits the
inputs into boxes by recursive binary splits, so its leaves of high density describe the same
conditions a PRIM box does, and its first splits say which inputs matter most. Categorical inputs
(strings, booleans, pandas categories) are one-hot encoded and read back as ``input == value``.

Feature scores rank inputs by how much a tree ensemble relies on them: impurity importances of
extremely randomised trees (as in EMA Workbench's ``feature_scoring``) or the drop in held-out
accuracy of a random forest when one input is shuffled (permutation importance, Breiman 2001).
Every estimator and shuffle is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from .inputs import case_of_interest, input_kinds


@dataclass(frozen=True)
class Condition:
    """One side of a split, in the inputs' own terms: ``u1 > 0.7``, ``channel == 'wechat'``."""

    input: str
    operator: Literal["<=", ">", "==", "!="]
    value: object

    def __str__(self) -> str:
        if self.operator in ("<=", ">"):
            return f"{self.input} {self.operator} {self.value:.4g}"
        return f"{self.input} {self.operator} {self.value!r}"


@dataclass(frozen=True, eq=False)
class CartResult:
    """A fitted tree with what is needed to read its splits back in terms of the original inputs."""

    tree: DecisionTreeClassifier
    encoded: np.ndarray
    sources: tuple[tuple[str, object], ...]
    """For each encoded column: the input and, for one-hot columns, the category (else ``None``)."""
    y: np.ndarray


def _sources(x: pd.DataFrame) -> tuple[tuple[str, object], ...]:
    """The encoded columns: numeric inputs as they are, each category of a categorical input as 0/1."""
    if x.isna().any().any():
        raise ValueError("inputs have missing values")
    sources: list[tuple[str, object]] = []
    for name, kind in input_kinds(x).items():
        if kind == "categorical":
            values = sorted(pd.unique(x[name]), key=str)
            sources += [(name, v.item() if isinstance(v, np.generic) else v) for v in values]
        else:
            sources.append((name, None))
    return tuple(sources)


def _encode(x: pd.DataFrame, sources: tuple[tuple[str, object], ...]) -> np.ndarray:
    """The rows of ``x`` in the encoded columns (which may come from a larger table)."""
    return np.column_stack([
        (x[name] == category).to_numpy(dtype=float) if category is not None else x[name].to_numpy(dtype=float)
        for name, category in sources
    ])


def cart(x: pd.DataFrame, y: object, max_depth: int | None = 3, min_samples_leaf: float = 0.05,
         seed: int = 0) -> CartResult:
    """Fit a classification tree of the case of interest ``y`` on the inputs ``x``.

    ``min_samples_leaf`` as a fraction of the rows plays the part of PRIM's minimum mass; a shallow
    ``max_depth`` keeps the rules readable.
    """
    x = x.reset_index(drop=True)
    outcome = case_of_interest(y, len(x))
    sources = _sources(x)
    encoded = _encode(x, sources)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_samples_leaf, random_state=seed)
    tree.fit(encoded, outcome)
    return CartResult(tree=tree, encoded=encoded, sources=sources, y=outcome)


def _condition(result: CartResult, node: int, left: bool) -> Condition:
    """The condition that sends a point from ``node`` to its left (``<=``) or right child."""
    name, category = result.sources[result.tree.tree_.feature[node]]
    if category is not None:
        return Condition(name, "!=" if left else "==", category)
    return Condition(name, "<=" if left else ">", float(result.tree.tree_.threshold[node]))


def _node_counts(result: CartResult) -> tuple[np.ndarray, np.ndarray]:
    """Points and cases of interest that pass through each node."""
    path = result.tree.decision_path(result.encoded)
    return np.asarray(path.sum(axis=0)).ravel(), np.asarray(path.T @ result.y).ravel()


def cart_splits(result: CartResult) -> pd.DataFrame:
    """The tree's splits, breadth first: the leading splits say which inputs separate the cases best.

    ``condition`` is what sends a point to the right child; ``density`` is the share of cases of
    interest among the points reaching the split.
    """
    tree = result.tree.tree_
    n, k = _node_counts(result)
    rows, queue = [], [(0, 0)]
    while queue:
        node, depth = queue.pop(0)
        if tree.children_left[node] < 0:
            continue
        right = _condition(result, node, left=False)
        rows.append({"node": node, "depth": depth, "input": right.input, "condition": str(right),
                     "n": int(n[node]), "density": k[node] / n[node]})
        queue += [(tree.children_left[node], depth + 1), (tree.children_right[node], depth + 1)]
    return pd.DataFrame(rows, columns=["node", "depth", "input", "condition", "n", "density"])


def _simplify(conditions: list[Condition]) -> tuple[Condition, ...]:
    """Merge the conditions on a path: the tightest bound per side, ``==`` over any ``!=``."""
    merged: dict[tuple[str, str], Condition] = {}
    equal = {c.input for c in conditions if c.operator == "=="}
    for c in conditions:
        if c.operator == "!=" and c.input in equal:
            continue
        key = (c.input, c.operator if c.operator != "!=" else f"!={c.value!r}")
        kept = merged.get(key)
        tighter = kept is None or (c.operator == "<=" and c.value < kept.value) or (
            c.operator == ">" and c.value > kept.value)
        if tighter:
            merged[key] = c
    return tuple(merged.values())


def cart_leaves(result: CartResult) -> pd.DataFrame:
    """Every leaf as a box: its rule, points, cases of interest, density and coverage, densest first."""
    tree = result.tree.tree_
    n, k = _node_counts(result)
    total = max(int(result.y.sum()), 1)
    rows, stack = [], [(0, [])]
    while stack:
        node, path = stack.pop()
        if tree.children_left[node] < 0:
            conditions = _simplify(path)
            rows.append({"leaf": node, "rule": " and ".join(map(str, conditions)) or "(all)",
                         "conditions": conditions, "n": int(n[node]), "k": int(k[node]),
                         "density": k[node] / n[node], "coverage": k[node] / total})
            continue
        stack.append((tree.children_right[node], path + [_condition(result, node, left=False)]))
        stack.append((tree.children_left[node], path + [_condition(result, node, left=True)]))
    leaves = pd.DataFrame(rows)
    return leaves.sort_values(["density", "coverage", "leaf"], ascending=[False, False, True]).reset_index(drop=True)


def feature_scores(
    x: pd.DataFrame,
    y: object,
    method: Literal["extra_trees", "permutation"] = "extra_trees",
    n_estimators: int = 250,
    seed: int = 0,
    n_repeats: int = 5,
) -> pd.Series:
    """How much the case of interest depends on each input, highest first (scores sum to 1).

    ``extra_trees``: mean impurity decrease in extremely randomised trees, one-hot columns summed
    back to their input. ``permutation``: a random forest is fitted on a seeded 70% of the rows and
    each input is shuffled ``n_repeats`` times in the other 30%; the score is the mean loss of
    accuracy (negative losses count as zero).
    """
    x = x.reset_index(drop=True)
    outcome = case_of_interest(y, len(x))
    sources = _sources(x)
    encoded = _encode(x, sources)
    inputs = list(x.columns)
    if method == "extra_trees":
        forest = ExtraTreesClassifier(n_estimators=n_estimators, random_state=seed).fit(encoded, outcome)
        scores = pd.Series(0.0, index=inputs)
        for (name, _), importance in zip(sources, forest.feature_importances_, strict=True):
            scores[name] += importance
    elif method == "permutation":
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(x))
        train, test = order[: int(0.7 * len(x))], order[int(0.7 * len(x)):]
        forest = RandomForestClassifier(n_estimators=n_estimators, random_state=seed)
        forest.fit(encoded[train], outcome[train])
        held_out = x.iloc[test].reset_index(drop=True)
        baseline = forest.score(_encode(held_out, sources), outcome[test])
        losses = {}
        for name in inputs:
            drops = []
            for _ in range(n_repeats):
                shuffled = held_out.copy()
                shuffled[name] = held_out[name].to_numpy()[rng.permutation(len(held_out))]
                drops.append(baseline - forest.score(_encode(shuffled, sources), outcome[test]))
            losses[name] = max(float(np.mean(drops)), 0.0)
        scores = pd.Series(losses)
    else:
        raise ValueError(f"unknown feature-score method {method!r}")
    if scores.sum() > 0:
        scores = scores / scores.sum()
    return scores.rename("score").sort_values(ascending=False, kind="stable")
