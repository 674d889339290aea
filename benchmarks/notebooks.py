"""Execute each solution notebook and print its wall time against the limit its issue sets.

Usage:
    python benchmarks/notebooks.py                 # every assignment
    python benchmarks/notebooks.py 02_stft 04_griffin_lim

Each notebook runs in a fresh kernel of this environment, from a temporary copy of its folder
(as the autograder does), with outputs discarded. A warm-up first calls the librosa functions the
notebooks use, so that numba's one-time compilation (about 20 s in a fresh environment) is not
charged to the first notebook. Prints a table; the machine's load is printed too, because a busy
machine inflates every time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from course_utils.grader.sandbox import KERNEL_WARMUP

ROOT = Path(__file__).resolve().parent.parent
LIMITS_S = {"01": 60, "02": 60, "03": 90, "04": 90, "05": 120, "06": 180, "07": 180, "08": 180}


def run(assignment: str) -> float:
    """Execute solutions/<assignment>/<assignment>.ipynb in a temp copy; return wall seconds."""
    src = ROOT / "solutions" / assignment
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / assignment
        shutil.copytree(src, work)
        nb = nbformat.read(work / f"{assignment}.ipynb", as_version=4)
        client = NotebookClient(nb, timeout=900, kernel_name="python3",
                                resources={"metadata": {"path": str(work)}})
        start = time.perf_counter()
        client.execute()
        return time.perf_counter() - start


def main(argv: list[str]) -> int:
    names = argv or sorted(p.name for p in (ROOT / "solutions").glob("[0-9][0-9]_*") if p.is_dir())
    subprocess.run([sys.executable, "-c", KERNEL_WARMUP], check=True)
    load = os.getloadavg()[0]
    rows, failed = [], False
    for name in names:
        try:
            seconds = run(name)
            limit = LIMITS_S.get(name[:2])
            status = "ok" if limit is None or seconds < limit else "OVER LIMIT"
        except Exception as err:  # report and go on with the others
            seconds, limit, status = float("nan"), LIMITS_S.get(name[:2]), f"FAILED: {type(err).__name__}"
        failed |= status != "ok"
        rows.append((name, seconds, limit, status))
        print(f"  {name}: {seconds:.1f} s", file=sys.stderr)
    print(f"\nSolution notebooks, wall time (2-core machine, 1-min load average before: {load:.2f})\n")
    print(f"| {'notebook':<28} | {'time (s)':>8} | {'limit (s)':>9} | status     |")
    print(f"|{'-' * 30}|{'-' * 10}|{'-' * 11}|------------|")
    for name, seconds, limit, status in rows:
        print(f"| {name:<28} | {seconds:8.1f} | {limit or '-':>9} | {status:<10} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
