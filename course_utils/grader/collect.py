"""``course collect``: import submissions exported by a learning platform into nbgrader's layout.

The source is a folder or a zip. Recognised at its top level, in any mix, without being told which
(the formats and where they are documented: ``docs/lms.md``, parsing in :mod:`.lms`):

* Canvas "Download Submissions" files, ``<sortable name>_[LATE_]<user id>_<attachment id>_<name>``;
* Moodle "Download all submissions" folders, ``<Full name>_<participant id>_assignsubmission_file[_]``
  (and the flat files of "download submissions in folders" off);
* ``<student>.ipynb`` — one notebook per student;
* ``<student>/<anything>.ipynb`` — a folder per student;
* ``<student>.zip`` — an archive holding the notebook (at any depth; macOS ``__MACOSX`` entries
  are ignored). A student's upload to an LMS may be such a zip too.

LMS ids become nbgrader ids through a roster (``--roster``, the LMS's own CSV export; the column
that becomes the nbgrader id is ``--id-column``: ``ID``, the Canvas user id, for Canvas, ``Email
address`` for Moodle). Without a roster a Canvas submission is filed under its Canvas user id; a
Moodle one cannot be (its participant id changes with every assignment) and is rejected.

Each is written to ``submitted/<student>/<assignment>/<notebook>.ipynb``. ``timestamp.txt`` (read by
nbgrader for lateness) is the file's modification time, UTC, for the plain layouts; for LMS
downloads none is written, since neither LMS stores the submission time in its zip (the entries carry
the time the zip was made); Canvas's LATE mark is reported instead. A notebook with another name is
renamed to the expected one when it is the only notebook; anything that cannot be placed (unknown
student, two notebooks, not a notebook, another assignment's notebook, a second submission for the
same student) is reported with the reason, and nothing already collected is overwritten unless
``force``. A student whose item holds no notebook at all still gets a submission folder (without
the notebook), so that grading records a 0 with the reason instead of forgetting the student.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .lms import Found, Roster, same_name, scan

__all__ = ["Collected", "collect"]

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@\-]{0,127}$")


@dataclass
class Collected:
    """What happened to one item of the folder."""

    source: str
    student: str = ""
    status: str = "collected"  # collected | renamed | missing | exists | rejected
    reason: str = ""


def _notebooks_in_zip(path: Path, dest: Path) -> list[Path]:
    with zipfile.ZipFile(path) as zf:
        members = [m for m in zf.infolist() if m.filename.endswith(".ipynb")
                   and "__MACOSX" not in m.filename and not m.is_dir()]
        out = []
        for i, m in enumerate(members):
            target = dest / str(i) / Path(m.filename).name  # never trust archive paths
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
            out.append(target)
        return out


def _member_name(m: zipfile.ZipInfo) -> str:
    """The member's name as its writer meant it: UTF-8 without the UTF-8 flag is common (rubyzip)."""
    name = m.filename
    if not m.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return unicodedata.normalize("NFC", name)


