"""Load the model-answer functions of a solution notebook, for benchmarks (not for notebooks).

The graded functions live only in ``solutions/NN_topic/NN_topic.ipynb`` (STYLE.md rule 3), so a
benchmark that times them cannot import them from a module. :func:`load_functions` reads the
notebook with nbformat and executes, in one fresh namespace and in notebook order, only the code
cells whose nbgrader ``grade_id`` is listed; then it returns the names asked for. Nothing else of
the notebook runs (no plots, no players, no test cells), so loading takes well under a second.

Usage (benchmarks/bench_02_stft.py)::

    from _notebook_code import load_functions   # benchmarks/ is on sys.path when run as a script

    f = load_functions("02_stft", ["stft", "istft"],
                       cells=["imports", "frame_signal", "stft", "overlap_add", "istft"])
    D = f["stft"](y, n_fft=2048, hop_length=512)

Conventions the notebook must follow for this to work:

* each graded function is defined in a solution cell whose ``grade_id`` is the function's name
  (``nb.solution("stft", ...)`` in the authoring helper), so ``cells`` defaults to ``names``;
* the imports those cells need are in a code cell with a ``grade_id`` too (a read-only nbgrader
  cell, e.g. ``grade_id: "imports"``), listed in ``cells``; or pass them as ``setup`` code.
  Lines starting with ``%`` or ``!`` (IPython magics such as ``%matplotlib inline``) are skipped;
* a function that calls another graded function (``stft`` calls ``frame_signal``) needs that
  cell listed as well: the namespace holds only what the listed cells define.

The solution markers (``### BEGIN SOLUTION``) are comments, so the source cells run unchanged.
The default notebook folder is this repository's ``solutions/``; pass ``root`` for another copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import nbformat

ROOT = Path(__file__).resolve().parent.parent

__all__ = ["load_functions", "cell_sources"]


def _python_only(source: str) -> str:
    """Drop IPython magics and shell escapes, which plain ``exec`` cannot run."""
    return "\n".join(line for line in source.splitlines()
                     if not line.lstrip().startswith(("%", "!")))


def cell_sources(assignment: str, root: Path | str | None = None) -> dict[str, str]:
    """``{grade_id: source}`` of every code cell that has an nbgrader ``grade_id``, in order.

    Args:
        assignment: the assignment folder, e.g. ``"02_stft"``.
        root: folder holding ``<assignment>/<assignment>.ipynb`` (default: ``solutions/``).

    Raises:
        FileNotFoundError: no such notebook.
    """
    folder = Path(root) if root is not None else ROOT / "solutions"
    path = folder / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"No notebook {path}; assignments: "
                                + ", ".join(sorted(p.name for p in folder.glob("[0-9][0-9]_*"))))
    nb = nbformat.read(path, as_version=4)
    out = {}
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.cell_type == "code" and grade_id:
            out[grade_id] = cell.source
    return out


def load_functions(assignment: str, names: Iterable[str], cells: Iterable[str] | None = None,
                   setup: str = "", root: Path | str | None = None) -> dict:
    """Execute the listed cells of a solution notebook and return the requested names.

    Args:
        assignment: the assignment folder, e.g. ``"02_stft"``.
        names: names to return (functions, or any global a listed cell defines).
        cells: ``grade_id`` of each code cell to execute; they run in notebook order, whatever
            the order given here. Default: ``names`` (each function in the cell named after it).
        setup: Python code executed first in the namespace (e.g. ``"import numpy as np"``) when
            the notebook's imports cell has no ``grade_id``.
        root: folder holding ``<assignment>/<assignment>.ipynb`` (default: ``solutions/``).

    Returns:
        dict: ``{name: object}`` for every name in ``names``.

    Raises:
        KeyError: a listed ``grade_id`` is not a code cell of the notebook (the message lists
            the ones that are), or a requested name is not defined by the executed cells.
    """
    names = list(names)
    wanted = list(cells) if cells is not None else list(names)
    sources = cell_sources(assignment, root)
    missing = [c for c in wanted if c not in sources]
    if missing:
        raise KeyError(f"{assignment} has no code cell with grade_id {missing}; "
                       f"it has: {', '.join(sources)}.")
    namespace: dict = {"__name__": f"solutions_{assignment}"}
    if setup:
        exec(compile(setup, f"<{assignment} setup>", "exec", dont_inherit=True), namespace)
    for grade_id, source in sources.items():  # notebook order
        if grade_id in wanted:
            exec(compile(_python_only(source), f"<{assignment}:{grade_id}>", "exec", dont_inherit=True), namespace)
    undefined = [n for n in names if n not in namespace]
    if undefined:
        raise KeyError(f"the cells {wanted} of {assignment} do not define {undefined}.")
    return {n: namespace[n] for n in names}


def best_time(fn, repeats: int = 5) -> float:
    """Best wall time of ``fn()`` in seconds over ``repeats`` runs, after one warm-up call.

    The minimum is the least disturbed by other work on the machine, which only ever adds time.
    """
    import time

    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)
