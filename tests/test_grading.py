"""The grading round trip, in a temporary copy of the course, for every assignment.

A solution notebook submitted as a student scores full marks on every graded cell; the untouched
release scores exactly 0 without crashing the grader; feedback shows no hidden test.
"""

from __future__ import annotations

import shutil

import pytest
from nbgrader.api import Gradebook

from nbgrader_helpers import ASSIGNMENTS, hidden_test_lines, html_text, make_course, nbgrader, notebook_name


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("grading"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_release_zero_feedback_hides_tests(course, assignment):
    """Solutions score full marks, the blank release 0, and feedback hides hidden tests."""
    name = notebook_name(assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    for student, src in [("solution", course / "solutions" / assignment / name),
                         ("blank", course / "notebooks" / assignment / name)]:
        dest = course / "submitted" / student / assignment
        dest.mkdir(parents=True)
        shutil.copy(src, dest / name)
    # The course's per-cell limit (300 s) is for students' kernels; this test checks grades, and
    # on a loaded 2-core runner 06's cross-validation cell (96 s of CPU) can take 500 s of wall.
    nbgrader(course, "autograde", assignment, "--force", "--Execute.timeout=1200")

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(name[:-6], assignment)
        # Written answers (markdown grade cells) wait for a human; every autograded cell is checked.
        cells = [(c.name, c.max_score) for c in nb.grade_cells if c.cell_type == "code"]
        written = [c.name for c in nb.grade_cells if c.cell_type == "markdown"]
        assert cells, f"{assignment} has no autograded cells"
        for cell in written:
            assert gb.find_grade(cell, name[:-6], assignment, "solution").needs_manual_grade
            assert not gb.find_grade(cell, name[:-6], assignment, "blank").score
        lost = {}
        for cell, max_score in cells:
            g = gb.find_grade(cell, name[:-6], assignment, "solution")
            if g.score != max_score:
                lost[cell] = (g.score, max_score)
        assert not lost, f"the solution loses points in {assignment}: {lost}"
        blank = gb.find_submission(assignment, "blank")
        earned = {c: gb.find_grade(c, name[:-6], assignment, "blank").score for c, _ in cells}
        assert blank.score == 0, f"the blank release of {assignment} earns points: " + str(
            {c: s for c, s in earned.items() if s})
        assert not [c for c, s in earned.items() if s], "the blank release earns points"

    nbgrader(course, "generate_feedback", assignment, "--force")
    hidden = hidden_test_lines(assignment)
    for student in ("solution", "blank"):
        page = course / "feedback" / student / assignment / name.replace(".ipynb", ".html")
        text = html_text(page)
        assert "BEGIN HIDDEN TESTS" not in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"feedback for {student} shows hidden test lines: {leaked[:3]}"
