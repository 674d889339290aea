"""Grading speed: plain sequential ``nbgrader autograde`` vs ``course autograde --jobs 2``.

Builds, in a temporary copy of the course, a synthetic class of N submissions of one assignment
(solutions, untouched releases, partial answers with one graded function blanked, and broken
notebooks: invalid JSON and a kernel that exits), grades it both ways and prints seconds per
submission (wall and CPU: on a busy machine the CPU seconds are the steadier measure of the work
done) and the speedup, plus a check that both ways give the same grades (except where
``course autograde`` is meant to differ: a kernel that exits mid-notebook costs plain nbgrader the
whole notebook, while ``course autograde`` restarts the kernel and grades the remaining cells).

Both ways are timed with warm caches (librosa's numba functions compiled, matplotlib's font list
built): plain nbgrader finds them in site-packages, ``course autograde`` in its kernel cache seed.
The one-time warm-up of a fresh machine is printed separately.

Usage:
    python benchmarks/bench_grading.py [--assignment 01_audio_basics] [--n 40] [--jobs 2]
"""

from __future__ import annotations

import argparse
import copy
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from course_utils.grader.sandbox import KERNEL_WARMUP, kernel_cache_seed, warm_caches

ROOT = Path(__file__).resolve().parent.parent


def _env():
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def _children_cpu() -> float:
    """CPU seconds (user + system) of this process's waited-for descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def make_class(course: Path, assignment: str, n: int) -> None:
    name = f"{assignment}.ipynb"
    sol = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    blank = nbformat.read(course / "notebooks" / assignment / name, as_version=4)
    stubs = [i for i, c in enumerate(blank.cells)
             if c.metadata.get("nbgrader", {}).get("solution") and c.cell_type == "code"]
    for k in range(n):
        dest = course / "submitted" / f"student{k:03d}" / assignment
        dest.mkdir(parents=True)
        kind = k % 5
        if kind in (0, 1):
            nb = sol
        elif kind == 2:
            nb = blank
        elif kind == 3:  # partial: one graded function left blank
            nb = copy.deepcopy(sol)
            i = stubs[k % len(stubs)]
            nb.cells[i] = copy.deepcopy(blank.cells[i])
        else:  # broken
            if k % 2:
                (dest / name).write_text("{ not a notebook")
                continue
            nb = copy.deepcopy(sol)
            nb.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
        nbformat.write(nb, dest / name)


def scores(course: Path, assignment: str) -> dict[str, float]:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return {s.student.id: s.score for s in gb.find_assignment(assignment).submissions}


KINDS = {0: "solution", 1: "solution", 2: "untouched release", 3: "partial (one function blank)"}


def seconds_per_kind(course: Path, assignment: str) -> dict[str, float]:
    """Mean seconds per submission of each kind, from ``course autograde``'s ledger."""
    import json

    times: dict[str, list[float]] = {}
    for entry in (course / ".course_autograde" / assignment).glob("*.json"):
        k = int(entry.stem.removeprefix("student"))
        kind = KINDS.get(k % 5) or ("broken: invalid JSON" if k % 2 else "broken: os._exit")
        times.setdefault(kind, []).append(json.loads(entry.read_text())["seconds"])
    return {kind: sum(v) / len(v) for kind, v in sorted(times.items())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="01_audio_basics")
    parser.add_argument("--n", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    results, load, cpu_s = {}, {}, {}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", KERNEL_WARMUP], check=True, capture_output=True)
    warm_caches(kernel_cache_seed())
    warm_up = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("nbgrader", "course"):
            course = Path(tmp) / mode
            course.mkdir()
            shutil.copy(ROOT / "nbgrader_config.py", course)
            shutil.copytree(ROOT / "solutions" / args.assignment, course / "solutions" / args.assignment)
            subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", args.assignment,
                            "--force"], cwd=course, check=True, capture_output=True, env=_env())
            make_class(course, args.assignment, args.n)
            cmd = ([sys.executable, "-m", "nbgrader", "autograde", args.assignment] if mode == "nbgrader"
                   else [sys.executable, "-m", "course_utils.grader.cli", "autograde", args.assignment,
                         "--jobs", str(args.jobs)])
            load[mode] = os.getloadavg()[0]
            cpu = _children_cpu()
            start = time.perf_counter()
            subprocess.run(cmd, cwd=course, capture_output=True, env=_env())
            results[mode] = (time.perf_counter() - start, scores(course, args.assignment))
            cpu_s[mode] = _children_cpu() - cpu
            if mode == "course":
                per_kind = seconds_per_kind(course, args.assignment)
    (t_seq, s_seq), (t_par, s_par) = results["nbgrader"], results["course"]
    print(f"\nGrading {args.n} submissions of {args.assignment} ({os.cpu_count()} cores; load average "
          f"{load['nbgrader']:.2f} before nbgrader, {load['course']:.2f} before course autograde, "
          f"{os.getloadavg()[0]:.2f} after)\n")
    print("| method                               | total (s) | s / submission | CPU s / submission | graded |")
    print("|--------------------------------------|-----------|----------------|--------------------|--------|")
    for name, mode in (("nbgrader autograde (sequential)     ", "nbgrader"),
                       (f"course autograde --jobs {args.jobs} (sandboxed)", "course")):
        t, s = results[mode]
        print(f"| {name} | {t:9.1f} | {t / args.n:14.2f} | {cpu_s[mode] / args.n:18.2f} | {len(s):6d} |")
    print(f"\nspeedup: {t_seq / t_par:.2f}x   (warm-up of both caches before timing: {warm_up:.1f} s; "
          f"about 30 s on a fresh machine, once)")
    exits = {f"student{k:03d}" for k in range(args.n) if k % 5 == 4 and not k % 2}
    differ = {k: (v, s_par.get(k)) for k, v in s_seq.items() if s_par.get(k) != v}
    unexpected = {k: v for k, v in differ.items() if k not in exits}
    print("grades identical except the kernel exits:", not unexpected, "" if not unexpected else unexpected)
    print(f"\ncourse autograde, wall seconds per submission of each kind ({args.jobs} running at once):")
    for kind, sec in per_kind.items():
        print(f"  {kind:<30} {sec:5.1f}")
    print("kernel exits (nbgrader, course):", {k: differ.get(k, (s_seq.get(k), s_par.get(k)))
                                                for k in sorted(exits)})
    print(f"students nbgrader left without a grade: {args.n - len(s_seq)} "
          f"(course autograde: {args.n - len(s_par)})")


if __name__ == "__main__":
    main()
