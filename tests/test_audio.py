"""course_utils.audio: loading, saving, resampling, normalising, playing, and its error messages."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from course_utils import audio, synth


@pytest.fixture
def tone_file(tmp_path):
    y = synth.sine(440.0, sr=16000, duration=0.5, amplitude=0.5)
    path = tmp_path / "tone.wav"
    sf.write(path, y, 16000, subtype="FLOAT")
    return path, y


def test_load_roundtrip_matches_soundfile(tone_file):
    path, y = tone_file
    loaded, sr = audio.load(path)
    assert sr == 16000 and loaded.dtype == np.float32 and loaded.shape == y.shape
    np.testing.assert_allclose(loaded, y, atol=1e-7)


def test_load_resamples_like_librosa(tone_file):
    import librosa

    path, _ = tone_file
    y, sr = audio.load(path, sr=22050)
    ref, _ = librosa.load(path, sr=22050, res_type="soxr_hq")
    assert sr == 22050 and y.shape == ref.shape
    np.testing.assert_allclose(y, ref, atol=1e-5)


def test_load_stereo_mono_and_multichannel(tmp_path):
    left, right = synth.sine(300, 8000, 0.2, 0.5), synth.sine(500, 8000, 0.2, 0.3)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), 8000, subtype="FLOAT")
    mono, _ = audio.load(path)
    np.testing.assert_allclose(mono, (left + right) / 2, atol=1e-7)
    both, _ = audio.load(path, mono=False)
    assert both.shape == (2, len(left))


def test_save_then_load(tmp_path):
    y = synth.chirp(100, 2000, sr=8000, duration=0.3)
    path = audio.save(tmp_path / "sub" / "c.flac", y, 8000)
    back, sr = audio.load(path)
    assert sr == 8000
    np.testing.assert_allclose(back, y, atol=1 / 2 ** 15)  # 16-bit quantisation


def test_save_refuses_clipping(tmp_path):
    with pytest.raises(audio.AudioError, match="exceed"):
        audio.save(tmp_path / "loud.wav", np.array([0.5, 1.5, -0.2]), 8000)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.wav"):
        audio.load(tmp_path / "nope.wav")


def test_corrupt_or_unsupported_file(tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF\x00\x00\x00\x00WAVEgarbage")
    with pytest.raises(audio.AudioError, match="Cannot read bad.wav"):
        audio.load(bad)
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    with pytest.raises(audio.AudioError, match="Cannot read notes.txt"):
        audio.load(text)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    sf.write(path, np.zeros(0, dtype=np.float32), 8000)
    with pytest.raises(audio.AudioError, match="no samples"):
        audio.load(path)


@pytest.mark.parametrize("sr", [0, -8000, float("nan"), "22050"])
def test_non_positive_or_invalid_sample_rate(tone_file, sr):
    with pytest.raises(audio.AudioError, match="positive"):
        audio.load(tone_file[0], sr=sr)


def test_check_signal_errors():
    with pytest.raises(audio.AudioError, match="empty"):
        audio.check_signal(np.array([]))
    with pytest.raises(audio.AudioError, match="must be mono"):
        audio.check_signal(np.zeros((2, 10)), mono=True)
    with pytest.raises(audio.AudioError, match="NaN"):
        audio.check_signal(np.array([0.0, np.nan]))
    with pytest.raises(audio.AudioError, match="numeric"):
        audio.check_signal(np.array(["a", "b"]))


def test_normalisation_levels():
    y = synth.sine(440, 8000, 0.5, amplitude=0.1)
    peak = audio.peak_normalize(y, peak_db=-6.0)
    assert np.isclose(np.max(np.abs(peak)), 10 ** (-6 / 20), rtol=1e-6)
    loud = audio.rms_normalize(y, rms_db=-20.0)
    assert np.isclose(20 * np.log10(audio.rms(loud)), -20.0, atol=1e-4)
    for fn in (audio.peak_normalize, audio.rms_normalize):
        with pytest.raises(audio.AudioError, match="silent"):
            fn(np.zeros(100))


def test_resample_length_and_content():
    y = synth.sine(440, 16000, 1.0)
    out = audio.resample(y, 16000, 8000)
    assert out.shape == (8000,)
    f = np.argmax(np.abs(np.fft.rfft(out))) * 8000 / len(out)
    assert abs(f - 440) <= 1.0


def test_play_returns_audio_widget():
    player = audio.play(synth.sine(440, 8000, 0.1), 8000)
    assert player.data[:4] == b"RIFF" and len(player.data) > 800  # a WAV of 800 samples
    with pytest.raises(audio.AudioError):
        audio.play(np.zeros(10), 0)
