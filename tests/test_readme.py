"""The README's syllabus and commands describe the repository as it is."""

from __future__ import annotations

import json
import re

from nbgrader_helpers import ASSIGNMENTS, ROOT, SOLUTIONS, notebook_name

README = (ROOT / "README.md").read_text()


def syllabus_rows():
    rows = {}
    for line in README.splitlines():
        m = re.match(r"\|\s*(\d\d)\s*\|\s*\[[^\]]+\]\(notebooks/([^/]+)/([^)]+)\)\s*\|[^|]*\|\s*(\d+)\s*\|", line)
        if m:
            rows[m.group(2)] = (m.group(3), int(m.group(4)))
    return rows


def notebook_points(assignment):
    nb = json.loads((SOLUTIONS / assignment / notebook_name(assignment)).read_text())
    return sum(c["metadata"].get("nbgrader", {}).get("points", 0) for c in nb["cells"]
               if c["metadata"].get("nbgrader", {}).get("grade"))


def test_syllabus_lists_the_assignments():
    """Every table row is an assignment; one not yet in the table is announced as coming next."""
    rows = syllabus_rows()
    assert set(rows) <= set(ASSIGNMENTS), sorted(set(rows) - set(ASSIGNMENTS))
    coming = README.split("Coming next:", 1)[1].split("\n\n", 1)[0] if "Coming next:" in README else ""
    for assignment in sorted(set(ASSIGNMENTS) - set(rows)):
        assert assignment[:2] in coming, f"{assignment} is neither in the syllabus nor announced"


def test_syllabus_points_and_links_match_notebooks():
    for assignment, (file, points) in syllabus_rows().items():
        assert (ROOT / "notebooks" / assignment / file).is_file(), file
        assert points == notebook_points(assignment), (assignment, points, notebook_points(assignment))


def test_readme_commands_exist():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab", "test", "release", "benchmark"):
        assert f"make {target}" in README and re.search(rf"^{target}:", makefile, re.M), target
    assert "make test" in (ROOT / ".ci" / "run").read_text()
