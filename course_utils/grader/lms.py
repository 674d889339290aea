"""Reading what a learning platform hands out: Canvas and Moodle submission downloads, rosters.

Used by ``course collect`` (:mod:`course_utils.grader.collect`) and ``course export``
(:mod:`course_utils.grader.export`). Where each format is documented is in ``docs/lms.md``.

* Canvas "Download Submissions": one file per uploaded attachment, at the top of the zip, named
  ``<sortable name>_[LATE_]<user id>_<attachment id>_<file name>`` (``lib/content_zipper.rb``);
  anonymous grading writes ``anon_<anonymous id>`` instead of name and user id. Canvas renames a
  re-uploaded file ``02_stft-1.ipynb`` (``Attachment.make_unique_filename``); the suffix is dropped.
* Moodle "Download all submissions": a folder per participant,
  ``<Full name>_<participant id>_assignsubmission_file_`` (Moodle 3.1 to 4.0) or without the last
  underscore (4.1 and later, ``mod/assign/classes/downloader.php``), or, with "download submissions in
  folders" off, flat files ``<Full name>_<participant id>_assignsubmission_file_<file name>``.
  The participant id is Moodle's per-assignment pseudonym (``get_uniqueid_for_user``), the same
  number as ``Participant 1234567`` in the assignment's grading worksheet.
* Rosters: Canvas's gradebook export (``Student, ID, SIS User ID, SIS Login ID, Section, ...``),
  Moodle's grades export (``First name, Last name, ID number, ..., Email address, ...``) and
  Moodle's grading worksheet (``Identifier, Full name, Email address, ...``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Found", "Roster", "scan", "canvas_file_name", "same_name"]

CANVAS_FILE = re.compile(r"^(?:(?P<name>.*?)_)??(?P<late>LATE_)?(?P<uid>\d+|anon_[A-Za-z0-9]+)"
                         r"_(?P<aid>\d+)_(?P<file>.+)$")
CANVAS_TEXT = re.compile(r"^(?:(?P<name>.*?)_)??(?P<late>LATE_)?(?P<uid>\d+|anon_[A-Za-z0-9]+)"
                         r"_(?P<file>text\.html|link\.html)$")
MOODLE_DIR = re.compile(r"^(?P<name>.*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_?$")
MOODLE_FLAT = re.compile(r"^(?P<name>.*)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file>.+)$")
RESUBMITTED = re.compile(r"-(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})(?=\.[^.]+$)")


@dataclass
class Found:
    """One student's submission found in an LMS download."""

    lms: str  # canvas | moodle
    lms_id: str  # Canvas user id (or anon_...), Moodle participant id
    name: str  # the name as the LMS wrote it
    files: list[tuple[Path, str]] = field(default_factory=list)  # (path, name the student gave it)
    sources: list[str] = field(default_factory=list)
    late: bool = False


def fold(text: str) -> str:
    """A name reduced for comparison: NFC, case-folded, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text).casefold() if ch.isalnum())


def same_name(a: str, b: str) -> bool:
    return fold(a) == fold(b)


def canvas_file_name(name: str) -> str:
    """The file name a student uploaded, without Canvas's ``-1``/``-<uuid>`` resubmission suffix."""
    return RESUBMITTED.sub("", name, count=1)


def scan(folder: Path) -> tuple[list[Found], list[Path]]:
    """Split the top level of ``folder`` into LMS submissions and everything else (other layouts)."""
    found: dict[tuple[str, str], Found] = {}
    rest = []

    def add(lms, lms_id, name, path, original=None, late=False):
        f = found.setdefault((lms, lms_id), Found(lms, lms_id, name))
        if original is not None:
            f.files.append((path, original))
        f.sources.append(str(path.relative_to(folder)))
        f.late = f.late or late

    for item in sorted(folder.iterdir()):
        if item.name.startswith(".") or item.name == "__MACOSX":
            continue
        if item.is_dir() and (m := MOODLE_DIR.match(item.name)):
            files = sorted(p for p in item.rglob("*") if p.is_file()
                           and not {"__MACOSX", ".ipynb_checkpoints"} & set(p.parts))
            if not files:  # an empty folder is still reported
                add("moodle", m["pid"], m["name"], item)
            for p in files:
                add("moodle", m["pid"], m["name"], p, p.name)
            continue
        if item.is_file() and (m := MOODLE_FLAT.match(item.name)):
            add("moodle", m["pid"], m["name"], item, m["file"])
            continue
        if item.is_file() and (m := CANVAS_FILE.match(item.name) or CANVAS_TEXT.match(item.name)):
            name = m["name"] or ""
            late = bool(m["late"]) or name.endswith("-late")  # older Canvas: "doe-jane-late_123_..."
            add("canvas", m["uid"], name.removesuffix("-late"), item, canvas_file_name(m["file"]), late)
            continue
        rest.append(item)
    return list(found.values()), rest


