"""What a generated document was computed from, so a test can tell when it has gone stale.

Every document the project regenerates from model runs (the validation report, the
steady-state and policy-effects studies, the seed cases, the calibration) starts with a
stamp::

    <!-- inputs: model 3f2a...; scenarios 9c41...; posterior 77d0... -->

``model`` is the model's recorded behaviour: the hash of the golden outputs in
``tests/golden/outputs.json``, which hold the bytes every bundled scenario writes at its
seed (per NumPy minor version). A change to what the model computes fails the golden test
until the golden file is regenerated, and regenerating it changes this hash, so every
document computed from the old model is then flagged stale; a restructuring that leaves
the outputs identical leaves the documents current. ``scenarios`` hashes the resolved
scenarios a document ran; further entries (a posterior's digest) say what else it used.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parent.parent / "tests" / "golden" / "outputs.json"
"""The model's recorded outputs (in a source checkout)."""
UNRECORDED = "unrecorded"
"""The model entry of a document written where the golden outputs are absent (an installed wheel)."""
STAMP = re.compile(r"<!-- inputs: (.*?) -->")


def model_fingerprint() -> str:
    """Hash of the golden outputs of every NumPy stream: the model's behaviour as recorded."""
    try:
        streams = json.loads(GOLDEN.read_text(encoding="utf-8"))["streams"]
    except (OSError, ValueError, KeyError):
        return UNRECORDED
    return hashlib.sha256(json.dumps(streams, sort_keys=True).encode()).hexdigest()[:16]


def scenarios_hash(scenarios: Mapping[str, Any]) -> str:
    """Hash of resolved scenarios (name -> ``Scenario``), in name order."""
    blob = json.dumps({k: s.model_dump(mode="json") for k, s in sorted(scenarios.items())},
                      sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def stamp(**inputs: str) -> str:
    """The first line of a generated document: the model's fingerprint and the given inputs."""
    entries = {"model": model_fingerprint(), **inputs}
    return "<!-- inputs: " + "; ".join(f"{k} {v}" for k, v in entries.items()) + " -->"


def read_stamp(text: str) -> dict[str, str]:
    """The entries of a document's stamp (empty when it has none)."""
    m = STAMP.search(text)
    if not m:
        return {}
    return dict(part.strip().split(" ", 1) for part in m.group(1).split(";") if part.strip())
