"""Stopping processes: one by pid, or every process of some accounts (the hub's class, a grading
job); and a forked child that dies with its parent."""

from __future__ import annotations

import ctypes
import os
import pwd
import signal
import time
from pathlib import Path

__all__ = ["die_with_parent", "running", "terminate", "pids_of", "end_processes_of"]

PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> bool:
    """Have the kernel SIGKILL this process when ``parent`` (its parent's pid, read before the
    fork) ends; False if that failed or the parent has already gone. A uid change clears it."""
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL) == 0 and os.getppid() == parent


def running(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, finished but not yet reaped, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def terminate(pid: int, grace: float = 20) -> None:
    """SIGTERM, then SIGKILL if ``pid`` still runs after ``grace`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and running(pid):
        time.sleep(0.1)
    if running(pid):
        os.kill(pid, signal.SIGKILL)


def pids_of(uids: set[int]) -> list[int]:
    """Every process owned by one of ``uids`` (zombies included), from /proc."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def _running_of(uids: set[int]) -> list[int]:
    return [pid for pid in pids_of(uids) if running(pid)]


def end_processes_of(users: list[str], grace: float = 15) -> list[str]:
    """Wait up to ``grace`` s for the processes of ``users`` to end (their servers are shutting
    down), then SIGKILL what is left; returns ``"user (pid N)"`` for each process killed.

    Root (uid 0) is never among them, whatever the list says.
    """
    uids = {}
    for user in users:
        try:
            uid = pwd.getpwnam(user).pw_uid
        except KeyError:
            continue
        if uid != 0:
            uids[uid] = user
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _running_of(set(uids)):
        time.sleep(0.2)
    killed = []
    for pid in _running_of(set(uids)):
        try:
            owner = uids.get(Path(f"/proc/{pid}").stat().st_uid, "?")
            os.kill(pid, signal.SIGKILL)
            killed.append(f"{owner} (pid {pid})")
        except OSError:
            continue
    deadline = time.monotonic() + 5  # SIGKILL is asynchronous: return once they are gone
    while time.monotonic() < deadline and _running_of(set(uids)):
        time.sleep(0.1)
    return killed
