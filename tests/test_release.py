"""The student release in notebooks/ is generated from solutions/ and leaks nothing."""

from __future__ import annotations

import json
import re

import pytest

from nbgrader_helpers import ASSIGNMENTS, RELEASE, ROOT, SOLUTIONS, hidden_test_lines, make_course, nbgrader, notebook_name

MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def test_every_assignment_has_a_release_and_vice_versa():
    """Each solutions/NN_topic has notebooks/NN_topic, and nothing else is in notebooks/."""
    released = sorted(p.name for p in RELEASE.iterdir() if p.is_dir() and not p.name.startswith("."))
    assert released == ASSIGNMENTS


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("release"))
    for assignment in ASSIGNMENTS:
        nbgrader(course, "generate_assignment", assignment, "--force", "--no-db")
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_in_sync_with_solutions(regenerated, assignment):
    """notebooks/ equals a fresh `nbgrader generate_assignment` (run `make release` if not)."""
    name = notebook_name(assignment)
    fresh = (regenerated / "notebooks" / assignment / name).read_bytes()
    committed = (RELEASE / assignment / name).read_bytes()
    assert committed == fresh, (f"notebooks/{assignment}/{name} is out of date with solutions/: "
                                "run `make release` and commit the result.")
    files = sorted(p.name for p in (RELEASE / assignment).iterdir())
    assert files == [name], f"unexpected files in notebooks/{assignment}: {files}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_is_well_formed(assignment):
    """Source notebooks: no outputs, unique grade ids, points on every graded cell, stubs in solution cells."""
    nb = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())
    ids, points = set(), 0
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader")
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, \
                "strip outputs from solution notebooks"
        if not meta:
            continue
        assert meta["grade_id"] not in ids, f"duplicate grade_id {meta['grade_id']}"
        ids.add(meta["grade_id"])
        src = "".join(cell["source"])
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} is graded without points"
            points += meta["points"]
        if meta.get("solution"):
            assert "### BEGIN SOLUTION" in src, f"{meta['grade_id']} has no solution region"
    assert points > 0


def test_no_solution_or_hidden_test_text_outside_solutions():
    """Neither markers nor hidden-test lines appear in notebooks/ or course_utils/."""
    files = list(RELEASE.rglob("*.ipynb")) + list((ROOT / "course_utils").rglob("*.py"))
    hidden = {line for a in ASSIGNMENTS for line in hidden_test_lines(a, min_len=25)}
    assert files
    for f in files:
        text = f.read_text(encoding="utf-8")
        if f.suffix == ".ipynb":
            text = "\n".join("".join(c["source"]) for c in json.loads(text)["cells"])
        for marker in MARKERS:
            assert not re.search(rf"#+\s*{marker}", text), f"{marker} found in {f.relative_to(ROOT)}"
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"hidden test lines in {f.relative_to(ROOT)}: {leaked[:3]}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_grade_cells_end_without_a_value(assignment):
    """nbgrader reads a grade cell's displayed value as partial credit: no test cell may end with one."""
    import ast

    nb = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())
    for cell in nb["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta.get("grade"):
            continue
        src = "\n".join(line for line in "".join(cell["source"]).splitlines()
                        if not line.lstrip().startswith(("%", "!")))
        body = ast.parse(src).body
        last = body[-1] if body else None
        call = last.value if isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) else None
        silent = call is not None and (  # print and course_utils.checks return None
            getattr(call.func, "id", "") == "print"
            or getattr(getattr(call.func, "value", None), "id", "") == "checks")
        shows_value = isinstance(last, ast.Expr) and not silent
        assert not shows_value, (f"{meta['grade_id']} ends with an expression; nbgrader would read "
                                 "its value as partial credit (end with a print or a statement)")


GENERATES_DATA = re.compile(r"\b(esc_root|make_esc_synth|detection_dataset)\(")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_generated_data_is_declared_for_prefill(assignment):
    """A notebook that generates a data set on first use lists how in metadata course.prefill.

    Graded kernels see the data cache read-only, so `course autograde` builds the data first from
    these statements (course_utils.grader.autograde.prefill_data); each call the notebook makes must
    have a statement of the same function there.
    """
    nb = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    prefill = "\n".join(nb["metadata"].get("course", {}).get("prefill", []))
    missing = set(GENERATES_DATA.findall(code)) - set(GENERATES_DATA.findall(prefill))
    assert not missing, (f"{assignment} calls {sorted(missing)} but its metadata course.prefill has no "
                         "such statement: graded kernels could not build the data")
