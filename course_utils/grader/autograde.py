"""``course autograde``: grade every submission of an assignment, N at a time, losing nothing.

Design (nbgrader does the grading; this module only schedules it):

* Each student is graded by its own ``nbgrader autograde A --student S`` process in a private job
  directory (a copy of the course config, a private SQLite gradebook holding the course's
  definitions and that student's rows, and that student's submission), so that no grading process
  ever opens the course's database (``c.CourseDirectory.db_url``: SQLite or PostgreSQL).
* Finished jobs are merged one at a time, in this process, into the course's gradebook through
  nbgrader's API, one transaction per student (automatic scores and comments only: manual grades
  are never touched); see ``course_utils.grader.gradebook``. Their autograded notebooks are then
  copied into ``autograded/``.
* A ledger (``.course_autograde/<assignment>/<student>.json``) records each merged student with a
  hash of the submission: an interrupted run resumes where it stopped, and a finished one is not
  redone unless ``--force`` or the submission changed. Merging twice overwrites, never duplicates.
* A submission that cannot be graded as it is (invalid JSON, a wrong notebook format, a missing
  notebook, or a grader crash) is graded as the untouched release in its place (0 points) and the
  reason is recorded, so every student ends with a grade and a reason.
* Student code runs under ``course_utils.grader.grading.RobustExecute`` (dead kernels and hung cells cost
  the cell, not the grade) in ``course_utils.grader.sandbox`` (no network, hidden course files, resource
  limits, an unprivileged uid when run as root).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .gradebook import course_db_url, job_gradebook, make_template, merge_submission, open_gradebook
from .jobserver import JobServer
from .preparation import (autograde_preprocessors, check_notebook, grading_env, hash_dir, prefill_data,
                          release_notebooks, students_of, submission_time)
from .sandbox import FIRST_JOB_UID, grader_config, kernel_cache_seed, kill_uid, warm_caches
from .warmkernel import Zygote

__all__ = ["GradeResult", "autograde", "check_notebook", "merge_submission", "students_of"]

LEDGER = ".course_autograde"
RELEASE_COPY = "course-release-copy"  # the pseudo-student whose submission is the untouched release


@dataclass
class GradeResult:
    """The outcome of grading one student's submission."""

    student: str
    score: float = 0.0
    max_score: float = 0.0
    status: str = "graded"  # graded | replaced | skipped | failed
    reason: str = ""
    events: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Grader:
    def __init__(self, course: Path, assignment: str, timeout: int, sandbox: bool,
                 job_timeout: int, memory_mb: int, warm_kernels: bool = True):
        self.course, self.assignment = course.resolve(), assignment
        self.timeout, self.sandbox, self.job_timeout = timeout, sandbox, job_timeout
        self.memory_mb = memory_mb
        self.root = Path(tempfile.mkdtemp(prefix="course-autograde-"))
        os.chmod(self.root, 0o711)
        self.db_lock, self.release_lock, self.server_lock = threading.Lock(), threading.Lock(), threading.Lock()
        self.job_uids, self.servers = {}, [JobServer(env=grading_env())]  # imports while we set up
        self.release_graded: tuple[Path, bool, str] | None = None
        try:
            self._setup(warm_kernels)
        except BaseException:
            self.close()
            raise

    def _setup(self, warm_kernels: bool) -> None:
        course, assignment, sandbox = self.course, self.assignment, self.sandbox
        self.config = (course / "nbgrader_config.py").read_text()
        self.preprocessors = autograde_preprocessors(self.course)
        self.expected = [nb.name for nb in release_notebooks(self.course, assignment)]
        self.cache_seed = None
        if sandbox:  # the shared cache if we may write it, else one for this run only
            self.cache_seed = warm_caches(kernel_cache_seed()) or warm_caches(self.root / "seed")
        self.zygote = None  # the kernel zygote of course_utils.grader.warmkernel; cold kernels without
        if sandbox and warm_kernels:  # it warms up while the data and the template are prepared
            env = grading_env()
            if self.cache_seed:
                env.update(NUMBA_CACHE_DIR=str(self.cache_seed / "numba"), MPLCONFIGDIR=str(self.cache_seed / "mpl"))
            self.zygote = Zygote(self.root / "zygote", env, wait=False)
        problems = prefill_data(self.course, assignment)
        if problems:  # every kernel would fail the same way: stop before grading anyone
            raise RuntimeError("Cannot prepare the data of the notebooks, nobody was graded: "
                               + "; ".join(problems))
        from sqlalchemy import create_engine

        self.db_url = course_db_url(self.course)
        self.engine = create_engine(self.db_url)
        self.template = make_template(self.engine, self.root / "template.db")
        if self.zygote and not self.zygote.ready():
            print("course autograde: the warm kernel zygote did not start; using cold kernels",
                  file=sys.stderr)
            self.zygote = None

    @property
    def warm_socket(self) -> str:
        return self.zygote.socket if self.zygote and self.zygote.alive() else ""

    def _graded_job(self, student: str, index: int, replace: tuple[str, ...] = ()) -> tuple[Path, bool, str]:
        """Prepare and run one job; once more if the zygote or the job server died under it
        (not the student's fault)."""
        generation, servers = self.zygote.generation if self.zygote else 0, len(self.servers)
        job = self._prepare(student, index, replace)
        ok, log = self._run(job, student)
        if not ok and (len(self.servers) != servers or self.zygote and self.zygote.revive(generation)):
            job = self._prepare(student, index, replace)
            ok, log = self._run(job, student)
        return job, ok, log

    def _prepare(self, student: str, index: int, replace: tuple[str, ...] = ()) -> Path:
        job = self.root / (f"job-{index:04d}" if index >= 0 else "release-copy")
        if job.exists():
            shutil.rmtree(job)
        job.mkdir(mode=0o711)
        overrides = [f"c.Autograde.autograde_preprocessors = {self.preprocessors!r}",
                     f"c.RobustExecute.timeout = {self.timeout}",
                     "c.RobustExecute.interrupt_on_timeout = False",
                     "c.CourseDirectory.root = " + repr(str(job)),
                     "c.CourseDirectory.db_url = " + repr(f"sqlite:///{job / 'gradebook.db'}")]
        if self.sandbox:
            self.job_uids[job] = FIRST_JOB_UID + index % 3000
            overrides.append(grader_config(self.course, self.root, job, self.job_uids[job],
                                           self.memory_mb, self.cache_seed, self.warm_socket))
        (job / "nbgrader_config.py").write_text(self.config + "\n\n# course autograde job\n"
                                                 + "\n".join(overrides) + "\n")
        with self.db_lock:  # this student's rows as they are, never while a merge writes them
            job_gradebook(self.template, self.engine, self.assignment, student, job / "gradebook.db")
        sub = job / "submitted" / student / self.assignment
        if index >= 0:
            shutil.copytree(self.course / "submitted" / student / self.assignment, sub)
        else:
            sub.mkdir(parents=True)
        for name in replace:  # grade the untouched release in place of an unusable notebook
            (sub / name).unlink(missing_ok=True)
            shutil.copy(self.course / "notebooks" / self.assignment / name, sub / name)
        return job

    def grade(self, student: str, index: int) -> GradeResult:
        start = time.perf_counter()
        result = GradeResult(student)
        submitted = self.course / "submitted" / student / self.assignment
        expected = self.expected
        problems = {name: check_notebook(submitted / name) for name in expected}
        problems = {name: why for name, why in problems.items() if why}
        reason, source = "; ".join(problems.values()), None
        if len(problems) < len(expected):
            job, ok, log = self._graded_job(student, index, replace=tuple(problems))
            if not ok:
                reason = "; ".join([*problems.values(), f"the grader failed on this submission: {log}"])
        if len(problems) == len(expected) or not ok:  # nothing of the student's is left to run
            (job, ok, log), source = self._release_copy(), RELEASE_COPY
        if not ok:
            result.status, result.reason = "failed", f"{reason} / {log}".strip(" /")
            result.seconds = time.perf_counter() - start
            return result
        result.status = "replaced" if reason else "graded"
        result.reason = (reason + " (graded as the untouched release: 0 points for it)") if reason else ""
        for nb in sorted((job / "autograded" / (source or student) / self.assignment).glob("*.ipynb")):
            meta = json.loads(nb.read_text()).get("metadata", {}).get("course_autograde", {})
            result.events += [f"{nb.stem}: {e}" for e in meta.get("events", [])]
        result.job, result.source = job, source
        result.seconds = time.perf_counter() - start
        return result

    def _release_copy(self) -> tuple[Path, bool, str]:
        """The untouched release, graded once per run and shared by every submission that has
        nothing gradable left (0 points, like a blank notebook, without running it again)."""
        with self.release_lock:
            if self.release_graded is None:
                self.release_graded = self._graded_job(RELEASE_COPY, -1, replace=tuple(self.expected))
            return self.release_graded

    def _run(self, job: Path, student: str) -> tuple[bool, str]:
        argv = ["autograde", self.assignment, "--student", student, "--force"]
        log = job / "autograde.log"
        server = self.servers[-1]  # one fork server for all workers, nbgrader imported once
        try:
            code = server.run(str(job), argv, str(log), self.job_timeout)
        except (RuntimeError, OSError, ValueError) as err:  # the server itself failed
            with self.server_lock:  # the next job gets a new server
                if server is self.servers[-1]:
                    self.servers.append(JobServer(env=grading_env()))
            return False, f"grading process failed: {err}"
        if code is None:
            if job in self.job_uids and os.geteuid() == 0:  # its kernel too, not only nbgrader
                kill_uid(self.job_uids[job])
            return False, f"grading took longer than {self.job_timeout} s"
        text = log.read_text(errors="replace") if log.is_file() else ""
        done = (job / "autograded" / student / self.assignment).is_dir()
        if code == 0 and done:
            return True, ""
        errors = [ln for ln in text.splitlines() if "ERROR" in ln]
        return False, (errors[0] if errors else text.strip()[-300:] or f"exit code {code}").strip()

    def close(self) -> None:
        for server in self.servers:  # all told to stop first, then waited for
            server.close(wait=False)
        if getattr(self, "zygote", None):
            self.zygote.stop()
        for server in self.servers:
            server.close()
        if hasattr(self, "engine"):
            self.engine.dispose()
        shutil.rmtree(self.root, ignore_errors=True)

    def merge(self, result: GradeResult, digest: str) -> None:
        job, source = result.__dict__.pop("job"), result.__dict__.pop("source", None)
        submitted = self.course / "submitted" / result.student / self.assignment
        with self.db_lock:
            result.score = merge_submission(job / "gradebook.db", self.db_url,
                                            self.assignment, result.student, source,
                                            submission_time(submitted) if source else None)
            dest = self.course / "autograded" / result.student / self.assignment
            if dest.exists():
                shutil.rmtree(dest)
            shutil.copytree(job / "autograded" / (source or result.student) / self.assignment, dest)
            ledger = self.course / LEDGER / self.assignment
            ledger.mkdir(parents=True, exist_ok=True)
            tmp = ledger / f".{result.student}.json.tmp"
            tmp.write_text(json.dumps(asdict(result) | {"submission_sha256": digest}, indent=1))
            os.replace(tmp, ledger / f"{result.student}.json")  # atomic: merged, then recorded
        if not source:  # the shared release copy stays for the next one
            shutil.rmtree(job, ignore_errors=True)


