"""Warm sandboxed kernels: each student's kernel is forked from a process that did the imports once.

A kernel for notebook 01 spends about 3 s of CPU before the student's first line runs: Python and
ipykernel start-up, ``import numpy, scipy, librosa, matplotlib``, loading librosa's compiled numba
functions, and the sandbox's own Python start. ``course autograde`` instead starts one *kernel
zygote* per run (``python -m course_utils.grader.warmkernel SOCKET``, trusted code only): it
imports ipykernel and the course's libraries and runs :data:`ZYGOTE_WARMUP`, then waits. For every
kernel a grading job needs, the job's ``SandboxKernelManager`` runs a tiny client
(``_kernel_client.py``, standard library only) in place of the kernel; the client sends the kernel
command, the sandbox options, its directory and environment over the zygote's unix socket, and the
zygote forks a fresh child that

1. closes every inherited descriptor, starts a new session, takes the client's environment;
2. creates its own user (unless root), mount and network namespaces (``unshare(2)``, as the
   ``unshare`` command does for a cold kernel), and calls ``course_utils.grader.sandbox.enter``
   with the same options: hidden trees, read-only binds, resource limits, the per-job uid;
3. only then runs the kernel (``IPKernelApp``) in the sandbox, with the options given.

So every student still gets a fresh process, in its own namespaces and uid, never reused; what it
shares with other students' kernels is only the memory image of trusted imports, copied on write.
The client relays signals (interrupts) and reports the kernel's exit code; when the client dies
(the kernel manager killed it, or the grading job was killed: it has a parent-death signal), the
zygote kills the kernel's whole session; when the zygote dies, so do its kernels (a
parent-death signal each sets once sandboxed), and ``course autograde`` starts a new zygote
(:class:`Zygote`). The socket lives in the grader's private directory
(``0700``, hidden from kernels) and the zygote serves only peers of its own uid.

The zygote does not import ``matplotlib.pyplot``: the notebook's first ``import
matplotlib.pyplot`` must find the IPython shell to install the inline backend's hooks, as in a
cold kernel. Differences from a cold kernel a notebook could notice: the modules above are already
in ``sys.modules`` (their import-time warnings are not shown), and ``random``/``numpy.random``
global generators are reseeded from the OS in each child (as a fresh process would be).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import traceback
from pathlib import Path

from .processes import die_with_parent
from .sandbox import LIBROSA_WARMUP

__all__ = ["ZYGOTE_WARMUP", "Zygote", "client_command", "serve"]

CLIENT = Path(__file__).with_name("_kernel_client.py")

ZYGOTE_WARMUP = """
import numpy as np, scipy.signal, scipy.fft, soundfile, soxr, librosa
import matplotlib, matplotlib.figure, matplotlib.font_manager, matplotlib.backends.backend_agg
import IPython, ipykernel.kernelapp, ipykernel.ipkernel
""" + LIBROSA_WARMUP

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWNET = 0x00020000, 0x10000000, 0x40000000


def client_command(socket_path: str, sandbox_args: list[str], kernel_cmd: list[str]) -> list[str]:
    """The command a kernel manager runs in place of ``kernel_cmd``: the client, isolated (-I -S)."""
    return [sys.executable, "-I", "-S", str(CLIENT), socket_path, *sandbox_args, "--", *kernel_cmd]


def _unshare(flags: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"unshare failed: {os.strerror(err)}")


def _kernel_child(request: dict) -> None:
    """In the forked child: sandbox, then become the kernel. Never returns."""
    from . import sandbox

    code = 1
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.closerange(3, 65536)  # the zygote's socket, its clients' sockets, anything else
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        uid, gid = os.geteuid(), os.getegid()
        _unshare(CLONE_NEWNS | CLONE_NEWNET | (0 if uid == 0 else CLONE_NEWUSER))
        if uid != 0:  # what `unshare --map-root-user` does
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        args, command = sandbox.parse_args(request["sandbox"])
        sandbox.enter_from_args(args)
        # Die with the zygote: a kernel it can no longer kill must not outlive it. Set after
        # the sandbox's uid change, which clears a parent-death signal set earlier.
        if not die_with_parent(request["zygote"]):
            raise OSError("the zygote is gone")
        import random

        import numba.core.config
        import numpy as np

        random.seed(), np.random.seed()
        numba.core.config.reload_config()  # NUMBA_CACHE_DIR is now the kernel's private /tmp/numba
        if command[1:3] != ["-m", "ipykernel_launcher"]:
            os.execvp(command[0], command)
        from ipykernel.kernelapp import IPKernelApp

        sys.argv = ["ipykernel_launcher", *command[3:]]
        IPKernelApp.launch_instance(argv=command[3:])
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else 0
    except BaseException:  # noqa: BLE001 (the kernel manager sees the exit code)
        traceback.print_exc()
    finally:
        os._exit(code)


def _peer_uid(conn: socket.socket) -> int:
    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", creds)[1]


def _reap(kernels: dict, buffers: dict) -> None:
    """Collect ended kernels and tell their clients the exit code."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if not pid:
            return
        for conn, kpid in list(kernels.items()):
            if kpid == pid:
                with contextlib.suppress(OSError):
                    conn.sendall(f"exit {os.waitstatus_to_exitcode(status)}\n".encode())
                _forget(conn, kernels, buffers)


