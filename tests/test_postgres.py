"""The `course` command on a PostgreSQL gradebook (``c.CourseDirectory.db_url``), a real server.

The same class is graded on SQLite and on PostgreSQL with identical grades; a TA's manual grades
written while ``course autograde --jobs 2`` merges survive; a grader killed inside a merge leaves no
half-merged student and the rerun completes. The timing is made deterministic with the merge's
pause points (``COURSE_AUTOGRADE_PAUSE_DIR``, course_utils.grader.gradebook.pause_point), never
by sleeping and hoping.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from nbgrader_helpers import html_text
from pg_fixtures import pg_cluster  # noqa: F401 (fixture)
from test_instructor import SANDBOX_OK, course_cmd
from toy_course import make_course, write_class

pytestmark = pytest.mark.postgres

A = "91_toy"
KINDS = {"s1": "solution", "s2": "partial", "s3": "blank", "s4": "edited_test",
         "s5": "invalid_json", "s6": "osexit"}
SANDBOX = [] if SANDBOX_OK else ["--no-sandbox"]


def graded_course(tmp: Path, db_url: str | None, attacks: dict[str, str] | None = None) -> Path:
    """A toy course released and collected (not graded) with its gradebook at ``db_url``."""
    course = make_course(tmp)
    if db_url:
        with open(course / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    course_cmd(course, "release")
    write_class(course, A, course / "inbox", KINDS, attacks or {})
    course_cmd(course, "collect", A, str(course / "inbox"))
    return course


def cell_grades(url: str) -> dict[str, dict[str, tuple]]:
    """student -> cell -> (auto score, manual score, needs manual grade), and each comment."""
    with Gradebook(url) as gb:
        out = {}
        for sub in gb.find_assignment(A).submissions:
            row = {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade)
                   for nb in sub.notebooks for g in nb.grades}
            row |= {f"comment:{c.name}": (c.auto_comment, c.manual_comment)
                    for nb in sub.notebooks for c in nb.comments}
            out[sub.student.id] = row
        return out


def autograde_proc(course: Path, pause_dir: Path, *args: str) -> subprocess.Popen:
    env = dict(os.environ, COURSE_AUTOGRADE_PAUSE_DIR=str(pause_dir),
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.Popen([sys.executable, "-m", "course_utils.grader.cli", "--course", str(course),
                             "autograde", A, "--jobs", "2", "--timeout", "8", *SANDBOX, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)


def wait_for(path: Path, proc: subprocess.Popen, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"course autograde ended before {path.name}:\n{proc.stdout.read()}")
        assert time.monotonic() < deadline, f"{path.name} not reached in {timeout} s"
        time.sleep(0.05)


def set_manual(cluster, db: str, student: str, cell: str, score=None, comment=None) -> None:
    """What the formgrader does for a TA: one UPDATE of a manual column, committed."""
    table, column, value = ("grade", "manual_score", score) if comment is None else \
        ("comment", "manual_comment", comment)
    with cluster.connect(db) as conn:
        rows = conn.execute(
            f"UPDATE {table} SET {column} = %s FROM submitted_notebook n, submitted_assignment a, "
            f"student s, base_cell c WHERE {table}.notebook_id = n.id AND n.assignment_id = a.id "
            f"AND a.student_id = s.id AND {table}.cell_id = c.id AND s.id = %s AND c.name = %s",
            (value, student, cell)).rowcount
        assert rows == 1


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The class graded on SQLite, the default."""
    course = graded_course(tmp_path_factory.mktemp("sqlite"), None)
    course_cmd(course, "autograde", A, "--jobs", "2", "--timeout", "8", *SANDBOX)
    return cell_grades(f"sqlite:///{course / 'gradebook.db'}")


def test_sqlite_and_postgres_give_identical_grades(pg_cluster, reference, tmp_path):  # noqa: F811
    """Every cell of every student scores the same on both; report and feedback read PostgreSQL;
    a sandboxed submission cannot reach the server (TCP or its unix socket)."""
    url = pg_cluster.create_database("same_class")
    sock = pg_cluster.socket_dir / f".s.PGSQL.{pg_cluster.port}"
    attacks = {"atk_tcp": f"import socket\nsocket.create_connection(('127.0.0.1', {pg_cluster.port}), timeout=3)",
               "atk_unix": f"import socket\nsocket.socket(socket.AF_UNIX).connect({str(sock)!r})"}
    course = graded_course(tmp_path, url, attacks)
    run = course_cmd(course, "autograde", A, "--jobs", "2", "--timeout", "8", *SANDBOX)
    assert not (course / "gradebook.db").exists()  # nothing went to a SQLite file by mistake
    graded = cell_grades(url)
    assert {s: graded[s] for s in KINDS} == reference, run.stdout
    assert {s: sum(v[0] for k, v in g.items() if not k.startswith("comment:"))
            for s, g in graded.items()} == {"s1": 3, "s2": 1, "s3": 0, "s4": 1, "s5": 0, "s6": 3,
                                            "atk_tcp": 3, "atk_unix": 3}
    for student in attacks:
        nb = json.loads((course / "autograded" / student / A / f"{A}.ipynb").read_text())
        text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
        assert "ATTACK-BLOCKED" in text and "ATTACK-SUCCEEDED" not in text, text[:500]
    course_cmd(course, "report", A)
    assert "s1,3.0" in (course / "reports" / A / "scores.csv").read_text()
    course_cmd(course, "feedback", A)
    assert "hidden mul check" not in html_text(course / "feedback" / "s2" / A / f"{A}.html")


