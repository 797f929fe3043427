"""Every bundled scenario, at its own seed, writes the recorded bytes.

``tests/golden/outputs.json`` holds the SHA-256 of ``summary.json`` and
``timeseries.csv`` for each bundled scenario (the district at 100,000 residents,
so the suite stays short). A restructuring must leave every hash unchanged; a
change that is meant to alter results regenerates the file in its own commit,
which says so (run it in each environment CI uses):

    python tests/test_golden.py --write

Hashes are kept per NumPy minor version: NumPy 2.5 corrected its binomial
sampler for large counts (numpy/numpy#31238), which changes the random stream of
draws with n x p above 30, so the same seed gives other (equally valid) runs.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
from pathlib import Path

import pytest

GOLDEN = Path(__file__).with_name("golden") / "outputs.json"
SCALED = {"district": {"population.residents": 100_000}}
"""Scenarios recorded at a smaller size than bundled (the district's million takes a minute)."""


def outputs(name: str) -> dict[str, str]:
    from sim.run import run_scenario, write_outputs

    result = run_scenario(name, overrides=SCALED.get(name))
    with tempfile.TemporaryDirectory() as tmp:
        out = write_outputs(result, Path(tmp) / name, figure=False)
        return {f: hashlib.sha256((out / f).read_bytes()).hexdigest()
                for f in ("summary.json", "timeseries.csv")}


def stream() -> str:
    """The random streams these hashes hold for: NumPy's minor version."""
    import numpy

    return "numpy " + ".".join(numpy.__version__.split(".")[:2])


def recorded() -> dict[str, dict[str, str]]:
    return json.loads(GOLDEN.read_text(encoding="utf-8"))["streams"].get(stream(), {})


def bundled() -> list[str]:
    from sim.scenario import bundled_scenarios

    return sorted(bundled_scenarios())


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", bundled())
def test_bundled_scenario_writes_the_recorded_bytes(name):
    golden = recorded()
    if not golden:
        pytest.skip(f"no hashes recorded for {stream()}: python tests/test_golden.py --write")
    assert name in golden, f"{name} has no recorded hashes: python tests/test_golden.py --write"
    assert outputs(name) == golden[name]


def test_every_recorded_scenario_is_still_bundled():
    streams = json.loads(GOLDEN.read_text(encoding="utf-8"))["streams"]
    assert streams
    for golden in streams.values():
        assert sorted(golden) == bundled()


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_golden.py --write")
    import warnings

    warnings.simplefilter("ignore", UserWarning)
    data = (json.loads(GOLDEN.read_text(encoding="utf-8")) if GOLDEN.exists()
            else {"streams": {}})
    data["note"] = ("SHA-256 of summary.json and timeseries.csv per bundled scenario at its own seed, "
                    f"per NumPy minor version; scaled: {json.dumps(SCALED, sort_keys=True)}")
    data["streams"][stream()] = {name: outputs(name) for name in bundled()}
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
