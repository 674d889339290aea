"""The course's gradebook, on SQLite (the default) or a PostgreSQL server, as grading jobs see it.

nbgrader finds its database through ``c.CourseDirectory.db_url`` (``nbgrader_config.py``):
``sqlite:///<course>/gradebook.db`` unless set, e.g.
``postgresql+psycopg://grader@db.example.org/audio_dl`` for a team of graders sharing one server.
Every ``course`` command reads the same URL (:func:`course_db_url`).

Design of a grading run (``course autograde``), the same for both databases:

* **Private job gradebooks.** No grading job ever opens the course's database. Each job gets its
  own SQLite file: a copy of a per-run *template* holding the course's definitions (course,
  assignments, notebooks, grade/solution/task/source cells; :func:`make_template`), plus that one
  student's own rows (the student, the submission with its extension, its grades and comments,
  manual ones included; :func:`job_gradebook`). ``nbgrader autograde`` thus sees exactly what it
  would see in the course database for this student, and the cost of a job no longer grows with
  the class (the whole gradebook used to be copied for each job).
* **One transaction per student.** The merge (:func:`merge_submission`) writes a job's automatic
  results into the course database through nbgrader's API inside one transaction: nbgrader's calls
  commit after each step, so here their commits only flush, and the student is committed once.
  A grader killed mid-merge leaves that student as it was (PostgreSQL rolls back the open
  transaction of a dropped connection; SQLite's journal does the same), never half-merged.
* **Manual grades are safe.** The merge locks the student's grade and comment rows
  (``SELECT ... FOR UPDATE`` on PostgreSQL), re-reads them, and updates only automatic columns
  (``auto_score``, ``needs_manual_grade``, ``auto_comment``, the notebook's flag and late penalty).
  A TA's manual score or comment written before the lock is read and kept; one written while the
  merge holds the lock waits for the commit and then applies. As nbgrader does, a cell that already
  has a manual score is marked for review again when its automatic score is renewed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

__all__ = ["course_db_url", "job_gradebook", "make_template", "merge_submission", "open_gradebook",
           "safe_url"]

# tables that define assignments (copied once per run), in foreign-key order
DEFINITIONS = ("course", "assignment", "notebook", "base_cell", "grade_cells", "solution_cells",
               "task_cells", "source_cell")


def course_db_url(course: Path) -> str:
    """The gradebook URL of ``course``: its ``c.CourseDirectory.db_url``, else nbgrader's default
    ``sqlite:///<course>/gradebook.db``."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    coursedir = CourseDirectory(config=config)
    coursedir.root = str(Path(course).resolve())
    return coursedir.db_url


def safe_url(url: str) -> str:
    """``url`` with its password masked, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def open_gradebook(course: Path):
    """nbgrader's ``Gradebook`` on the course's database, with a clear error if it cannot be used."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import SQLAlchemyError

    url = course_db_url(course)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).is_file():
        raise FileNotFoundError(f"No gradebook at {url}: release an assignment first (course release).")
    try:
        return Gradebook(url)
    except SQLAlchemyError as err:
        raise RuntimeError(f"Cannot open the gradebook {safe_url(url)} (c.CourseDirectory.db_url in "
                           f"nbgrader_config.py): {str(err).splitlines()[0]}") from err


def _copy_rows(src, dst, table, where=None) -> list:
    rows = [dict(r._mapping) for r in src.execute(table.select().where(*([] if where is None else [where])))]
    if rows:
        dst.execute(table.insert(), rows)
    return rows


_UNVERSIONED = ("The gradebook has no alembic_version table or row, so it was not made by nbgrader or "
                "is damaged: restore it from a backup, or point c.CourseDirectory.db_url at the "
                "course's real gradebook.")


def make_template(source_engine, path: Path) -> Path:
    """Write ``path``: an empty nbgrader gradebook (SQLite) holding the definitions of the course
    read from ``source_engine`` (in one transaction, so a consistent set)."""
    from nbgrader.api import Base
    from sqlalchemy import Column, MetaData, String, Table, create_engine, inspect

    # nbgrader's schema, stamped with the source's alembic revision (nbgrader's own Gradebook()
    # would run `alembic heads` in a subprocess for that: seconds of imports)
    version = Table("alembic_version", MetaData(), Column("version_num", String(32), nullable=False))
    if not inspect(source_engine).has_table("alembic_version"):
        raise RuntimeError(_UNVERSIONED)
    dst_engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(dst_engine)
    version.create(dst_engine)
    with source_engine.connect() as src, dst_engine.begin() as dst:
        if not _copy_rows(src, dst, version):
            raise RuntimeError(_UNVERSIONED)
        for name in DEFINITIONS:
            _copy_rows(src, dst, Base.metadata.tables[name])
    dst_engine.dispose()
    return path


