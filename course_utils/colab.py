"""Installing the course on Google Colab (docs/colab.md), keeping Colab's own torch.

The first cell of a notebook on Colab is::

    !pip install --quiet --no-deps "git+https://github.com/<your-org>/audio-dl-course"
    !python -m course_utils.colab

The first line installs the course package itself (non-editable; the clips travel inside it as
``course_utils.clips``) without its dependencies, so pip never replaces Colab's CUDA torch with
the course's CPU pin. The second installs every other runtime pin of the course (``requirements``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib import metadata

KEEP = ("torch",)  # Colab ships its own (CUDA) build: never reinstalled


def requirements(keep: tuple[str, ...] = KEEP) -> list[str]:
    """The course's runtime pins (no extras), without the packages Colab keeps.

    Returns:
        Requirement strings such as ``"librosa==0.11.0"``, in pyproject.toml's order.

    Raises:
        RuntimeError: the course package is not installed (run the ``pip install`` line first).
    """
    try:
        declared = metadata.requires("course_utils") or []
    except metadata.PackageNotFoundError as err:
        raise RuntimeError("course_utils is not installed: run the first line of the set-up cell, "
                           "pip install --no-deps <the course's repository URL>") from err
    # stdlib only: installed with --no-deps, the course cannot count on `packaging` being there
    runtime = [r.strip() for r in declared if ";" not in r]  # extras carry a marker
    return [r for r in runtime if re.match(r"[A-Za-z0-9_.\-]+", r).group().lower() not in keep]


def install(keep: tuple[str, ...] = KEEP) -> None:
    """pip install the course's runtime pins except ``keep`` into the running Python."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *requirements(keep)],
                   check=True)


if __name__ == "__main__":
    install()
