"""experiments/cases.py runs the seed cases (quick) and writes the tables docs/cases.md holds."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def load_cases():
    spec = importlib.util.spec_from_file_location("cases", ROOT / "experiments" / "cases.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules["cases"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    cases = load_cases()
    out = tmp_path_factory.mktemp("cases") / "cases.md"
    doc = out.parent / "doc.md"
    doc.write_text((ROOT / "docs" / "cases.md").read_text(encoding="utf-8"), encoding="utf-8")
    assert cases.main(["--quick", "--workers", "1", "--out", str(out), "--doc", str(doc),
                       "--runs", str(out.parent / "runs")]) == 0
    return cases, out.read_text(encoding="utf-8"), doc.read_text(encoding="utf-8")


def rows(text: str, case: str) -> dict[str, list[str]]:
    block = text.split(f"## {case}\n")[1].split("\n## ")[0]
    out = {}
    for line in block.splitlines():
        if line.startswith("| ") and not line.startswith("| quantity"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            out.setdefault(cells[0], cells)
    return out


def number(cell: str) -> float:
    return float(re.match(r"-?[\d,.]+", cell).group(0).replace(",", ""))


def test_every_case_and_row_is_written(quick):
    cases, text, _ = quick
    for case, (_, spec) in cases.CASES.items():
        got = rows(text, case)
        assert {r.quantity for r in spec} == set(got), case
        for r in spec:
            cell = got[r.quantity][2]
            if r.kpi is None:
                assert cell == "not modelled"
            else:
                assert re.match(r"-?[\d,.]+%?( \[-?[\d,.]+%?, -?[\d,.]+%?\])?$", cell), (r.quantity, cell)
    assert "2 replications (master seed 1, common random numbers), 80 weeks" in text


def test_inputs_come_out_as_the_articles_state(quick):
    _, text, _ = quick
    huarui = rows(text, "aging_estate")
    assert number(huarui["registered residents"][2]) == 1196
    assert number(huarui["enterprise partners (社区合伙人)"][2]) == 12
    assert abs(number(huarui["residents aged 60+"][2]) - 1033) < 60
    jinyuan = rows(text, "deliberation")
    assert abs(number(jinyuan["households"][2]) - 3926) < 80


def test_doc_blocks_are_rewritten(quick):
    cases, text, doc = quick
    for case in cases.CASES:
        block = re.search(rf"<!-- cases:{case} -->\n(.*?)<!-- /cases:{case} -->", doc, re.S).group(1)
        assert block.strip() and block.strip() in text


def test_the_document_has_a_block_for_every_case():
    cases = load_cases()
    doc = (ROOT / "docs" / "cases.md").read_text(encoding="utf-8")
    for case in cases.CASES:
        block = rf"<!-- cases:{case} -->\n(<!-- inputs: .*? -->\n+)?\d+ replications.*?<!-- /cases:{case} -->"
        assert re.search(block, doc, re.S), case


def test_missing_block_fails(tmp_path):
    cases = load_cases()
    doc = tmp_path / "doc.md"
    doc.write_text("no blocks here\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no <!-- cases:NAME --> block"):
        cases.write_doc(doc, {c: "x\n" for c in cases.CASES})
