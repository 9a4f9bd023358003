"""Run every benchmark under bench/ in turn: `python bench/run_all.py [--quick]`.

Each benchmark prints its own figures and its ratio against a baseline measured
in the same run; this only runs them and reports which failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
#: benchmark scripts and the arguments of a quick run (a smoke check of the harness)
BENCHES = {
    "bench_extract.py": ["--repeats", "3"],
    "bench_dedupe.py": ["--n", "5000"],
    "bench_reaction.py": [],
    "bench_distributed.py": ["--quick"],
}


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    failed = []
    for name, quick_args in BENCHES.items():
        script = HERE / name
        if not script.exists():
            continue
        args = quick_args if quick else []
        print(f"== {name} {' '.join(args)}", flush=True)
        if subprocess.call([sys.executable, str(script), *args]) != 0:
            failed.append(name)
    if failed:
        print("failed: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
