"""pyproject.toml and environment.yml pin the same versions; the environment is the promised one."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pins(lines):
    pins = {}
    for line in lines:
        m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s;#]+)", line)
        if m:
            pins[m.group(1).lower().replace("_", "-")] = m.group(2)
    return pins


def pyproject_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    deps = project["dependencies"] + [d for extra in project["optional-dependencies"].values()
                                      for d in extra]
    return _pins(deps), deps


def environment_pins():
    lines = [re.sub(r"^\s*-\s*", "", ln) for ln in (ROOT / "environment.yml").read_text().splitlines()
             if not ln.strip().startswith("#")]
    return _pins(lines), lines


def test_every_dependency_is_pinned():
    pins, deps = pyproject_pins()
    assert len(pins) == len(deps), f"unpinned dependencies: {[d for d in deps if '==' not in d]}"


def test_pyproject_and_environment_agree():
    py, _ = pyproject_pins()
    env, lines = environment_pins()
    assert py == env, {k: (py.get(k), env.get(k)) for k in set(py) | set(env) if py.get(k) != env.get(k)}
    assert any(re.fullmatch(r"python=3\.11", ln.strip()) for ln in lines)


def test_torch_pinned_and_no_torchaudio():
    py, _ = pyproject_pins()
    assert py["torch"] == "2.13.0"
    assert "torchaudio" not in py
    assert not any(d.metadata["Name"].lower() == "torchaudio" for d in metadata.distributions())


def test_running_environment_matches_pins():
    """The environment running the tests is the pinned one (catches a stale .venv)."""
    assert sys.version_info[:2] == (3, 11)
    py, _ = pyproject_pins()
    installed = {d.metadata["Name"].lower().replace("_", "-"): d.version for d in metadata.distributions()}
    wrong = {name: (version, installed.get(name)) for name, version in py.items()
             if installed.get(name, "").split("+")[0] != version}
    assert not wrong, f"installed versions differ from the pins (pinned, installed): {wrong}"


def test_no_shipped_file_is_git_ignored():
    """A package file that .gitignore hides exists in the working tree but never reaches a clone.

    (It happened: an unanchored ``exchange/`` rule hid course_utils/grader/jupyter_config/exchange/,
    so the lab's exchange layer was missing in every clean clone while all tests passed here.)
    """
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an sdist or an installed copy): nothing to compare")
    out = subprocess.run(
        ["git", "ls-files", "--others", "--ignored", "--exclude-standard", "--",
         "course_utils", "data", "solutions", "notebooks", "tests", "site", "deploy", "docs"],
        cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    generated = ("__pycache__/", ".egg-info/", ".ipynb_checkpoints/", "site/_build/", ".png")
    hidden = [p for p in out if not any(g in p or p.endswith(g) for g in generated)]
    assert not hidden, f"files .gitignore keeps out of every clone: {hidden}"
