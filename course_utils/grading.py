"""nbgrader plumbing for instructors (not used by students).

``HideTracebacks`` is listed in ``nbgrader_config.py`` for ``generate_feedback``: a failing grade
cell's traceback prints the failing line, which for a hidden test is hidden-test source. The
preprocessor keeps the error's type and message (written to help the student) and drops the
traceback of every grade cell.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["HideTracebacks"]


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
