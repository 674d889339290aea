"""Student mode and instructor mode of JupyterLab (course_utils.grader.lab, ``course lab``).

What each mode enables is read back through Jupyter's own loaders (the server's extension
config manager, JupyterLab's page config); then real servers are started with ``course lab`` on
127.0.0.1 with a token, queried with urllib and stopped by PID: a student's server has no
formgrader API and lists the exchange's assignments where an exchange exists; an instructor's
server, started with a PATH lacking this environment's bin, serves the formgrader's assignments.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from course_utils.grader import lab
from nbgrader_helpers import ASSIGNMENTS, RELEASE, make_course

NBGRADER = "nbgrader.server_extensions."
SERVER_EXTENSIONS = ("formgrader", "course_list", "assignment_list", "validate_assignment")
LAB_PLUGINS = ("formgrader", "course-list", "create-assignment", "assignment-list", "menu",
               "validate-assignment")
START_TIMEOUT = 180  # s; a server with nbgrader's extensions starts in 5-40 s on 2 busy cores
TOKEN = "course-lab-test-token"

# (mode, exchange) -> (nbgrader server extensions on, nbgrader lab plugins on)
EXPECTED = {
    ("student", False): ({"validate_assignment"}, {"validate-assignment"}),
    ("student", True): ({"validate_assignment", "assignment_list"},
                        {"validate-assignment", "assignment-list", "menu"}),
    ("instructor", False): ({"validate_assignment", "formgrader", "course_list"},
                            {"validate-assignment", "formgrader", "course-list",
                             "create-assignment", "menu"}),
    ("instructor", True): (set(SERVER_EXTENSIONS), set(LAB_PLUGINS)),
}


def enabled_extensions() -> tuple[set[str], set[str]]:
    """nbgrader's server extensions and lab plugins a server started now would enable."""
    from jupyter_server.extension.config import ExtensionConfigManager
    from jupyter_server.serverapp import ServerApp
    from jupyterlab_server.config import get_page_config

    found = ExtensionConfigManager(read_config_path=ServerApp().config_file_paths)
    server = {name.removeprefix(NBGRADER) for name, on in found.get_jpserver_extensions().items()
              if on and name.startswith(NBGRADER)}
    disabled = set(get_page_config([], None)["disabledExtensions"])
    plugins = {p for p in LAB_PLUGINS if f"@jupyter/nbgrader:{p}" not in disabled}
    return server, plugins


@pytest.mark.parametrize("mode,exchange", sorted(EXPECTED))
def test_each_mode_enables_exactly_its_extensions(monkeypatch, mode, exchange):
    """The layered config folders give each mode its nbgrader server extensions and lab plugins."""
    env = lab.lab_environment(mode, exchange, {"JUPYTER_CONFIG_PATH": "/elsewhere"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep)[-1] == "/elsewhere"  # kept, after ours
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", env["JUPYTER_CONFIG_PATH"])
    assert enabled_extensions() == EXPECTED[mode, exchange]


def test_without_the_course_config_everything_is_on(monkeypatch):
    """Control: the environment alone enables every nbgrader extension (what the modes change)."""
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    assert enabled_extensions() == (set(SERVER_EXTENSIONS), set(LAB_PLUGINS))


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError, match="unknown mode 'teacher': choose one of student, instructor"):
        lab.config_folders("teacher")


def test_config_folders_are_package_data():
    """Every layer the modes name exists and holds Jupyter's config files (shipped with the package)."""
    for folder in lab.config_folders("instructor", exchange=True):
        assert (folder / "labconfig" / "page_config.json").is_file(), folder
        assert list((folder / "jupyter_server_config.d").glob("*.json")), folder


def test_exchange_is_found_through_nbgrader_config(tmp_path, monkeypatch):
    """An exchange counts where nbgrader's config names one that exists (or another exchange class)."""
    monkeypatch.delenv("JUPYTER_CONFIG_PATH", raising=False)
    course = tmp_path / "course"
    course.mkdir()
    root = tmp_path / "exchange"
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(root)!r}\n")
    assert not lab.exchange_available(course)
    root.mkdir()
    assert lab.exchange_available(course)
    site = tmp_path / "site"  # nbgrader config in a folder of the Jupyter config path (as a hub's)
    site.mkdir()
    (site / "nbgrader_config.py").write_text(
        "c = get_config()\nc.ExchangeFactory.exchange = 'nbgrader.exchange.abc.Exchange'\n")
    root.rmdir()
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(site))
    assert lab.exchange_available(course)


