"""cogov-sim: an agent-based model of community multi-actor co-governance (三社联动 / 五社联动)."""

from __future__ import annotations

__version__ = "0.1.0"

from .model import CommunityModel  # noqa: E402
from .run import RunResult, run_scenario  # noqa: E402
from .scenario import load_scenario  # noqa: E402
from .schema import Scenario  # noqa: E402

__all__ = ["CommunityModel", "RunResult", "Scenario", "load_scenario", "run_scenario", "__version__"]
