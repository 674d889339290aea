"""Base layer of the course's student and instructor modes (see course_utils/grader/lab.py).

nbgrader runs ``alembic`` by name (nbgrader.api.get_alembic_version), so the folder of the
server's own Python goes first on PATH, however the server was started: without it a server
launched as ``.venv/bin/jupyter lab`` failed every formgrader request (FileNotFoundError).
Kernels and terminals inherit it, so ``nbgrader validate`` works there too.
"""

import os
import sys

_bin = os.path.dirname(sys.executable)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join(p for p in (_bin, os.environ.get("PATH")) if p)
