"""JupyterLab for the course in two modes: student (``make lab``) and instructor (``course lab``).

The modes are plain Jupyter configuration, layered folders of
``course_utils/grader/jupyter_config/`` put on ``JUPYTER_CONFIG_PATH`` (highest priority first),
so that any launcher (``make lab``, ``course lab``, JupyterHub's spawner, a container image) gives
the same server:

* ``student/`` -- the base of both modes. ``jupyter_server_config.d/course-student-mode.json``
  turns nbgrader's server extensions ``formgrader``, ``course_list`` and ``assignment_list`` off
  (``validate_assignment`` stays on); ``labconfig/page_config.json`` disables the lab plugins
  ``@jupyter/nbgrader:formgrader``, ``:course-list``, ``:create-assignment``, ``:assignment-list``
  and ``:menu``, so Validate is the one nbgrader button left. ``jupyter_server_config.py`` puts
  the folder of the server's own Python first on ``PATH``: nbgrader runs ``alembic`` by name
  (``nbgrader.api.get_alembic_version``), and a server started as ``.venv/bin/jupyter lab``
  without the venv on ``PATH`` failed every formgrader request with ``FileNotFoundError``.
* ``exchange/`` -- turns the Assignment List (server extension and lab plugin) and the Nbgrader
  menu back on. Add it only where nbgrader's exchange exists: the hub does; ``course lab`` does
  when :func:`exchange_available` finds one.
* ``instructor/`` -- turns formgrader, the Course List, Create Assignment and the menu back on.

The JSON files use the keys that ``jupyter server extension disable`` and
``jupyter labextension disable`` write, which Jupyter merges key by key across the config path,
so a layer changes only what it names. The user's own ``~/.jupyter`` keeps working (it comes
after these folders, and lab settings and workspaces are still written there).

Using it from another launcher (JupyterHub's spawner, a Dockerfile)::

    from course_utils.grader import lab
    c.Spawner.environment = {"JUPYTER_CONFIG_PATH": lab.jupyter_config_path("student", exchange=True)}
    # a shell or a Dockerfile: ENV JUPYTER_CONFIG_PATH=<the same string>

nbgrader itself (``c.Exchange.root``, ``c.CourseDirectory.course_id``) is configured as usual, in
an ``nbgrader_config.py`` in the server's working directory or in any folder of the Jupyter config
path. The formgrader reads the course from the ``nbgrader_config.py`` of the server's working
directory, so an instructor's server starts in the course directory (:func:`launch` does).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

__all__ = ["CONFIG_DIR", "MODES", "config_folders", "jupyter_config_path", "lab_environment",
           "exchange_available", "lab_argv", "launch"]

CONFIG_DIR = Path(__file__).with_name("jupyter_config")
MODES = ("student", "instructor")


def config_folders(mode: str, exchange: bool = False) -> list[Path]:
    """The config folders of a mode, highest priority first (the order of JUPYTER_CONFIG_PATH).

    Args:
        mode: ``"student"`` or ``"instructor"``.
        exchange: whether nbgrader's exchange is there (adds the Assignment List).

    Raises:
        ValueError: for another mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    layers = (["exchange"] if exchange else []) + (["instructor"] if mode == "instructor" else [])
    return [CONFIG_DIR / name for name in [*layers, "student"]]


def jupyter_config_path(mode: str, exchange: bool = False, inherited: str | None = None) -> str:
    """The value of JUPYTER_CONFIG_PATH for a mode, with ``inherited`` folders after ours."""
    parts = [str(p) for p in config_folders(mode, exchange)]
    if inherited:
        parts += [p for p in inherited.split(os.pathsep) if p and p not in parts]
    return os.pathsep.join(parts)


def lab_environment(mode: str, exchange: bool = False, env: dict | None = None) -> dict[str, str]:
    """A copy of ``env`` (default: os.environ) whose JUPYTER_CONFIG_PATH starts with the mode's."""
    env = dict(os.environ if env is None else env)
    env["JUPYTER_CONFIG_PATH"] = jupyter_config_path(mode, exchange, env.get("JUPYTER_CONFIG_PATH"))
    return env


def exchange_available(course: Path) -> bool:
    """Whether nbgrader, configured as it would be for a server started in ``course``, has an exchange.

    nbgrader's config is read the way its Assignment List reads it (``nbgrader_config.py`` in the
    working directory and in every folder of the Jupyter config path). True for a non-default
    exchange class (e.g. ngshare's) and for the default one when ``c.Exchange.root`` is a folder
    this user can list; on a laptop, where none exists, the Assignment List would only show
    "The exchange directory does not exist", so the mode leaves it out.
    """
    from nbgrader.apps import NbGrader
    from nbgrader.exchange import ExchangeFactory, default

    with contextlib.chdir(course):
        app = NbGrader()
        app.log.setLevel("ERROR")  # "No nbgrader_config.py file found" is an answer here
        app.load_config_file()
    config = app.config
    if ExchangeFactory(config=config).exchange is not default.Exchange:
        return True
    root = default.Exchange(config=config).root
    return os.path.isdir(root) and os.access(root, os.R_OK | os.X_OK)


def lab_argv(course: Path, mode: str, port: int | None = None, open_browser: bool = True,
             allow_root: bool = False) -> list[str]:
    """The JupyterLab command of a mode: students see notebooks/, instructors the course directory.

    JupyterLab runs from this Python (``-m jupyterlab``), so nothing depends on ``PATH``.
    """
    root = Path(course) / "notebooks" if mode == "student" else Path(course)
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={root}"]
    if port is not None:
        argv += [f"--port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    if allow_root:
        argv.append("--allow-root")
    return argv


def launch(course: Path, mode: str, port: int | None = None, open_browser: bool = True,
           allow_root: bool = False, exchange: bool | None = None) -> None:
    """Replace this process by JupyterLab in ``mode`` on ``course`` (its working directory).

    The process id stays the same, so whoever started ``course lab`` can stop the server by it.

    Args:
        course: the course directory (holding ``nbgrader_config.py``).
        mode: ``"student"`` or ``"instructor"``.
        port: the port (default: Jupyter's, 8888 or the next free one).
        open_browser: open a browser tab.
        allow_root: pass ``--allow-root`` (``make lab`` does only when run as root).
        exchange: show the Assignment List; None decides with :func:`exchange_available`.
    """
    course = Path(course).resolve()
    if mode == "student" and not (course / "notebooks").is_dir():
        raise FileNotFoundError(f"{course} has no notebooks/ folder: run `course release` first")
    if exchange is None:
        exchange = exchange_available(course)
    env = lab_environment(mode, exchange)
    argv = lab_argv(course, mode, port, open_browser, allow_root)
    os.chdir(course)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(argv[0], argv, env)
