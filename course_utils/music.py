"""Procedural songs and their Griffin-Lim resynthesis: the real-vs-fake data of notebook 07.

Used by notebook 07 (SpecTTTra), whose detector learns to tell a "real" clip from the same clip
passed through mel spectrogram -> Griffin-Lim ("fake"). Nothing here is a function a student writes:

* :func:`song` renders a short multi-voice clip, deterministic from a seed: a melody of harmonic
  notes (number of harmonics, spectral slope, vibrato, attack and decay drawn per song), a bass
  line, an optional chord pad and a drum pattern (kick, snare, hi-hat) at a random tempo and key.
* :func:`resynthesize` makes the fake: the SpecTTTra mel spectrogram (16 kHz, n_fft 2048, hop 512,
  128 mels, 20-8000 Hz, power 2) -> STFT magnitude by the pseudo-inverse of the mel filterbank,
  clipped at 0 (notebook 04) -> ``librosa.griffinlim`` with a seeded random initial phase. This is
  ``librosa.feature.inverse.mel_to_audio`` with two changes for speed and reproducibility: its
  non-negative least squares starts from this same clipped pseudo-inverse but can then iterate
  for seconds per clip on these sparse spectra, and its initial phase is not seeded.
* :func:`detection_dataset` builds (and caches in :func:`cache_dir`) a balanced data set of real
  and resynthesised clips, with the song id of each clip so that a split keeps both versions of
  a song on the same side.

All signals are float32 arrays of shape ``(n_samples,)`` (or ``(n_clips, n_samples)``) in [-1, 1].
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["MEL_KWARGS", "midi_to_hz", "song", "resynthesize", "cache_dir", "detection_dataset"]

MEL_KWARGS = {"n_fft": 2048, "hop_length": 512, "n_mels": 128, "fmin": 20.0, "fmax": 8000.0}
"""The mel front end of SpecTTTra (at 16 kHz), as keyword arguments of librosa's mel functions."""

SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10),
          "pentatonic": (0, 2, 4, 7, 9), "dorian": (0, 2, 3, 5, 7, 9, 10)}
"""Scales as semitone offsets from the root; one is drawn per song."""


def midi_to_hz(note) -> np.ndarray:
    """Frequency in Hz of a MIDI note number (69 = A4 = 440 Hz); works on arrays."""
    return 440.0 * 2.0 ** ((np.asarray(note, dtype=np.float64) - 69.0) / 12.0)


def _tone(f0: float, n: int, sr: float, timbre: dict, rng: np.random.Generator) -> np.ndarray:
    """One harmonic note of ``n`` samples: partials k*f0 (below Nyquist) of amplitude k**-rolloff,
    random phases, vibrato, a linear attack and an exponential decay that is faster for higher
    partials (as in plucked and struck strings)."""
    t = np.arange(n) / sr
    vib = 1.0 + timbre["vibrato_depth"] * np.sin(2 * np.pi * timbre["vibrato_hz"] * t)
    phase = 2 * np.pi * f0 * np.cumsum(vib) / sr                      # (n,) radians of partial 1
    k = np.arange(1, timbre["n_harmonics"] + 1)
    k = k[k * f0 * (1 + timbre["vibrato_depth"]) < 0.45 * sr]        # never alias
    amp = k ** -timbre["rolloff"]
    decay = np.exp(-t[None, :] * (1.0 + 0.3 * (k[:, None] - 1)) / timbre["decay"])  # (n_k, n)
    partials = np.sin(k[:, None] * phase[None, :] + rng.uniform(0, 2 * np.pi, (len(k), 1)))
    y = (amp[:, None] * decay * partials).sum(axis=0)
    attack = np.minimum(t / timbre["attack"], 1.0)
    release = np.minimum((n - 1 - np.arange(n)) / (0.005 * sr), 1.0)   # 5 ms fade, no click
    return y * attack * release


def _drum(kind: str, n: int, sr: float, rng: np.random.Generator) -> np.ndarray:
    """A kick (pitch-swept sine), snare (noise + 180 Hz body) or hi-hat (differenced noise)."""
    t = np.arange(n) / sr
    if kind == "kick":
        f = 45.0 + 110.0 * np.exp(-t / 0.03)
        return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t / 0.15)
    noise = rng.standard_normal(n)
    if kind == "snare":
        return (0.6 * noise + np.sin(2 * np.pi * 180.0 * t)) * np.exp(-t / 0.06)
    return 0.5 * np.diff(noise, prepend=0.0) * np.exp(-t / 0.02)   # hi-hat: high-passed noise


