"""course_utils.synth: each test signal has the spectrum it promises."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils import synth

SR = 16000


def peak_hz(y, sr=SR):
    return np.argmax(np.abs(np.fft.rfft(y))) * sr / len(y)


def test_sine_frequency_amplitude_length():
    y = synth.sine(1000, SR, 0.5, amplitude=0.25)
    assert y.shape == (8000,) and y.dtype == np.float32
    assert peak_hz(y) == pytest.approx(1000, abs=2)
    assert np.max(np.abs(y)) == pytest.approx(0.25, rel=1e-3)


def test_harmonic_tone_partials_and_no_aliasing():
    y = synth.harmonic_tone(1500, SR, 1.0, n_harmonics=10, envelope=False)
    mag = np.abs(np.fft.rfft(y))
    f = np.fft.rfftfreq(len(y), 1 / SR)
    strong = f[mag > 0.05 * mag.max()]
    # partials 1500..7500 Hz; 9000 Hz and above would alias and are left out
    assert set(np.round(strong / 1500).astype(int)) == {1, 2, 3, 4, 5}


def test_adsr_shape():
    env = synth.adsr(1600, 1600, attack=0.1, decay=0.1, sustain=0.5, release=0.2)
    assert env.shape == (1600,) and env.max() <= 1 and env.min() >= 0
    assert env[160] == pytest.approx(1.0, abs=0.01) and env[800] == pytest.approx(0.5)
    assert env[-1] == pytest.approx(0.0, abs=0.01)


def test_chirp_sweeps_up():
    y = synth.chirp(200, 4000, SR, 1.0)
    assert peak_hz(y[:2000]) < 1000 < 3000 < peak_hz(y[-2000:])


def test_clicks_positions_and_errors():
    y = synth.clicks([0.0, 0.25], SR, 0.5)
    assert np.flatnonzero(y).tolist() == [0, 4000]
    with pytest.raises(ValueError, match="outside"):
        synth.clicks([0.6], SR, 0.5)


def test_noise_rms_seed_and_colour():
    w = synth.noise(SR, 1.0, amplitude=0.1, seed=1)
    assert np.sqrt(np.mean(w.astype(float) ** 2)) == pytest.approx(0.1, rel=1e-3)
    np.testing.assert_array_equal(w, synth.noise(SR, 1.0, amplitude=0.1, seed=1))
    p = synth.noise(SR, 2.0, color="pink", seed=0)
    P = np.abs(np.fft.rfft(p)) ** 2
    f = np.fft.rfftfreq(len(p), 1 / SR)
    low, high = P[(f > 50) & (f < 200)].mean(), P[(f > 3200) & (f < 6400)].mean()
    assert low > 10 * high  # 1/f power: about 25x between these bands
    with pytest.raises(ValueError, match="color"):
        synth.noise(color="blue")


@pytest.mark.parametrize("bad", [dict(sr=0), dict(duration=0), dict(duration=-1)])
def test_invalid_parameters(bad):
    kwargs = dict(freq=440, sr=SR, duration=1.0) | bad
    with pytest.raises(ValueError, match="positive"):
        synth.sine(**kwargs)
