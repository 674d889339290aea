"""``course hub``: a JupyterHub for one class on one Linux server (run as root).

    course hub start [--roster FILE] [--instructor NAME] [--port 8000] [--ip 127.0.0.1]
    course hub status
    course hub stop

``start`` makes the class's system accounts and folders, writes a traitlets
``jupyterhub_config.py`` into the state folder (default ``/var/lib/course-hub/<course_id>``,
never committed) and starts JupyterHub (configurable-http-proxy, PAM logins, JupyterHub's
``LocalProcessSpawner``, this environment's Python as every user's kernel) in the background.
What it sets up and why (accounts and groups, the course directory closed to students, the
exchange with one private inbound folder per student, student and instructor modes of the
servers from ``course_utils.grader.lab``): ``docs/hub.md``.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .processes import end_processes_of, running, terminate

__all__ = ["HubPaths", "course_id_of", "exchange_config", "inbound_folder", "prepare", "read_roster",
           "start", "status", "stop"]

PRIVATE = ["solutions", ".git", "gradebook.db", "submitted", "autograded", "feedback", "reports",
           ".course_autograde", "source", "release"]
# Columns of an LMS roster export that hold the login, in the order they are preferred (Canvas:
# "SIS Login ID"; Moodle: "Username"; a hand-made file: "login", "username", "id", "student_id").
ROSTER_COLUMNS = ["login", "login_id", "sis login id", "username", "user", "student_id", "id"]
NAME = re.compile(r"[a-z_][a-z0-9_-]{0,31}")


def inbound_folder(root: str, course_id: str, student: str) -> str:
    """The private inbound folder of ``student``: ``ROOT/COURSE/inbound/STUDENT``."""
    return os.path.join(root, course_id, "inbound", student)


def exchange_config(root: str, course_id: str) -> str:
    """nbgrader config lines that select ``course_utils.grader.exchange`` at ``root``."""
    lines = [f"c.CourseDirectory.course_id = {course_id!r}", f"c.Exchange.root = {root!r}",
             "c.Exchange.path_includes_course = False"]
    for verb, cls in [("release_assignment", "ReleaseAssignment"), ("fetch_assignment", "FetchAssignment"),
                      ("submit", "Submit"), ("collect", "Collect"), ("list", "List"),
                      ("release_feedback", "ReleaseFeedback"), ("fetch_feedback", "FetchFeedback")]:
        lines.append(f"c.ExchangeFactory.{verb} = 'course_utils.grader.exchange.{cls}'")
    return "\n".join(lines) + "\n"


class HubPaths:
    """Where one class's hub keeps its state: ``hub/`` (root only), ``exchange/`` and Jupyter config."""

    def __init__(self, state: Path):
        self.state = Path(state)
        self.hub = self.state / "hub"
        self.exchange = self.state / "exchange"
        self.nbgrader_config = self.state / "jupyter"
        self.config = self.hub / "jupyterhub_config.py"
        self.pid = self.hub / "jupyterhub.pid"
        self.log = self.hub / "jupyterhub.log"
        self.token = self.hub / "api_token"
        self.url_file = self.hub / "url"
        self.users = self.hub / "users"  # the class's logins, whose processes `stop` ends

    @classmethod
    def default(cls, course_id: str) -> "HubPaths":
        return cls(Path("/var/lib/course-hub") / course_id)


def course_id_of(course: Path) -> str:
    """``CourseDirectory.course_id`` from the course's ``nbgrader_config.py``."""
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    course_id = cfg.CourseDirectory.get("course_id", "")
    if not course_id:
        raise ValueError(f"{course}/nbgrader_config.py sets no c.CourseDirectory.course_id")
    return course_id


