"""``course export``: nbgrader's totals as a grade file the LMS imports as it is.

Scores are read from the course's gradebook through nbgrader's API (``SubmittedAssignment.score``:
each cell's manual score where a grader gave one, else its automatic score). A student without a
submission gets an empty cell, which both LMSs import as "no change", unless ``missing_as_zero``.

* Canvas (Grades > Import): the gradebook CSV, ``Student, ID, SIS User ID, SIS Login ID, Section``
  then the assignment's column, named ``<title> (<Canvas assignment id>)`` as in Canvas's own
  export (taken from the roster's header, or ``column``), and the ``Points Possible`` row.
  Canvas matches students by ``ID``, then SIS ids (``lib/gradebook_importer.rb``).
* Moodle (Grades > Import > CSV file): one row per student keyed by ``Email address`` or
  ``ID number`` (``key``), the names, and the grade column, which the import's mapping step maps to
  the assignment's grade item.

With a roster (the LMS's export, :class:`.lms.Roster`), the file has one row per roster row, with
its ids as the LMS wrote them; without one, a row per student of the gradebook, whose nbgrader id
must then be the LMS's key (the Canvas user id, or the email / ID number). Students graded in
nbgrader but absent from the roster are returned in ``unmatched``: their scores are not in the file.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from .lms import Roster, fold

__all__ = ["Exported", "export", "gradebook_scores"]

CANVAS_INFO = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID",
               "Integration ID", "Root Account", "Section")
MOODLE_KEYS = {"email": "Email address", "idnumber": "ID number"}


@dataclass
class Exported:
    path: Path
    column: str
    rows: int = 0
    scored: int = 0
    blank: int = 0
    unmatched: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def gradebook_scores(course: Path, assignment: str
                     ) -> tuple[dict[str, float], float, dict[str, tuple[str, str]]]:
    """(score of each student with a submission, the assignment's maximum, (last, first) name of
    every student of the gradebook)."""
    from nbgrader.api import MissingEntry

    from .gradebook import open_gradebook

    with open_gradebook(course) as gb:
        try:
            a = gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"{assignment} is not in the gradebook: release it, collect and grade "
                             "first (course release, collect, autograde).") from None
        scores = {s.student.id: float(s.score) for s in a.submissions}
        names = {s.id: (s.last_name or "", s.first_name or "") for s in gb.students}
        return scores, float(a.max_score), names


def _points(x: float) -> str:
    """Points as both LMSs read them: at most 2 decimals (Canvas's precision), no trailing zeros."""
    return f"{round(x, 2):.2f}".rstrip("0").rstrip(".")


def _differs(points: str, max_score: float) -> bool:
    """Whether Canvas's "Points Possible" cell (decimal point or comma) is another maximum."""
    try:
        return abs(float(points.replace(",", ".")) - max_score) > 1e-6
    except ValueError:  # empty, or text such as "(read only)"
        return False


def _canvas_column(assignment: str, roster: Roster | None) -> str:
    if roster is None:
        return assignment  # Canvas's importer also finds an assignment by its title alone
    titled = {h: m[1] for h in roster.header if (m := re.fullmatch(r"(.*) \((\d+)\)", h))}
    for h, title in titled.items():
        if fold(title) == fold(assignment):
            return h
    raise ValueError(f"The roster has no Canvas column for {assignment} (its assignment columns: "
                     f"{', '.join(titled) or 'none'}): pass --column 'TITLE (ID)' as Canvas names it.")


def _moodle_column(assignment: str, roster: Roster | None) -> str:
    for h in roster.header if roster else []:
        m = re.fullmatch(r"[^:]+: (.*?)(?: \((?:Real|Percentage|Letter)\))?", h)
        if m and fold(m[1]) == fold(assignment):
            return h
    return assignment


def export(course: Path, assignment: str, lms: str, roster: Path | None = None, out: Path | None = None,
           missing_as_zero: bool = False, id_column: str | None = None, column: str | None = None,
           key: str = "email") -> Exported:
    """Write the grade import file of ``assignment`` for ``lms`` (canvas | moodle); see the module."""
    course = Path(course)
    if lms not in ("canvas", "moodle"):
        raise ValueError(f"Unknown LMS {lms!r}: canvas or moodle.")
    if key not in MOODLE_KEYS:
        raise ValueError(f"Unknown Moodle key {key!r}: email or idnumber.")
    table = Roster(roster, id_column) if roster else None
    if table and table.lms != lms:
        raise ValueError(f"{roster} is a {table.kind}, not a {lms.capitalize()} roster.")
    scores, max_score, names = gradebook_scores(course, assignment)
    out = Path(out) if out else course / "reports" / assignment / f"{assignment}_{lms}.csv"
    name_column = _canvas_column if lms == "canvas" else _moodle_column
    result = Exported(out, column or name_column(assignment, table))
    missing = "0" if missing_as_zero else ""

    if table:
        entries = [(table.nbgrader_id(r), r) for r in table.rows]
    else:
        ids = sorted(names)
        entries = [(s, {"Student": ", ".join(n for n in names[s] if n) or s, "ID": s,
                        "Email address": s, "ID number": s,
                        "First name": names[s][1], "Last name": names[s][0]}) for s in ids]
    if lms == "canvas":
        info = [h for h in CANVAS_INFO if h in (table.header if table else
                                                ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"))]
        header = info + [result.column]
        pp = {info[0]: "    Points Possible", result.column: _points(max_score)}
        lms_points = table.points.get(result.column, "") if table else ""
        if _differs(lms_points, max_score):
            result.warnings.append(f"Canvas gives {result.column} {lms_points} points, nbgrader "
                                   f"{_points(max_score)}: the import sets Canvas's points possible to "
                                   "nbgrader's; scale the scores or change one of them")
        head_rows = [pp]
    else:
        present = table.header if table else ("First name", "Last name", MOODLE_KEYS[key])
        if MOODLE_KEYS[key] not in present:
            raise ValueError(f"The roster has no {MOODLE_KEYS[key]!r} column to key the import by: "
                             f"choose --moodle-key {'idnumber' if key == 'email' else 'email'}.")
        names_cols = [h for h in ("Full name", "First name", "Last name", "Surname") if h in present]
        header = names_cols + [h for h in ("ID number", "Email address") if h in present] + [result.column]
        head_rows = []

    out.parent.mkdir(parents=True, exist_ok=True)
    listed = set()
    with open(out, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(head_rows)
        for student, row in entries:
            score = scores.get(student) if student else None
            if lms == "moodle" and score is not None and not row.get(MOODLE_KEYS[key]):
                result.warnings.append(f"{student} has no {MOODLE_KEYS[key]} in the roster: "
                                       "Moodle cannot match the row")
            listed.add(student)
            writer.writerow({**row, result.column: missing if score is None else _points(score)})
            result.rows += 1
            result.scored += score is not None
            result.blank += score is None and not missing_as_zero
    result.unmatched = sorted(set(scores) - listed)
    return result
