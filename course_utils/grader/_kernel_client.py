"""Stands in for a sandboxed kernel process: the zygote (``warmkernel.py``) forks the real one.

Run by ``SandboxKernelManager`` as ``python -I -S _kernel_client.py SOCKET SANDBOX-OPTIONS -- KERNEL...``
(standard library only, so that it starts in milliseconds). It sends the request, relays the
signals it receives (interrupts, terminate) to the kernel, and exits as the kernel did. It dies
with its parent (a parent-death signal), and the zygote kills the kernel when this client is gone.
"""

import ctypes
import json
import os
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1


def main() -> int:
    socket_path, request = sys.argv[1], sys.argv[2:]
    parent = os.getppid()
    ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the death signal was armed
        return 1
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(socket_path)
    conn.sendall(json.dumps({"sandbox": request, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
                 + b"\n")
    replies = conn.makefile("rb")
    if not replies.readline().startswith(b"pid "):
        return 1

    def relay(signum, _frame):
        conn.sendall(f"signal {signum}\n".encode())

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(sig, relay)
    line = replies.readline()
    if not line.startswith(b"exit "):
        return 1
    code = int(line.split()[1])
    if code < 0:  # killed by a signal: end the same way, as the kernel process would have
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main())
