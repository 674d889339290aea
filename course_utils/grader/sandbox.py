"""Run an untrusted kernel (a student's notebook being autograded) in a sandbox.

Used by ``course autograde`` (``course_utils.grader.autograde``), never by students. The kernel is
started as::

    unshare [--user --map-root-user] --net --mount -- python -m course_utils.grader.sandbox [options] -- KERNEL...

and this module, now root of a new mount and network namespace, then

1. makes every mount private, so nothing it does is seen outside;
2. hides whole directory trees under empty tmpfs mounts (the course directory with
   ``solutions/``, ``.git/`` and ``gradebook.db``; the grading root with the other students' jobs;
   ``/tmp``, replaced by a private one; ``/run/postgresql``, the sockets of a local PostgreSQL
   gradebook) and binds back only what the kernel needs: the Python
   installation and the course's helper package and data read-only, its own working directory and
   the kernel's socket directory read-write;
3. sets resource limits (CPU seconds, address space, file size, processes, no core dumps);
4. when it is really root, drops to an unprivileged per-job uid, so that file permissions protect
   everything it can still see and the capabilities needed to undo the mounts are gone;
5. executes the kernel. The new network namespace has no interface but a loopback that is down:
   no network. The kernel talks to the grader over IPC sockets in its socket directory.

Run as a normal user (no root), ``unshare --user --map-root-user`` provides steps 1–3 and 5 but
not 4: the kernel can then still write wherever that user can. Grade as root (or a dedicated user
with sudo) for full isolation.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, List, Unicode

from .processes import pids_of

__all__ = ["FIRST_JOB_UID", "KERNEL_WARMUP", "SandboxKernelManager", "available", "grader_config",
           "kernel_cache_seed", "kill_uid", "main", "warm_caches"]


def available() -> tuple[bool, str]:
    """Whether namespaces can be created here; ``(False, reason)`` when not."""
    if shutil.which("unshare") is None:
        return False, "the `unshare` command (util-linux) is not installed"
    cmd = ["unshare", "--net", "--mount", "true"] if os.geteuid() == 0 else \
        ["unshare", "--user", "--map-root-user", "--net", "--mount", "true"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return False, f"`{' '.join(cmd)}` failed: {proc.stderr.strip()}"
    return True, ""


def _traversable_by_others(path: Path) -> bool:
    mode = path.stat().st_mode
    return bool(mode & stat.S_IXOTH)


def _mount(*args: str) -> None:
    # --no-canonicalize: a /proc/PID/fd/N source must stay a magic link to the original directory
    subprocess.run(["mount", "--no-canonicalize", *args], check=True, capture_output=True)


def _plan(keep: list[Path], hide: list[Path], drop_uid: bool) -> list[Path]:
    """The outermost directories to cover with a tmpfs."""
    hide = [p for p in hide if p.exists()]
    if drop_uid:  # the unprivileged uid must traverse every ancestor of what it keeps
        for k in keep:
            for parent in reversed(k.parents):
                if parent != Path("/") and not _traversable_by_others(parent):
                    hide.append(parent)
                    break
    hide = sorted(set(hide), key=lambda p: len(p.parts))
    outer: list[Path] = []
    for h in hide:
        if not any(h == o or o in h.parents for o in outer):
            outer.append(h)
    return outer


def _chown_tree(path: Path, uid: int) -> None:
    """Give ``path`` and everything under it (links themselves, not their targets) to ``uid``."""
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, f) for f in dirs + files)]:
            os.lchown(name, uid, uid)


def enter(keep_ro: list[Path], keep_rw: list[Path], hide: list[Path], uid: int | None,
          cpu_s: int, mem_mb: int, fsize_mb: int, nproc: int, job_root: Path | None = None,
          cache_seed: Path | None = None) -> None:
    """Set up the sandbox in the current (new) namespaces; see the module docstring.

    With ``uid``, the read-write directories are given to that uid; they must all lie inside
    ``job_root`` (the job's own private directory), so that a wrong path can never hand over
    anything else.
    """
    keep_ro = [p.resolve() for p in keep_ro if p.exists()]
    keep_rw = [p.resolve() for p in keep_rw]
    if uid is not None:
        if job_root is None:
            raise SystemExit("course_utils.grader.sandbox: --uid needs --job-root")
        outside = [p for p in keep_rw if job_root.resolve() not in p.parents]
        if outside:
            raise SystemExit(f"course_utils.grader.sandbox: writable paths outside the job root: {outside}")
    keeps = sorted([(p, False) for p in keep_ro] + [(p, True) for p in keep_rw],
                   key=lambda kv: len(kv[0].parts))
    fds = {p: os.open(p, os.O_PATH) for p, _ in keeps}
    seed_fd = os.open(cache_seed, os.O_RDONLY | os.O_DIRECTORY) if cache_seed and cache_seed.is_dir() else None
    if uid is not None:
        for p in keep_rw:
            _chown_tree(p, uid)
    _mount("--make-rprivate", "/")
    for h in _plan([p for p, _ in keeps], [p.resolve() for p in hide], uid is not None):
        mode = "1777" if h == Path("/tmp") else "0755"
        _mount("-t", "tmpfs", "-o", f"mode={mode},size=2g,nosuid,nodev", "tmpfs", str(h))
    pid = os.getpid()
    for p, writable in keeps:
        if not p.exists():
            p.mkdir(parents=True) if Path(f"/proc/{pid}/fd/{fds[p]}").is_dir() else p.touch()
        _mount("--bind", f"/proc/{pid}/fd/{fds[p]}", str(p))
        if not writable:
            _mount("-o", "remount,bind,ro,nosuid,nodev", str(p))
    for fd in fds.values():
        os.close(fd)
    if seed_fd is not None:  # caches warmed by the grader: numba and matplotlib don't rebuild per kernel
        for name in ("numba", "mpl"):
            if Path(f"/proc/{pid}/fd/{seed_fd}/{name}").is_dir():
                shutil.copytree(f"/proc/{pid}/fd/{seed_fd}/{name}", f"/tmp/{name}", dirs_exist_ok=True)
        os.close(seed_fd)
    for name in ("mpl", "numba", "ipython"):
        Path("/tmp", name).mkdir(mode=0o777, exist_ok=True)
        if uid is not None:
            _chown_tree(Path("/tmp", name), uid)
        os.chmod(Path("/tmp", name), 0o777)
    mb = 1 << 20
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
    resource.setrlimit(resource.RLIMIT_AS, (mem_mb * mb, mem_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (fsize_mb * mb, fsize_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if uid is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    os.environ.update(HOME="/tmp", MPLCONFIGDIR="/tmp/mpl", NUMBA_CACHE_DIR="/tmp/numba",
                      IPYTHONDIR="/tmp/ipython", XDG_CACHE_HOME="/tmp", JUPYTER_RUNTIME_DIR="/tmp")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    """Split ``OPTIONS -- KERNEL...`` into the sandbox options and the kernel command."""
    if "--" not in argv:
        sys.exit("usage: python -m course_utils.grader.sandbox [options] -- kernel command...")
    split = argv.index("--")
    parser = argparse.ArgumentParser(prog="course_utils.grader.sandbox")
    parser.add_argument("--keep-ro", action="append", default=[], type=Path)
    parser.add_argument("--keep-rw", action="append", default=[], type=Path)
    parser.add_argument("--hide", action="append", default=[], type=Path)
    parser.add_argument("--uid", type=int, default=None)
    parser.add_argument("--cpu", type=int, default=900, help="CPU seconds for the kernel")
    parser.add_argument("--mem", type=int, default=8192, help="address space in MB")
    parser.add_argument("--fsize", type=int, default=512, help="largest file written, MB")
    parser.add_argument("--nproc", type=int, default=512, help="processes+threads of the uid")
    parser.add_argument("--cache-seed", type=Path, default=None,
                        help="a directory whose numba/ and mpl/ caches are copied into the kernel's "
                             "private /tmp")
    parser.add_argument("--job-root", type=Path, default=None,
                        help="the job's private directory; writable paths must lie inside it")
    return parser.parse_args(argv[:split]), argv[split + 1:]


def enter_from_args(args: argparse.Namespace) -> None:
    """:func:`enter` with the parsed options, the current directory kept read-write."""
    cwd = Path.cwd()
    enter(args.keep_ro, [cwd, *args.keep_rw], args.hide, args.uid, args.cpu, args.mem,
          args.fsize, args.nproc, args.job_root, args.cache_seed)
    os.chdir(cwd)


def main(argv: list[str] | None = None) -> None:
    """Entry point inside the namespaces: ``python -m course_utils.grader.sandbox OPTIONS -- KERNEL...``."""
    args, command = parse_args(sys.argv[1:] if argv is None else argv)
    enter_from_args(args)
    os.execvp(command[0], command)


# librosa's compiled (numba) functions the notebooks use, run once; also the zygote's (warmkernel).
LIBROSA_WARMUP = """
import librosa
y = np.random.default_rng(0).standard_normal(22050).astype(np.float32) * 0.1
S = np.abs(librosa.stft(y, n_fft=1024, hop_length=256))
M = librosa.feature.melspectrogram(S=S ** 2, sr=22050)
librosa.feature.mfcc(S=librosa.power_to_db(M)); librosa.feature.delta(M)
librosa.griffinlim(S, n_iter=2, hop_length=256); librosa.yin(y, fmin=60, fmax=500, sr=22050)
librosa.pyin(y[:4096], fmin=60, fmax=500, sr=22050); librosa.effects.time_stretch(y, rate=1.1)
"""

KERNEL_WARMUP = """
import io
import matplotlib
matplotlib.use("agg")
import matplotlib.pyplot as plt
import numpy as np
fig = plt.figure(); plt.plot([0, 1]); plt.title("warm-up"); fig.savefig(io.BytesIO(), format="png")
""" + LIBROSA_WARMUP


FIRST_JOB_UID = 62000  # grading job i runs its kernel as uid FIRST_JOB_UID + i % 3000 (when root)


def kill_uid(uid: int) -> int:
    """SIGKILL every process owned by ``uid``, a grading job's own uid (never one below
    ``FIRST_JOB_UID``); returns how many were killed. Used when a job runs out of time: its kernel
    lives in another session than the grader and would otherwise run on until its CPU limit."""
    if uid < FIRST_JOB_UID:
        raise ValueError(f"uid {uid} is not a grading job's uid (those start at {FIRST_JOB_UID})")
    killed = 0
    for pid in pids_of({uid}):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            killed += 1
    return killed


def kernel_cache_seed() -> Path:
    """Where the warmed kernel caches live: ``$XDG_CACHE_HOME/course_utils`` (``~/.cache``), per
    Python version. Kept between runs: numba and matplotlib revalidate their own caches."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "course_utils" / f"kernel-seed-py{sys.version_info[0]}{sys.version_info[1]}"


