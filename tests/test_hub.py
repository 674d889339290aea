"""The term's loop on a real class hub: release, fetch, submit, collect, grade, feedback.

``course hub start`` runs JupyterHub with configurable-http-proxy on loopback; one instructor and
two students are real system users (``hub_fixtures.class_hub``). Students fetch, submit and fetch
feedback through their own single-user servers (started by the hub, called with their own API
tokens); the instructor's steps run as the instructor's account; grading runs as root, as
``course autograde`` is meant to. Every isolation claim of docs/hub.md is tried by student B as
B's own account, and must fail.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from course_utils.grader.hub import read_roster
from hub_fixtures import BIN, COURSE_ID, class_hub  # noqa: F401 (class_hub is a fixture)
from nbgrader_helpers import SOLUTIONS, html_text

hub_test = pytest.mark.root(pytest.mark.hub)  # the tests that need a running hub

A_NB = "02_stft"


def home(user: str) -> Path:
    return Path(os.path.expanduser(f"~{user}"))


def put_notebook(hub, user: str, path: str, nb: dict) -> None:
    """Save a notebook through the user's own server (the contents API, as that user)."""
    token = hub.start_server(user)
    hub.api("PUT", f"/user/{user}/api/contents/{path}", {"type": "notebook", "format": "json",
                                                          "content": nb}, token=token)


@pytest.mark.parametrize("text, expected", [
    ("alice\n# a comment\n\nbob\nalice\n", ["alice", "bob"]),
    ("Student,ID,SIS User ID,SIS Login ID,Section\nDoe, Jane,123,u1,jdoe,A\n", None),
    ('Student,ID,SIS User ID,SIS Login ID,Section\n"Doe, Jane",123,u1,jdoe,A\n', ["jdoe"]),
    ("First name;Surname;Username;Email address\nJane;Doe;jdoe2;j@x.edu\n", ["jdoe2"]),
])
def test_read_roster_lines_and_lms_csv(tmp_path, text, expected):
    """Plain lists and LMS exports give the logins; a row that does not parse is refused."""
    path = tmp_path / "roster.csv"
    path.write_text(text)
    if expected is None:  # the unquoted "Doe, Jane" would shift the login column to "u1"
        with pytest.raises(ValueError, match=r"rows \[2\] do not have the header's 5 fields"):
            read_roster(path)
    else:
        assert read_roster(path) == expected


@pytest.mark.parametrize("text, message", [
    ("Name,Email\nJane,j@x.edu\n", "no login column in the header"),
    ("Jane Doe\n", "not valid Linux user names"),
    ("1student\n", "not valid Linux user names"),
])
def test_read_roster_refuses_what_it_cannot_use(tmp_path, text, message):
    """A roster without a login column, or with names that are not Linux logins, is refused."""
    path = tmp_path / "roster.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_roster(path)


class Steps:
    """Prints the seconds each step of the loop took (shown with -s, and on failure)."""

    def __init__(self):
        self.t0 = self.last = time.monotonic()

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        print(f"[{now - self.t0:6.1f} s] {name} ({now - self.last:.1f} s)", flush=True)
        self.last = now


def denied(proc: subprocess.CompletedProcess) -> bool:
    return proc.returncode != 0 and "Permission denied" in proc.stderr


def submissions(hub, student: str) -> list[Path]:
    return sorted((hub.exchange / "inbound" / student).glob(f"{student}+{A_NB}+*"))


