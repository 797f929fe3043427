"""Parameter tables of ``docs/ODD.md`` and ``docs/calibration.md``, generated from the schema.

Defaults are still being calibrated, so the tables are never typed by hand:
each one sits between marker comments (``<!-- params:workforce -->`` ...
``<!-- /params:workforce -->``) and is rendered from :class:`sim.schema.Scenario`
(default, unit and source travel with each field). ``python -m sim.docgen``
rewrites the tables; ``python -m sim.docgen --check`` exits 1 when a table is
stale. The calibration tables also carry each parameter's Morris rank, read
from the ranking stored in ``docs/calibration.md`` (``<!-- morris-ranks: ... -->``);
``python -m sim.docgen --morris RESULTS`` rewrites that ranking and the mu*/sigma
table (``<!-- morris -->`` ... ``<!-- /morris -->``) from a finished
``cogov sensitivity`` results folder.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .schema import PerNeedType, Scenario

DOCS = Path(__file__).resolve().parent.parent / "docs"
ODD = DOCS / "ODD.md"
CALIBRATION = DOCS / "calibration.md"

BLOCK = re.compile(r"(<!-- (?P<kind>params|calibration):(?P<section>[\w.]+) -->\n)(?P<body>.*?)"
                   r"(<!-- /(?P=kind):(?P=section) -->)", re.S)
RANKS = re.compile(r"<!-- morris-ranks: (?P<json>\{.*?\}) -->", re.S)
SUMMARY = re.compile(r"(<!-- evidence-summary -->\n)(?P<body>.*?)(<!-- /evidence-summary -->)", re.S)
MORRIS = re.compile(r"(<!-- morris -->\n)(?P<body>.*?)(<!-- /morris -->)", re.S)
CHANGES = re.compile(r"(<!-- changes -->\n)(?P<body>.*?)(<!-- /changes -->)", re.S)


@dataclass(frozen=True)
class Param:
    """One scenario parameter: its dotted path, default, unit, source and meaning."""

    path: str
    default: Any
    unit: str
    source: str
    description: str

    @property
    def section(self) -> str:
        return self.path.split(".")[0]

    @property
    def evidence(self) -> str:
        return evidence_class(self.source)


def _meaning(description: str | None) -> str:
    """The field description without the ``[unit] Source: ...`` tail the schema appends."""
    text = description or ""
    return re.sub(r"\s*\[[^\]]*\]\s*Source:.*$", "", text, flags=re.S).strip()


def parameters(model: type[BaseModel] = Scenario, prefix: str = "") -> list[Param]:
    """Every parameter of the schema, depth first, in declaration order.

    A per-need-type parameter gives one row per need type (``needs.hazard_per_year.eldercare``),
    sharing the unit and source of its parent field.
    """
    out: list[Param] = []
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else None
        ann = field.annotation
        if extra is not None:
            default = field.get_default(call_default_factory=True)
            if isinstance(default, PerNeedType):
                for t, v in default.model_dump().items():
                    out.append(Param(f"{path}.{t}", v, str(extra["unit"]), str(extra["source"]),
                                     f"{_meaning(field.description)} ({t})"))
            else:
                out.append(Param(path, default, str(extra["unit"]), str(extra["source"]),
                                 _meaning(field.description)))
        elif isinstance(ann, type) and issubclass(ann, BaseModel):
            out.extend(parameters(ann, f"{path}."))
    return out


def sections() -> list[str]:
    """Schema sections that hold parameters, in declaration order."""
    return list(dict.fromkeys(p.section for p in parameters()))


def evidence_class(source: str) -> str:
    """What kind of evidence a source string names (its leading clause decides)."""
    s = source.strip().lower()
    if s.startswith("assumption"):
        return "assumption"
    if s.startswith("calibrated"):
        return "calibrated"
    if s.startswith("seed"):
        return "article"
    if s.startswith("domain"):
        return "research"
    if s.startswith("issue spec"):
        return "design choice"
    return "official statistics"


def fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 10_000:
            return f"{int(value):,}"
        return f"{value:.10g}"
    return str(value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def params_table(section: str) -> str:
    """The ODD table of one section: parameter, default, unit, source, meaning."""
    rows = ["| parameter | default | unit | source | meaning |", "|---|---|---|---|---|"]
    for p in parameters():
        if p.section == section:
            rows.append(f"| `{p.path}` | {fmt(p.default)} | {_cell(p.unit)} | {_cell(p.source)} "
                        f"| {_cell(p.description)} |")
    return "\n".join(rows) + "\n"


def calibration_table(section: str, ranks: dict[str, int], screened: int) -> str:
    """The calibration table of one section: value, unit, evidence, source, Morris rank."""
    rows = ["| parameter | value | unit | evidence | source | Morris rank |",
            "|---|---|---|---|---|---|"]
    for p in parameters():
        if p.section != section:
            continue
        rank = f"{ranks[p.path]} of {screened}" if p.path in ranks else "not screened"
        rows.append(f"| `{p.path}` | {fmt(p.default)} | {_cell(p.unit)} | {p.evidence} "
                    f"| {_cell(p.source)} | {rank} |")
    return "\n".join(rows) + "\n"


def evidence_summary() -> str:
    """How many defaults rest on each kind of evidence."""
    params = parameters()
    counts: dict[str, int] = {}
    for p in params:
        counts[p.evidence] = counts.get(p.evidence, 0) + 1
    rows = ["| evidence | parameters |", "|---|---|"]
    rows += [f"| {k} | {v} |" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])]
    rows.append(f"| all | {len(params)} |")
    return "\n".join(rows) + "\n"


def changes_table() -> str:
    """When a change during a run takes effect, for every parameter (the schema's marking)."""
    from .params import ParamPath
    from .schema import When

    by_when: dict[When, list[str]] = {w: [] for w in When}
    for p in parameters():
        by_when[ParamPath.parse(p.path).when].append(p.path)
    rows = ["| a change takes effect | parameters |", "|---|---|"]
    for when, paths in by_when.items():
        if not paths:
            continue
        if when is When.NOW:
            listed = f"the other {len(paths)} parameters"
        else:
            listed = ", ".join(f"`{x}`" for x in paths)
        rows.append(f"| **{when.value}**: {_cell(when.meaning)} | {listed} |")
    return "\n".join(rows) + "\n"


def morris_ranks(text: str) -> dict[str, int]:
    m = RANKS.search(text)
    return json.loads(m.group("json")) if m else {}


def render(text: str) -> str:
    """The document with every marked table regenerated."""
    ranks = morris_ranks(text)
    known = set(sections())

    def block(m: re.Match) -> str:
        kind, section = m.group("kind"), m.group("section")
        if section not in known:
            raise ValueError(f"marker names no schema section: {kind}:{section}")
        body = params_table(section) if kind == "params" else calibration_table(section, ranks, len(ranks))
        return m.group(1) + body + m.group(5)

    text = SUMMARY.sub(lambda m: m.group(1) + evidence_summary() + m.group(3), text)
    text = CHANGES.sub(lambda m: m.group(1) + changes_table() + m.group(3), text)
    return BLOCK.sub(block, text)


def documented_sections(text: str, kind: str) -> set[str]:
    return {m.group("section") for m in BLOCK.finditer(text) if m.group("kind") == kind}


def stale(paths: list[Path]) -> list[str]:
    """Problems: files whose tables differ from the schema, or sections without a table."""
    problems = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        if render(text) != text:
            problems.append(f"{path.name}: parameter tables are out of date; run python -m sim.docgen")
        kind = "params" if path.name == ODD.name else "calibration"
        missing = set(sections()) - documented_sections(text, kind)
        if missing:
            problems.append(f"{path.name}: no {kind} table for section(s) {', '.join(sorted(missing))}")
    return problems


def morris_table(results: Path) -> str:
    """The Morris block: mu* (sigma) per outcome and parameter, ranked, plus the stored ranks.

    mu* is comparable across parameters within an outcome, not across outcomes
    (different units), so each outcome's mu* is divided by its largest one and
    the parameters are ranked by the mean of these shares over the outcomes.
    """
    import pandas as pd

    t = pd.read_csv(Path(results) / "tables" / "sensitivity.csv")
    outcomes = list(dict.fromkeys(t["outcome"]))
    t["share"] = t["mu_star"] / t.groupby("outcome")["mu_star"].transform("max")
    score = t.groupby("parameter")["share"].mean().sort_values(ascending=False)
    defaults = {p.path: p.default for p in parameters()}
    ranks = {name: i + 1 for i, name in enumerate(score.index)}
    head = ("| rank | parameter | default | score | "
            + " | ".join(f"{o}: mu* (sigma)" for o in outcomes) + " |")
    rows = [f"<!-- morris-ranks: {json.dumps(ranks)} -->", "", head,
            "|" + "---|" * (4 + len(outcomes))]
    cell = t.set_index(["parameter", "outcome"])
    for name in score.index:
        vals = [f"{cell.at[(name, o), 'mu_star']:.3g} ({cell.at[(name, o), 'sigma']:.3g})" for o in outcomes]
        rows.append(f"| {ranks[name]} | `{name}` | {fmt(defaults.get(name, ''))} | {score[name]:.2f} | "
                    + " | ".join(vals) + " |")
    return "\n".join(rows) + "\n"


def write_morris(path: Path, results: Path) -> None:
    text = path.read_text(encoding="utf-8")
    if not MORRIS.search(text):
        raise SystemExit(f"{path}: no <!-- morris --> block")
    text = MORRIS.sub(lambda m: m.group(1) + morris_table(results) + m.group(3), text)
    path.write_text(render(text), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.docgen", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a table is stale, change nothing")
    ap.add_argument("files", nargs="*", type=Path,
                    help="documents (default: docs/ODD.md, docs/calibration.md)")
    ap.add_argument("--morris", type=Path, metavar="RESULTS",
                    help="rewrite the Morris table of docs/calibration.md from a sensitivity results folder")
    args = ap.parse_args(argv)
    paths = args.files or [ODD, CALIBRATION]
    if args.morris:
        write_morris(CALIBRATION if not args.files else args.files[0], args.morris)
    if args.check:
        problems = stale(paths)
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    for path in paths:
        text = path.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
