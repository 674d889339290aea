"""The registry of audio clips shipped in ``data/``, each checked by sha256 when it is used.

Used by every notebook: ``data.load_example("speech_low", sr=22050)`` instead of a relative path,
because nbgrader runs notebooks from other folders than their source. The registry itself is
``data/registry.json`` (written by ``data/generate.py``); ``data/README.md`` documents each clip.

The clips travel with the package as ``course_utils.clips`` (``pyproject.toml`` maps the
repository's ``data/`` to it): an editable install finds them in ``data/``, a wheel or a plain
``pip install .`` in the installed package. Set ``COURSE_DATA_DIR`` to use another copy.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from . import audio

__all__ = ["cache_dir", "data_dir", "registry", "available", "info", "path", "load_example", "ChecksumError"]


class ChecksumError(RuntimeError):
    """A shipped clip's bytes differ from the sha256 recorded in the registry."""


def data_dir() -> Path:
    """The folder holding the shipped clips: ``COURSE_DATA_DIR``, else the installed package data
    ``course_utils.clips`` (the repository's ``data/`` in an editable install)."""
    env = os.environ.get("COURSE_DATA_DIR")
    if env:
        root = Path(env)
    else:
        try:
            root = Path(str(resources.files("course_utils.clips")))
        except ModuleNotFoundError:  # an install made before the clips became package data
            root = Path(__file__).resolve().parent.parent / "data"
    if not (root / "registry.json").is_file():
        raise FileNotFoundError(
            f"No registry.json in {root}. Reinstall the course (pip install . or pip install -e . "
            "from the repository) or set COURSE_DATA_DIR to the course's data/ folder.")
    return root


def cache_dir() -> Path:
    """Where generated data are cached: ``$COURSE_CACHE_DIR``, else the repository's ``cache/``
    (gitignored), else ``~/.cache/course_utils`` for a non-editable install."""
    env = os.environ.get("COURSE_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    repo = Path(__file__).resolve().parent.parent
    if (repo / "pyproject.toml").is_file():
        return repo / "cache"
    return Path.home() / ".cache" / "course_utils"


@lru_cache(maxsize=4)
def _registry(root: str) -> dict:
    with open(Path(root) / "registry.json", encoding="utf-8") as f:
        return json.load(f)


def registry() -> dict:
    """The registry: clip name -> dict with ``file``, ``sha256``, ``sr``, ``duration_s``, ..."""
    return dict(_registry(str(data_dir())))


def available() -> list[str]:
    """Names of the shipped clips, sorted."""
    return sorted(registry())


def info(name: str) -> dict:
    """The registry entry of one clip (file, sha256, sr, channels, duration_s, description, ...)."""
    reg = registry()
    if name not in reg:
        raise KeyError(f"Unknown clip {name!r}. Available clips: {', '.join(sorted(reg))}.")
    return dict(reg[name])


def sha256(file) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(file, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def path(name: str, verify: bool = True) -> Path:
    """Path of a shipped clip, after checking that it exists and (by default) its sha256.

    Args:
        name: a clip name from :func:`available`, e.g. ``"speech_low"``.
        verify: compare the file's sha256 with the registry.

    Raises:
        KeyError: unknown name (the message lists the known ones).
        FileNotFoundError: the registry names a file that is missing.
        ChecksumError: the file was modified or corrupted.
    """
    entry = info(name)
    file = data_dir() / entry["file"]
    if not file.is_file():
        raise FileNotFoundError(f"Clip {name!r} should be at {file} but the file is missing; "
                                "restore it with git (git checkout -- data/) or data/generate.py.")
    if verify:
        digest = sha256(file)
        if digest != entry["sha256"]:
            raise ChecksumError(
                f"Clip {name!r} ({file.name}) has sha256 {digest[:12]}…, expected "
                f"{entry['sha256'][:12]}…: the file was modified or corrupted. Restore it with "
                "git checkout -- data/.")
    return file


def load_example(name: str, sr: float | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Load a shipped clip (checksum verified).

    Args:
        name: a clip name from :func:`available`.
        sr: resample to this rate in Hz; ``None`` keeps the clip's own rate.
        mono: mix down to one channel.

    Returns:
        tuple: ``(y, sr)``, float32 samples of shape ``(n_samples,)`` and the rate in Hz.
    """
    return audio.load(path(name), sr=sr, mono=mono)
