"""A small fork server for grading jobs: nbgrader is imported once, each student gets a fresh child.

Starting ``nbgrader autograde`` costs about 2.5 s of CPU per student before any student code runs
(interpreter start-up and imports). ``course autograde`` instead keeps one server process per
worker (``python -m course_utils.grader.jobserver``): it imports nbgrader once and, for every job it is
sent, forks a child that runs ``nbgrader ARGV`` in the job's directory with its output in a log
file. The server is single-threaded, so forking it is safe; the child is a separate process, so a
job that crashes or hangs costs only itself (the caller kills it after its time limit).

Protocol (one line of JSON per job on the server's stdin): ``[job_dir, argv, log_file]``;
the server answers ``pid N`` when the child starts and ``exit CODE`` when it has ended.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import traceback

__all__ = ["JobServer"]


def _child(job: str, argv: list[str], log: str) -> int:
    os.chdir(job)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd), os.close(null)
    code = 1
    try:
        from nbgrader.apps.nbgraderapp import NbGraderApp

        NbGraderApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except BaseException:  # noqa: BLE001 (reported in the log, the exit code says it failed)
        traceback.print_exc()
    finally:
        sys.stdout.flush(), sys.stderr.flush()
    return code


def serve() -> None:
    """The server loop (``python -m course_utils.grader.jobserver``)."""
    report = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # stray prints never reach the protocol
    import nbgrader.apps.nbgraderapp  # noqa: F401 (the point of the server: imported once)
    import nbgrader.preprocessors  # noqa: F401

    from . import grading  # noqa: F401

    for line in sys.stdin:
        job, argv, log = json.loads(line)
        pid = os.fork()
        if pid == 0:
            report.close()
            os._exit(_child(job, argv, log))
        report.write(f"pid {pid}\n")
        _, status = os.waitpid(pid, 0)
        report.write(f"exit {os.waitstatus_to_exitcode(status)}\n")


class JobServer:
    """The caller's side: one server process, used by one thread at a time."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Start the server with ``env`` (default: this process's environment) for every job."""
        self.proc = subprocess.Popen([sys.executable, "-m", "course_utils.grader.jobserver"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False)
        self.buffer = b""

    def _line(self, deadline: float) -> str | None:
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buffer:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                return None
            data = os.read(fd, 4096)
            if not data:
                raise RuntimeError("the grading job server stopped unexpectedly")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def run(self, job: str, argv: list[str], log: str, timeout: float) -> int | None:
        """Run ``nbgrader ARGV`` in ``job``; its exit code, or None if it ran out of time (killed)."""
        self.proc.stdin.write((json.dumps([job, argv, log]) + "\n").encode())
        self.proc.stdin.flush()
        pid = int(self._line(time.monotonic() + 120).split()[1])
        line = self._line(time.monotonic() + timeout)
        if line is None:
            os.kill(pid, signal.SIGKILL)
            self._line(time.monotonic() + 120)
            return None
        return int(line.split()[1])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


if __name__ == "__main__":
    serve()
