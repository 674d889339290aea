"""ESC-50-format datasets: a synthetic one generated offline, a loader, and a torch ``Dataset``.

Used by notebooks 05 (audio classification) and 06 (Audio Spectrogram Transformer). ESC-50
(Piczak, 2015: 2,000 five-second clips, 50 classes, 5 folds) is laid out as::

    root/audio/{fold}-{src_file}-{take}-{target}.wav
    root/meta/esc50.csv     columns filename,fold,target,category,esc10,src_file,take

:func:`make_esc_synth` writes a dataset of synthetic environmental sounds (classes in
:data:`course_utils.esc_synth.CLASSES`) in exactly this layout, deterministic from a seed and
cached on disk; :func:`load_esc_meta` reads the layout from any root, so an instructor with the
real ESC-50 (or ESC-10) sets the environment variable ``ESC50_ROOT`` (see :func:`esc_root`) or
passes its folder. :class:`EscDataset` yields ``(features, label)`` with features computed by a
``transform`` you give (notebook 05 plugs in the student's log-mel function), cached in memory
and optionally on disk. Takes of one source share a fold, as in ESC-50, so folds do not leak.

Typical use (5-fold cross-validation)::

    root = datasets.make_esc_synth()                  # or datasets.esc_root()
    for test_fold in datasets.folds(datasets.load_esc_meta(root)):
        train = datasets.EscDataset(root, folds=[f for f in range(1, 6) if f != test_fold])
        test = datasets.EscDataset(root, folds=test_fold)
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from . import audio, esc_synth
from .data import cache_dir

__all__ = ["ESC_COLUMNS", "REQUIRED_COLUMNS", "EscFormatError", "EscClip", "cache_dir",
           "make_esc_synth", "esc_root", "load_esc_meta", "folds", "class_names", "load_clip",
           "LogMel", "EscDataset"]

#: ESC-50's CSV columns, in its order.
ESC_COLUMNS = ("filename", "fold", "target", "category", "esc10", "src_file", "take")
#: Columns a metadata file must have (``esc10``, ``src_file``, ``take`` are filled in if absent).
REQUIRED_COLUMNS = ("filename", "fold", "target", "category")
GENERATOR = "course_utils.esc_synth"
GENERATOR_VERSION = 1
N_FOLDS = 5


class EscFormatError(ValueError):
    """A metadata file that does not follow ESC-50's format (missing columns, bad values)."""


@dataclass(frozen=True)
class EscClip:
    """One row of ``meta/esc50.csv``; ``path`` is the audio file it names."""
    filename: str
    fold: int
    target: int
    category: str
    esc10: bool
    src_file: str
    take: str
    path: Path


