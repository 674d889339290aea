"""The Colab set-up cell (course_utils.colab, docs/colab.md), run here in a fresh venv against the
repository path instead of its URL (there is no Colab here): the course installs without torch
being pulled in, and the shipped clips load afterwards."""

from __future__ import annotations

import subprocess
import tomllib
import venv
from pathlib import Path

from test_environment import _pins

ROOT = Path(__file__).resolve().parent.parent
INSTALL_TIMEOUT_S = 1800  # jupyterlab, nbgrader, librosa, ... on 2 busy cores


def test_setup_cell_installs_the_course_but_not_torch(tmp_path):
    env = tmp_path / "colab"
    venv.EnvBuilder(with_pip=True).create(env)
    py = str(env / "bin" / "python")
    run = dict(check=True, capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    subprocess.run([py, "-m", "pip", "install", "--quiet", "--no-deps", str(ROOT)], **run)
    listed = subprocess.run([py, "-c", "from course_utils.colab import requirements; "
                             "print('\\n'.join(requirements()))"], **run).stdout.split()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    runtime = [f"{n}=={v}" for n, v in _pins(deps).items()]
    assert "torch==2.13.0" in runtime and "torch==2.13.0" not in listed
    assert sorted(listed) == sorted(r for r in runtime if not r.startswith("torch=="))
    subprocess.run([py, "-m", "course_utils.colab"], **run)
    out = subprocess.run([py, "-c", "import importlib.util as u; from course_utils import data; "
                          "y, sr = data.load_example('speech_low', sr=22050); "
                          "print(len(y), sr, u.find_spec('torch') is None)"], **run).stdout.split()
    assert int(out[0]) > 22050 and out[1:] == ["22050", "True"], out