def job_gradebook(template: Path, source_engine, assignment: str, student: str, dest: Path) -> None:
    """Write ``dest``: ``template`` plus the rows of ``student``'s submission of ``assignment``
    (student, submission, its notebooks, grades and comments) read from ``source_engine``."""
    from nbgrader.api import Base
    from sqlalchemy import create_engine, select

    t = Base.metadata.tables
    shutil.copy(template, dest)
    os.chmod(dest, 0o600)
    dst_engine = create_engine(f"sqlite:///{dest}")
    with source_engine.connect() as src, dst_engine.begin() as dst:
        _copy_rows(src, dst, t["student"], t["student"].c.id == student)
        assignment_id = select(t["assignment"].c.id).where(t["assignment"].c.name == assignment)
        subs = _copy_rows(src, dst, t["submitted_assignment"],
                          (t["submitted_assignment"].c.student_id == student)
                          & t["submitted_assignment"].c.assignment_id.in_(assignment_id.scalar_subquery()))
        notebooks = _copy_rows(src, dst, t["submitted_notebook"],
                               t["submitted_notebook"].c.assignment_id.in_([s["id"] for s in subs]))
        for name in ("grade", "comment"):
            _copy_rows(src, dst, t[name], t[name].c.notebook_id.in_([n["id"] for n in notebooks]))
    dst_engine.dispose()


def pause_point(student: str, stage: str) -> None:
    """A test hook: with ``COURSE_AUTOGRADE_PAUSE_DIR`` set and ``<dir>/<student>.<stage>``
    present, touch ``<student>.<stage>.reached`` and wait (at most 10 minutes) for
    ``<student>.<stage>.go``. Makes "a grader killed mid-merge" and "a TA writing during a merge"
    deterministic in tests/test_postgres.py; does nothing otherwise."""
    folder = os.environ.get("COURSE_AUTOGRADE_PAUSE_DIR")
    if not folder or not (Path(folder) / f"{student}.{stage}").exists():
        return
    (Path(folder) / f"{student}.{stage}.reached").touch()
    deadline = time.monotonic() + 600
    while not (Path(folder) / f"{student}.{stage}.go").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


@contextlib.contextmanager
def _one_transaction(url: str):
    """nbgrader's Gradebook whose API commits only flush; committed once at the end, else rolled back."""
    from nbgrader.api import Gradebook
    from sqlalchemy.orm import Session, scoped_session, sessionmaker

    class FlushOnCommit(Session):
        def commit(self):
            self.flush()

    gb = Gradebook(url)
    gb.db.remove()
    gb.db = scoped_session(sessionmaker(class_=FlushOnCommit, bind=gb.engine, autoflush=True))
    try:
        yield gb
        Session.commit(gb.db())
    except BaseException:
        gb.db.rollback()
        raise
    finally:
        gb.close()


def merge_submission(job_db: Path, course_url: str, assignment: str, student: str,
                     source: str | None = None, timestamp=None) -> float:
    """Copy one student's automatic grades from a job's gradebook into the course's, in one
    transaction; return the student's score.

    With ``source``, the grades of that (pseudo-)student of the job are given to ``student``, with
    ``timestamp`` as the submission time (the shared grading of the untouched release).
    """
    from nbgrader.api import Comment, Gradebook, Grade, SubmittedNotebook

    with Gradebook(f"sqlite:///{job_db}") as src, _one_transaction(course_url) as dst:
        pause_point(student, "merge-begin")
        sub = src.find_submission(assignment, source or student)
        dst.update_or_create_student(student)
        dsub = dst.update_or_create_submission(assignment, student,
                                               timestamp=timestamp if source else sub.timestamp)
        for model in (Grade, Comment):  # lock this student's rows, then read them fresh
            (dst.db.query(model).join(SubmittedNotebook).filter(SubmittedNotebook.assignment_id == dsub.id)
             .with_for_update().populate_existing().all())
        for nb in sub.notebooks:
            dnb = dst.find_submission_notebook(nb.name, assignment, student)
            dnb.flagged = nb.flagged
            dnb.late_submission_penalty = nb.late_submission_penalty
            for g in nb.grades:
                dg = dst.find_grade(g.name, nb.name, assignment, student)
                dg.auto_score = g.auto_score
                dg.needs_manual_grade = g.needs_manual_grade or dg.manual_score is not None
            for c in nb.comments:
                dst.find_comment(c.name, nb.name, assignment, student).auto_comment = c.auto_comment
        dst.db.flush()
        pause_point(student, "merge-written")
        dst.db.expire_all()
        score = float(dst.find_submission(assignment, student).score)
    return score