def test_manual_grades_written_during_a_merge_survive(pg_cluster, reference, tmp_path):  # noqa: F811
    """A TA grading while `course autograde --jobs 2 --force` merges loses nothing: a manual score
    written after a job's snapshot (before its merge) and one written while the merge holds the
    student's rows both stay, next to the new automatic scores."""
    db = "team"
    url = pg_cluster.create_database(db)
    course = graded_course(tmp_path, url)
    course_cmd(course, "autograde", A, "--jobs", "2", "--timeout", "8", *SANDBOX)
    set_manual(pg_cluster, db, "s2", "test_add", score=0.5)  # graded before the rerun
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "s1.merge-begin").touch()
    (pause / "s3.merge-written").touch()
    proc = autograde_proc(course, pause, "--force")
    try:
        wait_for(pause / "s1.merge-begin.reached", proc)  # s1 graded on a snapshot without these
        set_manual(pg_cluster, db, "s1", "test_mul", score=1.5)
        set_manual(pg_cluster, db, "s1", "mul", comment="neat loop")
        (pause / "s1.merge-begin.go").touch()
        wait_for(pause / "s3.merge-written.reached", proc)  # s3's rows written, not committed
        ta = threading.Thread(target=set_manual, args=(pg_cluster, db, "s3", "test_mul"),
                              kwargs={"score": 1.0})
        ta.start()
        # The TA's UPDATE waits for the merge's row lock. Autocommit: PostgreSQL keeps one
        # snapshot of pg_stat_activity per transaction, so polling inside one transaction would
        # never see an UPDATE that started after the first poll (a clean-clone CI run failed so).
        with pg_cluster.connect(db, autocommit=True) as conn:
            deadline = time.monotonic() + 60
            while not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                   "'Lock' AND query LIKE 'UPDATE grade%'").fetchone()[0]:
                assert time.monotonic() < deadline and ta.is_alive(), "the TA's update did not wait"
                time.sleep(0.05)
        (pause / "s3.merge-written.go").touch()
        ta.join(60)
        assert not ta.is_alive()
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    graded = cell_grades(url)
    assert graded["s1"]["test_mul"] == (reference["s1"]["test_mul"][0], 1.5, True)
    assert graded["s1"]["comment:mul"] == (reference["s1"]["comment:mul"][0], "neat loop")
    assert graded["s2"]["test_add"] == (reference["s2"]["test_add"][0], 0.5, True)
    assert graded["s3"]["test_mul"][:2] == (reference["s3"]["test_mul"][0], 1.0)
    untouched = {(s, c) for s, c in (("s1", "test_mul"), ("s1", "comment:mul"), ("s2", "test_add"),
                                     ("s3", "test_mul"))}
    assert {(s, c): v[0] for s, g in graded.items() for c, v in g.items() if (s, c) not in untouched} \
        == {(s, c): v[0] for s, g in reference.items() for c, v in g.items() if (s, c) not in untouched}


def test_a_grader_killed_mid_merge_leaves_no_half_merged_student(pg_cluster, reference, tmp_path):  # noqa: F811
    """SIGKILL while a student's merge is written but not committed: that student is absent, every
    student present is complete, and the rerun grades the class as on SQLite."""
    db = "killed"
    url = pg_cluster.create_database(db)
    course = graded_course(tmp_path, url)
    pause = tmp_path / "pause"
    pause.mkdir()
    (pause / "s4.merge-written").touch()
    proc = autograde_proc(course, pause)
    try:
        wait_for(pause / "s4.merge-written.reached", proc)
        os.killpg(proc.pid, signal.SIGKILL)  # the grader, its job servers and kernels
        proc.wait(60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    with pg_cluster.connect(db) as conn:  # the dropped connection's transaction is rolled back
        deadline = time.monotonic() + 60
        while conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                           "pg_backend_pid()", (db,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed grader's session stayed open"
            time.sleep(0.05)
    half = cell_grades(url)
    assert "s4" not in half
    assert half, "no student was merged before the kill: the test proves nothing"
    for student, cells in half.items():  # complete: the same cells and automatic results
        assert cells == reference[student]
    course_cmd(course, "autograde", A, "--jobs", "2", "--timeout", "8", *SANDBOX)
    assert cell_grades(url) == reference
