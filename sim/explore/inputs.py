"""How scenario-discovery inputs are read: each column of a table is real, integer or categorical."""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["real", "integer", "categorical"]


def input_kinds(x: pd.DataFrame) -> dict[str, Kind]:
    """The kind of every column: booleans, strings and pandas categories are categorical.

    Booleans are categorical rather than 0/1 so that a box reads "pilot is True" instead of an
    interval on a flag.
    """
    kinds: dict[str, Kind] = {}
    for name in x.columns:
        dtype = x[name].dtype
        if pd.api.types.is_bool_dtype(dtype):
            kinds[name] = "categorical"
        elif pd.api.types.is_integer_dtype(dtype):
            kinds[name] = "integer"
        elif pd.api.types.is_float_dtype(dtype):
            kinds[name] = "real"
        else:
            kinds[name] = "categorical"
    return kinds


def case_of_interest(y: object, n: int) -> np.ndarray:
    """The outcome as a 0/1 integer array of length ``n``; anything but booleans or 0/1 is an error."""
    values = np.asarray(y, dtype=float).ravel()
    if values.shape[0] != n:
        raise ValueError(f"outcome has {values.shape[0]} rows, inputs have {n}")
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError("outcome must be boolean or 0/1 (missing values are not allowed)")
    return values.astype(int)