def _sniff(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise FileNotFoundError(f"No roster at {path}: pass the CSV exported from the LMS (docs/lms.md).")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 text: export it again from the LMS, or save it as "
                         "'CSV UTF-8' if a spreadsheet touched it.") from None
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max([",", ";", "\t"], key=first.count)
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        raise ValueError(f"Roster {path} is empty.")
    return [h.strip() for h in rows[0]], rows[1:]


class Roster:
    """An LMS's class list as CSV, mapping LMS ids to nbgrader student ids (see ``docs/lms.md``)."""

    DEFAULT_ID = {"canvas": "ID", "moodle": "Email address"}

    def __init__(self, path: Path, id_column: str | None = None):
        self.path = Path(path)
        self.header, raw = _sniff(self.path)
        h = set(self.header)
        if {"ID", "SIS Login ID"} <= h and ("Student" in h or {"LastName", "FirstName"} <= h):
            self.lms, self.kind = "canvas", "Canvas gradebook export"
        elif "Identifier" in h and "Full name" in h:
            self.lms, self.kind = "moodle", "Moodle grading worksheet"
        elif "First name" in h and ("Last name" in h or "Surname" in h):
            self.lms, self.kind = "moodle", "Moodle grades export"
        else:
            raise ValueError(f"{self.path} is not a roster this command knows (columns: "
                             f"{', '.join(self.header[:8])}): use Canvas's gradebook export, Moodle's "
                             "grades export or the assignment's grading worksheet (docs/lms.md).")
        self.id_column = id_column or self.DEFAULT_ID[self.lms]
        if self.id_column not in h:
            raise ValueError(f"{self.path} has no column {self.id_column!r} for the nbgrader ids "
                             f"(columns: {', '.join(self.header)}); choose one with --id-column.")
        self.points: dict[str, str] = {}
        self.rows: list[dict[str, str]] = []
        for r in raw:
            row = dict(zip(self.header, (c.strip() for c in r)))
            first = r[0] if r else ""
            if self.lms == "canvas" and "Points Possible" in first:
                self.points = row
            elif self.lms == "canvas" and all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", c, re.I)
                                              for c in r):
                continue  # Canvas's "Manual Posting" row
            else:
                self.rows.append(row)

    def name(self, row: dict[str, str]) -> str:
        if self.lms == "canvas":
            return row.get("Student") or f"{row.get('LastName', '')}, {row.get('FirstName', '')}"
        if "Full name" in row:
            return row["Full name"]
        return f"{row.get('First name', '')} {row.get('Last name', row.get('Surname', ''))}".strip()

    def nbgrader_id(self, row: dict[str, str]) -> str:
        value = row.get(self.id_column, "")
        return value.lower() if self.id_column == "Email address" else value

    def participant(self, row: dict[str, str]) -> str:
        m = re.search(r"(\d+)\s*$", row.get("Identifier", ""))
        return m[1] if m else ""

    def lookup(self, f: Found) -> tuple[dict[str, str] | None, str]:
        """The roster row of a submission, or None and why not."""
        if f.lms != self.lms:
            return None, f"a {f.lms.capitalize()} submission but the roster is a {self.kind}"
        if f.lms_id.startswith("anon_"):
            return None, ("anonymous Canvas submission: Canvas hides who it is; download again with "
                          "anonymous grading off")
        if self.lms == "canvas":
            rows = [r for r in self.rows if r.get("ID") == f.lms_id]
            why = f"unknown student: Canvas user {f.lms_id} ({f.name}) is not in the roster"
        elif self.kind == "Moodle grading worksheet":
            rows = [r for r in self.rows if self.participant(r) == f.lms_id]
            why = (f"unknown student: participant {f.lms_id} ({f.name}) is not in the worksheet "
                   "(a team submission? Moodle names those by group)")
        else:  # a grades export has no participant ids: the name is all there is
            rows = [r for r in self.rows if same_name(self.name(r), f.name)]
            why = f"unknown student: nobody named {f.name!r} in the roster"
            if len(rows) > 1:
                return None, (f"{len(rows)} roster rows are named {f.name!r} and a grades export has no "
                              "participant ids: use the assignment's grading worksheet as --roster")
        if len(rows) != 1:
            return None, why if not rows else f"{len(rows)} roster rows have the id {f.lms_id}"
        return rows[0], ""