@hub_test
def test_hub_start_is_healthy_and_answers_logins(class_hub):
    """The hub answers on loopback, knows the roster's accounts, and PAM takes their passwords."""
    hub = class_hub
    users = {u["name"]: u for u in hub.api("GET", "/hub/api/users")}
    assert set(users) >= {hub.instructor, *hub.students}
    assert users[hub.instructor]["admin"] and not any(users[s]["admin"] for s in hub.students)
    print(f"course hub start took {hub.start_seconds:.1f} s")
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    login = opener.open(f"{hub.url}/hub/login").read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', login).group(1)
    for password, ok in [("wrong-" + hub.passwords[hub.students[0]], False),
                         (hub.passwords[hub.students[0]], True)]:
        body = urllib.parse.urlencode({"username": hub.students[0], "password": password,
                                       "_xsrf": xsrf}).encode()
        try:
            page = opener.open(f"{hub.url}/hub/login?next=/hub/home", data=body)
            landed = page.geturl()
        except urllib.error.HTTPError as err:
            landed = f"HTTP {err.code}"
        assert ("/hub/login" not in landed and "HTTP" not in landed) == ok, (password[:6], landed)


@hub_test
def test_term_loop_release_to_feedback_with_isolation(class_hub):
    """Both students fetch, A's newest (late) submission gets full marks, B's blank 0; B cannot
    read, overwrite or forge A's work nor read the course's private files; feedback reaches each
    student only, with their own score."""
    hub = class_hub
    a, b = hub.students
    course = str(BIN / "course")
    step = Steps()

    for student in (a, b):  # the students' servers start while the instructor releases
        hub.spawn(student)
    # Instructor: generate the release and put it in the exchange.
    hub.instructor_run(course, "release", A_NB)
    hub.instructor_run(str(BIN / "nbgrader"), "release_assignment", A_NB)

    step("released")
    # Both students fetch through their own servers.
    for student in (a, b):
        listing = hub.nbgrader_api(student, "fetch", A_NB)
        assert listing["success"], listing
        fetched = home(student) / A_NB / f"{A_NB}.ipynb"
        assert fetched.is_file() and fetched.stat().st_uid == int(
            subprocess.check_output(["id", "-u", student]).decode())

    step("fetched (servers started)")
    # B submits the untouched notebook; A too (a first try, to be superseded).
    for student in (b, a):
        assert hub.nbgrader_api(student, "submit", A_NB)["success"]
    first_a = submissions(hub, a)
    assert len(first_a) == 1 and len(submissions(hub, b)) == 1

    step("first submissions")
    # The deadline passes now; A then fills in the correct answers and submits again, late.
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}", COURSE_ID) as gb:
        gb.update_or_create_assignment(A_NB, duedate=datetime.datetime.now(datetime.timezone.utc)
                                       .replace(tzinfo=None))  # nbgrader stores naive UTC
    time.sleep(1.5)
    put_notebook(hub, a, f"{A_NB}/{A_NB}.ipynb", json.loads((SOLUTIONS / A_NB / f"{A_NB}.ipynb").read_text()))
    assert hub.nbgrader_api(a, "submit", A_NB)["success"]
    newest_a = [p for p in submissions(hub, a) if p not in first_a]
    assert len(newest_a) == 1

    step("A's late submission")
    # --- B attacks, as B's own account ---
    inbound = hub.exchange / "inbound"
    b_nb = str(home(b) / A_NB / f"{A_NB}.ipynb")
    attempts = {
        "list the inbound": hub.run_as(b, "ls", str(inbound), check=False),
        "list A's inbound": hub.run_as(b, "ls", str(inbound / a), check=False),
        "read A's submission": hub.run_as(b, "cat", str(newest_a[0] / f"{A_NB}.ipynb"), check=False),
        "overwrite A's submission": hub.run_as(b, "cp", b_nb, str(newest_a[0] / f"{A_NB}.ipynb"),
                                               check=False),
        "add a folder named for A": hub.run_as(
            b, "mkdir", str(inbound / f"{a}+{A_NB}+2099-01-01 00:00:00.000000 UTC"), check=False),
        "read A's home (nbgrader cache, secrets)": hub.run_as(b, "ls", str(home(a)), check=False),
        "list the course": hub.run_as(b, "ls", str(hub.course), check=False),
        "read solutions/": hub.run_as(b, "cat", str(hub.course / "solutions" / A_NB / f"{A_NB}.ipynb"),
                                      check=False),
        "read the gradebook": hub.run_as(b, "cat", str(hub.course / "gradebook.db"), check=False),
    }
    allowed = {what: p.stdout[:200] for what, p in attempts.items() if not denied(p)}
    assert not allowed, f"B was not stopped (or not by the file system): {allowed}"
    as_a = hub.run_as(b, str(BIN / "nbgrader"), "submit", A_NB, "--student", a, check=False)
    assert as_a.returncode != 0 and f"only submit as yourself ({b})" in as_a.stderr, as_a.stderr[-500:]
    # B's own folder is B's: a forged submission named for A inside it must not count for A.
    forged = inbound / b / f"{a}+{A_NB}+2099-01-01 00:00:00.000000 UTC+forged"
    hub.run_as(b, "cp", "-r", str(submissions(hub, b)[0]), str(forged))

    step("B's attempts")
    # Instructor collects; the forged folder is skipped, A's newest submission taken.
    collected = hub.instructor_run(str(BIN / "nbgrader"), "collect", A_NB)
    assert f"named for {a} inside {b}'s folder" in collected.stderr, collected.stderr[-2000:]
    stamp = (hub.course / "submitted" / a / A_NB / "timestamp.txt").read_text()
    assert stamp == (newest_a[0] / "timestamp.txt").read_text()

    step("collected")
    # Root grades, sandboxed, two at a time.
    # (PATH as in an activated environment: nbgrader runs `alembic` by name.)
    graded = subprocess.run([course, "--course", str(hub.course), "autograde", A_NB, "--jobs", "2"],
                            capture_output=True, text=True, timeout=600,
                            env=dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}"))
    assert graded.returncode == 0, graded.stdout[-3000:] + graded.stderr[-3000:]
    with Gradebook(f"sqlite:///{hub.course / 'gradebook.db'}", COURSE_ID) as gb:
        max_score = gb.find_assignment(A_NB).max_score
        sub_a, sub_b = gb.find_submission(A_NB, a), gb.find_submission(A_NB, b)
        scores = {a: sub_a.score, b: sub_b.score}
        late = {a: sub_a.total_seconds_late, b: sub_b.total_seconds_late}
    assert max_score == 20 and scores == {a: 20, b: 0}, scores
    assert late[a] > 0 and late[b] == 0, late

    step("graded")
    # Feedback: generated and released by the instructor, fetched by each student.
    hub.instructor_run(course, "feedback", A_NB)
    hub.instructor_run(str(BIN / "nbgrader"), "release_feedback", A_NB)
    assert denied(hub.run_as(b, "ls", str(hub.exchange / "feedback"), check=False))
    for student, score in [(a, 20), (b, 0)]:
        assert hub.nbgrader_api(student, "fetch_feedback", A_NB)["success"]
        pages = sorted((home(student) / A_NB / "feedback").glob(f"*/{A_NB}.html"))
        assert len(pages) == 1, f"{student} got feedback {pages}"  # one: their graded submission
        text = html_text(pages[0])
        found = re.search(rf"{A_NB} \(Score: ([\d.]+) / ([\d.]+)\)", text)
        assert found and float(found.group(1)) == score and float(found.group(2)) == 20, found
    step("feedback fetched")
    # B asking for A's feedback by name gets nothing of A's.
    hub.run_as(b, str(BIN / "nbgrader"), "fetch_feedback", A_NB, "--student", a, check=False)
    assert len(list((home(b) / A_NB / "feedback").glob(f"*/{A_NB}.html"))) == 1
    step("done")


def test_stop_never_kills_root_or_unknown_accounts():
    """`course hub stop` ends leftover processes of the class's accounts only: root and accounts
    that do not exist are never touched (this test process, run as root, survives)."""
    from course_utils.grader.processes import end_processes_of

    assert end_processes_of(["root", "no-such-user-xyz"], grace=0) == []
