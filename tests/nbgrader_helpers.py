"""Helpers for the tests that drive nbgrader in a temporary copy of the course."""

from __future__ import annotations

import html
import os
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
RELEASE = ROOT / "notebooks"
ASSIGNMENTS = sorted(p.name for p in SOLUTIONS.glob("[0-9][0-9]_*") if p.is_dir())


def nbgrader(course: Path, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course`` (with this interpreter) and fail loudly on error."""
    cmd = [sys.executable, "-m", "nbgrader", *args]
    # nbgrader runs `alembic` from PATH to create the gradebook: put this environment's bin first.
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    proc = subprocess.run(cmd, cwd=course, capture_output=True, text=True, timeout=timeout, env=env)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                             f"{proc.stderr[-5000:]}")
    return proc


def make_course(tmp: Path) -> Path:
    """A fresh course directory in ``tmp``: the config and the solutions, nothing else."""
    course = tmp / "course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(SOLUTIONS, course / "solutions",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return course


def notebook_name(assignment: str) -> str:
    return f"{assignment}.ipynb"


def hidden_test_lines(assignment: str, min_len: int = 12) -> list[str]:
    """The distinctive lines inside ``### BEGIN HIDDEN TESTS`` regions of a solution notebook.

    A line that also occurs outside every hidden region (e.g. ``with torch.no_grad():`` in a
    solution cell, which a graded solution's feedback rightly shows) is not distinctive.
    """
    nb = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())
    hidden = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.S)
    lines, outside = [], set()
    for cell in nb["cells"]:
        src = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        outside.update(ln.strip() for ln in hidden.sub("", src).splitlines())
        for region in hidden.findall(src):
            lines += [ln.strip() for ln in region.splitlines()
                      if len(ln.strip()) >= min_len and not ln.strip().startswith("#")]
    return [ln for ln in lines if ln not in outside]


def html_text(path: Path) -> str:
    """Visible text of an HTML file: tags removed (syntax highlighting splits code), entities decoded."""
    text = re.sub(r"<style.*?</style>|<script.*?</script>", "", path.read_text(), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text))
