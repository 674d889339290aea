"""A throwaway PostgreSQL cluster for the tests (tests/test_postgres.py).

Debian's ``initdb`` and ``pg_ctl`` (``/usr/lib/postgresql/15/bin``) make a cluster in a fresh
temporary directory, listening on 127.0.0.1 on a free port only (its unix sockets in that
directory), with password authentication. initdb refuses to run as root: as root the cluster runs
as ``nobody`` (which owns only the temporary directory). Stopped and removed in teardown.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


@dataclass
class Cluster:
    port: int
    password: str
    socket_dir: Path
    user: str = "grader"

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` for nbgrader's ``CourseDirectory.db_url``."""
        return f"postgresql+psycopg://{self.user}:{self.password}@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs):
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                               password=self.password, dbname=database, **kwargs)

    def create_database(self, name: str) -> str:
        with self.connect(autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cmd: list[str], log: Path | None = None) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode:
        server = log.read_text(errors="replace")[-2000:] if log and log.is_file() else ""
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr}{server}")


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *cmd] if owner else cmd


@pytest.fixture(scope="session")
def pg_cluster():
    """A running throwaway cluster; skipped (a failure under CI=true) where initdb is missing."""
    if not (PG_BIN / "initdb").is_file():
        pytest.skip(f"PostgreSQL's initdb is not at {PG_BIN} (Debian: apt-get install postgresql)")
    owner = None
    if os.geteuid() == 0:  # initdb refuses root
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser (util-linux): cannot start PostgreSQL as nobody")
        owner = "nobody"
    tmp = Path(tempfile.mkdtemp(prefix="course-pg-"))
    if owner:
        os.chown(tmp, pwd.getpwnam(owner).pw_uid, pwd.getpwnam(owner).pw_gid)
    cluster = Cluster(port=_free_port(), password=secrets.token_hex(16), socket_dir=tmp)
    data, log = tmp / "data", tmp / "server.log"
    pwfile = tmp / "pw"
    pwfile.write_text(cluster.password + "\n")
    if owner:
        os.chown(pwfile, pwd.getpwnam(owner).pw_uid, -1)
    try:
        _run(_as_owner([str(PG_BIN / "initdb"), "-D", str(data), "-U", cluster.user,
                        "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8"], owner))
        options = f"-c listen_addresses=127.0.0.1 -p {cluster.port} -k {tmp}"
        _run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
                        "-w", "-t", "60", "start"], owner), log)
        yield cluster
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(_as_owner([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w",
                                      "-t", "60", "stop"], owner), capture_output=True, timeout=90)
        shutil.rmtree(tmp, ignore_errors=True)
