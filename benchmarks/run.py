"""Benchmark: single runs by size, the plain-Mesa anchor, sweep throughput (same as ``cogov bench``).

    python benchmarks/run.py                      # the full benchmark (several minutes)
    python benchmarks/run.py --sizes 1000,10000 --sweep-runs 8 --name quick
"""

import sys

from sim.bench import main

if __name__ == "__main__":
    sys.exit(main())
