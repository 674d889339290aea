"""A tiny nbgrader course (two toy assignments) and a class of honest and hostile submissions.

Used by tests/test_instructor.py: real assignments take tens of seconds per notebook, these take
one, so the instructor tooling can be tested against every kind of bad submission quickly.
"""

from __future__ import annotations

import copy
import json
import shutil
import zipfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENTS = ("90_toy", "91_toy")


def _meta(gid, grade=False, solution=False, locked=False, points=None):
    m = {"grade": grade, "grade_id": gid, "locked": locked, "schema_version": 3,
         "solution": solution, "task": False}
    if points:
        m["points"] = points
    return {"nbgrader": m}


def toy_notebook(name: str):
    """add (1 point) and mul (2 points), each with a visible and a hidden test."""
    cells = [
        new_markdown_cell(f"# {name}"),
        new_code_cell("def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION",
                      metadata=_meta("add", solution=True)),
        new_code_cell('"""add works."""\nassert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\n'
                      'assert add(-5, 5) == 0, "hidden add check"\n### END HIDDEN TESTS',
                      metadata=_meta("test_add", grade=True, locked=True, points=1)),
        new_code_cell("def mul(a, b):\n    ### BEGIN SOLUTION\n    return a * b\n    ### END SOLUTION",
                      metadata=_meta("mul", solution=True)),
        new_code_cell('"""mul works."""\nassert mul(2, 3) == 6\n### BEGIN HIDDEN TESTS\n'
                      'assert mul(-4, 4) == -16, "hidden mul check"\n### END HIDDEN TESTS',
                      metadata=_meta("test_mul", grade=True, locked=True, points=2)),
    ]
    nb = new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    for i, cell in enumerate(nb.cells):
        cell.id = f"{name}-{i}"
    return nb


def make_course(tmp: Path) -> Path:
    course = tmp / "course"
    course.mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    for a in ASSIGNMENTS:
        (course / "solutions" / a).mkdir(parents=True)
        nbformat.write(toy_notebook(a), course / "solutions" / a / f"{a}.ipynb")
    return course


def _insert(nb, code: str, at: int = 3):
    nb = copy.deepcopy(nb)
    nb.cells.insert(at, new_code_cell(code))
    return nb


def attack(code: str) -> str:
    """Wrap an attack so that its outcome is printed as ATTACK-SUCCEEDED or ATTACK-BLOCKED."""
    body = "\n".join("    " + line for line in code.splitlines())
    return f"try:\n{body}\n    print('ATTACK-SUCCEEDED')\nexcept Exception as err:\n    print('ATTACK-BLOCKED', type(err).__name__, err)"


def write_class(course: Path, assignment: str, inbox: Path, kinds: dict[str, str],
                attacks: dict[str, str]) -> dict[str, float]:
    """Write submissions into ``inbox`` as a learning platform would; return the expected scores.

    ``kinds`` maps student -> one of the named behaviours below; ``attacks`` maps student -> code
    inserted (wrapped by :func:`attack`) into an otherwise correct notebook.
    """
    inbox.mkdir(parents=True, exist_ok=True)
    sol = nbformat.read(course / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    blank = nbformat.read(course / "notebooks" / assignment / f"{assignment}.ipynb", as_version=4)
    partial = copy.deepcopy(sol)
    partial.cells[3].source = "def mul(a, b):\n    return a + b  # wrong"
    edited_test = copy.deepcopy(partial)
    edited_test.cells[4].source = "assert True  # a student 'fixing' the test"
    deleted_test = copy.deepcopy(partial)
    del deleted_test.cells[4]
    deleted_cell = copy.deepcopy(sol)  # an ordinary cell (the title) deleted
    del deleted_cell.cells[0]
    behaviours = {
        "solution": (sol, 3), "blank": (blank, 0), "partial": (partial, 1),
        "loop": (_insert(sol, "while True:\n    pass"), 3),
        "sigint": (_insert(sol, "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                "while True:\n    pass"), 3),
        "membomb": (_insert(sol, "hog = []\nwhile True:\n    hog.append(bytearray(10**8))"), 3),
        "sysexit": (_insert(sol, "import sys\nsys.exit()"), 3),
        "osexit": (_insert(sol, "import os\nos._exit(1)"), 3),
        "kill9": (_insert(sol, "import os\nos.kill(os.getpid(), 9)"), 3),
        "deleted_cell": (deleted_cell, 3),
        "edited_test": (edited_test, 1), "deleted_test": (deleted_test, 1),
        "huge_output": (_insert(sol, "for _ in range(300):\n    print('x' * 10**6)"), 3),
    }
    expected = {}
    for student, kind in kinds.items():
        if kind in behaviours:
            nb, score = behaviours[kind]
            nbformat.write(nb, inbox / f"{student}.ipynb")
        elif kind == "invalid_json":
            (inbox / f"{student}.ipynb").write_text('{"cells": [ oops')
            score = 0
        elif kind == "old_format":
            raw = json.loads(nbformat.writes(sol))
            raw["nbformat"], raw["nbformat_minor"] = 3, 0
            (inbox / f"{student}.ipynb").write_text(json.dumps(raw))
            score = 0
        elif kind == "renamed_zip":
            with zipfile.ZipFile(inbox / f"{student}.zip", "w") as zf:
                zf.writestr("homework/my_answers.ipynb", nbformat.writes(sol))
            score = 3
        elif kind == "folder":
            (inbox / student).mkdir()
            nbformat.write(partial, inbox / student / f"{assignment}.ipynb")
            score = 1
        elif kind == "missing":
            (inbox / student).mkdir()
            (inbox / student / "notes.txt").write_text("forgot the notebook")
            score = 0
        else:
            raise ValueError(kind)
        expected[student] = score
    for student, code in attacks.items():
        nbformat.write(_insert(sol, attack(code)), inbox / f"{student}.ipynb")
        expected[student] = 3
    return expected
