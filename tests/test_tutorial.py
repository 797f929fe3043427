"""The tutorial notebook runs end to end, on small settings."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


FIGURE_CHECK = """
for ax, col in zip(axes.ravel(), SERIES):
    assert ax.get_ylabel(), f"{col}: no y label"
    low, high = output(col).bounds
    assert len(ax.collections) == len(POLICIES), f"{col}: one band per policy"
    reached = [np.stack([r.timeseries[col].to_numpy() for r in runs[p]]) for p in POLICIES]
    low, high = max(low, min(y.min() for y in reached)), min(high, max(y.max() for y in reached))
    for band in ax.collections:
        ys = np.concatenate([path.vertices[:, 1] for path in band.get_paths()])
        assert ys.min() >= low - 1e-9 and ys.max() <= high + 1e-9, f"{col}: band leaves [{low}, {high}]"
    labelled = [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]
    assert len(labelled) == len(POLICIES), labelled
print("figure checked")
"""


def test_tutorial_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("COGOV_TUTORIAL", "3000,2,60")
    # A non-interactive backend set in the environment would stop the notebook drawing inline.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # Run after the notebook, in its kernel: the figure a reader sees has units and bands in range.
    nb.cells.append(nbformat.v4.new_code_cell(FIGURE_CHECK))
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "turnover per year" in text and "figure checked" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the interval figure was not drawn"