def test_student_mode_needs_a_release(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text("")
    monkeypatch.setattr(lab.os, "execve", lambda *a: pytest.fail("started JupyterLab without notebooks/"))
    with pytest.raises(FileNotFoundError, match="no notebooks/ folder: run `course release` first"):
        lab.launch(tmp_path, "student")


# ---- real servers ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 60) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


@contextlib.contextmanager
def running_lab(course: Path, *lab_args: str, env: dict | None = None, log: Path):
    """``course lab ARGS`` on 127.0.0.1:<free port> with a token; yields (base url, token query).

    The server is the ``course`` process itself (it execs JupyterLab), stopped by its PID.
    """
    port = free_port()
    home = log.parent / f"{log.stem}-jupyter"  # the user's own Jupyter folders stay untouched
    env = dict(os.environ if env is None else env, JUPYTER_TOKEN=TOKEN,
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"))
    argv = [str(Path(sys.executable).parent / "course"), "--course", str(course), "lab",
            "--port", str(port), "--no-browser", *lab_args]
    if os.geteuid() == 0:
        argv.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"course lab exited ({proc.returncode}):\n"
                                     f"{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                if get(f"{base}/api/status?token={TOKEN}", timeout=5)[0] == 200:
                    break
            if time.monotonic() > deadline:
                raise AssertionError(f"no server on {base} after {START_TIMEOUT} s:\n"
                                     f"{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base, f"token={TOKEN}"
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def page_config(html: str) -> dict:
    """The page config JupyterLab's page gives its front end (the jupyter-config-data script)."""
    start = html.index(">", html.index('id="jupyter-config-data"')) + 1
    return json.loads(html[start:html.index("</script>", start)])


def course_with_release(tmp: Path) -> Path:
    course = make_course(tmp)
    shutil.copytree(RELEASE, course / "notebooks")
    return course


def check_student_with_exchange(tmp: Path) -> None:
    course = course_with_release(tmp)
    exchange = tmp / "exchange"
    outbound = exchange / "audio-dl" / "outbound" / "01_audio_basics"
    outbound.mkdir(parents=True)
    shutil.copy(RELEASE / "01_audio_basics" / "01_audio_basics.ipynb", outbound)
    site = tmp / "site"  # the site's nbgrader config, where a hub would put it
    site.mkdir()
    (site / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n"
        "c.CourseDirectory.course_id = 'audio-dl'\n")
    env = dict(os.environ, JUPYTER_CONFIG_PATH=str(site))
    with running_lab(course, "--student", env=env, log=tmp / "student.log") as (base, token):
        assert get(f"{base}/formgrader/api/assignments?{token}")[0] == 404
        assert get(f"{base}/formgraders?{token}")[0] == 404  # the course list's API
        status, body = get(f"{base}/assignments?course_id=audio-dl&{token}")
        assert status == 200, body[:500]
        listing = json.loads(body)
        assert listing["success"], listing
        assert [(a["assignment_id"], a["status"]) for a in listing["value"]] == [
            ("01_audio_basics", "released")]
        status, body = get(f"{base}/lab?{token}")
        assert status == 200
        disabled = set(page_config(body.decode())["disabledExtensions"])
        assert {f"@jupyter/nbgrader:{p}" for p in LAB_PLUGINS} - disabled == {
            "@jupyter/nbgrader:validate-assignment", "@jupyter/nbgrader:assignment-list",
            "@jupyter/nbgrader:menu"}
        contents = json.loads(get(f"{base}/api/contents?{token}")[1])
        assert sorted(item["name"] for item in contents["content"]) == ASSIGNMENTS  # notebooks/


def check_instructor_without_venv_on_path(tmp: Path) -> None:
    course = make_course(tmp)
    venv_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "/usr/bin:/bin").split(os.pathsep)
                           if p and Path(p).resolve() != Path(venv_bin).resolve())
    assert shutil.which("alembic", path=path) is None, "an alembic outside the venv would hide the bug"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "JUPYTER_CONFIG_PATH")}
    env["PATH"] = path
    with running_lab(course, env=env, log=tmp / "instructor.log") as (base, token):
        status, body = get(f"{base}/formgrader/api/assignments?{token}")
        assert status == 200, body[:500]
        assert sorted(a["name"] for a in json.loads(body)) == ASSIGNMENTS
        status, body = get(f"{base}/formgraders?{token}")
        assert status == 200 and json.loads(body)["success"], body[:500]
        assert get(f"{base}/assignments?{token}")[0] == 404  # no exchange here: no Assignment List
        assert (course / "gradebook.db").is_file()  # the formgrader works on this course


def test_real_servers_of_both_modes(tmp_path):
    """A student's and an instructor's server, started at once with ``course lab``, answer as they should."""
    (tmp_path / "student").mkdir()
    (tmp_path / "instructor").mkdir()
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(check_student_with_exchange, tmp_path / "student"),
                   pool.submit(check_instructor_without_venv_on_path, tmp_path / "instructor")]
        for future in futures:
            future.result()
