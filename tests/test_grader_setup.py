"""What `course autograde` sets up once per run: the shared job server and the job gradebook template.

The job server (course_utils.grader.jobserver) runs every worker's jobs at once, each in its own
forked child; a job that runs out of time is killed without stopping the others, and a server
that dies fails its jobs clearly and takes them with it. The template (gradebook.make_template)
is nbgrader's schema with the course's alembic revision, written without nbgrader's
`alembic heads` subprocess.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from course_utils.grader.jobserver import JobServer

# Each job's nbgrader_config.py is Python nbgrader runs when it loads its configuration: these
# make a job wait for another one, or hang. `nbgrader validate none.ipynb` loads the
# configuration, finds nothing to validate and exits 0.
MEET = """
from pathlib import Path
import time
Path("started").touch()
deadline = time.monotonic() + 60
while not Path("../{other}/started").exists():
    if time.monotonic() > deadline:
        raise SystemExit("the other job never started: jobs do not run at once")
    time.sleep(0.05)
"""
VALIDATE = ["validate", "none.ipynb"]


def _job(tmp: Path, name: str, config: str = "") -> str:
    job = tmp / name
    job.mkdir()
    (job / "nbgrader_config.py").write_text(config)
    return str(job)


def _processes_in(folder: str) -> list[int]:
    """Processes whose working directory is ``folder``."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and os.readlink(proc / "cwd") == folder:
                pids.append(int(proc.name))
        except OSError:
            pass
    return pids


def _gone(folder: str, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while _processes_in(folder) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _processes_in(folder)


@pytest.fixture
def server():
    srv = JobServer()
    yield srv
    srv.proc.kill()
    srv.proc.wait()


def test_jobs_of_several_workers_run_at_once(server, tmp_path):
    """Each job waits until the other has started: one at a time, neither would end."""
    jobs = {"a": _job(tmp_path, "a", MEET.format(other="b")), "b": _job(tmp_path, "b", MEET.format(other="a"))}
    codes = {}

    def run(name):
        codes[name] = server.run(jobs[name], VALIDATE, str(tmp_path / f"{name}.log"), 120)

    threads = [threading.Thread(target=run, args=(n,)) for n in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(150)
    assert codes == {"a": 0, "b": 0}, [(tmp_path / f"{n}.log").read_text() for n in jobs]


def test_exit_codes_and_logs_are_each_jobs_own(server, tmp_path):
    ok = server.run(_job(tmp_path, "ok"), VALIDATE, str(tmp_path / "ok.log"), 120)
    failed = server.run(_job(tmp_path, "bad", "raise SystemExit(7)"), VALIDATE, str(tmp_path / "bad.log"), 120)
    assert (ok, failed) == (0, 7)


def test_a_job_out_of_time_is_killed_and_the_server_goes_on(server, tmp_path):
    hung = _job(tmp_path, "hung", "import time\ntime.sleep(600)")
    assert server.run(hung, VALIDATE, str(tmp_path / "hung.log"), 2) is None
    assert _gone(hung), f"the timed-out job still runs: {_processes_in(hung)}"
    assert server.run(_job(tmp_path, "next"), VALIDATE, str(tmp_path / "next.log"), 120) == 0


def test_a_dead_server_fails_its_jobs_and_takes_them_with_it(server, tmp_path):
    hung = _job(tmp_path, "hung", "from pathlib import Path\nPath('started').touch()\n"
                                  "import time\ntime.sleep(600)")
    errors = []

    def run():
        try:
            server.run(hung, VALIDATE, str(tmp_path / "hung.log"), 300)
        except RuntimeError as err:
            errors.append(str(err))

    waiting = threading.Thread(target=run)
    waiting.start()
    deadline = time.monotonic() + 60
    while not (Path(hung) / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (Path(hung) / "started").exists(), "the job never started"
    os.kill(server.proc.pid, signal.SIGKILL)
    waiting.join(60)
    assert errors == ["the grading job server stopped unexpectedly"]
    assert _gone(hung), f"the dead server's job still runs: {_processes_in(hung)}"
    with pytest.raises(RuntimeError, match="stopped unexpectedly"):
        server.run(_job(tmp_path, "later"), VALIDATE, str(tmp_path / "later.log"), 120)


def test_template_has_the_course_definitions_and_revision_without_alembic(tmp_path, monkeypatch):
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine, text

    from course_utils.grader.gradebook import make_template

    bin_dir = str(Path(sys.executable).parent)  # nbgrader runs `alembic` by name for a new gradebook
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    course = tmp_path / "course.db"
    with Gradebook(f"sqlite:///{course}", course_id="audio-dl") as gb:
        gb.add_assignment("01_audio_basics")
        gb.add_student("ada")
    monkeypatch.setenv("PATH", "/nonexistent")  # so no `alembic` can run now
    source = create_engine(f"sqlite:///{course}")
    template = make_template(source, tmp_path / "template.db")
    query = "SELECT version_num FROM alembic_version"
    with source.connect() as a, create_engine(f"sqlite:///{template}").connect() as b:
        assert b.execute(text(query)).all() == a.execute(text(query)).all() != []
        assert b.execute(text("SELECT id FROM course")).all() == [("audio-dl",)]
        assert b.execute(text("SELECT name FROM assignment")).all() == [("01_audio_basics",)]
        assert b.execute(text("SELECT id FROM student")).all() == []  # definitions only
    with Gradebook(f"sqlite:///{template}", course_id="audio-dl") as gb:  # opens as nbgrader's own
        assert [a.name for a in gb.assignments] == ["01_audio_basics"]


def test_template_refuses_a_gradebook_without_revision(tmp_path):
    from nbgrader.api import Base
    from sqlalchemy import create_engine

    from course_utils.grader.gradebook import make_template

    source = create_engine(f"sqlite:///{tmp_path / 'bare.db'}")
    Base.metadata.create_all(source)
    with pytest.raises(RuntimeError, match="no alembic_version"):
        make_template(source, tmp_path / "template.db")
