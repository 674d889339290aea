"""A real class hub for the tests: ``course hub start`` on loopback with throwaway system users.

Imported by ``tests/test_hub.py`` and ``tests/test_browser_hub.py`` (``from hub_fixtures import
class_hub``). The fixture creates one instructor and two students with unique random names and
passwords, a temporary course (the config and the solutions) under ``/tmp``, starts the hub
with the real command, and in its teardown stops it and removes the accounts, their homes, the
two groups and the folder, whatever happened in between. Where the parts are missing (not root,
not Linux, no ``runuser``, no configurable-http-proxy) it skips with the reason.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nbgrader_helpers import ROOT, SOLUTIONS

BIN = Path(sys.executable).parent
COURSE_ID = "audio-dl"  # nbgrader_config.py's


@dataclass
class Hub:
    url: str
    token: str  # the hub's course-admin service token (root only)
    course: Path
    state: Path
    instructor: str
    students: list[str]
    passwords: dict[str, str]
    groups: str
    start_seconds: float
    user_tokens: dict[str, str] = field(default_factory=dict)

    @property
    def exchange(self) -> Path:
        return self.state / "exchange" / COURSE_ID

    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None,
            timeout: float = 60):
        """A JSON request to the hub (``/hub/api/...``) or a user's server (``/user/...``)."""
        req = urllib.request.Request(f"{self.url}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token or self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
        return json.loads(text) if text else None

    def spawn(self, user: str) -> None:
        """Ask the hub to start ``user``'s single-user server (returns at once)."""
        try:
            self.api("POST", f"/hub/api/users/{user}/server")
        except urllib.error.HTTPError as err:
            if err.code != 400:  # 400: already running or starting
                raise

    def start_server(self, user: str, timeout: float = 180) -> str:
        """Start ``user``'s single-user server through the hub; returns a token of that user."""
        self.spawn(user)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"/hub/api/users/{user}")["servers"].get("")
            if server and server.get("ready"):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"{user}'s server not ready after {timeout} s; see "
                                 f"{self.state}/hub/jupyterhub.log")
        if user not in self.user_tokens:
            self.user_tokens[user] = self.api("POST", f"/hub/api/users/{user}/tokens",
                                              {"expires_in": 3600, "note": "course hub test"})["token"]
        return self.user_tokens[user]

    def nbgrader_api(self, user: str, action: str, assignment: str):
        """POST ``/user/USER/assignments/ACTION`` on the user's own server, with the user's token."""
        token = self.start_server(user)
        query = f"assignment_id={assignment}&course_id={COURSE_ID}"
        return self.api("POST", f"/user/{user}/assignments/{action}?{query}", token=token, timeout=180)

    def run_as(self, user: str, *cmd: str, cwd: Path | None = None, check: bool = True,
               timeout: float = 600, instructor: bool = False) -> subprocess.CompletedProcess:
        """Run ``cmd`` as ``user`` (runuser), with the environment the hub gives that user."""
        from course_utils.grader.hub import HubPaths, config_path

        config = config_path(HubPaths(self.state), "instructor" if instructor else "student")
        env = ["env", "-i", f"HOME={os.path.expanduser('~' + user)}", f"USER={user}",
               f"PATH={BIN}:/usr/bin:/bin", f"JUPYTER_CONFIG_PATH={config}", "LANG=C.UTF-8"]
        proc = subprocess.run(["runuser", "-u", user, "--", *env, *cmd], capture_output=True,
                              text=True, cwd=cwd or os.path.expanduser("~" + user), timeout=timeout)
        if check and proc.returncode:
            raise AssertionError(f"{' '.join(cmd)} as {user} failed ({proc.returncode}):\n"
                                 f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return proc

    def instructor_run(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        return self.run_as(self.instructor, *cmd, cwd=self.course, instructor=True, **kw)


def _skip_unless_possible() -> None:
    if sys.platform != "linux" or os.geteuid() != 0:
        pytest.skip("needs root on Linux (creates system users; the hub spawns servers as them)")
    for tool in ("runuser", "useradd", "userdel", "chpasswd"):
        if not shutil.which(tool):
            pytest.skip(f"needs {tool} (util-linux / passwd)")
    proxy = ROOT / "node_modules" / ".bin" / "configurable-http-proxy"
    if not (shutil.which("configurable-http-proxy") or proxy.exists()):
        pytest.skip("configurable-http-proxy missing: run `make system-deps` (npm ci)")


def _running_of(user: str) -> str:
    """The user's processes that still run (pid, state, command), zombies left out: a zombie has
    ended and holds nothing but its pid until its parent (here PID 1) reaps it."""
    ps = subprocess.run(["ps", "-o", "pid=,stat=,args=", "-u", user], capture_output=True, text=True)
    return "; ".join(ln.strip() for ln in ps.stdout.splitlines() if ln.split()[1:2] and "Z" not in ln.split()[1])


def _free_port(span: int = 3) -> int:
    """A base port with ``span`` consecutive free ports on loopback (hub, proxy API, hub API)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + span > 65535:
            continue
        try:
            for port in range(base, base + span):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free ports on 127.0.0.1")


def _remove_accounts(users: list[str], groups: list[str]) -> None:
    for user in users:
        subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)  # that test user only
        subprocess.run(["userdel", "--remove", user], capture_output=True)
    for group in groups:
        subprocess.run(["groupdel", group], capture_output=True)


OPENED = Path("/tmp/course-hub-tests-opened.json")  # shared by the hubs of parallel test workers


def _open_environment(delta: int) -> None:
    """Let other accounts pass through the folders closed on the way to this environment (a Python
    under /root is; o+x makes nothing listable) while any hub test runs, and restore their modes
    when the last one ends. Counted under a lock: test files run in parallel workers."""
    from course_utils.grader.hub import closed_ancestors, environment_paths

    with open("/tmp/course-hub-tests.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        state = json.loads(OPENED.read_text()) if OPENED.exists() else {"users": 0, "modes": {}}
        if delta > 0 and state["users"] == 0:
            state["modes"] = {str(d): d.stat().st_mode & 0o7777
                              for d in closed_ancestors(environment_paths())}
            for folder, mode in state["modes"].items():
                os.chmod(folder, mode | 0o001)
        state["users"] = max(0, state["users"] + delta)
        if state["users"] == 0:
            for folder, mode in state["modes"].items():
                os.chmod(folder, mode)
            OPENED.unlink(missing_ok=True)
        else:
            OPENED.write_text(json.dumps(state))


@pytest.fixture(scope="module")
def class_hub():
    """A running hub with one instructor and two students (all throwaway), stopped afterwards."""
    _skip_unless_possible()
    tag = secrets.token_hex(3)
    instructor, students = f"hti{tag}", [f"hta{tag}", f"htb{tag}"]
    groups = f"ht{tag}"
    passwords = {u: secrets.token_urlsafe(12) for u in [instructor, *students]}
    top = Path(tempfile.mkdtemp(prefix="course-hub-test-", dir="/tmp"))
    top.chmod(0o755)
    started = None
    _open_environment(+1)
    try:
        course = top / "course"
        course.mkdir()
        shutil.copy(ROOT / "nbgrader_config.py", course)
        shutil.copytree(SOLUTIONS, course / "solutions",
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        roster = top / "roster.csv"  # an LMS-style export: header, a login column, other columns
        roster.write_text("Student,SIS Login ID,Section\n"
                          + "".join(f"Student {s},{s},A\n" for s in students))
        state = top / "state"
        port = _free_port()
        t0 = time.monotonic()
        proc = subprocess.run([str(BIN / "course"), "--course", str(course), "hub", "start",
                               "--roster", str(roster), "--instructor", instructor,
                               "--port", str(port), "--state", str(state), "--groups", groups],
                              capture_output=True, text=True, timeout=240)
        start_seconds = time.monotonic() - t0
        started = state
        assert proc.returncode == 0, f"course hub start failed:\n{proc.stdout}\n{proc.stderr}"
        subprocess.run(["chpasswd"], input="".join(f"{u}:{p}\n" for u, p in passwords.items()),
                       text=True, check=True)
        yield Hub(url=f"http://127.0.0.1:{port}", token=(state / "hub" / "api_token").read_text().strip(),
                  course=course, state=state, instructor=instructor, students=students,
                  passwords=passwords, groups=groups, start_seconds=start_seconds)
    finally:
        left = []
        if started is not None:
            stop = subprocess.run([str(BIN / "course"), "--course", str(top / "course"), "hub", "stop",
                                   "--state", str(started)], capture_output=True, text=True, timeout=120)
            left = [f"`course hub stop`: {stop.stdout.strip()} {stop.stderr.strip()}"] if stop.returncode else []
            print(f"course hub stop: {stop.stdout.strip()}")  # names any process it had to kill
            left += [f"{u}'s processes: {ps}" for u in [instructor, *students] if (ps := _running_of(u))]
            for what, at in [("hub (proxy)", port), ("proxy API", port + 1), ("hub API", port + 2)]:
                with socket.socket() as sock:
                    if sock.connect_ex(("127.0.0.1", at)) == 0:
                        left.append(f"the {what} still answers on port {at}")
        _remove_accounts([instructor, *students], [f"{groups}-instructors", f"{groups}-students"])
        _open_environment(-1)
        shutil.rmtree(top, ignore_errors=True)
    # `course hub stop` stops the hub, its proxy and every user's server (checked after cleanup).
    assert not left, f"left after `course hub stop`: {left}"
