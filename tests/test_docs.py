"""The documents match the code: parameters, generated tables, modules, schedule, checks."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from sim import docgen
from sim.model import CommunityModel

ROOT = Path(__file__).resolve().parent.parent
ODD = ROOT / "docs" / "ODD.md"
CALIBRATION = ROOT / "docs" / "calibration.md"
CALL = re.compile(r"^\s*((?:self\.)?[a-z_]+(?:\.[a-z_]+)*)\(")


def odd_text() -> str:
    return ODD.read_text(encoding="utf-8")


def test_every_schema_parameter_is_named_in_odd_and_calibration():
    odd, cal = odd_text(), CALIBRATION.read_text(encoding="utf-8")
    params = docgen.parameters()
    assert len(params) > 100
    missing = [p.path for p in params if f"`{p.path}`" not in odd]
    assert not missing, f"not in docs/ODD.md: {missing}"
    missing = [p.path for p in params if f"`{p.path}`" not in cal]
    assert not missing, f"not in docs/calibration.md: {missing}"


def test_per_need_type_parameters_are_expanded():
    paths = {p.path for p in docgen.parameters()}
    assert "needs.hazard_per_year.eldercare" in paths
    assert "needs.effort_hours.disputes" in paths
    assert "needs.hazard_per_year" not in paths


def test_generated_tables_are_up_to_date():
    assert docgen.main(["--check"]) == 0, "run: python -m sim.docgen"


def test_check_detects_a_stale_table(tmp_path):
    text = odd_text()
    row = next(line for line in text.splitlines() if line.startswith("| `workforce.salary_ratio`"))
    stale = tmp_path / "ODD.md"
    stale.write_text(text.replace(row, row.replace("| 0.64 |", "| 0.99 |")), encoding="utf-8")
    assert docgen.main(["--check", str(stale)]) == 1
    assert docgen.main([str(stale)]) == 0
    assert docgen.main(["--check", str(stale)]) == 0
    assert stale.read_text(encoding="utf-8") == text


def test_check_detects_a_missing_section(tmp_path):
    text = re.sub(r"<!-- params:social -->.*?<!-- /params:social -->", "", odd_text(), flags=re.S)
    doc = tmp_path / "ODD.md"
    doc.write_text(text, encoding="utf-8")
    assert docgen.main(["--check", str(doc)]) == 1


def test_unknown_section_marker_is_an_error():
    with pytest.raises(ValueError, match="no schema section"):
        docgen.render("<!-- params:nonsense -->\n<!-- /params:nonsense -->")


def test_every_module_named_in_odd_exists_and_every_submodel_is_named():
    text = odd_text()
    named = set(re.findall(r"`(sim/[\w/]+\.py)`", text))
    assert named
    assert not [m for m in named if not (ROOT / m).is_file()]
    for module in (ROOT / "sim" / "submodels").glob("*.py"):
        if module.name != "__init__.py":
            assert f"`sim/submodels/{module.name}`" in text, module.name


def schedule_in_code() -> list[str]:
    src = inspect.getsource(CommunityModel.step)
    return [m.group(1) for line in src.splitlines()[1:] if (m := CALL.match(line))]


def schedule_in_odd() -> list[str]:
    block = re.search(r"<!-- schedule -->(.*?)<!-- /schedule -->", odd_text(), re.S).group(1)
    names = []
    for line in block.strip().splitlines():
        head = re.match(r"\d+\. (.*?`): ", line).group(1)
        names += re.findall(r"`([\w.]+)`", head)
    return names


def test_schedule_section_lists_step_in_order():
    code = schedule_in_code()
    assert "needs.arise" in code and "funding.contracts" in code
    assert schedule_in_odd() == code


def test_validation_checks_named_in_odd_exist():
    src = (ROOT / "sim" / "validation.py").read_text(encoding="utf-8")
    patterns = [re.escape(n) for n in re.findall(r'\bCheck\(\s*"(\w+)"', src)]
    section = odd_text().split("## 2.")[0]
    named = set(re.findall(r"`([a-z_]+)`", section.split("| # | pattern")[1].split("\n\n")[0]))
    named = {n for n in named if "_" in n}
    assert len(patterns) >= 7
    unknown = [n for n in named if not any(re.fullmatch(p, n) for p in patterns)]
    assert not unknown, f"named in ODD but not a check in sim/validation.py: {unknown}"
    unnamed = [p for p in patterns if not any(re.fullmatch(p, n) for n in named)]
    assert not unnamed, f"checks in sim/validation.py missing from ODD: {unnamed}"


def test_coverage_window_in_odd_matches_metrics():
    from sim.metrics import COVERAGE_WEEKS

    assert f"`COVERAGE_WEEKS` weeks (`sim/metrics.py`; {COVERAGE_WEEKS}," in odd_text()
