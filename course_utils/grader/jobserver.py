"""A small fork server for grading jobs: nbgrader is imported once, each student gets a fresh child.

Starting ``nbgrader autograde`` costs about 2.5 s of CPU per student before any student code runs
(interpreter start-up and imports). ``course autograde`` instead keeps one server process per run
(``python -m course_utils.grader.jobserver``): it imports nbgrader once and, for every job it is
sent, forks a child that runs ``nbgrader ARGV`` in the job's directory with its output in a log
file. Jobs run concurrently (one child each; the server only forks and reaps). The server is
single-threaded, so forking it is safe; each child is a separate process, so a job that crashes or
hangs costs only itself (the caller kills it after its time limit).

Protocol (one line of JSON per job on the server's stdin): ``[id, job_dir, argv, log_file]``;
the server answers ``pid ID N`` when the child starts and ``exit ID CODE`` when it has ended.
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import traceback

from .processes import die_with_parent

__all__ = ["JobServer"]


def _child(job: str, argv: list[str], log: str, server: int) -> int:
    if not die_with_parent(server):  # a job nobody waits for must not go on grading alone
        return 1
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


def _warm_up() -> None:
    """What every job would otherwise do first: the kernel spec lookup's imports (IPython,
    ipykernel) and compiling nbformat's JSON schema validators (kept in a module-level cache)."""
    import ipykernel.kernelspec  # noqa: F401
    import IPython  # noqa: F401
    import nbformat.validator
    from nbformat import v4

    for minor in sorted({4, v4.nbformat_minor}):  # what JupyterLab and classic Notebook write
        for relax in (False, True):  # nbconvert validates both ways
            nbformat.validator.get_validator(version=4, version_minor=minor, relax_add_props=relax)


def serve() -> None:
    """The server loop (``python -m course_utils.grader.jobserver``); exits when stdin closes."""
    report = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)  # stray prints never reach the protocol
    import nbgrader.apps.nbgraderapp  # noqa: F401 (the point of the server: imported once)
    import nbgrader.preprocessors  # noqa: F401

    from . import grading, sandbox  # noqa: F401

    _warm_up()

    wake_r, wake_w = os.pipe()  # SIGCHLD wakes select() through this pipe
    os.set_blocking(wake_w, False)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.set_wakeup_fd(wake_w)
    children: dict[int, str] = {}  # pid -> job id
    server = os.getpid()
    pending, stdin_open = b"", True
    while stdin_open or children:
        ready, _, _ = select.select([wake_r] + ([0] if stdin_open else []), [], [])
        if wake_r in ready:
            os.read(wake_r, 4096)
        while children:  # reap every ended child
            pid, status = os.waitpid(-1, os.WNOHANG)
            if not pid:
                break
            report.write(f"exit {children.pop(pid)} {os.waitstatus_to_exitcode(status)}\n")
        if 0 not in ready:
            continue
        data = os.read(0, 65536)
        stdin_open, pending = bool(data), pending + data
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            ident, job, argv, log = json.loads(line)
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_r), os.close(wake_w), report.close()
                os._exit(_child(job, argv, log, server))
            children[pid] = ident
            report.write(f"pid {ident} {pid}\n")


class JobServer:
    """The caller's side: one server process, shared by the grading threads.

    A reader thread hands each answer to the thread that sent the job. If the server dies, every
    job waiting on it fails with ``RuntimeError`` (and so do later ones: start a new server).
    """

    def __init__(self, env: dict[str, str] | None = None) -> None:
        """Start the server with ``env`` (default: this process's environment) for every job."""
        self.proc = subprocess.Popen([sys.executable, "-m", "course_utils.grader.jobserver"], env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=False)
        self.lock, self.next_id, self.answers, self.alive = threading.Lock(), 0, {}, True
        self.changed = threading.Condition(self.lock)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for raw in self.proc.stdout:
            kind, ident, value = raw.decode().split()
            with self.changed:
                self.answers.setdefault(int(ident), {})[kind] = int(value)
                self.changed.notify_all()
        with self.changed:
            self.alive = False
            self.changed.notify_all()

    def _wait(self, ident: int, kind: str, timeout: float) -> int | None:
        with self.changed:
            self.changed.wait_for(lambda: kind in self.answers[ident] or not self.alive, timeout)
            if kind in self.answers[ident]:
                return self.answers[ident][kind]
            if not self.alive:
                raise RuntimeError("the grading job server stopped unexpectedly")
            return None

    def run(self, job: str, argv: list[str], log: str, timeout: float) -> int | None:
        """Run ``nbgrader ARGV`` in ``job``; its exit code, or None if it ran out of time (killed)."""
        with self.changed:
            if not self.alive:
                raise RuntimeError("the grading job server stopped unexpectedly")
            ident, self.next_id = self.next_id, self.next_id + 1
            self.answers[ident] = {}
            self.proc.stdin.write((json.dumps([ident, job, argv, log]) + "\n").encode())
            self.proc.stdin.flush()
        try:
            pid = self._wait(ident, "pid", 120)
            if pid is None:
                raise RuntimeError("the grading job server did not start the job within 120 s")
            code = self._wait(ident, "exit", timeout)
            if code is None:
                os.kill(pid, signal.SIGKILL)
                self._wait(ident, "exit", 120)
            return code
        finally:
            with self.lock:
                self.answers.pop(ident, None)

    def close(self, wait: bool = True) -> None:
        """Let the server finish its running jobs and exit (with ``wait``, until it has)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:  # already gone
                pass
            if wait:
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


if __name__ == "__main__":
    serve()
    sys.stdout.flush()
    os._exit(0)  # skip the interpreter's teardown of everything nbgrader imported
