"""Has the search converged? Hypervolume, epsilon-progress and IGD+ per generation.

All three are computed on objectives normalised by their fixed bounds (``Objective.normalise``:
0 best, 1 worst), so runs with the same bounds can be compared and a bound that a candidate
exceeds shows up instead of silently rescaling everything.

* Hypervolume (Zitzler & Thiele 1999), computed exactly by moocore: the volume of normalised
  objective space dominated by the non-dominated set found so far, up to a reference point just
  beyond the worst bound (1.1 on every objective by default). It rises while the search improves.
* Epsilon-progress (Hadka & Reed 2013, the Borg MOEA): the count of candidates that entered an
  epsilon-box archive in a box no archived candidate occupied. A search still finding new regions of
  the front keeps adding to it; a flat count over many generations is the Borg stopping signal.
* IGD+ (Ishibuchi et al. 2015), by moocore: mean distance from each point of a reference front to
  the nearest found point, counting only the directions in which the found point is worse. Needs a
  known front, so it is for planted test problems.
"""

from __future__ import annotations

from collections.abc import Sequence

import moocore
import numpy as np
import pandas as pd

from .space import Objective


def normalise(values: np.ndarray, objectives: Sequence[Objective]) -> np.ndarray:
    """Rows of objective values in their own units, as rows of normalised to-minimise values."""
    values = np.atleast_2d(np.asarray(values, dtype=float))
    return np.column_stack([o.normalise(values[:, j]) for j, o in enumerate(objectives)])


def hypervolume(points: np.ndarray, reference: float = 1.1) -> float:
    """Hypervolume of normalised points up to ``reference`` on every objective (points beyond it count nothing)."""
    points = np.atleast_2d(np.asarray(points, dtype=float))
    if points.shape[0] == 0:
        return 0.0
    return float(moocore.hypervolume(points, ref=np.full(points.shape[1], reference)))


def igd_plus(points: np.ndarray, front: np.ndarray) -> float:
    """IGD+ of normalised points against a normalised reference front (0 when the front is reached)."""
    return float(moocore.igd_plus(np.atleast_2d(points), ref=np.atleast_2d(front)))


class EpsilonArchive:
    """Borg's epsilon-box archive on normalised objectives, counting epsilon-progress.

    Objective space is cut into boxes of side ``epsilon``. A candidate is rejected if an archived
    candidate's box dominates its box; it evicts archived candidates whose boxes its box dominates;
    within one box the dominating candidate, else the one nearer the box's best corner, is kept.
    Entering an unoccupied box is epsilon-progress; replacing a candidate in its box is not.
    """

    def __init__(self, epsilon: float | Sequence[float]) -> None:
        self.epsilon = np.asarray(epsilon, dtype=float)
        if (self.epsilon <= 0).any():
            raise ValueError("epsilon must be positive")
        self.points: list[np.ndarray] = []
        self.boxes: list[np.ndarray] = []
        self.progress = 0

    def add(self, point: np.ndarray) -> bool:
        """Offer one normalised point; True if it made epsilon-progress."""
        point = np.asarray(point, dtype=float)
        box = np.floor(point / self.epsilon)
        kept_points, kept_boxes = [], []
        same_box = None
        for archived, archived_box in zip(self.points, self.boxes, strict=True):
            if _dominates(archived_box, box):
                return False
            if np.array_equal(archived_box, box):
                same_box = archived
            elif not _dominates(box, archived_box):
                kept_points.append(archived)
                kept_boxes.append(archived_box)
        if same_box is not None:
            corner = box * self.epsilon
            wins = _dominates(point, same_box) or (
                not _dominates(same_box, point)
                and np.linalg.norm(point - corner) < np.linalg.norm(same_box - corner))
            kept_points.append(point if wins else same_box)
            kept_boxes.append(box)
            self.points, self.boxes = kept_points, kept_boxes
            return False
        self.points, self.boxes = kept_points + [point], kept_boxes + [box]
        self.progress += 1
        return True


def _dominates(a: np.ndarray, b: np.ndarray) -> bool:
    """Pareto dominance for minimisation: no worse anywhere, better somewhere."""
    return bool((a <= b).all() and (a < b).any())


class ConvergenceTracker:
    """One row per generation of the search: evaluations so far, size of the non-dominated set,
    hypervolume, cumulative epsilon-progress and, given a reference front, IGD+."""

    def __init__(self, objectives: Sequence[Objective], epsilon: float | Sequence[float] = 0.01,
                 reference: float = 1.1, reference_front: np.ndarray | None = None) -> None:
        self.objectives = list(objectives)
        self.reference = reference
        self.front_reference = None if reference_front is None else normalise(reference_front, self.objectives)
        self.archive = EpsilonArchive(np.broadcast_to(np.asarray(epsilon, dtype=float), (len(self.objectives),)))
        self.front = np.empty((0, len(self.objectives)))
        self.evaluations = 0
        self.rows: list[dict[str, float]] = []

    def update(self, generation: int, values: np.ndarray) -> dict[str, float]:
        """Record a generation's evaluated objective values (rows, in the objectives' own units)."""
        points = normalise(values, self.objectives)
        self.evaluations += points.shape[0]
        for point in points:
            self.archive.add(point)
        merged = np.vstack([self.front, points])
        self.front = merged[moocore.is_nondominated(merged)]
        row = {
            "generation": generation,
            "evaluations": self.evaluations,
            "nondominated": self.front.shape[0],
            "hypervolume": hypervolume(self.front, self.reference),
            "epsilon_progress": self.archive.progress,
            "igd_plus": np.nan if self.front_reference is None else igd_plus(self.front, self.front_reference),
        }
        self.rows.append(row)
        return row

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["generation", "evaluations", "nondominated", "hypervolume",
                                                "epsilon_progress", "igd_plus"])
