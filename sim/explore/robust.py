"""Robustness of candidate policies over uncertain draws.

Each metric reduces a table ``results`` (one row per candidate, one column per draw of the
uncertain parameters, replications already averaged within a draw, see ``draw_table``) to one
score per candidate. The outcome's own direction (``"maximise"`` or ``"minimise"``) is always
given explicitly, and every metric returns a ``Score`` that carries the direction in which *the
score* is better, so ``score.ranking()`` always lists the best candidate first, whatever the
outcome's direction.

The metrics and where they come from:

* expected value (``mean``), the baseline that ignores spread (Kwakkel, Eker & Pruyt 2016);
* a percentile counted from the bad side (``percentile``), a softer worst case (Kwakkel, Eker &
  Pruyt 2016; McPhail et al. 2018);
* the worst case (``worst_case``, Wald's maximin; McPhail et al. 2018);
* the share of draws that meet a threshold (``satisficing``, the domain criterion of Starr 1963 as
  used by Lempert et al. 2006 and Herman et al. 2015);
* mean and spread as two objectives (``mean_and_spread``, Hamarat et al. 2014 as reviewed by
  Kwakkel, Eker & Pruyt 2016);
* regret against a reference policy such as the status quo, and against the best candidate of the
  set in each draw (``regret``; Savage 1951 as used by Lempert et al. 2006; the two kinds are the
  "deviation from baseline" and "deviation from best" regrets of Herman et al. 2015).

References: Herman, Reed, Zeff & Characklis (2015), J. Water Resour. Plann. Manage. 141(10);
Kwakkel, Eker & Pruyt (2016), in Doumpos et al. (eds.) Robustness Analysis in Decision Aiding;
Lempert, Groves, Popper & Bankes (2006), Management Science 52(4); McPhail et al. (2018), Earth's
Future 6(2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Direction = Literal["maximise", "minimise"]


@dataclass(frozen=True)
class Score:
    """One robustness score per candidate, and whether a higher or a lower score is better."""

    values: pd.Series
    direction: Direction

    def ranking(self) -> list[object]:
        """Candidates best first; ties keep the order of the results table."""
        ordered = self.values.sort_values(ascending=self.direction == "minimise", kind="stable")
        return list(ordered.index)

    def best(self) -> object:
        return self.ranking()[0]


def _check(direction: str) -> Direction:
    if direction not in ("maximise", "minimise"):
        raise ValueError(f"direction must be 'maximise' or 'minimise', not {direction!r}")
    return direction  # type: ignore[return-value]


def _table(results: pd.DataFrame | np.ndarray) -> pd.DataFrame:
    table = pd.DataFrame(results)
    if table.isna().any().any():
        raise ValueError("results have missing values: every candidate needs every draw")
    return table.astype(float)


def draw_table(long: pd.DataFrame, value: str, candidate: str = "candidate", draw: str = "draw") -> pd.DataFrame:
    """Average the replications of each (candidate, draw) in a long table into results[candidate, draw].

    Replications only estimate the model's stochastic mean in a draw; robustness is about the spread
    across draws, so replications are averaged first.
    """
    table = long.groupby([candidate, draw], sort=True)[value].mean().unstack(draw)
    return _table(table)


def mean(results: pd.DataFrame | np.ndarray, direction: Direction) -> Score:
    """Expected outcome over the draws (draws weighted equally, as sampled)."""
    return Score(_table(results).mean(axis=1), _check(direction))


def percentile(results: pd.DataFrame | np.ndarray, q: float, direction: Direction) -> Score:
    """The outcome that all but ``q`` percent of the draws reach or beat.

    For an outcome to maximise this is the ``q``-th percentile, for one to minimise the
    ``(100 - q)``-th, so ``q=10`` is "the value met in 90% of draws" either way.
    """
    if not 0 <= q <= 100:
        raise ValueError("q is a percentage between 0 and 100")
    direction = _check(direction)
    level = q if direction == "maximise" else 100 - q
    return Score(_table(results).quantile(level / 100, axis=1), direction)


def worst_case(results: pd.DataFrame | np.ndarray, direction: Direction) -> Score:
    """The worst outcome over the draws (Wald's maximin, or minimax for an outcome to minimise)."""
    direction = _check(direction)
    table = _table(results)
    return Score(table.min(axis=1) if direction == "maximise" else table.max(axis=1), direction)


def satisficing(results: pd.DataFrame | np.ndarray, threshold: float, direction: Direction) -> Score:
    """Share of draws in which the outcome meets ``threshold`` (at least it, or at most it); higher is better."""
    table = _table(results)
    met = table >= threshold if _check(direction) == "maximise" else table <= threshold
    return Score(met.mean(axis=1), "maximise")


def mean_and_spread(results: pd.DataFrame | np.ndarray, direction: Direction) -> tuple[Score, Score]:
    """Expected outcome and its standard deviation over the draws, as two objectives.

    The spread is always to minimise; the pair is meant for a multi-objective search, not a ranking.
    """
    table = _table(results)
    return Score(table.mean(axis=1), _check(direction)), Score(table.std(axis=1, ddof=0), "minimise")


def regret(results: pd.DataFrame | np.ndarray, direction: Direction, reference: object | None = None) -> pd.DataFrame:
    """How much worse each candidate does than a benchmark in each draw: results[candidate, draw].

    With ``reference`` (a row label such as the status quo), the benchmark is that candidate in the
    same draw and regret may be negative where the candidate beats it. Without it, the benchmark is
    the best candidate of the set in that draw, so regret is never negative and depends on the set.
    Summarise with ``worst_case(regret_table, "minimise")`` (minimax regret) or ``percentile``.
    """
    direction = _check(direction)
    table = _table(results)
    if reference is None:
        benchmark = table.max(axis=0) if direction == "maximise" else table.min(axis=0)
    else:
        benchmark = table.loc[reference]
    return benchmark - table if direction == "maximise" else table - benchmark