def _place(out: np.ndarray, x: np.ndarray, start: int, gain: float) -> None:
    """Add ``gain * x`` into ``out`` from sample ``start`` on, cut at the end of ``out``."""
    stop = min(len(out), start + len(x))
    if stop > start:
        out[start:stop] += gain * x[: stop - start]


def song(seed: int, duration: float = 2.0, sr: int = 16000) -> np.ndarray:
    """A procedural song excerpt, deterministic from ``seed`` (notebook 07's "real" audio).

    Per song, a random tempo (80-160 BPM, eighth-note grid), key (MIDI 55-67) and scale; a lead
    melody (a random walk on the scale, notes of one to three eighths, some rests) whose timbre
    is drawn too (3-12 harmonics, slope 0.7-2.2, attack 3-60 ms, decay 0.15-1.2 s, vibrato);
    a bass line on the beats (root or fifth, two octaves lower); with probability 1/2 a soft
    three-note chord pad; with probability 3/4 drums (kick on 1 and 3, snare on 2 and 4,
    hi-hats on eighths, random extra kicks and skipped hats).

    Args:
        seed: any non-negative integer; the same seed gives the same samples.
        duration: length in seconds.
        sr: sample rate in Hz.

    Returns:
        np.ndarray: float32 samples of shape ``(round(duration * sr),)``, peak at -1 dBFS.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration * sr))
    out = np.zeros(n)
    step = 30.0 / rng.uniform(80.0, 160.0)                     # one eighth note, in s
    n_steps = int(np.ceil(duration / step)) + 1
    root = int(rng.integers(55, 68))
    scale = np.array(SCALES[rng.choice(list(SCALES))])
    pitches = root + np.concatenate([scale - 12, scale, scale + 12])   # three octaves
    lead = {"n_harmonics": int(rng.integers(3, 13)), "rolloff": rng.uniform(0.7, 2.2),
            "attack": rng.uniform(0.003, 0.06), "decay": rng.uniform(0.15, 1.2),
            "vibrato_hz": rng.uniform(4.0, 7.0), "vibrato_depth": rng.uniform(0.0, 0.006)}
    i, s = len(scale) + int(rng.integers(len(scale))), 0
    while s < n_steps:                                          # lead melody
        length = int(rng.choice([1, 2, 2, 3]))
        if rng.random() > 0.15:
            f0 = float(midi_to_hz(pitches[i]))
            _place(out, _tone(f0, int(length * step * sr), sr, lead, rng), int(s * step * sr), 1.0)
        i = int(np.clip(i + rng.choice([-2, -1, -1, 0, 1, 1, 2]), 0, len(pitches) - 1))
        s += length
    bass = dict(lead, n_harmonics=4, rolloff=1.5, attack=0.01, decay=0.4, vibrato_depth=0.0)
    for b in range(0, n_steps, 2):                              # bass on every beat
        note = root - 24 + (7 if rng.random() < 0.3 else 0)
        _place(out, _tone(float(midi_to_hz(note)), int(2 * step * sr), sr, bass, rng),
               int(b * step * sr), 0.7)
    if rng.random() < 0.5:                                      # a soft chord pad
        pad = dict(lead, n_harmonics=3, rolloff=2.0, attack=0.2, decay=3.0)
        for deg in (0, 2, 4):
            f0 = float(midi_to_hz(root + scale[deg % len(scale)]))
            _place(out, _tone(f0, n, sr, pad, rng), 0, 0.15)
    if rng.random() < 0.75:                                     # drums
        hit = int(0.25 * sr)
        for s in range(n_steps):
            start = int(s * step * sr)
            if s % 4 == 0 or rng.random() < 0.1:
                _place(out, _drum("kick", hit, sr, rng), start, 0.9)
            if s % 4 == 2:
                _place(out, _drum("snare", hit, sr, rng), start, 0.5)
            if rng.random() < 0.8:
                _place(out, _drum("hihat", hit, sr, rng), start, 0.25)
    peak = np.max(np.abs(out))
    return (out * (10 ** (-1 / 20) / peak if peak > 0 else 1.0)).astype(np.float32)


@lru_cache(maxsize=4)
def _mel_pinv(sr: int) -> np.ndarray:
    """Pseudo-inverse of the SpecTTTra mel filterbank, shape ``(1 + n_fft // 2, n_mels)``."""
    import librosa

    kw = {k: MEL_KWARGS[k] for k in ("n_fft", "n_mels", "fmin", "fmax")}
    return np.linalg.pinv(librosa.filters.mel(sr=sr, **kw))


def resynthesize(y: np.ndarray, sr: int = 16000, n_iter: int = 16, seed: int = 0) -> np.ndarray:
    """The "fake" of notebook 07: mel power spectrogram -> pseudo-inverse -> Griffin-Lim.

    Args:
        y: signal(s) at ``sr``, shape ``(n_samples,)`` or ``(n_clips, n_samples)``.
        sr: sample rate in Hz (SpecTTTra uses 16000).
        n_iter: Griffin-Lim iterations (few iterations leave more phase artefacts).
        seed: seed of the random initial phase.

    Returns:
        np.ndarray: float32, same shape as ``y``, each clip peak-normalised to -1 dBFS.
    """
    import librosa

    y = np.asarray(y, dtype=np.float32)
    M = librosa.feature.melspectrogram(y=y, sr=sr, power=2.0, **MEL_KWARGS)
    S = np.sqrt(np.maximum(_mel_pinv(sr) @ M, 0.0))               # (..., 1 + n_fft // 2, n_frames)
    z = librosa.griffinlim(S, n_iter=n_iter, hop_length=MEL_KWARGS["hop_length"],
                           n_fft=MEL_KWARGS["n_fft"], length=y.shape[-1], random_state=seed)
    peak = np.maximum(np.max(np.abs(z), axis=-1, keepdims=True), 1e-9)
    return (z * (10 ** (-1 / 20) / peak)).astype(np.float32)


def _cache_folders() -> list[Path]:
    """Where cached data may be: the shared cache, then a private folder in the system's temp."""
    from .data import cache_dir as shared_cache_dir

    return [shared_cache_dir(), Path(tempfile.gettempdir()) / "course_utils_cache"]


def cache_dir() -> Path:
    """A writable folder for generated data: :func:`course_utils.data.cache_dir`
    (``COURSE_CACHE_DIR``, else the repository's gitignored ``cache/``), or, when that folder
    cannot be written (e.g. read-only in the grading sandbox), ``<system temp>/course_utils_cache``."""
    candidates = _cache_folders()
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            probe = folder / f".probe-{os.getpid()}"
            probe.touch()
            probe.unlink()
            return folder
        except OSError:
            continue
    raise OSError(f"No writable cache folder among {[str(c) for c in candidates]}; "
                  "set COURSE_CACHE_DIR to a writable folder.")


def detection_dataset(n_songs: int = 96, duration: float = 2.0, sr: int = 16000,
                      n_iter: int = 16, seed: int = 0, cache: bool = True) -> dict:
    """Real songs and their Griffin-Lim resynthesis, for notebook 07's detector.

    Song ``j`` is ``song(seed * 100003 + j)``; its fake is ``resynthesize(song_j, seed=j)``.
    The result is cached as an ``.npz`` in :func:`cache_dir`, named by a hash of the arguments
    (and of this module's source, so a change of the generator never serves stale clips); a copy
    in the shared cache is used even when that folder is read-only.

    Args:
        n_songs: number of real songs (the data set holds ``2 * n_songs`` clips).
        duration: clip length in seconds.
        sr: sample rate in Hz.
        n_iter: Griffin-Lim iterations for the fakes.
        seed: data-set seed.
        cache: read and write the cache (``False`` always regenerates, writes nothing).

    Returns:
        dict: ``"audio"`` float32 ``(2 * n_songs, n_samples)``, the real clips first;
        ``"label"`` int64 ``(2 * n_songs,)``, 0 = real, 1 = resynthesised; ``"song"`` int64
        ``(2 * n_songs,)``, the song id of each clip; ``"sr"`` the sample rate in Hz.
    """
    key = hashlib.sha256(repr((n_songs, duration, sr, n_iter, seed)).encode()
                         + Path(__file__).read_bytes()).hexdigest()[:16]
    name = f"music_detection_{key}.npz"
    for folder in _cache_folders() if cache else []:             # a read-only cache counts too
        try:
            with np.load(folder / name) as z:
                return {k: (int(z[k]) if k == "sr" else z[k]) for k in z.files}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            continue                                             # missing or broken: look on
    real = np.stack([song(seed * 100003 + j, duration, sr) for j in range(n_songs)])
    fake = np.stack([resynthesize(real[j], sr, n_iter=n_iter, seed=j) for j in range(n_songs)])
    out = {"audio": np.concatenate([real, fake]),
           "label": np.repeat(np.array([0, 1], dtype=np.int64), n_songs),
           "song": np.tile(np.arange(n_songs, dtype=np.int64), 2), "sr": int(sr)}
    if cache:
        file = cache_dir() / name
        tmp = file.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, **out)
        os.replace(tmp, file)                                    # atomic: no half-written cache
    return out
