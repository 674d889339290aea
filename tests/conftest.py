"""Shared set-up of the test suite.

Tests that need something a laptop may lack carry a marker: ``root`` (root on Linux), ``hub``
(a real JupyterHub with configurable-http-proxy and system users), ``browser`` (Debian's
chromium driven by Playwright), ``postgres`` (a throwaway PostgreSQL cluster), ``pythons``
(pyenv's 3.12 and 3.13). Where that part is missing they skip with the reason printed (``-ra``);
under ``CI=true`` such a skip is a failure, since CI installs all of them (``.ci/run``) and a
skipped system test would prove nothing.
"""

from __future__ import annotations

import os

import pytest

SYSTEM_MARKERS = {
    "root": "root on Linux (system users, namespaces, uid switches)",
    "hub": "a real JupyterHub, configurable-http-proxy (npm) and system users",
    "browser": "Debian's chromium (/usr/bin/chromium) driven by Playwright",
    "postgres": "PostgreSQL's initdb/pg_ctl to start a throwaway cluster",
    "pythons": "Python 3.12 and 3.13 (pyenv) for fresh venvs",
}


def pytest_configure(config):
    for name, what in SYSTEM_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: needs {what}; skipped on a laptop without it, "
                                           "a failure under CI=true")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and os.environ.get("CI") == "true"):
        return
    markers = [m for m in SYSTEM_MARKERS if item.get_closest_marker(m)]
    if markers:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"skipped under CI=true, where every {'/'.join(markers)} test must run "
                           f"(.ci/run installs what they need): {reason}")