def _forget(conn: socket.socket, kernels: dict, buffers: dict) -> None:
    """Close a client's connection and forget it."""
    kernels.pop(conn, None), buffers.pop(conn, None)
    conn.close()


def _drop(conn: socket.socket, kernels: dict, buffers: dict) -> None:
    """Forget a client that is gone: its kernel's session is killed first."""
    if kernels.get(conn):
        with contextlib.suppress(OSError):
            os.killpg(kernels[conn], signal.SIGKILL)
    _forget(conn, kernels, buffers)


def _serve_client(conn: socket.socket, kernels: dict, buffers: dict) -> None:
    """Read what a client sent: its kernel request (fork the kernel) or a signal to relay."""
    data = conn.recv(65536)
    if not data:  # the client is gone: so is its kernel
        _drop(conn, kernels, buffers)
        return
    buffers[conn] += data
    while b"\n" in buffers[conn]:
        line, buffers[conn] = buffers[conn].split(b"\n", 1)
        if conn not in kernels:
            request = dict(json.loads(line), zygote=os.getpid())
            pid = os.fork()
            if pid == 0:
                _kernel_child(request)
            kernels[conn] = pid
            conn.sendall(f"pid {pid}\n".encode())
        elif line.startswith(b"signal "):
            with contextlib.suppress(OSError):
                os.kill(kernels[conn], int(line.split()[1]))


class Zygote:
    """The grader's handle on its zygote process: start it, start a new one if it died, stop it.

    ``generation`` counts the starts. A job notes it before it runs; if the job failed and
    :meth:`revive` says the zygote died since (and a new one is ready), the job is worth running
    again: the failure was the zygote's, not the submission's.
    """

    def __init__(self, folder: Path, env: dict, wait: bool = True):
        """Start the zygote; with ``wait=False`` its warm-up goes on while the caller works
        (:meth:`ready` waits for it)."""
        folder.mkdir(mode=0o700, exist_ok=True)
        self.folder, self.env, self.socket = folder, env, str(folder / "kernels.sock")
        self.generation, self.lock = 0, threading.Lock()
        self._spawn()
        if wait:
            self.ready()

    def _spawn(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket)
        self.generation, self.warm = self.generation + 1, None
        self.proc = subprocess.Popen([sys.executable, "-m", "course_utils.grader.warmkernel", self.socket],
                                     cwd=self.folder, env=self.env, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)

    def ready(self) -> bool:
        """Wait for the warm-up to end; True if the zygote serves kernels (else it is stopped)."""
        if self.warm is None:
            self.warm = self.proc.stdout.readline().strip() == b"ready"
            if not self.warm:
                self.stop()
        return self.warm and self.alive()

    def _start(self) -> bool:
        self._spawn()
        return self.ready()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def revive(self, generation: int) -> bool:
        """True if a job that started under ``generation`` and failed should run again."""
        with self.lock:
            if self.generation != generation:  # another job found it dead and restarted it
                return self.alive()
            if self.alive():
                return False  # it did not die: the failure was the job's own
            print(f"course autograde: the warm kernel zygote stopped (exit code {self.proc.returncode}); "
                  "starting a new one and grading the affected submission again", file=sys.stderr)
            return self._start()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def serve(socket_path: str) -> None:
    """The zygote: warm up, then fork a sandboxed kernel for each client until stdin closes."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does; the kernel adds '' back itself
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")  # as ipykernel
    exec(compile(ZYGOTE_WARMUP, "<zygote warm-up>", "exec"), {})
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    server.bind(socket_path)
    os.umask(old)
    server.listen(64)
    print("ready", flush=True)
    kernels: dict[socket.socket, int] = {}  # client connection -> its kernel's pid
    buffers: dict[socket.socket, bytes] = {}
    try:
        while True:
            ready, _, _ = select.select([sys.stdin, server, *buffers], [], [], 0.2)
            _reap(kernels, buffers)
            for r in ready:
                if r is not sys.stdin and r is not server and r not in buffers:
                    continue  # _reap closed it (its kernel ended) after select() reported it
                if r is sys.stdin:
                    if not os.read(sys.stdin.fileno(), 4096):
                        return
                elif r is server:
                    conn, _ = server.accept()
                    if _peer_uid(conn) != os.geteuid():
                        conn.close()
                        continue
                    buffers[conn] = b""
                else:
                    try:
                        _serve_client(r, kernels, buffers)
                    except (OSError, ValueError):  # this client only (gone mid-send, bad request)
                        _drop(r, kernels, buffers)
    finally:
        for pid in kernels.values():
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        server.close()
        with contextlib.suppress(OSError):
            os.unlink(socket_path)


if __name__ == "__main__":
    serve(sys.argv[1])
    sys.stdout.flush()
    os._exit(0)  # skip the interpreter's teardown of everything the warm-up imported
