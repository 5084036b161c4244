"""`make bench`: run every benchmark in turn and print its figures.

Each benchmark is a module `bench/<name>_bench.py` with a `main()` that prints its own report.
Run one alone with `python -m bench.<name>_bench`.
"""

from __future__ import annotations

import importlib
import sys
import time
from pathlib import Path

BENCHMARKS = ("scan_bench", "registration_bench", "kpi_bench", "matching_bench")


def main(names: list[str]) -> int:
    selected = names or [n for n in BENCHMARKS if (Path(__file__).parent / f"{n}.py").exists()]
    for name in selected:
        print(f"\n=== {name} ===", flush=True)
        started = time.perf_counter()
        # Each benchmark runs with its own defaults (its argv is not ours).
        importlib.import_module(f"bench.{name}").main([])
        print(f"--- {name} took {time.perf_counter() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
