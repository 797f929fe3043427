"""Convergence measures on sets whose hypervolume, IGD+ and epsilon-progress are known by hand."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("moocore")

from sim.explore.convergence import ConvergenceTracker, EpsilonArchive, hypervolume, igd_plus, normalise  # noqa: E402
from sim.explore.space import Objective  # noqa: E402


def test_normalise_maps_bounds_to_best_and_worst_whatever_the_direction():
    objectives = [Objective("reach", "maximise", 0.0, 200.0), Objective("waiting_weeks", "minimise", 2.0, 12.0)]
    np.testing.assert_allclose(normalise(np.array([[200.0, 2.0], [0.0, 12.0], [50.0, 4.5]]), objectives),
                               [[0.0, 0.0], [1.0, 1.0], [0.75, 0.25]])


def test_hypervolume_of_known_sets():
    assert hypervolume(np.array([[0.5, 0.5]])) == pytest.approx(0.36)
    # Two corners of the unit square: two 0.1 × 1.1 strips that overlap in a 0.1 × 0.1 square.
    assert hypervolume(np.array([[0.0, 1.0], [1.0, 0.0]])) == pytest.approx(0.21)
    assert hypervolume(np.array([[1.2, 0.0]])) == 0.0
    assert hypervolume(np.empty((0, 2))) == 0.0


def test_igd_plus_is_zero_on_the_front_and_counts_only_shortfalls():
    front = np.column_stack([np.linspace(0, 1, 11), 1 - np.linspace(0, 1, 11)])
    assert igd_plus(front, front) == pytest.approx(0.0)
    assert igd_plus(front + 0.05, front) == pytest.approx(0.05 * np.sqrt(2))
    assert igd_plus(np.vstack([front, front + 0.3]), front) == pytest.approx(0.0)


def test_epsilon_archive_counts_new_boxes_only():
    archive = EpsilonArchive([0.1, 0.1])
    offers = [([0.55, 0.55], True),   # empty archive: a new box
              ([0.52, 0.58], False),  # same box, farther from its corner: rejected
              ([0.51, 0.51], False),  # same box, dominates: replaces, no progress
              ([0.35, 0.90], True),   # a box nobody dominates
              ([0.20, 0.20], True),   # its box dominates both archived boxes: evicts them
              ([0.25, 0.25], False),  # same box as (0.2, 0.2), dominated by it
              ([0.90, 0.05], True)]
    for point, progress in offers:
        assert archive.add(np.array(point)) is progress
    assert archive.progress == 4
    np.testing.assert_allclose(np.array(archive.points), [[0.2, 0.2], [0.9, 0.05]])


def test_tracker_rows_accumulate_over_generations():
    objectives = [Objective("f1", "minimise", 0.0, 1.0), Objective("f2", "minimise", 0.0, 1.0)]
    front = np.column_stack([np.linspace(0, 1, 101), 1 - np.linspace(0, 1, 101)])
    tracker = ConvergenceTracker(objectives, epsilon=0.05, reference_front=front)
    tracker.update(0, np.array([[0.8, 0.8], [0.9, 0.5]]))
    tracker.update(1, np.array([[0.5, 0.5], [0.9, 0.5]]))
    tracker.update(2, front[::10])
    table = tracker.table()
    assert list(table["generation"]) == [0, 1, 2]
    assert list(table["evaluations"]) == [2, 4, 15]
    assert list(table["nondominated"]) == [2, 1, 11]
    assert (np.diff(table["hypervolume"]) > 0).all() and (np.diff(table["igd_plus"]) < 0).all()
    # Every tenth point of the front: a reference point j hundredths from the nearest found one is
    # j/100 short of it in one objective, so IGD+ is (0+1+2+3+4+5+4+3+2+1)·10/100/101.
    assert table["igd_plus"].iloc[-1] == pytest.approx(2.5 / 101)
    assert list(table["epsilon_progress"]) == [2, 3, 13]
    without_front = ConvergenceTracker(objectives)
    assert np.isnan(without_front.update(0, np.array([[0.5, 0.5]]))["igd_plus"])
