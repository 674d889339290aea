"""What a grading run reads and prepares before any job runs (``course autograde``).

The class's submission folders, the check that a submitted notebook can be read, the fingerprint
of a submission (the ledger's), the preprocessors and environment of grading jobs, and the data
sets the notebooks read, generated beforehand as trusted code.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat

__all__ = ["autograde_preprocessors", "check_notebook", "grading_env", "hash_dir", "prefill_data",
           "release_notebooks", "students_of", "submission_time"]


def students_of(course: Path, assignment: str) -> list[str]:
    """Students with a submission folder ``submitted/<student>/<assignment>``, sorted."""
    return sorted(p.parent.name for p in (course / "submitted").glob(f"*/{assignment}") if p.is_dir())


def release_notebooks(course: Path, assignment: str) -> list[Path]:
    return sorted((course / "notebooks" / assignment).glob("*.ipynb"))


def check_notebook(path: Path) -> str:
    """Return ``""`` if ``path`` is a notebook nbgrader can read, else a readable reason."""
    if not path.is_file():
        return f"{path.name} is missing from the submission"
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        return f"{path.name} is not valid notebook JSON ({err.__class__.__name__}: {err})"
    if not isinstance(raw, dict) or raw.get("nbformat") != 4:
        found = raw.get("nbformat") if isinstance(raw, dict) else type(raw).__name__
        return f"{path.name} has notebook format {found!r}; format 4 is required"
    try:
        nbformat.validate(nbformat.reads(json.dumps(raw), as_version=4))
    except Exception as err:  # nbformat raises several types
        return f"{path.name} is not a valid notebook ({err.__class__.__name__}: {str(err)[:200]})"
    return ""


def submission_time(folder: Path):
    """The submission time from ``timestamp.txt`` as nbgrader reads it, or None."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc((folder / "timestamp.txt").read_text().strip())
    except (OSError, ValueError):
        return None


def hash_dir(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(folder)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def autograde_preprocessors(course: Path) -> list[str]:
    """The course's autograde preprocessors (from its ``nbgrader_config.py``, else nbgrader's
    defaults), with ``course_utils.grader.grading.RobustExecute`` in place of nbgrader's ``Execute``."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute
    from traitlets.config.loader import PyFileConfigLoader
    from traitlets.utils.importstring import import_item

    section = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config().Autograde
    listed = (section.autograde_preprocessors if "autograde_preprocessors" in section
              else Autograde.class_traits()["autograde_preprocessors"].default())
    names = [p if isinstance(p, str) else f"{p.__module__}.{p.__qualname__}" for p in listed]
    return ["course_utils.grader.grading.RobustExecute" if import_item(n) is Execute else n for n in names]


def grading_env() -> dict[str, str]:
    """The environment of graded kernels and of data preparation: this one without ESC50_ROOT
    and libpq's ``PG*`` variables (a ``PGPASSWORD`` of the gradebook server), with this Python's
    ``bin`` first on PATH (nbgrader runs ``alembic`` from there).

    Grading is always on the course's own data: an instructor's real ESC-50 (``ESC50_ROOT``, for
    exploring in class) is another task, slower, and not what the hidden tests' bounds measure.
    """
    env = {k: v for k, v in os.environ.items() if k != "ESC50_ROOT" and not k.startswith("PG")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return env


def prefill_data(course: Path, assignment: str) -> list[str]:
    """Generate the data sets the assignment's notebooks use, as trusted code, before grading.

    Sandboxed kernels see the data cache read-only (a submission must not change what the next one
    reads), so whatever a notebook would generate on first use has to exist beforehand. Each
    release notebook lists the statements that build its data in its metadata,
    ``course.prefill`` (run with ``from course_utils import datasets, music``). Returns the
    problems met (empty if all went well).
    """
    problems = []
    for nb in release_notebooks(course, assignment):
        meta = json.loads(nb.read_text(encoding="utf-8")).get("metadata", {}).get("course", {})
        code = "\n".join(meta.get("prefill", []))
        if not code:
            continue
        proc = subprocess.run([sys.executable, "-c", "from course_utils import datasets, music\n" + code],
                              capture_output=True, text=True, env=grading_env())
        if proc.returncode:
            problems.append(f"{nb.name}: preparing its data failed: {proc.stderr.strip()[-300:]}")
    return problems
