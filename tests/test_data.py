"""course_utils.data: the registry of shipped clips, checksums, and errors."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from course_utils import data

EXPECTED = {"speech_low", "speech_high", "welcome", "violin", "song", "arctic_a0007"}
ARCTIC_SHA256 = "1b850392f8c87ee2efe5a686523f1bab61d2a38d59bc43d1127e17e406f9e57d"
"""pysptk 1.0.1's example_audio_data/arctic_a0007.wav: the real recording is shipped unmodified."""


def test_registry_lists_the_shipped_clips():
    assert EXPECTED <= set(data.available())
    for name in data.available():
        entry = data.info(name)
        assert {"file", "sha256", "sr", "duration_s", "description", "licence",
                "provenance"} <= set(entry), name
        assert 0 < entry["duration_s"] <= 10


def test_shipped_data_is_small():
    total = sum(p.stat().st_size for p in data.data_dir().rglob("*") if p.is_file())
    assert total < 5 * 2 ** 20, f"data/ holds {total / 2 ** 20:.1f} MB, the limit is 5 MB"


def test_readme_documents_every_clip():
    readme = (data.data_dir() / "README.md").read_text()
    for name in data.available():
        entry = data.info(name)
        assert entry["file"] in readme and entry["sha256"] in readme, name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_clip_loads_with_registry_facts(name):
    entry = data.info(name)
    y, sr = data.load_example(name)
    assert sr == entry["sr"] and y.ndim == 1 and y.dtype == np.float32
    assert abs(len(y) / sr - entry["duration_s"]) < 0.06  # mp3 decoders may pad a frame
    assert 0.05 < np.max(np.abs(y)) <= 1.0


def test_every_clip_matches_its_checksum():
    for name in data.available():
        assert data.sha256(data.path(name, verify=False)) == data.info(name)["sha256"], name


def test_real_voice_is_the_unmodified_cmu_arctic_recording():
    """The one recorded clip: pysptk's copy byte for byte, 16 kHz, 4.0 s, its licence notice kept."""
    entry = data.info("arctic_a0007")
    assert entry["sha256"] == ARCTIC_SHA256 == data.sha256(data.path("arctic_a0007"))
    assert (entry["sr"], entry["channels"], entry["duration_s"]) == (16000, 1, 4.0)
    y, sr = data.load_example("arctic_a0007")
    assert sr == 16000 and len(y) == 64000
    y22, sr22 = data.load_example("arctic_a0007", sr=22050)
    assert sr22 == 22050 and abs(len(y22) - 88200) <= 1
    readme = (data.data_dir() / "README.md").read_text()
    for line in ("This voice is free for use for any purpose (commercial or otherwise)",
                 "###                     Carnegie Mellon University                        ##",
                 "###   2. Any modifications must be clearly marked as such.                ##",
                 "###  See http://www.festvox.org/cmu_arctic/ for more details              ##"):
        assert line in readme, f"data/README.md must keep the CMU ARCTIC notice verbatim: {line!r}"


def test_load_example_resamples():
    y, sr = data.load_example("welcome", sr=16000)
    assert sr == 16000
    assert abs(len(y) / 16000 - data.info("welcome")["duration_s"]) < 0.01


def test_unknown_name_lists_available():
    with pytest.raises(KeyError, match="speech_low"):
        data.path("speech_lo")


@pytest.fixture
def data_copy(tmp_path, monkeypatch):
    root = tmp_path / "data"
    shutil.copytree(data.data_dir(), root)
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    return root


def test_checksum_mismatch_is_reported(data_copy):
    file = data_copy / data.info("welcome")["file"]
    raw = bytearray(file.read_bytes())
    raw[-1] ^= 0xFF
    file.write_bytes(bytes(raw))
    with pytest.raises(data.ChecksumError, match="modified or corrupted"):
        data.load_example("welcome")
    assert data.path("welcome", verify=False) == file


def test_missing_clip_file(data_copy):
    (data_copy / data.info("violin")["file"]).unlink()
    with pytest.raises(FileNotFoundError, match="missing"):
        data.path("violin")


def test_missing_registry(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="registry.json"):
        data.available()


def test_registry_is_valid_json_sorted():
    text = (data.data_dir() / "registry.json").read_text()
    assert json.loads(text) == data.registry()