def _extract(archive: Path, dest: Path) -> list[Collected]:
    """Unpack an LMS download (paths sanitised); return the members that could not be unpacked."""
    problems = []
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile:
        raise ValueError(f"{archive} is not a readable zip archive.") from None
    with zf:
        for m in zf.infolist():
            name = _member_name(m)
            parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".", "..")]
            if m.is_dir() or not parts or "__MACOSX" in parts:
                continue
            target = dest.joinpath(*parts)
            if target.exists():
                problems.append(Collected(name, status="rejected", reason="a second file with this path "
                                          "in the zip; unpack it by hand"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(m) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, length=1 << 20)
    return problems


def collect(course: Path, assignment: str, folder: Path, force: bool = False,
            roster: Path | None = None, id_column: str | None = None) -> list[Collected]:
    """Import every submission found in ``folder`` (a folder or a zip); see the module docstring."""
    course, folder = Path(course), Path(folder)
    if not folder.is_dir() and not (folder.is_file() and zipfile.is_zipfile(folder)):
        raise FileNotFoundError(f"{folder} is neither a folder of submissions nor a zip of them.")
    expected = sorted(p.name for p in (course / "notebooks" / assignment).glob("*.ipynb"))
    if not expected:
        raise FileNotFoundError(f"No released notebook for {assignment} in notebooks/{assignment}: "
                                "release it first (course release).")
    others = {p.name: p.parent.name for p in (course / "notebooks").glob("*/*.ipynb")
              if p.parent.name != assignment}
    places = _Places(course, assignment, expected, others, force)
    table = Roster(roster, id_column) if roster else None
    report: list[Collected] = []
    with tempfile.TemporaryDirectory() as tmp:
        inbox = folder
        if not folder.is_dir():
            inbox = Path(tmp) / "inbox"
            report += _extract(folder, inbox)
        found, rest = scan(inbox)
        for i, f in enumerate(found):
            report += _collect_lms(places, f, table, Path(tmp) / f"lms{i}")
        for item in rest:
            report.append(_collect_plain(places, item, Path(tmp) / f"plain-{item.name}"))
    return report


def _collect_plain(places: _Places, item: Path, unpack: Path) -> Collected:
    """``<student>.ipynb``, ``<student>/`` or ``<student>.zip``."""
    student = item.stem if item.is_file() else item.name
    entry = Collected(item.name, student)
    if not STUDENT_ID.match(student):
        entry.status, entry.reason = "rejected", "cannot read a student id from the name"
        return entry
    if item.is_dir():
        notebooks = sorted(item.rglob("*.ipynb"))
    elif item.suffix == ".ipynb":
        notebooks = [item]
    elif item.suffix == ".zip":
        try:
            notebooks = _notebooks_in_zip(item, unpack)
        except zipfile.BadZipFile:
            entry.status, entry.reason = "rejected", "not a readable zip archive"
            return entry
    else:
        entry.status, entry.reason = "rejected", f"unsupported file type {item.suffix!r}"
        return entry
    notebooks = [(n, n.name) for n in notebooks if ".ipynb_checkpoints" not in n.parts]
    stamp = datetime.fromtimestamp(item.stat().st_mtime, tz=timezone.utc)
    return places.place(student, notebooks, entry, stamp, flat=item.suffix == ".ipynb")


def _student_of(f: Found, table: Roster | None) -> tuple[str, str, str]:
    """(nbgrader id, why not, note) for an LMS submission."""
    if table is None:
        if f.lms == "canvas" and not f.lms_id.startswith("anon_"):
            return f.lms_id, "", ""
        if f.lms == "canvas":
            return "", "anonymous Canvas submission: download again with anonymous grading off", ""
        return "", ("a Moodle participant id changes with every assignment: pass --roster (the "
                    "assignment's grading worksheet, or the course's grades export)"), ""
    row, why = table.lookup(f)
    if row is None:
        return "", why, ""
    student = table.nbgrader_id(row)
    if not student:
        return "", (f"the roster has no {table.id_column!r} for {table.name(row)}: fill it in or "
                    "choose another --id-column"), ""
    if not STUDENT_ID.match(student):
        return "", (f"{student!r} (column {table.id_column!r}) cannot be an nbgrader id (letters, "
                    "digits and _ . @ - only): choose another --id-column"), ""
    note = "" if same_name(table.name(row), f.name) else (
        f"the LMS wrote the name {f.name!r}, the roster {table.name(row)!r}"
        + (" (a Canvas group submission is named after the group)" if f.lms == "canvas" else ""))
    return student, "", note


def _collect_lms(places: _Places, f: Found, table: Roster | None, unpack: Path) -> list[Collected]:
    student, why, note = _student_of(f, table)
    if why:  # every file of the submission is listed, so that nothing is lost silently
        return [Collected(src, "", "rejected", why) for src in f.sources]
    report, notebooks, used = [], [], []
    for (path, original), source in zip(f.files, f.sources):
        if original.endswith(".ipynb"):
            notebooks.append((path, original))
            used.append(source)
        elif original.endswith(".zip"):
            try:
                notebooks += [(n, n.name) for n in _notebooks_in_zip(path, unpack / str(len(used)))]
                used.append(source)
            except zipfile.BadZipFile:
                report.append(Collected(source, student, "rejected", "not a readable zip archive"))
        else:
            kind = Path(original).suffix or "no extension"
            report.append(Collected(source, student, "rejected", f"not a notebook ({kind}); not graded"))
    label = (used[0] + (f" (+{len(used) - 1})" if len(used) > 1 else "") if used
             else f"({f.lms} {f.lms_id}: no notebook)")
    entry = places.place(student, notebooks, Collected(label, student), stamp=None, flat=False)
    notes = [n for n in (note, "late on Canvas" if f.late else "") if n]
    if notes:
        entry.reason = "; ".join(([entry.reason] if entry.reason else []) + notes)
    return [entry] + report


class _Places:
    """Where submissions of one assignment go: ``submitted/<student>/<assignment>/``."""

    def __init__(self, course: Path, assignment: str, expected: list[str], others: dict[str, str],
                 force: bool):
        self.course, self.assignment, self.expected = course, assignment, expected
        self.others, self.force = others, force
        self.placed: dict[str, str] = {}  # student -> source, in this run

    def place(self, student: str, notebooks: list[tuple[Path, str]], entry: Collected,
              stamp: datetime | None, flat: bool) -> Collected:
        """Copy the notebook(s) of one student; ``notebooks`` are (path, name the student gave)."""
        dest = self.course / "submitted" / student / self.assignment
        if student in self.placed:
            entry.status, entry.reason = "rejected", (f"a second submission for {student} in this "
                                                      f"download (the first: {self.placed[student]})")
            return entry
        self.placed[student] = entry.source
        if dest.exists() and not self.force:
            entry.status, entry.reason = "exists", "already collected (use --force to replace)"
            return entry
        by_name: dict[str, list[Path]] = {}
        for path, name in notebooks:
            by_name.setdefault(name, []).append(path)
        names = ", ".join(name for _, name in notebooks)
        twice = [n for n in self.expected if len(by_name.get(n, [])) > 1]
        if twice:
            entry.status, entry.reason = "rejected", (f"two notebooks named {twice[0]}: cannot tell "
                                                      "which to grade; keep one and collect again")
            return entry
        chosen = {n: by_name[n][0] for n in self.expected if n in by_name}
        if not chosen and len(notebooks) > 1:
            entry.status, entry.reason = "rejected", (f"two notebooks ({names}), none named "
                                                      f"{', '.join(self.expected)}: cannot tell which "
                                                      "to grade; keep one and collect again")
            return entry
        if not chosen and len(notebooks) == 1:
            name = notebooks[0][1]
            if not flat and name in self.others:
                entry.status, entry.reason = "rejected", (f"wrong assignment: {name} is the notebook "
                                                          f"of {self.others[name]}")
                return entry
            if len(self.expected) == 1:
                chosen[self.expected[0]] = notebooks[0][0]
                if not flat:  # <student>.ipynb is the expected flat layout
                    entry.status = "renamed"
                    entry.reason = f"{name} renamed to {self.expected[0]}"
        if not chosen:  # recorded as a submission without the notebook: it will be graded 0
            entry.status = "missing"
            entry.reason = (f"no notebook named {', '.join(self.expected)} (found: "
                            f"{names or 'none'}); graded as missing")
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for name, src in chosen.items():
            shutil.copy(src, dest / name)
        if stamp is not None:
            (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
        notes = []
        missing = sorted(set(self.expected) - set(chosen))
        if missing and chosen:
            notes.append(f"missing: {', '.join(missing)}")
        extra = sorted({name for path, name in notebooks if path not in chosen.values()})
        if chosen and extra:
            notes.append(f"also found {', '.join(extra)} (not graded)")
        if notes:
            entry.reason = "; ".join(([entry.reason] if entry.reason else []) + notes)
        return entry