def warm_caches(base: Path) -> Path | None:
    """A seed of warmed kernel caches under ``base``: ``numba/`` (librosa's compiled numba
    functions) and ``mpl/`` (matplotlib's font cache), filled by running trusted code once; each
    sandboxed kernel starts with a private copy instead of recompiling for every submission (about
    20 s per kernel otherwise). Returns the seed folder, or None if it cannot be built.

    One folder per set of versions, built in a private folder and renamed into place when
    complete: two runs warming at once never write the same files (interleaved writes once left a
    numba cache that crashed every kernel calling librosa.yin), and a half-built seed is never used.
    """
    import hashlib
    import tempfile
    from importlib.metadata import version

    stamp = json.dumps([sys.version, KERNEL_WARMUP] + [version(p) for p in ("numba", "librosa", "matplotlib")])
    seed = base / hashlib.sha256(stamp.encode()).hexdigest()[:16]
    if (seed / "stamp.json").is_file():
        return seed  # warmed by an earlier run with the same versions
    try:
        base.mkdir(parents=True, exist_ok=True)
        build = Path(tempfile.mkdtemp(dir=base, prefix=".build-"))
        (build / "numba").mkdir()
        (build / "mpl").mkdir()
    except OSError:
        return None
    env = dict(os.environ, NUMBA_CACHE_DIR=str(build / "numba"), MPLCONFIGDIR=str(build / "mpl"))
    proc = subprocess.run([sys.executable, "-c", KERNEL_WARMUP], env=env, capture_output=True)
    if proc.returncode == 0:
        (build / "stamp.json").write_text(stamp)
        os.chmod(build, 0o755)
        with contextlib.suppress(OSError):  # another run may have finished first: keep its seed
            os.rename(build, seed)
    shutil.rmtree(build, ignore_errors=True)
    return seed if (seed / "stamp.json").is_file() else None


