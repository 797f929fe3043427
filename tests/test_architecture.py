"""The code's layers, as docs/architecture.md draws them: each module imports only from its own
layer or the layers below, and no set of modules imports itself round in a circle.

Imports are read from the source (every ``import`` and ``from ... import`` of the package, at
module level or inside a function), so a lazy import cannot hide an upward arrow.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parent.parent / "sim"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("parameters", ("sim.schema", "sim.errors")),
    ("inputs", ("sim.inputs", "sim.params", "sim.scenario", "sim.seeds")),
    ("state", ("sim.state", "sim.accounts", "sim.network", "sim.agents", "sim.population", "sim.ledger",
               "sim.sampling")),
    ("mechanisms", ("sim.submodels",)),
    ("model", ("sim.model", "sim.metrics", "sim.invariants", "sim.outputs", "sim.stats")),
    ("runs", ("sim.run", "sim.figures", "sim.provenance")),
    ("studies", ("sim.experiments", "sim.validation", "sim.calibration", "sim.explore", "sim.studies")),
    ("front ends", ("sim.cli", "sim.viz", "sim.bench", "sim.docgen", "sim.__main__", "sim")),
]
"""Lowest first; a name stands for the module or every module of the subpackage."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(name: str) -> int:
    best, depth = None, -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and prefix.count(".") > depth:
                best, depth = i, prefix.count(".")
    assert best is not None, f"{name} is in no layer: add it to LAYERS and to docs/architecture.md"
    return best


def imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")
                up = up[:len(up) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found |= {t for t in targets if t in modules}
    found.discard(name)
    return found


def graph() -> nx.DiGraph:
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    g = nx.DiGraph()
    for name, path in files.items():
        g.add_node(name)
        for target in imports(path, name, set(files)):
            if name.startswith(target + "."):
                continue  # a module's own package __init__ runs first anyway
            g.add_edge(name, target)
    return g


def test_every_module_belongs_to_a_layer():
    for name in graph():
        layer_of(name)


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
              for a, b in graph().edges if layer_of(b) > layer_of(a)]
    assert not upward, "\n".join(sorted(upward))


def test_there_is_no_import_circle():
    circles = [c for c in nx.simple_cycles(graph()) if len(c) > 1]
    assert not circles, "\n".join(" -> ".join(c + c[:1]) for c in circles[:10])


def test_no_two_packages_import_each_other():
    """Sweeps, calibration, optimisation and the demo are packages; a study package may use another's
    modules only one way round, so each can be read (and changed) on its own."""
    def package(name: str) -> str:
        parts = name.split(".")
        return ".".join(parts[:2]) if len(parts) > 2 or (PACKAGE / parts[-1]).is_dir() else name

    packages = nx.DiGraph((package(a), package(b)) for a, b in graph().edges if package(a) != package(b))
    circles = [c for c in nx.simple_cycles(packages) if len(c) > 1]
    assert not circles, "\n".join(" -> ".join(c + c[:1]) for c in circles[:10])


def test_the_rules_see_an_upward_import_and_a_circle(tmp_path):
    g = nx.DiGraph([("sim.schema", "sim.model"), ("sim.model", "sim.schema")])
    assert any(layer_of(b) > layer_of(a) for a, b in g.edges)
    assert [c for c in nx.simple_cycles(g) if len(c) > 1]
