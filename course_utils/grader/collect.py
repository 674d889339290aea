"""``course collect``: import submissions exported by a learning platform into nbgrader's layout.

Accepted in the folder given (any mix):

* ``<student>.ipynb`` — one notebook per student;
* ``<student>/<anything>.ipynb`` — a folder per student;
* ``<student>.zip`` — an archive holding the notebook (at any depth; macOS ``__MACOSX`` entries
  are ignored).

Each is written to ``submitted/<student>/<assignment>/<notebook>.ipynb`` with a ``timestamp.txt``
(the file's modification time, UTC). A submission whose notebook has another name is renamed to the
expected one when it is the only notebook; anything that cannot be placed is reported with the
reason, and nothing already collected is overwritten unless ``force``. A student whose item holds
no usable notebook still gets a submission folder (without the notebook), so that grading records
a 0 with the reason instead of forgetting the student.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["Collected", "collect"]

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")


@dataclass
class Collected:
    """What happened to one item of the folder."""

    source: str
    student: str = ""
    status: str = "collected"  # collected | renamed | missing | exists | rejected
    reason: str = ""


def _student_of(name: str) -> str:
    return Path(name).stem


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


def collect(course: Path, assignment: str, folder: Path, force: bool = False) -> list[Collected]:
    """Import every submission found in ``folder``; see the module docstring."""
    course, folder = Path(course), Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder of submissions.")
    expected = sorted(p.name for p in (course / "notebooks" / assignment).glob("*.ipynb"))
    if not expected:
        raise FileNotFoundError(f"No released notebook for {assignment} in notebooks/{assignment}: "
                                "release it first (course release).")
    report: list[Collected] = []
    with tempfile.TemporaryDirectory() as tmp:
        for item in sorted(folder.iterdir()):
            if item.name.startswith("."):
                continue
            student = _student_of(item.name)
            entry = Collected(item.name, student)
            if not STUDENT_ID.match(student):
                entry.status, entry.reason = "rejected", "cannot read a student id from the name"
                report.append(entry)
                continue
            if item.is_dir():
                notebooks = sorted(item.rglob("*.ipynb"))
            elif item.suffix == ".ipynb":
                notebooks = [item]
            elif item.suffix == ".zip":
                unpack = Path(tmp) / student
                unpack.mkdir(exist_ok=True)
                try:
                    notebooks = _notebooks_in_zip(item, unpack)
                except zipfile.BadZipFile:
                    entry.status, entry.reason = "rejected", "not a readable zip archive"
                    report.append(entry)
                    continue
            else:
                entry.status, entry.reason = "rejected", f"unsupported file type {item.suffix!r}"
                report.append(entry)
                continue
            notebooks = [n for n in notebooks if ".ipynb_checkpoints" not in n.parts]
            report.append(_place(course, assignment, expected, student, notebooks, item, entry, force))
    return report


def _place(course, assignment, expected, student, notebooks, item, entry, force) -> Collected:
    dest = course / "submitted" / student / assignment
    if dest.exists() and not force:
        entry.status, entry.reason = "exists", "already collected (use --force to replace)"
        return entry
    by_name = {n.name: n for n in notebooks}
    chosen = {}
    for name in expected:
        if name in by_name:
            chosen[name] = by_name[name]
    if not chosen and len(notebooks) == 1 and len(expected) == 1:
        chosen[expected[0]] = notebooks[0]
        if item.suffix != ".ipynb":  # <student>.ipynb is the expected flat layout
            entry.status = "renamed"
            entry.reason = f"{notebooks[0].name} renamed to {expected[0]}"
    if not chosen:  # recorded as a submission without the notebook: it will be graded 0
        entry.status = "missing"
        entry.reason = (f"no notebook named {', '.join(expected)} (found: "
                        f"{', '.join(n.name for n in notebooks) or 'none'}); graded as missing")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for name, src in chosen.items():
        shutil.copy(src, dest / name)
    stamp = datetime.fromtimestamp(item.stat().st_mtime, tz=timezone.utc)
    (dest / "timestamp.txt").write_text(stamp.strftime("%Y-%m-%d %H:%M:%S.%f %Z"))
    missing = sorted(set(expected) - set(chosen))
    if missing:
        entry.reason = (entry.reason + "; " if entry.reason else "") + f"missing: {', '.join(missing)}"
    return entry
