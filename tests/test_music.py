"""course_utils.music: procedural songs, their Griffin-Lim resynthesis and the cached data set
of notebook 07."""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from course_utils import music

SR = 16000


def _mel_db(y):
    S = librosa.feature.melspectrogram(y=y, sr=SR, power=2.0, **music.MEL_KWARGS)
    return librosa.power_to_db(S, ref=1.0, top_db=80.0)


def test_midi_to_hz_concert_pitch_and_octaves():
    np.testing.assert_allclose(music.midi_to_hz([57, 69, 81]), [220.0, 440.0, 880.0], rtol=1e-12)


def test_song_is_deterministic_from_its_seed():
    a, b, c = music.song(3), music.song(3), music.song(4)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_song_shape_dtype_and_peak():
    y = music.song(0, duration=1.25, sr=SR)
    assert y.shape == (round(1.25 * SR),) and y.dtype == np.float32
    assert np.all(np.isfinite(y))
    np.testing.assert_allclose(np.max(np.abs(y)), 10 ** (-1 / 20), rtol=1e-5)  # -1 dBFS


def test_notes_never_alias():
    """Partials stop below 0.45 sr, vibrato included, so a high note has no folded energy."""
    sr = 8000
    timbre = {"n_harmonics": 12, "rolloff": 0.5, "attack": 0.01, "decay": 1.0,
              "vibrato_hz": 5.0, "vibrato_depth": 0.006}
    y = music._tone(850.0, sr, sr, timbre, np.random.default_rng(0))   # partials 850, ..., 3400 Hz
    X = np.abs(np.fft.rfft(y * np.hanning(len(y)))) ** 2
    f = np.fft.rfftfreq(len(y), 1 / sr)
    assert X[f > 3500].sum() < 1e-6 * X.sum()                          # 4250 Hz would fold to 3750
    assert X[(f > 3300) & (f < 3500)].sum() > 1e-3 * X.sum()           # the 4th partial is kept


def test_songs_vary_in_tempo_and_timbre():
    """Different seeds give different spectral centroids and onset rates."""
    centroids, onsets = [], []
    for seed in range(12):
        y = music.song(seed, duration=2.0, sr=SR)
        centroids.append(librosa.feature.spectral_centroid(y=y, sr=SR).mean())
        onsets.append(len(librosa.onset.onset_detect(y=y, sr=SR)))
    assert np.std(centroids) > 0.1 * np.mean(centroids)
    assert max(onsets) - min(onsets) >= 3


def test_resynthesize_keeps_the_mel_spectrogram_but_not_the_waveform():
    y = music.song(1, duration=2.0, sr=SR)
    z = music.resynthesize(y, SR, n_iter=16, seed=0)
    assert z.shape == y.shape and z.dtype == np.float32
    np.testing.assert_allclose(np.max(np.abs(z)), 10 ** (-1 / 20), rtol=1e-5)
    # The mel spectrograms agree in their coarse shape (correlation of dB values) ...
    r = np.corrcoef(_mel_db(y).ravel(), _mel_db(z).ravel())[0, 1]
    assert r > 0.8, r
    # ... but the waveforms do not: Griffin-Lim has its own phase.
    assert abs(np.corrcoef(y, z)[0, 1]) < 0.5


def test_resynthesize_is_seeded_and_batched():
    y = np.stack([music.song(s, duration=1.0, sr=SR) for s in (5, 6)])
    z1 = music.resynthesize(y, SR, n_iter=4, seed=2)
    z2 = music.resynthesize(y, SR, n_iter=4, seed=2)
    assert z1.shape == y.shape
    assert np.array_equal(z1, z2)
    assert not np.allclose(z1, music.resynthesize(y, SR, n_iter=4, seed=3))


def test_cache_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "c"))
    assert music.cache_dir() == tmp_path / "c" and (tmp_path / "c").is_dir()


def test_cache_dir_falls_back_to_temp_when_not_writable(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.setattr(music.tempfile, "gettempdir", lambda: str(tmp_path / "tmp"))
    assert music.cache_dir() == tmp_path / "tmp" / "course_utils_cache"


@pytest.fixture
def private_temp(tmp_path, monkeypatch):
    """Keep the fallback cache (system temp) of these tests inside tmp_path."""
    monkeypatch.setattr(music.tempfile, "gettempdir", lambda: str(tmp_path / "systemp"))
    return tmp_path / "systemp" / "course_utils_cache"


def test_detection_dataset_layout_and_cache(tmp_path, monkeypatch, private_temp):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    d = music.detection_dataset(n_songs=3, duration=0.5, sr=SR, n_iter=2, seed=1)
    assert d["audio"].shape == (6, SR // 2) and d["audio"].dtype == np.float32
    assert d["label"].tolist() == [0, 0, 0, 1, 1, 1]
    assert d["song"].tolist() == [0, 1, 2, 0, 1, 2] and d["sr"] == SR
    assert np.array_equal(d["audio"][1], music.song(1 * 100003 + 1, 0.5, SR))
    files = list(tmp_path.glob("music_detection_*.npz"))
    assert len(files) == 1
    # A second call reads the cache: the generator is not run again.
    monkeypatch.setattr(music, "song", lambda *a, **k: pytest.fail("cache not used"))
    again = music.detection_dataset(n_songs=3, duration=0.5, sr=SR, n_iter=2, seed=1)
    assert all(np.array_equal(d[k], again[k]) for k in ("audio", "label", "song"))
    assert again["sr"] == SR


def test_detection_dataset_regenerates_a_broken_cache_and_can_skip_it(tmp_path, monkeypatch, private_temp):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    d = music.detection_dataset(n_songs=2, duration=0.25, sr=SR, n_iter=1)
    (file,) = tmp_path.glob("music_detection_*.npz")
    file.write_bytes(b"truncated")
    again = music.detection_dataset(n_songs=2, duration=0.25, sr=SR, n_iter=1)
    assert np.array_equal(d["audio"], again["audio"])
    file.unlink()
    music.detection_dataset(n_songs=2, duration=0.25, sr=SR, n_iter=1, cache=False)
    assert not list(tmp_path.glob("*.npz"))


def test_detection_dataset_reads_a_read_only_shared_cache(tmp_path, monkeypatch, private_temp):
    """In the grading sandbox the shared cache is read-only: a copy there is used, not regenerated."""
    shared = tmp_path / "shared"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(shared))
    d = music.detection_dataset(n_songs=2, duration=0.25, sr=SR, n_iter=1, seed=3)
    assert len(list(shared.glob("music_detection_*.npz"))) == 1
    # Now the shared folder cannot be written: cache_dir() falls back to the private temp folder.
    monkeypatch.setattr(music, "cache_dir", lambda: private_temp)
    monkeypatch.setattr(music, "song", lambda *a, **k: pytest.fail("the shared cache was not used"))
    again = music.detection_dataset(n_songs=2, duration=0.25, sr=SR, n_iter=1, seed=3)
    assert np.array_equal(d["audio"], again["audio"])
    assert not private_temp.exists() or not list(private_temp.glob("*.npz"))