def grader_config(course: Path, grading_root: Path, job: Path, uid: int, memory_mb: int,
                  cache_seed: Path | None = None, warm_socket: str = "") -> str:
    """The nbgrader config lines that make a grading job start its kernels in this sandbox."""
    from .. import data

    cache_dir = data.cache_dir()
    keep = [sys.prefix, sys.base_prefix, Path(__file__).resolve().parents[1]]  # course_utils/
    try:
        keep.append(data.data_dir())
    except FileNotFoundError:
        pass
    if cache_dir.exists():  # generated data sets, filled by prefill_data before grading
        keep.append(cache_dir)
    args = ["--mem", str(memory_mb)] + (["--cache-seed", str(cache_seed)] if cache_seed else [])
    # /run/postgresql: a PostgreSQL gradebook's unix sockets (a network namespace does not cover them)
    for h in (course.resolve(), grading_root, Path("/tmp"), Path("/run/postgresql")):
        args += ["--hide", str(h)]
    for k in keep:
        args += ["--keep-ro", str(Path(k).resolve())]
    return "\n".join([
        "c.RobustExecute.sandbox = True",
        f"c.SandboxKernelManager.sandbox_args = {args!r}",
        f"c.SandboxKernelManager.ipc_dir = {str(job / 'ipc')!r}",
        f"c.SandboxKernelManager.job_root = {str(job)!r}",
        f"c.SandboxKernelManager.unprivileged_uid = {uid}",
        f"c.SandboxKernelManager.warm_socket = {warm_socket!r}"])


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts the kernel through :func:`main`, talking over IPC sockets.

    Configured by ``course autograde`` for each job (see ``course_utils.grader.autograde``).
    """

    sandbox_args = List(Unicode(), help="options for course_utils.grader.sandbox").tag(config=True)
    ipc_dir = Unicode(help="directory of the kernel's sockets and connection file").tag(config=True)
    unprivileged_uid = Integer(-1, help="uid to drop to (root only); -1 for none").tag(config=True)
    job_root = Unicode(help="the job's private directory (writable paths must lie inside)").tag(config=True)
    warm_socket = Unicode("", help="socket of a kernel zygote (course_utils.grader.warmkernel): "
                          "fork a warm kernel into the sandbox instead of starting a cold one"
                          ).tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.ipc_dir:
            Path(self.ipc_dir).mkdir(parents=True, exist_ok=True)
            self.transport = "ipc"
            self.ip = str(Path(self.ipc_dir) / "kernel")
            self.connection_file = str(Path(self.ipc_dir) / "kernel.json")

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        ns = ["unshare", "--net", "--mount"] if os.geteuid() == 0 else \
            ["unshare", "--user", "--map-root-user", "--net", "--mount"]
        args = list(self.sandbox_args) + (["--keep-rw", self.ipc_dir] if self.ipc_dir else [])
        if self.unprivileged_uid >= 0 and os.geteuid() == 0:
            args += ["--uid", str(self.unprivileged_uid), "--job-root", self.job_root]
        if self.warm_socket:
            from .warmkernel import client_command

            return client_command(self.warm_socket, args, cmd)
        return [*ns, "--", sys.executable, "-m", "course_utils.grader.sandbox", *args, "--", *cmd]


if __name__ == "__main__":
    main()
