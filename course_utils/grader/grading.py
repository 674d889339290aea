"""nbgrader plumbing for instructors (not used by students).

* ``HideTracebacks`` is listed in ``nbgrader_config.py`` for ``generate_feedback``: a failing grade
  cell's traceback prints the failing line, which for a hidden test is hidden-test source. It keeps
  the error's type and message (written to help the student) and drops the traceback.
* ``RobustExecute`` replaces nbgrader's ``Execute`` in ``course autograde``: a submission that kills
  its kernel (``os._exit``, a crash, a CPU or memory limit) or hangs a cell (even ignoring Ctrl-C)
  loses that cell, not the rest of its grade; outputs are capped while they arrive.
"""

from __future__ import annotations

import copy
import json

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Integer

__all__ = ["HideTracebacks", "RobustExecute", "StderrIsNotFailure"]


class HideTracebacks(NbGraderPreprocessor):
    """Replace the traceback of errors in grade cells by ``"ErrorName: message"``."""

    def preprocess_cell(self, cell, resources, index):
        grade = cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)
        if cell.cell_type == "code" and grade:
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}",
                                        "(the test's source is hidden)"]
        return cell, resources


class StderrIsNotFailure(NbGraderPreprocessor):
    """Keep a grade cell's stderr output but stop it from costing the cell.

    nbgrader gives 0 points to a grade cell with any stderr output. The course's tests fail by
    raising, so stderr there is a library warning or a progress bar, which a correct answer may
    well trigger; it is kept, marked, as ordinary output. Runs after execution, before grading.
    """

    def preprocess_cell(self, cell, resources, index):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "stream" and out.get("name") == "stderr":
                    out["name"], out["text"] = "stdout", "[stderr] " + out.get("text", "")
        return cell, resources


def _error(ename: str, evalue: str):
    return new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


class RobustExecute(Execute):
    """nbgrader's Execute, surviving dead kernels and hung cells, with capped outputs.

    When a cell kills the kernel or exceeds ``timeout`` seconds, that cell gets an error output
    saying so, a new kernel is started, the cells that ran without error before it are run again
    silently (to restore the state the rest of the notebook needs), and execution goes on. After
    ``max_restarts`` restarts the remaining cells are marked as not run. The grade cells of a
    notebook therefore always receive a result, and the events are recorded in the notebook's
    metadata (``course_autograde.events``) for the report.
    """

    max_restarts = Integer(3, help="kernel restarts per notebook before giving up").tag(config=True)
    max_output_bytes = Integer(1_000_000, help="output kept per cell, in bytes").tag(config=True)
    # Never interrupt-and-wait: a cell that ignores SIGINT would hang every following cell.
    interrupt_on_timeout = Bool(False, help="see nbclient; False here on purpose").tag(config=True)
    sandbox = Bool(False, help="start kernels with course_utils.grader.sandbox.SandboxKernelManager"
                   ).tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandbox:
            from .sandbox import SandboxKernelManager

            self.kernel_manager_class = SandboxKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._ok_cells: list[int] = []
        self._restarts = 0
        self._events: list[str] = []
        self._output_bytes: dict[int, int] = {}
        nb, resources = super().preprocess(nb, resources, km)
        nb.metadata["course_autograde"] = {"events": self._events, "restarts": self._restarts}
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._restarts > self.max_restarts:
            cell.outputs = [_error("NotRun", "not run: the kernel died or hung too many times")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as err:
            dead = isinstance(err, DeadKernelError)
            what = ("the kernel died while running this cell (a crash, os._exit, exit(), or a "
                    "CPU-time or memory limit)" if dead else
                    f"this cell ran longer than the {self.timeout} s limit and was stopped")
            cell.outputs.append(_error("KernelDied" if dead else "CellTimeout", what))
            self._events.append(f"cell {index}: {'kernel died' if dead else 'timeout'}")
            self._restart(index)
            return cell, resources
        if not any(o.get("output_type") == "error" for o in cell.outputs):
            self._ok_cells.append(index)
        return cell, resources

    def _restart(self, failed_index: int) -> None:
        self._restarts += 1
        km = self.km
        try:
            self._cleanup_kernel()
        except Exception:  # the kernel may be gone already
            pass
        self.km, self.kc = km, None
        if self._restarts > self.max_restarts:
            self._events.append("gave up: too many kernel restarts")
            return
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        self.start_new_kernel_client()
        for i in list(self._ok_cells):
            replay = copy.deepcopy(self.nb.cells[i])
            try:
                self.execute_cell(replay, i, store_history=False)
            except (DeadKernelError, CellTimeoutError):
                self._events.append(f"cell {i}: failed on replay")
                self._ok_cells.remove(i)
                return self._restart(failed_index)

    def output(self, outs, msg, display_id, cell_index):
        content = msg.get("content", {})
        text = content.get("text") if msg.get("msg_type") == "stream" else None
        size = len(text) if isinstance(text, str) else len(json.dumps(content, default=str))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used > self.max_output_bytes:  # already truncated: drop silently
            return None
        if isinstance(text, str) and used < self.max_output_bytes:  # keep what still fits
            msg = copy.deepcopy(msg)
            msg["content"]["text"] = text[: self.max_output_bytes - used]
            super().output(outs, msg, display_id, cell_index)
        outs.append(new_output("stream", name="stdout", text=(
            f"\n[output truncated by the grader: more than {self.max_output_bytes} bytes]\n")))
        self._events.append(f"cell {cell_index}: output truncated")
        return None