def read_roster(path: Path) -> list[str]:
    """Student logins from a roster: one per line, or a CSV with a header naming a login column.

    Accepted columns (case-insensitive, the first present wins): ``ROSTER_COLUMNS``. Blank lines
    and lines starting with ``#`` are skipped; logins must be valid Linux user names.
    """
    text = Path(path).read_text(encoding="utf-8-sig")
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if lines and any(d in lines[0] for d in ",;\t"):
        delimiter = max(",;\t", key=lines[0].count)
        rows = list(csv.DictReader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        uneven = [i + 2 for i, row in enumerate(rows) if None in row or None in row.values()]
        if uneven:
            raise ValueError(f"roster {path}: rows {uneven[:5]} do not have the header's "
                             f"{len(rows[0]) - (None in rows[0])} fields (a comma in an unquoted name?)")
        header = {h.strip().lower(): h for h in rows[0]} if rows else {}
        column = next((header[c] for c in ROSTER_COLUMNS if c in header), None)
        if column is None:
            raise ValueError(f"roster {path}: no login column in the header {list(header)}; "
                             f"name one of {ROSTER_COLUMNS}")
        names = [row[column].strip() for row in rows if (row[column] or "").strip()]
    else:
        names = [ln.strip() for ln in lines]
    bad = [n for n in names if not NAME.fullmatch(n)]
    if bad:
        raise ValueError(f"roster {path}: not valid Linux user names (lowercase letters, digits, "
                         f"_ and -, at most 32, not starting with a digit): {bad[:5]}")
    return list(dict.fromkeys(names))


def _run(*cmd: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed: {proc.stderr.strip()}")


def _ensure_group(name: str) -> None:
    if subprocess.run(["getent", "group", name], capture_output=True).returncode:
        _run("groupadd", name)


def _ensure_user(name: str, group: str) -> None:
    if subprocess.run(["getent", "passwd", name], capture_output=True).returncode:
        _run("useradd", "--create-home", "--user-group", "--shell", "/bin/bash", name)
    _run("usermod", "--append", "--groups", group, name)
    home = Path(os.path.expanduser(f"~{name}"))
    if home.is_dir():
        home.chmod(0o700)


def _own(path: Path, user: str, group: str, mode: int | None = None) -> None:
    shutil.chown(path, user, group)
    if mode is not None:
        path.chmod(mode)


def _lock_course(course: Path, instructor: str, group: str) -> None:
    """The instructor owns the course; others may pass through it but not list it or read PRIVATE."""
    gradebook = course / "gradebook.db"
    if not gradebook.exists():  # an empty file is an empty SQLite database: nbgrader fills it,
        gradebook.touch(mode=0o660)  # and the mode set here (not the umask's 0644) stays
    for folder in ("submitted", "autograded", "feedback", "reports", ".course_autograde"):
        (course / folder).mkdir(exist_ok=True)
    env = {".venv", "node_modules"}  # the environment stays as installed (usable by everyone)
    ids = _ids(instructor, group)
    for root, dirs, files in os.walk(course):
        dirs[:] = [d for d in dirs if not (Path(root) == course and d in env)]
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), *ids)
    _own(course, instructor, group, 0o2751)
    for name in PRIVATE:
        path = course / name
        if path.exists():
            _run("chmod", "-R", "u+rwX,g+rwX,o-rwx", str(path))
            if path.is_dir():
                _run("find", str(path), "-type", "d", "-exec", "chmod", "g+s", "{}", "+")


def _ids(user: str, group: str) -> tuple[int, int]:
    import grp
    import pwd

    return pwd.getpwnam(user).pw_uid, grp.getgrnam(group).gr_gid


def _make_exchange(paths: HubPaths, course_id: str, instructor: str, group: str,
                   students: list[str]) -> None:
    """Exchange root (root's, 0755), the course's folder (the instructor's), private inbound folders."""
    paths.exchange.mkdir(parents=True, exist_ok=True)
    paths.exchange.chmod(0o755)
    course_root = paths.exchange / course_id
    course_root.mkdir(exist_ok=True)
    _own(course_root, instructor, group, 0o755)
    inbound = course_root / "inbound"
    inbound.mkdir(exist_ok=True)
    _own(inbound, instructor, group, 0o2751)
    for student in students:
        folder = Path(inbound_folder(str(paths.exchange), course_id, student))
        folder.mkdir(exist_ok=True)
        _own(folder, student, group, 0o2770)


def _write_nbgrader_config(folder: Path, course_id: str, exchange: Path) -> None:
    """The exchange settings, in a folder put first on the servers' JUPYTER_CONFIG_PATH."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o755)
    path = folder / "nbgrader_config.py"
    path.write_text("# Written by `course hub start`: the class's exchange (course_utils.grader.exchange).\n"
                    "c = get_config()  # noqa: F821\n" + exchange_config(str(exchange), course_id))
    path.chmod(0o644)


def config_path(paths: HubPaths, mode: str) -> str:
    """JUPYTER_CONFIG_PATH of a student's or the instructor's server: the exchange, then the mode."""
    from .lab import jupyter_config_path

    return os.pathsep.join([str(paths.nbgrader_config), jupyter_config_path(mode, exchange=True)])


def environment_paths() -> list[Path]:
    """What every account's server needs to reach: the interpreter, the venv, the course package."""
    here = Path(__file__).resolve().parents[1]
    return [Path(os.path.realpath(sys.executable)), Path(sys.prefix), Path(sys.base_prefix), here]


