"""Run a mistake catalogue against the grade cells of a solution notebook, in one process.

A catalogue (``nbNN.py`` in this folder, one per notebook) lists in ``VARIANTS``, for each graded
cell, wrong answers the grade cells must reject and right answers written differently that they
must accept (:func:`wrong`, :func:`right`). :class:`Session` executes the solution notebook once,
in notebook order, in one namespace, as IPython would (magics dropped, each cell registered in
``linecache`` so that ``inspect.getsource`` works, plots on matplotlib's Agg backend, in a temporary
copy of the notebook's folder as the autograder runs it). A catalogue may make loading cheaper:

* ``ONLY_GRADED = True`` runs only the cells with an nbgrader ``grade_id`` (imports, locked
  helpers, solutions, tests) plus the ungraded cells named in ``KEEP``;
* ``SKIP`` names cells not to run, ``NOT_RERUN`` grade cells left out (each with the reason:
  long training whose only readers are those grade cells).

Every grade cell run while loading must pass (the baseline: otherwise "caught" would mean nothing).
Then, for each variant: its source (or the solution's with ``replace`` edits) is executed in place
of the solution cell, the grade cells of that cell's part are run (the ``## `` section it is in,
plus following sections that have grade cells but no solution cell; hidden tests included, since
``solutions/`` holds them), a wrong answer stopping at the first failing cell, and the namespace
and the random generators are restored. Cells are named by ``grade_id``, ``"cell N"`` or
``"starts: <first characters of the source>"``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import linecache
import os
import random
import re
import shutil
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
CATALOGUES = ("01_audio_basics", "02_stft", "03_mel_mfcc", "04_griffin_lim",
              "05_audio_classification", "06_ast", "07_spectttra", "08_nca_spectrograms")


@dataclass(frozen=True)
class Variant:
    """One answer to a graded cell: a wrong one the grade cells must reject, or a right one.

    ``source`` replaces the solution cell whole; or ``replace`` holds ``(old, new)`` pairs applied
    to the solution cell's source (each ``old`` must occur in it). ``xfail`` says why today's
    grade cells let this wrong answer through (a known gap, reported, kept visible).
    """

    cell: str
    what: str
    source: str = ""
    replace: tuple = ()
    right: bool = False
    xfail: str = ""

    @property
    def label(self) -> str:
        return f"{self.cell}: {self.what}"


def wrong(cell: str, mistake: str, source: str = "", replace=(), xfail: str = "") -> Variant:
    """A wrong answer for solution cell ``cell``; ``mistake`` is its one-line description."""
    return Variant(cell, mistake, source, tuple(replace), False, xfail)


def right(cell: str, how: str, source: str = "", replace=()) -> Variant:
    """A right answer for solution cell ``cell``, written differently (``how``)."""
    return Variant(cell, how, source, tuple(replace), True)


@dataclass
class Outcome:
    variant: Variant
    failures: dict = field(default_factory=dict)   # grade cell -> error message
    error: str = ""                                # the variant itself did not apply or run
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """The grade cells judged it as they should: a wrong answer rejected, a right one passed."""
        if self.error:
            return False
        return bool(self.failures) != self.variant.right


def _python_only(source: str) -> str:
    return "\n".join("pass  # " + ln if ln.lstrip().startswith(("%", "!")) else ln
                     for ln in source.splitlines())


def _message(err: BaseException) -> str:
    text = f"{type(err).__name__}: {err}".strip()
    return text if len(text) < 400 else text[:400] + " ..."


class Session:
    """A solution notebook executed once, whose graded cells can be swapped for variants."""

    def __init__(self, assignment: str, skip: dict | None = None, not_rerun: dict | None = None,
                 only_graded: bool = False, keep: tuple = (), root: Path = SOLUTIONS):
        self.assignment, self.folder = assignment, Path(root) / assignment
        self.skip = dict(skip or {})
        self.not_rerun = dict(not_rerun or {})
        self.only_graded, self.keep = only_graded, tuple(keep)
        path = self.folder / f"{assignment}.ipynb"
        nb = nbformat.read(path, as_version=4)
        self.cells = []                 # (index, grade_id or "", kind, section, source)
        section, part = "", ""
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                heading = re.match(r"## (.+)", cell.source)
                section = heading.group(1).strip() if heading else section
                continue
            meta = cell.metadata.get("nbgrader", {})
            kind = "grade" if meta.get("grade") else "solution" if meta.get("solution") else "code"
            if kind == "solution":
                part = section
            # a section with grade cells but no solution cell tests the part before it
            self.cells.append((i, meta.get("grade_id", ""), kind, part if kind == "grade" else section,
                               cell.source))
        unknown = [k for k in [*self.skip, *self.not_rerun, *self.keep] if not self._find(k)]
        if unknown:
            raise KeyError(f"{assignment}: SKIP/NOT_RERUN name cells that do not exist: {unknown} "
                           "(a grade_id, or 'cell N' for cell index N, or 'starts: text').")
        self.cell_seconds: dict[str, float] = {}
        self.load_seconds = 0.0
        self.ns: dict = {}

    def _find(self, key: str):
        """Cells matched by a SKIP/NOT_RERUN key: a grade_id, 'cell N', or 'starts: text'."""
        if key.startswith("cell "):
            return [c for c in self.cells if c[0] == int(key[5:])]
        if key.startswith("starts: "):
            return [c for c in self.cells if c[4].startswith(key[8:])]
        return [c for c in self.cells if c[1] == key]

    def _skipped(self, cell) -> bool:
        if any(cell in self._find(k) for k in [*self.skip, *self.not_rerun]):
            return True
        return self.only_graded and not cell[1] and not any(cell in self._find(k) for k in self.keep)

    def _exec(self, source: str, label: str):
        # registered in linecache, as IPython does, so that inspect.getsource works on what it defines
        self._n_exec = getattr(self, "_n_exec", 0) + 1
        filename, source = f"<{self.assignment}:{label}:{self._n_exec}>", _python_only(source)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        code = compile(source, filename, "exec", dont_inherit=True)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), \
                warnings.catch_warnings():
            warnings.simplefilter("ignore")
            exec(code, self.ns)

    @contextlib.contextmanager
    def _in_workdir(self):
        """Run in a temporary copy of the notebook's folder, as the autograder does."""
        old = os.getcwd()
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp) / self.assignment
            shutil.copytree(self.folder, work)
            os.chdir(work)
            try:
                yield
            finally:
                os.chdir(old)

    def load(self, work):
        """Execute the notebook (minus SKIP) once, in notebook order, then call ``work()``.

        A failing grade cell is recorded in ``self.baseline`` (the solution must pass them all);
        any other failing cell stops the load.
        """
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.ns = {"__name__": "__main__", "display": lambda *a, **k: None}
        self.baseline = {}
        with self._in_workdir():
            start = time.perf_counter()
            for cell in self.cells:
                if self._skipped(cell):
                    continue
                t0 = time.perf_counter()
                try:
                    self._exec(cell[4], cell[1] or f"cell {cell[0]}")
                except Exception as err:
                    if cell[2] == "grade":
                        self.baseline[cell[1]] = _message(err)
                        continue
                    raise RuntimeError(f"{self.assignment}: cell {cell[0]} ({cell[1] or 'ungraded'}) "
                                       f"failed while loading the solution: {_message(err)}\n"
                                       + traceback.format_exc(limit=-3)) from err
                finally:
                    plt.close("all")
                self.cell_seconds[cell[1] or f"cell {cell[0]}"] = time.perf_counter() - t0
            self.load_seconds = time.perf_counter() - start
            return work()

    def grade_cells(self, solution_id: str) -> list:
        """The grade cells of the section holding solution cell ``solution_id``, minus NOT_RERUN."""
        found = [c for c in self.cells if c[1] == solution_id and c[2] == "solution"]
        if not found:
            raise KeyError(f"{self.assignment} has no solution cell {solution_id!r}; it has "
                           + ", ".join(c[1] for c in self.cells if c[2] == "solution"))
        section = found[0][3]
        excluded = [c for k in self.not_rerun for c in self._find(k)]
        return [c for c in self.cells
                if c[2] == "grade" and c[3] == section and c not in excluded]

    def _source(self, variant: Variant) -> str:
        solution = next(c[4] for c in self.cells if c[1] == variant.cell)
        if variant.source:
            return variant.source
        src = solution
        for old, new in variant.replace:
            if old not in src:
                raise LookupError(f"the solution of {variant.cell} no longer contains {old!r}: "
                                  "update this catalogue entry")
            src = src.replace(old, new)
        if src == solution:
            raise LookupError("the variant has no source and changes nothing")
        return src

    def run_grade_cells(self, cells, first_failure: bool = False) -> dict:
        """``{grade cell: error}`` of the cells that fail; stop at the first if ``first_failure``."""
        failures = {}
        for cell in cells:
            try:
                self._exec(cell[4], cell[1])
            except Exception as err:
                failures[cell[1]] = _message(err)
                if first_failure:
                    break
        return failures

    def _rng_state(self):
        import numpy as np
        import torch
        return random.getstate(), np.random.get_state(), torch.get_rng_state()

    def _set_rng_state(self, state):
        import numpy as np
        import torch
        random.setstate(state[0])
        np.random.set_state(state[1])
        torch.set_rng_state(state[2])

    def try_variant(self, variant: Variant) -> Outcome:
        """Swap ``variant`` in, run its part's grade cells, restore the solution's namespace."""
        import matplotlib.pyplot as plt
        outcome = Outcome(variant)
        saved, rng = dict(self.ns), self._rng_state()
        start = time.perf_counter()
        try:
            cells = self.grade_cells(variant.cell)
            self._exec(self._source(variant), f"{variant.cell} variant")
            # a wrong answer needs one failing cell; a right one must pass them all
            outcome.failures = self.run_grade_cells(cells, first_failure=not variant.right)
        except Exception as err:
            outcome.error = _message(err)
        finally:
            self.ns.clear()
            self.ns.update(saved)
            self._set_rng_state(rng)
            plt.close("all")
        outcome.seconds = time.perf_counter() - start
        return outcome


