"""docs/optimization.md is generated (``python -m sim.explore.docs``): it must record the example it was made from,
and that record must match the example as it is now, so an edited example with a stale page is noticed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.explore import docs
from sim.explore.spec import OptimizeSpec
from sim.explore.store import file_hash
from sim.inputs import read_yaml
from sim.provenance import model_fingerprint

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "optimization.md"
REGENERATE = "docs/optimization.md is stale: regenerate it with `python -m sim.explore.docs --workers 2`"


@pytest.fixture(scope="module")
def page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_the_page_records_the_example_file_it_was_made_from(page):
    record = docs.recorded(page)
    example = ROOT / record["example"]
    assert record["example"] == docs.EXAMPLE.as_posix()
    assert record["example_sha256"] == file_hash(example.read_bytes()), REGENERATE


def test_the_page_was_made_by_the_model_as_it_is(page):
    assert docs.recorded(page).get("model") == model_fingerprint(), REGENERATE


def test_the_recorded_settings_are_those_of_the_example(page):
    record = docs.recorded(page)
    spec = OptimizeSpec.model_validate(read_yaml(ROOT / docs.EXAMPLE, "optimisation"))
    assert record["settings"] == docs.settings(spec), REGENERATE
    assert re.fullmatch(r"[0-9a-f]{16}", record["code"]) and record["git_commit"]
    assert {"python", "mesa", "numpy", "pymoo", "moocore"} <= set(record["versions"])
    assert record["simulated_runs"] > 0 and record["seconds"] > 0
    dedicated = record["simulated_runs"] * record["cpu_seconds_per_run"] / 2
    assert dedicated < 15 * 60, f"the example needs {dedicated / 60:.1f} minutes on two cores of its own"


def test_the_page_states_the_answer_and_its_figures_exist_and_are_small(page):
    for heading in ("## What the model answers", "## What makes the final set fail", "## Trade-offs and convergence",
                    "## The budget is a hard constraint", "## Robustness, hold-out and regret"):
        assert heading in page
    for author in ("Lempert", "Kwakkel, Eker & Pruyt", "McPhail", "Herman"):
        assert author in page
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page)
    assert len(images) >= 3
    for image in images:
        path = PAGE.parent / image
        assert path.is_file() and path.stat().st_size < 120_000, image


def test_the_performance_section_comes_from_the_same_run(page):
    record = docs.recorded(page)
    performance = (ROOT / docs.PERFORMANCE).read_text(encoding="utf-8")
    section = performance.split(f"\n{docs.PERFORMANCE_HEADING}\n")
    assert len(section) == 2, "the generated section is the last one of docs/performance.md"
    assert f"example sha256 {record['example_sha256'][:16]}" in section[1], REGENERATE
    assert f"simulated {record['simulated_runs']:,} runs" in section[1]
    assert "runs a minute" in section[1] and "seed 3" in section[1]