def closed_ancestors(paths: list[Path]) -> list[Path]:
    """Directories on the way to ``paths`` that other accounts may not pass through (no o+x)."""
    closed = []
    for path in paths:
        for folder in [*reversed(Path(path).resolve().parents), Path(path).resolve()]:
            if folder.is_dir() and not folder.stat().st_mode & 0o001 and folder not in closed:
                closed.append(folder)
    return closed


def _proxy_command() -> str:
    here = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "configurable-http-proxy"
    found = shutil.which("configurable-http-proxy") or (str(here) if here.exists() else None)
    if not found:
        raise RuntimeError("configurable-http-proxy not found on PATH nor in node_modules/: "
                           "run `make system-deps` (npm ci) in the course repository")
    return found


HUB_CONFIG = '''\
"""JupyterHub for {course_id}, written by `course hub start` (regenerated at every start)."""
c = get_config()  # noqa: F821

c.JupyterHub.ip = {ip!r}
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.JupyterHub.db_url = "sqlite:///{hub}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{hub}/jupyterhub_cookie_secret"
c.JupyterHub.pid_file = "{hub}/jupyterhub.pid"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{api_port}"
c.ConfigurableHTTPProxy.pid_file = "{hub}/proxy.pid"

# Logins: the system accounts of the roster and the instructor, checked by PAM.
c.JupyterHub.authenticator_class = "pam"
c.PAMAuthenticator.open_sessions = False
c.Authenticator.allowed_users = set({users!r})
c.Authenticator.admin_users = {{{instructor!r}}}
# A token for the instructor's scripts (and the tests): manage users, servers and tokens.
c.JupyterHub.services = [{{"name": "course-admin", "api_token": open("{hub}/api_token").read().strip()}}]
c.JupyterHub.load_roles = [{{"name": "course-admin", "services": ["course-admin"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "access:servers",
                                       "list:users", "read:users"]}}]

# Every user's server: this course environment, as the user's own system account.
c.JupyterHub.spawner_class = "localprocess"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.notebook_dir = "~"
c.Spawner.environment = {{"PATH": {path!r}, "JUPYTER_CONFIG_PATH": {student_config!r}}}


def _per_role(spawner):
    """The instructor opens the course directory with the Formgrader; students their home."""
    if spawner.user.name in {instructors!r}:
        spawner.notebook_dir = {course!r}
        spawner.environment = dict(spawner.environment, JUPYTER_CONFIG_PATH={instructor_config!r})


c.Spawner.pre_spawn_hook = _per_role
'''


def prepare(course: Path, instructor: str, students: list[str], paths: HubPaths,
            prefix: str | None = None) -> str:
    """Accounts, groups, course permissions, exchange and Jupyter config; returns the course id."""
    course_id = course_id_of(course)
    prefix = prefix or course_id
    instructors, learners = f"{prefix}-instructors", f"{prefix}-students"
    for bad in [n for n in [instructor, *students] if not NAME.fullmatch(n)]:
        raise ValueError(f"{bad!r} is not a valid Linux user name")
    if instructor in students:
        raise ValueError(f"{instructor} is both the instructor and on the roster")
    _ensure_group(instructors)
    _ensure_group(learners)
    _ensure_user(instructor, instructors)
    for student in students:
        _ensure_user(student, learners)
    _lock_course(course, instructor, instructors)
    paths.state.mkdir(parents=True, exist_ok=True)
    paths.state.chmod(0o755)
    _make_exchange(paths, course_id, instructor, instructors, students)
    _write_nbgrader_config(paths.nbgrader_config, course_id, paths.exchange)
    return course_id