def _read_manifest(root: Path):
    try:
        return json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def make_esc_synth(root=None, n_classes: int = 10, clips_per_class: int = 40, seed: int = 0,
                   sr: int = 16000, duration: float = 5.0) -> Path:
    """Generate (once) a synthetic ESC-50-format dataset and return its root folder.

    Each class has ``clips_per_class`` clips spread evenly over 5 folds; clips come in sources
    of one to three takes that share a fold. A second call with the same parameters returns at
    once: the folder's ``manifest.json`` records them. Generation writes to a temporary folder
    renamed into place, so parallel processes (pytest-xdist, nbgrader) never see half a dataset.

    Args:
        root: the folder to write; default ``cache_dir() / "esc_synth_<parameters>"``.
        n_classes: number of classes, 2 to ``len(esc_synth.CLASSES)`` (13).
        clips_per_class: clips per class, at least 5 (ESC-50 has 40).
        seed: the random seed; the dataset is a pure function of the parameters.
        sr: sample rate of the WAV files in Hz (16-bit PCM, mono).
        duration: clip length in seconds (ESC-50: 5.0).

    Returns:
        Path: the dataset root, holding ``audio/``, ``meta/esc50.csv`` and ``manifest.json``.

    Raises:
        ValueError: parameters out of range.
        FileExistsError: ``root`` is a non-empty folder that is not a generated dataset
            (it is never overwritten).
    """
    if not 2 <= n_classes <= len(esc_synth.CLASSES):
        raise ValueError(f"n_classes must be between 2 and {len(esc_synth.CLASSES)}, got {n_classes}.")
    if clips_per_class < N_FOLDS:
        raise ValueError(f"clips_per_class must be at least {N_FOLDS} (one per fold), got {clips_per_class}.")
    if sr < 8000 or duration <= 0:
        raise ValueError(f"sr must be at least 8000 Hz and duration positive, got {sr}, {duration}.")
    params = {"n_classes": int(n_classes), "clips_per_class": int(clips_per_class),
              "seed": int(seed), "sr": int(sr), "duration": float(duration)}
    if root is None:
        root = cache_dir() / "esc_synth_{n_classes}x{clips_per_class}_sr{sr}_{duration:g}s_seed{seed}".format(**params)
    root = Path(root).expanduser()
    wanted = {"generator": GENERATOR, "version": GENERATOR_VERSION, "params": params}
    found = _read_manifest(root)
    if found is not None and {k: found.get(k) for k in wanted} == wanted:
        return root
    if root.exists() and any(root.iterdir()) and (found or {}).get("generator") != GENERATOR:
        raise FileExistsError(f"{root} exists and is not a generated ESC-style dataset; choose "
                              "an empty or new folder (it is never overwritten).")
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = root.with_name(f".{root.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        n_clips = _write_synth(tmp, **params)
        (tmp / "manifest.json").write_text(json.dumps(dict(wanted, n_clips=n_clips), indent=1))
        _move_into_place(tmp, root, wanted)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


def _move_into_place(tmp: Path, root: Path, wanted: dict) -> None:
    try:
        os.rename(tmp, root)  # atomic; fails if root exists and is not empty
        return
    except OSError:
        found = _read_manifest(root)
        if found is not None and {k: found.get(k) for k in wanted} == wanted:
            return  # another process finished the same dataset first
    old = root.with_name(f".{root.name}.old-{uuid.uuid4().hex[:8]}")
    os.rename(root, old)  # an outdated generated dataset: replace it
    os.rename(tmp, root)
    shutil.rmtree(old, ignore_errors=True)


def _write_synth(tmp: Path, n_classes, clips_per_class, seed, sr, duration) -> int:
    (tmp / "audio").mkdir(parents=True)
    (tmp / "meta").mkdir()
    n = int(round(duration * sr))
    plan = np.random.default_rng([seed, 50])
    rows, src_id = [], 100000
    for target in range(n_classes):
        category = esc_synth.CLASSES[target][0]
        per_fold = np.full(N_FOLDS, clips_per_class // N_FOLDS)
        per_fold[: clips_per_class % N_FOLDS] += 1
        for fold, count in enumerate(per_fold, start=1):
            while count > 0:
                takes = min(int(plan.integers(1, 4)), int(count))
                src_id += int(plan.integers(1, 40))
                src = plan.uniform(size=4)  # the source's character, shared by its takes
                for k in range(takes):
                    rng = np.random.default_rng([seed, target, src_id, k])
                    y = esc_synth.render_clip(target, src, rng, sr, n, n_classes)
                    take = "ABC"[k]
                    name = f"{fold}-{src_id}-{take}-{target}.wav"
                    audio.save(tmp / "audio" / name, y, sr)
                    rows.append([name, fold, target, category,
                                 category in esc_synth.ESC10_CATEGORIES, src_id, take])
                count -= takes
    rows.sort(key=lambda r: (r[1], r[0]))
    with open(tmp / "meta" / "esc50.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([ESC_COLUMNS, *rows])
    return len(rows)


def esc_root(**synth_kwargs) -> Path:
    """The ESC-format dataset to use: ``$ESC50_ROOT`` if set (e.g. the real ESC-50), else
    :func:`make_esc_synth` called with ``synth_kwargs``.

    Raises:
        FileNotFoundError: ``ESC50_ROOT`` is set but names no folder.
    """
    env = os.environ.get("ESC50_ROOT")
    if env:
        root = Path(env).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(f"ESC50_ROOT is set to {env!r}, which is not a folder. Point "
                                    "it at the folder holding audio/ and meta/esc50.csv, or unset it "
                                    "to use the synthetic dataset.")
        return root
    return make_esc_synth(**synth_kwargs)


def _int(value, column, line, meta):
    if not value.lstrip("-").isdigit():
        raise EscFormatError(f"{meta}, line {line}: column {column!r} should be an integer, got {value!r}.")
    return int(value)


def load_esc_meta(root=None, folds=None, esc10_only: bool = False,
                  check_files: bool = True) -> list[EscClip]:
    """Read ``meta/esc50.csv`` of an ESC-50-format folder.

    Args:
        root: the dataset folder (holding ``audio/`` and ``meta/``); default :func:`esc_root`.
        folds: keep only these folds (an int or a list of ints); ``None`` keeps all.
        esc10_only: keep only the ESC-10 subset (rows whose ``esc10`` column is True).
        check_files: check that every listed audio file exists.

    Returns:
        list[EscClip]: one record per row, in the CSV's order.

    Raises:
        FileNotFoundError: no such folder, no ``meta/esc50.csv``, or listed files are missing.
        EscFormatError: the CSV lacks a required column, or a fold/target is not an integer.
        ValueError: a requested fold is not in the dataset.
    """
    root = esc_root() if root is None else Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"No dataset folder at {root}. Generate one with "
                                "course_utils.datasets.make_esc_synth() or point ESC50_ROOT at ESC-50.")
    meta = root / "meta" / "esc50.csv"
    if not meta.is_file():
        raise FileNotFoundError(f"{root} has no meta/esc50.csv: it is not in ESC-50's layout "
                                "(audio/*.wav and meta/esc50.csv).")
    with open(meta, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = [c.strip() for c in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise EscFormatError(f"{meta} lacks the column(s) {missing}; found {header}. ESC-50's "
                                 f"columns are {', '.join(ESC_COLUMNS)}.")
        rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise EscFormatError(f"{meta} lists no clips.")
    clips = []
    for line, r in enumerate(rows, start=2):
        parts = Path(r["filename"]).stem.split("-")
        clips.append(EscClip(
            filename=r["filename"], fold=_int(r["fold"], "fold", line, meta),
            target=_int(r["target"], "target", line, meta), category=r["category"],
            esc10=(r["esc10"].lower() == "true") if "esc10" in r
            else r["category"] in esc_synth.ESC10_CATEGORIES,
            src_file=r.get("src_file") or (parts[1] if len(parts) == 4 else ""),
            take=r.get("take") or (parts[2] if len(parts) == 4 else ""),
            path=root / "audio" / r["filename"]))
    if esc10_only:
        clips = [c for c in clips if c.esc10]
    if folds is not None:
        wanted = [int(folds)] if np.isscalar(folds) else [int(f) for f in folds]
        known = sorted({c.fold for c in clips})
        unknown = [f for f in wanted if f not in known]
        if unknown:
            raise ValueError(f"fold(s) {unknown} are not in {meta}; its folds are {known}.")
        clips = [c for c in clips if c.fold in wanted]
    if check_files:
        absent = [c.filename for c in clips if not c.path.is_file()]
        if absent:
            raise FileNotFoundError(f"{len(absent)} file(s) listed in {meta} are missing from "
                                    f"{root / 'audio'}, e.g. {absent[:3]}.")
    return clips


def folds(clips) -> list[int]:
    """The sorted fold numbers present in a list of :class:`EscClip`."""
    return sorted({c.fold for c in clips})


def class_names(clips) -> list[str]:
    """Category names ordered by target: entry ``i`` names label ``i`` of :class:`EscDataset`."""
    names = {c.target: c.category for c in clips}
    return [names[t] for t in sorted(names)]


def load_clip(path, sr: int = 16000, duration: float | None = 5.0) -> np.ndarray:
    """Read a clip as mono float32 at ``sr`` Hz, zero-padded or cut to ``duration`` seconds
    (``None`` keeps its length). Returns an array of shape ``(round(duration * sr),)``."""
    y, _ = audio.load(path, sr=sr)
    if duration is not None:
        n = int(round(duration * sr))
        y = np.pad(y[:n], (0, max(n - len(y), 0)))
    return y


class LogMel:
    """The default feature of :class:`EscDataset`: librosa's log-mel spectrogram in dB
    (``power_to_db``, ``top_db=80``), not normalised. ``LogMel(n_mels=40)(y, sr)`` is a float32
    array of shape ``(n_mels, 1 + len(y) // hop_length)``."""

    def __init__(self, n_fft: int = 1024, hop_length: int = 512, n_mels: int = 40):
        self.n_fft, self.hop_length, self.n_mels = n_fft, hop_length, n_mels

    @property
    def key(self) -> str:
        return f"logmel_nfft{self.n_fft}_hop{self.hop_length}_mels{self.n_mels}"

    def __call__(self, y: np.ndarray, sr: int) -> np.ndarray:
        import librosa

        S = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=self.n_fft,
                                           hop_length=self.hop_length, n_mels=self.n_mels)
        return librosa.power_to_db(S, top_db=80.0).astype(np.float32)


class EscDataset(Dataset):
    """A torch ``Dataset`` of ``(features, label)`` for some folds of an ESC-format folder.

    Labels are ``0 .. n_classes-1``, the targets of the whole dataset in increasing order (so
    ESC-10's targets 0, 1, 10, 11, ... become 0 .. 9, the same for every fold); names in
    ``class_names``. Features are ``transform(y, sr)`` of the clip resampled to ``sr`` and cut
    or padded to ``duration``; they are computed once and kept in memory (``cache=True``)
    and/or as ``.npy`` files under ``cache_dir`` (keyed by ``cache_key``, the transform's
    ``key`` attribute by default). ``augment`` (e.g. SpecAugment) is applied on every access,
    after the cache.

    Args:
        root: the dataset folder; default :func:`esc_root`.
        folds: folds to use (int or list); ``None`` for all.
        transform: ``f(y, sr) -> array (n_features, n_frames)``; default :class:`LogMel`.
        sr: sample rate in Hz the clips are resampled to before ``transform``.
        duration: clip length in seconds (pad/cut); ``None`` keeps each file's length.
        augment: ``g(features) -> features`` applied to a copy on each ``__getitem__``.
        cache: keep features in memory.
        cache_dir: also store features on disk in this folder.
        cache_key: name of the transform for the disk cache (required for a transform without
            a ``key`` attribute: a stale cache from another transform would be wrong silently).
        esc10_only: use only ESC-10's classes.

    ``ds[i]`` returns ``(torch.float32 tensor, int)``; :meth:`tensors` stacks all of them.
    """

    def __init__(self, root=None, folds=None, transform=None, sr: int = 16000,
                 duration: float | None = 5.0, augment=None, cache: bool = True,
                 cache_dir=None, cache_key: str | None = None, esc10_only: bool = False):
        self.root = esc_root() if root is None else Path(root)
        everything = load_esc_meta(self.root, esc10_only=esc10_only, check_files=False)
        self.classes = sorted({c.target for c in everything})
        self.class_names = class_names(everything)
        self.clips = load_esc_meta(self.root, folds=folds, esc10_only=esc10_only)
        index = {t: i for i, t in enumerate(self.classes)}
        self.labels = np.array([index[c.target] for c in self.clips], dtype=np.int64)
        self.transform = LogMel() if transform is None else transform
        self.sr, self.duration, self.augment, self.cache = sr, duration, augment, cache
        self._memory: dict[int, np.ndarray] = {}
        self._disk = None
        if cache_dir is not None:
            key = cache_key or getattr(self.transform, "key", None)
            if not key:
                raise ValueError("cache_dir needs a cache_key naming the transform (e.g. "
                                 "'my_logmel_v1'), so that features of another transform are never reused.")
            self._disk = Path(cache_dir) / f"{key}_sr{sr}_{duration}s"

    def __len__(self) -> int:
        return len(self.clips)

    def features(self, i: int) -> np.ndarray:
        """The (cached) features of clip ``i``, before ``augment``."""
        if i in self._memory:
            return self._memory[i]
        clip, x = self.clips[i], None
        file = self._disk / (Path(clip.filename).stem + ".npy") if self._disk else None
        if file is not None and file.is_file() and file.stat().st_mtime >= clip.path.stat().st_mtime:
            x = np.load(file)
        if x is None:
            x = self.transform(load_clip(clip.path, self.sr, self.duration), self.sr)
            x = np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32)
            if file is not None:
                file.parent.mkdir(parents=True, exist_ok=True)
                tmp = file.with_name(f".{file.stem}.{uuid.uuid4().hex[:8]}.npy")
                np.save(tmp, x)
                os.replace(tmp, file)
        if self.cache:
            self._memory[i] = x
        return x

    def __getitem__(self, i: int):
        x = self.features(i)
        if self.augment is not None:
            x = self.augment(x.copy())
        return torch.as_tensor(np.asarray(x, dtype=np.float32)), int(self.labels[i])

    def preload(self, progress: bool = True) -> "EscDataset":
        """Compute every clip's features now (with a progress bar); returns ``self``."""
        from tqdm.auto import tqdm

        for i in tqdm(range(len(self)), desc=f"features {self.root.name}", disable=not progress):
            self.features(i)
        return self

    def tensors(self):
        """All features and labels, without ``augment``: ``(X, y)`` with ``X`` float32 of shape
        ``(n_clips, n_features, n_frames)`` and ``y`` int64 of shape ``(n_clips,)``."""
        X = np.stack([self.features(i) for i in range(len(self))])
        return torch.from_numpy(X), torch.from_numpy(self.labels.copy())