def _max_score(course: Path, assignment: str) -> float:
    from nbgrader.api import MissingEntry

    with open_gradebook(course) as gb:
        try:
            return float(gb.find_assignment(assignment).max_score)
        except MissingEntry:
            raise ValueError(f"{assignment} is not in the gradebook: release it first "
                             f"(course release {assignment}).") from None


def autograde(course: Path, assignment: str, jobs: int = 1, students: list[str] | None = None,
              force: bool = False, timeout: int = 300, sandbox: bool = True,
              job_timeout: int = 3600, memory_mb: int = 6144,
              progress: bool = True, warm_kernels: bool = True) -> list[GradeResult]:
    """Grade the submissions of ``assignment`` in ``course``, ``jobs`` at a time.

    Args:
        course: the nbgrader course directory (holding ``nbgrader_config.py``; its gradebook is
            ``c.CourseDirectory.db_url``, by default ``gradebook.db`` there).
        assignment: assignment name, e.g. ``"02_stft"``; it must have been released.
        jobs: parallel grading processes.
        students: only these students (default: every one with a submission).
        force: regrade students already graded with an unchanged submission.
        timeout: seconds per cell before it is stopped.
        sandbox: run student code in ``course_utils.grader.sandbox`` (needs ``unshare``).
        job_timeout: seconds for one student's whole notebook set.
        memory_mb: address-space limit of a sandboxed kernel, in MB.
        progress: show a tqdm progress bar.
        warm_kernels: fork sandboxed kernels from a preloaded zygote
            (``course_utils.grader.warmkernel``) instead of starting each one cold.

    Returns:
        One :class:`GradeResult` per student, sorted by student.
    """
    from tqdm.auto import tqdm

    course = Path(course).resolve()
    max_score = _max_score(course, assignment)
    if sandbox:
        from .sandbox import available

        ok, why = available()
        if not ok:
            raise RuntimeError(f"Cannot sandbox student code: {why}. Install util-linux, or "
                               "pass --no-sandbox to grade without isolation (trusted code only).")
    everyone = students_of(course, assignment)
    unknown = sorted(set(students or []) - set(everyone))
    if unknown:
        raise ValueError(f"No submission of {assignment} for: {', '.join(unknown)}")
    todo, results = [], {}
    for s in students or everyone:
        digest = hash_dir(course / "submitted" / s / assignment)
        entry = course / LEDGER / assignment / f"{s}.json"
        if entry.is_file() and not force:
            done = json.loads(entry.read_text())
            if done.get("submission_sha256") == digest:
                done.pop("submission_sha256")
                results[s] = GradeResult(**done) if "status" in done else GradeResult(s)
                results[s].status = "skipped" if results[s].status != "failed" else "failed"
                continue
        todo.append((s, digest))
    grader = _Grader(course, assignment, timeout, sandbox, job_timeout, memory_mb, warm_kernels)
    try:
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
                tqdm(total=len(todo), desc=f"autograde {assignment}", unit="student",
                     disable=not progress) as bar:
            futures = {pool.submit(grader.grade, s, i): (s, d) for i, (s, d) in enumerate(todo)}
            for fut in as_completed(futures):
                student, digest = futures[fut]
                try:
                    res = fut.result()
                except Exception as err:  # never let one student stop the class
                    res = GradeResult(student, status="failed", reason=f"{type(err).__name__}: {err}")
                if res.status != "failed":
                    grader.merge(res, digest)
                results[student] = res
                bar.update(1)
    finally:
        grader.close()
    out = [results[s] for s in sorted(results)]
    for r in out:
        r.max_score = max_score
    return out


def summary_table(results: list[GradeResult]) -> str:
    """A plain-text table of the results."""
    lines = [f"{'student':<20} {'score':>7} {'max':>6}  {'status':<9} {'time (s)':>8}  reason / events",
             "-" * 90]
    for r in results:
        note = "; ".join(([r.reason] if r.reason else []) + r.events)
        lines.append(f"{r.student:<20} {r.score:7.2f} {r.max_score:6.1f}  {r.status:<9} "
                     f"{r.seconds:8.1f}  {note[:120]}")
    return "\n".join(lines)
