"""The tutorial notebook runs end to end, on small settings."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "tutorial.ipynb"


def test_tutorial_runs(monkeypatch, tmp_path):
    monkeypatch.setenv("COGOV_TUTORIAL", "3000,2,60")
    # A non-interactive backend set in the environment would stop the notebook drawing inline.
    monkeypatch.delenv("MPLBACKEND", raising=False)
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "turnover per year" in text
    assert any("image/png" in o.get("data", {}) for o in outputs), "the interval figure was not drawn"
