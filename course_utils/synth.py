"""Test signals with known spectra: sines, harmonic tones with envelopes, chirps, clicks, noise.

Used by notebooks 01–04 (and the datasets of 05–07) wherever a test needs a signal whose
answer is known in advance: a sine at ``f`` Hz has all its energy at ``f``; a harmonic tone at
``f0, 2 f0, ...``; a chirp sweeps a known path; a click train has a flat spectrum.
All functions return float32 arrays of shape ``(n_samples,)`` with ``n_samples = round(duration * sr)``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["time_axis", "sine", "harmonic_tone", "adsr", "chirp", "clicks", "noise"]


def _n_samples(sr: float, duration: float) -> int:
    if sr <= 0:
        raise ValueError(f"sr must be a positive sample rate in Hz, got {sr!r}.")
    if duration <= 0:
        raise ValueError(f"duration must be positive (seconds), got {duration!r}.")
    return int(round(duration * sr))


def time_axis(sr: float, duration: float) -> np.ndarray:
    """Sample times in seconds, ``t[n] = n / sr``, shape ``(round(duration * sr),)``."""
    return np.arange(_n_samples(sr, duration)) / float(sr)


def sine(freq: float, sr: float = 22050, duration: float = 1.0, amplitude: float = 1.0,
         phase: float = 0.0) -> np.ndarray:
    """A pure tone ``amplitude * sin(2π f t + phase)``.

    Args:
        freq: frequency in Hz (any value ≥ 0; above ``sr / 2`` it aliases, see notebook 01).
        sr: sample rate in Hz.
        duration: length in seconds.
        amplitude: peak amplitude (linear).
        phase: initial phase in radians.
    """
    t = time_axis(sr, duration)
    return (amplitude * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def adsr(n_samples: int, sr: float, attack: float = 0.02, decay: float = 0.1,
         sustain: float = 0.7, release: float = 0.2) -> np.ndarray:
    """A piecewise-linear attack-decay-sustain-release envelope, shape ``(n_samples,)``, in [0, 1].

    Args:
        n_samples: envelope length.
        sr: sample rate in Hz.
        attack, decay, release: segment durations in seconds.
        sustain: sustain level (linear, 0..1).
    """
    a, d, r = (int(round(x * sr)) for x in (attack, decay, release))
    s = max(n_samples - a - d - r, 0)
    env = np.concatenate([np.linspace(0, 1, a, endpoint=False), np.linspace(1, sustain, d, endpoint=False),
                          np.full(s, sustain), np.linspace(sustain, 0, r)])
    out = np.zeros(n_samples)
    out[: min(n_samples, len(env))] = env[:n_samples]
    return out.astype(np.float32)


def harmonic_tone(f0: float, sr: float = 22050, duration: float = 1.0, n_harmonics: int = 5,
                  rolloff: float = 1.0, envelope: bool = True, amplitude: float = 0.8) -> np.ndarray:
    """A tone with harmonics at ``k * f0`` (k = 1..n_harmonics) of amplitude ``1 / k**rolloff``.

    Harmonics at or above the Nyquist frequency are left out, so the tone never aliases.

    Args:
        f0: fundamental frequency in Hz.
        sr: sample rate in Hz.
        duration: seconds.
        n_harmonics: number of partials (including the fundamental).
        rolloff: spectral slope; 1 gives a sawtooth-like 1/k spectrum.
        envelope: apply an ADSR envelope (:func:`adsr`), so that onsets and offsets are visible.
        amplitude: peak amplitude of the result (linear).
    """
    t = time_axis(sr, duration)
    y = np.zeros_like(t)
    for k in range(1, n_harmonics + 1):
        if k * f0 < sr / 2:
            y += np.sin(2 * np.pi * k * f0 * t) / k ** rolloff
    if envelope:
        y *= adsr(len(t), sr)
    peak = np.max(np.abs(y))
    return (amplitude * y / peak if peak > 0 else y).astype(np.float32)


def chirp(f_start: float, f_end: float, sr: float = 22050, duration: float = 1.0,
          method: str = "linear", amplitude: float = 0.8) -> np.ndarray:
    """A sine sweep from ``f_start`` to ``f_end`` Hz (``scipy.signal.chirp``).

    Args:
        method: ``"linear"`` or ``"logarithmic"`` (both frequencies must then be > 0).
    """
    from scipy.signal import chirp as _chirp

    t = time_axis(sr, duration)
    return (amplitude * _chirp(t, f0=f_start, t1=t[-1], f1=f_end, method=method, phi=-90)
            ).astype(np.float32)


def clicks(times, sr: float = 22050, duration: float = 1.0, amplitude: float = 1.0) -> np.ndarray:
    """Single-sample impulses at the given times (seconds): a flat spectrum, sharp in time.

    Raises:
        ValueError: a click time outside ``[0, duration)``.
    """
    n = _n_samples(sr, duration)
    y = np.zeros(n, dtype=np.float32)
    for t in np.atleast_1d(times):
        i = int(round(float(t) * sr))
        if not 0 <= i < n:
            raise ValueError(f"click time {t} s is outside the signal (0 to {duration} s).")
        y[i] = amplitude
    return y


def noise(sr: float = 22050, duration: float = 1.0, color: str = "white", amplitude: float = 0.3,
          seed: int | None = 0) -> np.ndarray:
    """Gaussian noise with a white (flat) or pink (1/f power) spectrum, RMS ``amplitude``.

    Args:
        color: ``"white"`` or ``"pink"``.
        seed: random seed (``None`` for a fresh draw).
    """
    n = _n_samples(sr, duration)
    rng = np.random.default_rng(seed)
    y = rng.standard_normal(n)
    if color == "pink":
        X = np.fft.rfft(y)
        f = np.fft.rfftfreq(n)
        X[1:] /= np.sqrt(f[1:] * n)
        X[0] = 0
        y = np.fft.irfft(X, n)
    elif color != "white":
        raise ValueError(f"color must be 'white' or 'pink', got {color!r}.")
    return (amplitude * y / np.sqrt(np.mean(y ** 2))).astype(np.float32)