def start(course: Path, instructor: str, students: list[str], paths: HubPaths | None = None,
          port: int = 8000, ip: str = "127.0.0.1", prefix: str | None = None,
          timeout: float = 60) -> str:
    """Prepare the class and start JupyterHub in the background; returns its URL once healthy."""
    if os.geteuid() != 0:
        raise RuntimeError("course hub start must run as root (it creates accounts and spawns "
                           "servers as them): use sudo")
    course = Path(course).resolve()
    paths = paths or HubPaths.default(course_id_of(course))
    if _alive(paths):
        raise RuntimeError(f"a hub of this class is already running (pid file {paths.pid}): "
                           "`course hub stop` first")
    closed = closed_ancestors(environment_paths())
    if closed:
        raise RuntimeError(
            "other accounts cannot reach this course environment (its Python, venv or package): "
            f"{', '.join(map(str, closed))} lack o+x. Allow passing through them (chmod o+x DIR: "
            "nothing becomes listable) or install the environment under /opt or /srv.")
    course_id = prepare(course, instructor, students, paths, prefix)
    paths.hub.mkdir(parents=True, exist_ok=True)
    paths.hub.chmod(0o700)
    if not paths.token.exists():
        paths.token.write_text(os.urandom(32).hex())
        paths.token.chmod(0o600)
    paths.users.write_text("\n".join(sorted([instructor, *students])) + "\n")
    bindir = str(Path(sys.executable).parent)
    paths.config.write_text(HUB_CONFIG.format(
        course_id=course_id, ip=ip, port=int(port), api_port=int(port) + 1, hub_port=int(port) + 2,
        hub=paths.hub, proxy=_proxy_command(),
        users=sorted([instructor, *students]), instructor=instructor, instructors=[instructor],
        singleuser=os.path.join(bindir, "jupyterhub-singleuser"), course=str(course),
        path=f"{bindir}:/usr/local/bin:/usr/bin:/bin", student_config=config_path(paths, "student"),
        instructor_config=config_path(paths, "instructor")))
    env = dict(os.environ, PATH=f"{bindir}:{os.environ.get('PATH', '/usr/bin:/bin')}")
    with open(paths.log, "ab") as log:
        proc = subprocess.Popen([os.path.join(bindir, "jupyterhub"), "-f", str(paths.config)],
                                cwd=paths.hub, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    url = f"http://{ip}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterHub exited ({proc.returncode}); end of {paths.log}:\n"
                               + paths.log.read_text(errors="replace")[-3000:])
        try:
            with urllib.request.urlopen(f"{url}/hub/health", timeout=2) as r:
                if r.status == 200:
                    paths.pid.write_text(str(proc.pid))  # JupyterHub writes it too; ours is first
                    paths.url_file.write_text(url)
                    return url
        except OSError:
            pass
        time.sleep(0.2)
    terminate(proc.pid)
    raise RuntimeError(f"JupyterHub did not answer at {url}/hub/health within {timeout:.0f} s; "
                       f"see {paths.log}")


def _alive(paths: HubPaths) -> int | None:
    try:
        pid = int(paths.pid.read_text())
    except (OSError, ValueError):
        return None
    return pid if running(pid) else None


def stop(paths: HubPaths) -> list[str] | None:
    """Stop the hub, its proxy and the users' servers; None when no hub was running, else the
    processes of the class's accounts that were still running afterwards and had to be killed."""
    pid = _alive(paths)
    if pid is None:
        return None
    terminate(pid)
    proxy = paths.hub / "proxy.pid"
    if proxy.exists():  # JupyterHub stops the proxy it started; make sure it did
        try:
            terminate(int(proxy.read_text()), grace=5)
        except ValueError:
            pass
        proxy.unlink(missing_ok=True)
    paths.pid.unlink(missing_ok=True)
    # JupyterHub stops every server on its way out, but a server it had to give up on (a slow
    # shutdown, the hub killed after its grace) or a kernel orphaned by it would live on.
    users = paths.users.read_text().split() if paths.users.exists() else []
    return end_processes_of(users)


def status(paths: HubPaths) -> str:
    """One line: running (pid, URL) or not, and the Jupyter config path for instructors' shells."""
    pid = _alive(paths)
    if pid is None:
        return f"no hub running (state {paths.state})"
    url = paths.url_file.read_text() if paths.url_file.exists() else "?"
    return (f"hub running, pid {pid}, {url}; in an instructor's shell: "
            f"export JUPYTER_CONFIG_PATH={config_path(paths, 'instructor')}")
