"""Sound generators for the synthetic ESC-style dataset (:mod:`course_utils.datasets`).

Used by notebooks 05 and 06 through :func:`course_utils.datasets.make_esc_synth`. Each class of
:data:`CLASSES` imitates one ESC-50 category with a few lines of signal processing: harmonic
sources with pitch contours (dog, rooster, siren, engine), resonant impulses (clock, knock,
crackles, drops), shaped noise (rain, waves, helicopter) and inharmonic decays (bells).

A clip is rendered by :func:`render_clip`: the class's event(s) at a random level and time, a
quieter event of another class mixed in now and then, and background noise of a random colour at
a random signal-to-noise ratio. Takes of one *source* (ESC-50's ``src_file``) share the
source's character (``src``: four numbers in [0, 1) such as the dog's voice or the clock's
rate) and differ in timing, level and noise, as several cuts of one recording would.
Everything is drawn from the ``rng`` passed in, so a clip is a pure function of its seed.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

__all__ = ["CLASSES", "ESC10_CATEGORIES", "render_clip"]

#: ESC-10's ten categories (the ``esc10`` column of ESC-50 is True for these).
ESC10_CATEGORIES = ("dog", "rooster", "rain", "sea_waves", "crackling_fire", "crying_baby",
                    "sneezing", "clock_tick", "helicopter", "chainsaw")


def _lin(u, lo, hi):
    return lo + (hi - lo) * u


def _log(u, lo, hi):
    return lo * (hi / lo) ** u


def _place(y, event, start):
    """Add ``event`` into ``y`` from sample ``start`` (cut at the end of ``y``)."""
    start = int(start)
    if start >= len(y) or start + len(event) <= 0:
        return y
    a, b = max(start, 0), min(start + len(event), len(y))
    y[a:b] += event[a - start:b - start]
    return y


def _harmonics(f0, sr, n_harm, rolloff=1.0, rng=None):
    """A harmonic signal following the pitch track ``f0`` (Hz, one value per sample)."""
    phase = 2 * np.pi * np.cumsum(f0) / sr
    base = np.cos(phase) + 1j * np.sin(phase)
    partial, y = base.copy(), np.zeros(len(f0))
    for k in range(1, n_harm + 1):  # partial = exp(i k phase), by recurrence (cheaper than sin)
        offset = 1.0 if rng is None else np.exp(1j * rng.uniform(0, 2 * np.pi))
        y += (k * f0 < 0.45 * sr) * (partial * offset).imag / k ** rolloff  # none near Nyquist
        partial *= base
    return y


def _resonate(x, sr, freq, bandwidth):
    """Two-pole resonator at ``freq`` Hz with a -3 dB ``bandwidth`` in Hz (unit peak gain)."""
    r = np.exp(-np.pi * bandwidth / sr)
    theta = 2 * np.pi * freq / sr
    return lfilter([1 - r], [1, -2 * r * np.cos(theta), r * r], x)


def _band_noise(rng, n, sr, lo, hi, slope=0.0):
    """Gaussian noise with power between ``lo`` and ``hi`` Hz, tilted by ``slope`` dB/octave."""
    X = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / sr)
    gain = ((f >= lo) & (f <= hi)) * (np.maximum(f, 1.0) / 1000.0) ** (slope / 6.02)
    return np.fft.irfft(X * gain, n)


def _decay(n, sr, tau):
    return np.exp(-np.arange(n) / (tau * sr))


def _times(rng, count, duration, min_gap, length=0.0):
    """``count`` sorted onset times (s) in ``[0, duration - length]``, at least ``min_gap`` apart."""
    span = max(duration - length - min_gap * (count - 1), 0.0)
    t = np.sort(rng.uniform(0, span, count))
    return t + min_gap * np.arange(count)


# --- the classes ------------------------------------------------------------------------------
def _dog(rng, sr, n, src):
    y = np.zeros(n)
    f0 = _log(src[0], 250, 650)
    formant = _lin(src[1], 700, 1600)
    for t in _times(rng, rng.integers(1, 5), n / sr, 0.35, 0.3):
        m = int(rng.uniform(0.12, 0.28) * sr)
        track = f0 * rng.uniform(0.9, 1.1) * np.linspace(1.15, 0.8, m)
        bark = _harmonics(track, sr, 12, 0.8, rng) + 0.4 * rng.standard_normal(m)
        bark = _resonate(bark, sr, formant, 400) + 0.3 * _resonate(bark, sr, 2.6 * formant, 700)
        _place(y, bark * np.hanning(m) ** 0.5 * _decay(m, sr, 0.12), t * sr)
    return y


def _rooster(rng, sr, n, src):
    m = int(_lin(src[0], 0.9, 1.7) * rng.uniform(0.9, 1.1) * sr)
    x = np.linspace(0, 1, m)
    f0 = _log(src[1], 350, 700) * (1 + 0.35 * np.sin(np.pi * x ** 0.6)) * (
        1 + 0.02 * np.sin(2 * np.pi * 6 * x * m / sr))
    crow = _harmonics(f0, sr, 10, 1.2, rng) * np.minimum(1, 8 * x) * (1 - x) ** 0.7
    crow = _resonate(crow, sr, _lin(src[2], 1200, 2200), 900) + 0.2 * crow
    return _place(np.zeros(n), crow, rng.uniform(0, max(n - m, 1)))


def _impulses(rng, n, sr, rate, groups):
    """``groups`` sparse trains of random-amplitude impulses, ``rate`` per second in all."""
    trains = np.zeros((groups, n))
    count = rng.poisson(rate * n / sr)
    trains[rng.integers(0, groups, count), rng.integers(0, n, count)] = rng.pareto(1.5, count) + 0.3
    return trains


def _rain(rng, sr, n, src):
    y = 0.6 * _band_noise(rng, n, sr, _lin(src[0], 400, 1500), 7000, -2.0)
    drops = _impulses(rng, n, sr, _lin(src[1], 30, 120), 4)
    for train in drops:  # each group of drops rings at its own pitch
        y += 0.3 * _resonate(_resonate(train, sr, rng.uniform(1500, 5000), 300), sr, 200, 2000)
    return y * (1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.1, 0.5) * np.arange(n) / sr))


def _sea_waves(rng, sr, n, src):
    y = _band_noise(rng, n, sr, 60, _lin(src[0], 1200, 2500), -4.0)
    period = _lin(src[1], 2.5, 6.0) * rng.uniform(0.9, 1.1)
    t = np.arange(n) / sr
    phase = rng.uniform(0, 1)
    swell = (0.5 - 0.5 * np.cos(2 * np.pi * (t / period + phase))) ** 2.0
    return y * (0.15 + swell)


def _crackling_fire(rng, sr, n, src):
    y = 0.5 * _band_noise(rng, n, sr, 30, 400, -3.0)
    pops = _impulses(rng, n, sr, _lin(src[0], 6, 25), 3) * rng.standard_normal((3, n))
    for train in pops:  # short noisy pops, each group with its own colour
        y += 1.5 * _resonate(train, sr, rng.uniform(800, 4000), 2000)
    return y


def _chirping_birds(rng, sr, n, src):
    y = np.zeros(n)
    f_lo, span = _lin(src[0], 2200, 4000), _lin(src[1], 1.2, 2.0)
    for g in _times(rng, rng.integers(1, 4), n / sr, 0.6, 1.0):
        count, gap = rng.integers(3, 9), rng.uniform(0.06, 0.15)
        for i in range(count):
            m = int(rng.uniform(0.04, 0.1) * sr)
            up = np.linspace(0, 1, m) ** rng.uniform(0.5, 2)
            f = f_lo * rng.uniform(0.9, 1.1) * span ** (up if src[2] < 0.5 else 1 - up)
            _place(y, np.sin(2 * np.pi * np.cumsum(f) / sr) * np.hanning(m), (g + i * gap) * sr)
    return y


def _tick(rng, sr, freq, tau):
    m = int(0.03 * sr)
    x = rng.standard_normal(m) * _decay(m, sr, 0.001)
    return _resonate(x, sr, freq, 150) * _decay(m, sr, tau) * 6


def _clock_tick(rng, sr, n, src):
    y = np.zeros(n)
    period = _lin(src[0], 0.3, 0.6)
    f_tick = _lin(src[1], 1500, 3500)
    t = rng.uniform(0, period)
    k = 0
    while t < n / sr:
        freq = f_tick * (1.0 if k % 2 == 0 else 0.85)  # tick, tock
        _place(y, _tick(rng, sr, freq, 0.008), t * sr)
        t += period * (1 + 0.005 * rng.standard_normal())
        k += 1
    return y


def _door_wood_knock(rng, sr, n, src):
    y = np.zeros(n)
    body = _lin(src[0], 140, 350)
    for g in _times(rng, rng.integers(1, 3), n / sr, 1.0, 1.2):
        count, gap = rng.integers(2, 6), rng.uniform(0.12, 0.25)
        for i in range(count):
            m = int(0.15 * sr)
            x = rng.standard_normal(m) * _decay(m, sr, 0.002)
            knock = 3 * _resonate(x, sr, body, 40) + 0.8 * _resonate(x, sr, rng.uniform(1500, 3500), 150)
            t = g + i * gap * rng.uniform(0.85, 1.15)
            _place(y, knock * _decay(m, sr, 0.03) * rng.uniform(0.6, 1.0), t * sr)
    return y


def _church_bells(rng, sr, n, src):
    f0 = _log(src[0], 250, 800)
    ratios = np.array([0.5, 1.0, 1.19, 1.5, 2.0, 2.52, 3.0])  # hum, prime, minor third, ...
    tau = _lin(src[1], 0.8, 2.5)
    tt = np.arange(n) / sr
    strike = sum(np.sin(2 * np.pi * f0 * r * tt + rng.uniform(0, 6.3)) / (1 + i) ** 0.6 *
                 np.exp(-tt * (1 + i) / tau) for i, r in enumerate(ratios))
    y = np.zeros(n)
    for t in _times(rng, rng.integers(1, 4), n / sr, 0.9, 0.5):
        _place(y, strike * rng.uniform(0.6, 1.0), t * sr)
    return y


def _helicopter(rng, sr, n, src):
    t = np.arange(n) / sr
    rate = _lin(src[0], 10, 22) * (1 + 0.03 * np.sin(2 * np.pi * rng.uniform(0.05, 0.2) * t))
    phase = np.cumsum(rate) / sr + rng.uniform(0, 1)
    pulses = np.exp(-((phase % 1.0) / 0.08))  # one sharp slap per blade pass
    y = _band_noise(rng, n, sr, 40, _lin(src[1], 600, 1500), -3.0) * (0.2 + pulses)
    y += 0.3 * _harmonics(rate * 2, sr, 6, 1.0, rng) * y.std()
    return y * np.linspace(*rng.uniform(0.3, 1.0, 2), n)  # approaching or leaving


def _siren(rng, sr, n, src):
    t = np.arange(n) / sr
    f_lo, f_hi = _lin(src[0], 500, 800), _lin(src[1], 1100, 1600)
    sweep = _lin(src[2], 0.15, 0.5) if src[3] < 0.6 else _lin(src[2], 2.5, 5.0)  # wail, yelp
    f0 = f_lo + (f_hi - f_lo) * (0.5 - 0.5 * np.cos(2 * np.pi * sweep * t + rng.uniform(0, 6.3)))
    y = _harmonics(f0, sr, 6, 1.5, rng)
    start, stop = np.sort(rng.uniform(0, n / sr, 2))
    on = np.clip(np.minimum(t - start + 1.5, stop - t + 1.5) / 0.2, 0, 1)  # at least ~3 s on
    return y * on


def _engine(rng, sr, n, src):
    t = np.arange(n) / sr
    rpm = _lin(src[0], 25, 60) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(0.05, 0.3) * t))
    cycles = np.floor(np.cumsum(rpm) / sr + rng.uniform(0, 1))
    firing = np.diff(cycles, prepend=cycles[0])  # one impulse per engine cycle: all harmonics
    y = _resonate(_resonate(firing, sr, _lin(src[1], 300, 900), 500), sr, 150, 600)
    rumble = _band_noise(rng, n, sr, 50, 1500, -4.0)
    return y + 0.4 * y.std() * rumble / rumble.std()


def _crickets(rng, sr, n, src):
    t = np.arange(n) / sr
    carrier = np.sin(2 * np.pi * _lin(src[0], 3500, 5500) * t)
    pulse = (np.sin(2 * np.pi * _lin(src[1], 15, 35) * t) > 0.3).astype(float)
    chirp_rate = _lin(src[2], 1.0, 3.0)
    chirps = (np.sin(2 * np.pi * chirp_rate * t + rng.uniform(0, 6.3)) > -0.2).astype(float)
    return carrier * pulse * chirps


#: (category, generator) of the synthetic classes; class ``k`` of a dataset is ``CLASSES[k]``.
CLASSES = (("dog", _dog), ("rooster", _rooster), ("rain", _rain), ("sea_waves", _sea_waves),
           ("crackling_fire", _crackling_fire), ("chirping_birds", _chirping_birds),
           ("clock_tick", _clock_tick), ("door_wood_knock", _door_wood_knock),
           ("church_bells", _church_bells), ("helicopter", _helicopter), ("siren", _siren),
           ("engine", _engine), ("crickets", _crickets))


def _background(rng, n, sr):
    """Background noise of a random colour (white, pink, brown-ish or hum-like), unit RMS."""
    slope = rng.choice([0.0, -3.0, -6.0, -4.5])
    y = _band_noise(rng, n, sr, 20, sr / 2, slope)
    if rng.uniform() < 0.25:  # mains-like hum under the noise
        y += 0.5 * y.std() * _harmonics(np.full(n, rng.choice([50.0, 60.0])), sr, 5, 1.0, rng)
    return y / (np.sqrt(np.mean(y ** 2)) + 1e-12)


def _rms(y):
    return float(np.sqrt(np.mean(np.square(y)))) + 1e-12


def render_clip(target: int, src: np.ndarray, rng: np.random.Generator, sr: int, n: int,
                n_classes: int) -> np.ndarray:
    """One clip of class ``target``: its event(s), maybe a distractor, background noise.

    Args:
        target: class index into :data:`CLASSES` (``0 <= target < n_classes``).
        src: the source's character, float array of shape ``(4,)`` in [0, 1); takes of one
            source share it.
        rng: the clip's random generator (timing, level, noise, mixing).
        sr: sample rate in Hz.
        n: clip length in samples.
        n_classes: number of classes in the dataset (distractors are drawn among them).

    Returns:
        np.ndarray: float32 samples of shape ``(n,)``, peak at most 0.95 (safe for 16-bit WAV).
    """
    y = CLASSES[target][1](rng, sr, n, src)
    y = y / _rms(y)
    if n_classes > 1 and rng.uniform() < 0.3:  # a quieter sound of another class, 8 to 20 dB down
        other = (target + rng.integers(1, n_classes)) % n_classes
        z = CLASSES[other][1](rng, sr, n, rng.uniform(size=4))
        y += z / _rms(z) * 10 ** (-rng.uniform(8, 20) / 20)
    snr_db = rng.uniform(0.0, 20.0)
    y += _background(rng, n, sr) * _rms(y) * 10 ** (-snr_db / 20)
    level_db = rng.uniform(-38.0, -18.0)  # RMS level in dBFS: loudness varies by 20 dB
    y *= 10 ** (level_db / 20) / _rms(y)
    peak = np.max(np.abs(y))
    if peak > 0.95:
        y *= 0.95 / peak
    return y.astype(np.float32)
