"""requirements/lock.txt agrees with pyproject.toml, environment.yml and the running environment."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.utils import canonicalize_name
from test_environment import _pins, environment_pins, pyproject_pins

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"


def lock_entries():
    """{name: (version, number of hashes)} for every package pinned in the lock."""
    text = LOCK.read_text()
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        pin = _pins(block.splitlines()[:1])
        if pin:
            (name, version), = pin.items()
            entries[canonicalize_name(name)] = (version, block.count("--hash=sha256:"))
    return entries


def test_lock_is_for_python_311_and_hashed():
    entries = lock_entries()
    assert len(entries) > 100, f"only {len(entries)} packages in {LOCK}: run make lock"
    unhashed = [name for name, (_, hashes) in entries.items() if hashes == 0]
    assert not unhashed, f"locked without hashes: {unhashed}"
    assert "Python 3.11" in LOCK.read_text().split("\n\n")[0]


def test_lock_keeps_torch_and_cuda_out():
    """torch comes from its pin; a lock with nvidia-* would pull GBs of CUDA (header of the lock)."""
    entries = lock_entries()
    assert "torch" not in entries
    assert not [n for n in entries if n.startswith("nvidia-") or n == "triton"]
    for dep in ("sympy", "networkx", "filelock"):  # torch's own dependencies are locked
        assert dep in entries


def test_every_direct_pin_equals_the_lock():
    py, _ = pyproject_pins()
    env, _ = environment_pins()
    entries = lock_entries()
    wrong = {name: (version, entries.get(name, (None,))[0]) for name, version in py.items()
             if name != "torch" and entries.get(name, (None,))[0] != version}
    assert not wrong, f"pyproject.toml pin vs lock (run make lock): {wrong}"
    assert py == env


def test_every_locked_package_is_installed_at_its_version():
    # Only the environment's own install folders: importing setuptools puts its vendored copies
    # (setuptools/_vendor: packaging, wheel, zipp, ...) on sys.path, and metadata.distributions()
    # would then report their versions, depending on which test ran first in this worker.
    import sysconfig
    paths = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    installed = {canonicalize_name(d.metadata["Name"]): d.version
                 for d in metadata.distributions(path=paths)}
    wrong = {name: (version, installed.get(name)) for name, (version, _) in lock_entries().items()
             if installed.get(name) != version}
    assert not wrong, f"locked vs installed (run make env): {wrong}"
