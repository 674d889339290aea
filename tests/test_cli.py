"""The ``course`` command works however it is started, without its environment on PATH."""

from __future__ import annotations

import shutil
import subprocess
import sys

from nbgrader.api import Gradebook

from toy_course import make_course


def test_course_autograde_without_the_venv_on_path(tmp_path):
    """nbgrader's gradebook runs `alembic` by name, also in course autograde's own process:
    `course` puts its environment's bin first on PATH."""
    course = make_course(tmp_path)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def course_cmd(*args):
        proc = subprocess.run([sys.executable, "-m", "course_utils.grader.cli", "--course", str(course),
                               *args], capture_output=True, text=True, timeout=600, env=env)
        assert proc.returncode == 0, f"course {' '.join(args)} failed without the venv on PATH:\n" \
                                     f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"

    course_cmd("release", "90_toy")
    (course / "submitted" / "alice" / "90_toy").mkdir(parents=True)
    shutil.copy(course / "solutions" / "90_toy" / "90_toy.ipynb", course / "submitted" / "alice" / "90_toy")
    course_cmd("autograde", "90_toy", "--no-sandbox")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission("90_toy", "alice").score == 3