@dataclass
class Report:
    assignment: str
    baseline: dict           # grade cell -> error, for the unchanged solution (must be empty)
    outcomes: list
    load_seconds: float
    seconds: float
    cpu_seconds: float = 0.0

    def summary(self) -> str:
        wrongs = [o for o in self.outcomes if not o.variant.right and not o.variant.xfail]
        rights = [o for o in self.outcomes if o.variant.right]
        gaps = [o for o in self.outcomes if o.variant.xfail]
        caught = sum(o.ok for o in wrongs)
        passed = sum(o.ok for o in rights)
        line = (f"{self.assignment}: wrong answers caught {caught}/{len(wrongs)} "
                f"({100 * caught / max(len(wrongs), 1):.0f} %), right answers passed "
                f"{passed}/{len(rights)} ({100 * passed / max(len(rights), 1):.0f} %)")
        if gaps:
            line += (f"; known gaps (xfail) {len(gaps)}, of which still slipping through "
                     f"{sum(not o.failures and not o.error for o in gaps)}")
        return line + (f"; {self.seconds:.1f} s wall (loading {self.load_seconds:.1f} s), "
                       f"{self.cpu_seconds:.1f} s CPU")

    def table(self) -> str:
        """One line per variant: judged as it should be or not, and the grade cell that caught it."""
        rows = []
        for o in self.outcomes:
            status = "ok " if o.ok else "BAD"
            kind = "right" if o.variant.right else "xfail" if o.variant.xfail else "wrong"
            caught = o.error or ", ".join(o.failures) or "passed all"
            rows.append(f"  {status} {kind:5s} {o.seconds:5.1f} s  {o.variant.label}  -> {caught}")
        return "\n".join(rows)

    def problems(self) -> list[str]:
        out = [f"the unchanged solution fails grade cell {c}: {e}" for c, e in self.baseline.items()]
        for o in self.outcomes:
            if o.variant.xfail:
                continue
            if o.error:
                out.append(f"[{o.variant.label}] could not be tried: {o.error}")
            elif not o.ok and o.variant.right:
                out.append(f"RIGHT ANSWER REJECTED [{o.variant.label}]: "
                           + "; ".join(f"{c}: {e}" for c, e in o.failures.items()))
            elif not o.ok:
                out.append(f"WRONG ANSWER SLIPPED THROUGH [{o.variant.label}]: every grade cell of "
                           "its part passed")
        return out


def catalogue(assignment: str):
    """The catalogue module of ``assignment`` (tests/mistakes/nbNN.py)."""
    return importlib.import_module(f"mistakes.nb{assignment[:2]}")


def run(assignment: str) -> Report:
    """Load the solution once, check it passes, try every variant of its catalogue."""
    cat = catalogue(assignment)
    session = Session(assignment, getattr(cat, "SKIP", {}), getattr(cat, "NOT_RERUN", {}),
                      getattr(cat, "ONLY_GRADED", False), getattr(cat, "KEEP", ()))
    start, cpu = time.perf_counter(), time.process_time()
    outcomes = session.load(lambda: [session.try_variant(v) for v in cat.VARIANTS])
    return Report(assignment, session.baseline, outcomes, session.load_seconds,
                  time.perf_counter() - start, time.process_time() - cpu)
