"""course_utils.plot: axes carry physical units and labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import librosa  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import plot, synth  # noqa: E402

SR = 8000


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_waveform_time_axis_in_seconds():
    y = synth.sine(100, SR, 0.5)
    ax = plot.waveform(y, SR, title="tone")
    x = ax.lines[0].get_xdata()
    assert x[-1] == pytest.approx((len(y) - 1) / SR)
    assert ax.get_xlabel() == "Time (s)" and ax.get_title() == "tone"
    with pytest.raises(ValueError, match="mono"):
        plot.waveform(np.zeros((2, 10)), SR)


def test_spectrum_peak_in_hz():
    ax = plot.spectrum(synth.sine(1000, SR, 0.5), SR)
    line = ax.lines[0]
    assert line.get_xdata()[np.argmax(line.get_ydata())] == pytest.approx(1000, abs=2)
    assert ax.get_xlim() == (0, SR / 2) and "Hz" in ax.get_xlabel()


@pytest.mark.parametrize("y_axis", ["hz", "mel", "log"])
def test_spectrogram_axes_and_colorbar(y_axis):
    y = synth.chirp(100, 3000, SR, 1.0)
    S = np.abs(librosa.stft(y, n_fft=256, hop_length=64)) ** 2
    if y_axis == "mel":
        S = librosa.feature.melspectrogram(S=S, sr=SR, n_mels=40)
    ax = plot.spectrogram(librosa.power_to_db(S), SR, hop_length=64, y_axis=y_axis)
    assert ax.get_xlabel() == "Time (s)" and "Hz" in ax.get_ylabel()
    assert ax.get_xlim()[1] == pytest.approx(S.shape[1] * 64 / SR, rel=0.05)
    cbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert cbar_axes and cbar_axes[0].get_ylabel() == "dB"


def test_compare_shares_scale_and_hides_spare_panels():
    a, b = np.zeros((20, 10)) - 80, np.zeros((20, 10))
    axes = plot.compare({"a": a, "b": b, "c": a}, SR, hop_length=64, ncols=2)
    assert axes.shape == (2, 2) and not axes[1, 1].get_visible()
    lims = {ax.collections[0].get_clim() for ax in axes.flat[:3]}
    assert lims == {(-80.0, 0.0)}


def test_overlay_and_outline():
    ax = plot.overlay({"x": synth.sine(100, SR, 0.1), "y": synth.sine(200, SR, 0.1)}, SR)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["x", "y"]
    plot.outline(ax, 0, 0, 0.05, 0.5)
    assert len(ax.patches) == 1
