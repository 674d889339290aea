"""The course on Python 3.12 and 3.13, installed from its wheel (not editable) in fresh venvs.

The full suite runs on 3.11 (the CPU build of torch 2.13.0 lies on local disk only for 3.11; on
other Pythons pip would fetch a multi-GB CUDA build). On 3.12 and 3.13 this test builds the
course's wheel, installs it with every pinned dependency except torch into a fresh venv, and
runs there, from outside the repository (so that ``course_utils`` and its clips come from the
installed wheel): the unit tests that need no torch, the torch-free solution notebooks (01-04)
executed top to bottom, and their grading round trip (solution full marks, release 0).
Marker ``pythons``: skipped where pyenv's 3.12/3.13 are missing, a failure under CI=true.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Torch-free: these modules, their notebooks and their tests never import torch.
TORCH_FREE_TESTS = ["test_audio.py", "test_checks.py", "test_data.py", "test_synth.py",
                    "test_plot.py", "test_music.py"]
TORCH_FREE_ASSIGNMENTS = ["01_audio_basics", "02_stft", "03_mel_mfcc", "04_griffin_lim"]


def find_python(version: str) -> str | None:
    """A working python<version>: one of pyenv's versions, else one on PATH (pyenv's shims on
    PATH answer only for the selected version, so each candidate is run once)."""
    pyenv_root = os.environ.get("PYENV_ROOT", str(Path.home() / ".pyenv"))
    candidates = sorted(glob.glob(f"{pyenv_root}/versions/{version}.*/bin/python{version}"))[::-1]
    candidates += [str(Path(d, f"python{version}")) for d in os.environ.get("PATH", "").split(os.pathsep)]
    for exe in candidates:
        if Path(exe).is_file() and subprocess.run([exe, "-c", "import venv"],
                                                  capture_output=True).returncode == 0:
            return exe
    return None


def pinned_requirements_without_torch() -> list[str]:
    """The runtime pins plus the test tools the torch-free tests need, read from pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    tools = {"pytest", "nbval"}
    deps = project["dependencies"] + [d for d in project["optional-dependencies"]["dev"]
                                      if d.split("==")[0] in tools]
    return [d for d in deps if d.split("==")[0] != "torch"]


def run(cmd, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, (f"{' '.join(map(str, cmd))[:300]} failed ({proc.returncode}):\n"
                                  f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The course's wheel, built from a clean copy of the tree (a stale build/ can hold removed
    modules)."""
    src = tmp_path_factory.mktemp("src") / "course"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".git", ".venv", "node_modules", "build", "cache", "*.egg-info", "__pycache__", "_build"))
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "-w", out, src], timeout=600)
    (whl,) = out.glob("course_utils-*.whl")
    return whl


@pytest.mark.pythons
@pytest.mark.parametrize("version", ["3.12", "3.13"])
def test_course_from_its_wheel_on(version, wheel, tmp_path):
    """Fresh venv, wheel + pins without torch: clips load, torch-free tests and notebooks pass."""
    python = find_python(version)
    if python is None:
        pytest.skip(f"no python{version} here (pyenv install {version} to run this test)")
    venv = tmp_path / "venv"
    run([python, "-m", "venv", venv], timeout=300)
    vpy = venv / "bin" / "python"
    run([vpy, "-m", "pip", "install", "--quiet", *pinned_requirements_without_torch()], timeout=1500)
    run([vpy, "-m", "pip", "install", "--quiet", "--no-deps", wheel], timeout=300)

    outside = tmp_path / "elsewhere"  # not the repository: imports must come from the wheel
    outside.mkdir()
    probe = run([vpy, "-c", (
        "import importlib.util, sys\n"
        "from course_utils import data\n"
        "assert importlib.util.find_spec('torch') is None, 'torch must not be installed here'\n"
        "root = data.data_dir()\n"
        "assert 'site-packages' in str(root), root\n"
        "rates = [data.load_example(n)[1] for n in data.available()]\n"
        "print(sys.version_info[:2], root, len(rates))")], cwd=outside, timeout=300)
    assert f"({version.replace('.', ', ')})" in probe.stdout and "site-packages" in probe.stdout

    # Unit tests, notebooks executed (nbval) and the grading round trip, from the installed wheel.
    # pytest's import mode puts tests/ (not the repository) on sys.path; the kernels of nbval
    # and nbgrader are this venv's.
    targets = [ROOT / "tests" / t for t in TORCH_FREE_TESTS] + [
        ROOT / "solutions" / a for a in TORCH_FREE_ASSIGNMENTS] + [ROOT / "tests" / "test_grading.py"]
    select = " or ".join(TORCH_FREE_ASSIGNMENTS + [t[:-3] for t in TORCH_FREE_TESTS] + ["ipynb"])
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["COURSE_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run([vpy, "-m", "pytest", "-p", "no:cacheprovider", "-q", "--rootdir", ROOT,
                           "--basetemp", tmp_path / "pytest",
                           "-c", ROOT / "pyproject.toml", "-k", select, *targets],
                          cwd=outside, env=env, capture_output=True, text=True, timeout=2400)
    tail = proc.stdout[-6000:] + proc.stderr[-3000:]
    print(f"Python {version}:\n{proc.stdout[-1500:]}")
    assert proc.returncode == 0, f"torch-free suite failed on Python {version}:\n{tail}"
    assert " passed" in proc.stdout and " failed" not in proc.stdout, tail
