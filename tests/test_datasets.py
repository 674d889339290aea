"""course_utils.datasets: ESC-50's layout, determinism, caching, clear errors, the torch Dataset."""

from __future__ import annotations

import csv
import json
import time

import numpy as np
import pytest
import torch

from course_utils import audio, datasets, esc_synth

SMALL = dict(n_classes=3, clips_per_class=6, seed=1, sr=8000, duration=1.0)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return datasets.make_esc_synth(tmp_path_factory.mktemp("esc") / "small", **SMALL)


def rows(root):
    with open(root / "meta" / "esc50.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(root, header, body):
    (root / "meta").mkdir(parents=True, exist_ok=True)
    (root / "audio").mkdir(exist_ok=True)
    with open(root / "meta" / "esc50.csv", "w", newline="") as f:
        csv.writer(f).writerows([header, *body])


def test_layout_is_esc50(small):
    """audio/{fold}-{src}-{take}-{target}.wav and meta/esc50.csv with ESC-50's columns."""
    table = rows(small)
    assert list(table[0]) == list(datasets.ESC_COLUMNS)
    assert len(table) == 3 * 6
    assert sorted(p.name for p in (small / "audio").iterdir()) == sorted(r["filename"] for r in table)
    for r in table:
        assert r["filename"] == f"{r['fold']}-{r['src_file']}-{r['take']}-{r['target']}.wav"
        assert r["category"] == esc_synth.CLASSES[int(r["target"])][0]
        assert r["esc10"] == str(r["category"] in esc_synth.ESC10_CATEGORIES)
    y, sr = audio.load(small / "audio" / table[0]["filename"])
    assert sr == 8000 and y.shape == (8000,) and 0 < np.abs(y).max() <= 0.95


def test_folds_balanced_and_sources_do_not_cross_folds(small):
    """Each class has clips in all 5 folds; all takes of one source share a fold."""
    table = rows(small)
    for target in "012":
        counts = np.bincount([int(r["fold"]) for r in table if r["target"] == target], minlength=6)
        assert counts[1:].min() >= 1 and counts.sum() == 6
    fold_of = {}
    for r in table:
        assert fold_of.setdefault(r["src_file"], r["fold"]) == r["fold"]
    assert any(r["take"] == "B" for r in table), "some sources should have several takes"


def test_deterministic_from_seed(small, tmp_path):
    """The same parameters give identical files; another seed gives other sounds."""
    again = datasets.make_esc_synth(tmp_path / "again", **SMALL)
    name = rows(small)[0]["filename"]
    assert (again / "audio" / name).read_bytes() == (small / "audio" / name).read_bytes()
    assert (again / "meta" / "esc50.csv").read_bytes() == (small / "meta" / "esc50.csv").read_bytes()
    other = datasets.make_esc_synth(tmp_path / "other", **dict(SMALL, seed=2))
    assert rows(other) != rows(small)


def test_second_call_is_cached_and_new_parameters_regenerate(small, tmp_path, monkeypatch):
    """A matching manifest returns at once; changed parameters rebuild the folder."""
    root = tmp_path / "ds"
    datasets.make_esc_synth(root, **SMALL)
    manifest = json.loads((root / "manifest.json").read_text())
    assert manifest["params"]["n_classes"] == 3 and manifest["n_clips"] == 18

    def boom(*args, **kwargs):
        raise AssertionError("regenerated although cached")
    monkeypatch.setattr(datasets, "_write_synth", boom)
    t0 = time.perf_counter()
    assert datasets.make_esc_synth(root, **SMALL) == root
    assert time.perf_counter() - t0 < 1.0
    monkeypatch.undo()
    datasets.make_esc_synth(root, **dict(SMALL, clips_per_class=5))
    assert len(rows(root)) == 15
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folders left"


def test_default_root_under_course_cache_dir(tmp_path, monkeypatch):
    """Without root, the dataset goes under $COURSE_CACHE_DIR, named by its parameters."""
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    root = datasets.make_esc_synth(**dict(SMALL, clips_per_class=5))
    assert root.parent == tmp_path and "3x5" in root.name and (root / "manifest.json").is_file()


def test_never_overwrites_a_foreign_folder(tmp_path):
    """A non-empty folder that is not a generated dataset is left alone."""
    (tmp_path / "mine.txt").write_text("precious")
    with pytest.raises(FileExistsError, match="never overwritten"):
        datasets.make_esc_synth(tmp_path, **SMALL)
    assert (tmp_path / "mine.txt").read_text() == "precious"


@pytest.mark.parametrize("bad, match", [({"n_classes": 1}, "n_classes"),
                                        ({"n_classes": 99}, "n_classes"),
                                        ({"clips_per_class": 4}, "clips_per_class")])
def test_bad_parameters(tmp_path, bad, match):
    with pytest.raises(ValueError, match=match):
        datasets.make_esc_synth(tmp_path / "x", **dict(SMALL, **bad))


def test_esc_root_honours_environment(small, tmp_path, monkeypatch):
    """ESC50_ROOT points at a real ESC-50; a wrong value is a clear error."""
    monkeypatch.setenv("ESC50_ROOT", str(small))
    assert datasets.esc_root() == small
    monkeypatch.setenv("ESC50_ROOT", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="ESC50_ROOT"):
        datasets.esc_root()


def test_load_meta_records_and_folds(small):
    clips = datasets.load_esc_meta(small)
    assert len(clips) == 18 and datasets.folds(clips) == [1, 2, 3, 4, 5]
    assert datasets.class_names(clips) == ["dog", "rooster", "rain"]
    some = datasets.load_esc_meta(small, folds=[2, 5])
    assert {c.fold for c in some} == {2, 5} and all(c.path.is_file() for c in some)
    assert {c.fold for c in datasets.load_esc_meta(small, folds=3)} == {3}


def test_error_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="No dataset folder"):
        datasets.load_esc_meta(tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="meta/esc50.csv"):
        datasets.load_esc_meta(tmp_path)


def test_error_csv_with_missing_columns(tmp_path):
    write_csv(tmp_path, ["filename", "target", "category"], [["1-1-A-0.wav", "0", "dog"]])
    with pytest.raises(datasets.EscFormatError, match=r"lacks the column\(s\) \['fold'\]"):
        datasets.load_esc_meta(tmp_path)


def test_error_non_integer_fold(tmp_path):
    write_csv(tmp_path, ["filename", "fold", "target", "category"], [["x.wav", "one", "0", "dog"]])
    with pytest.raises(datasets.EscFormatError, match="line 2.*'fold'"):
        datasets.load_esc_meta(tmp_path)


def test_error_listed_but_absent_file(small, tmp_path):
    import shutil
    copy = shutil.copytree(small, tmp_path / "copy")
    gone = rows(copy)[4]["filename"]
    (copy / "audio" / gone).unlink()
    with pytest.raises(FileNotFoundError, match=f"1 file.*missing.*{gone}"):
        datasets.load_esc_meta(copy)
    assert len(datasets.load_esc_meta(copy, check_files=False)) == 18


def test_error_unknown_fold(small):
    with pytest.raises(ValueError, match=r"fold\(s\) \[6\] are not in .*folds are \[1, 2, 3, 4, 5\]"):
        datasets.load_esc_meta(small, folds=[1, 6])


def test_real_esc10_style_meta_with_44k_files(tmp_path):
    """Non-contiguous targets (ESC-10 within ESC-50) map to labels 0..k-1; files are resampled."""
    sr = 44100
    body = []
    for i, (target, cat, esc10) in enumerate([(0, "dog", True), (12, "crackling_fire", True),
                                              (30, "door_wood_knock", False), (40, "helicopter", True)]):
        name = f"{1 + i % 2}-{1000 + i}-A-{target}.wav"
        audio.save(tmp_path / "audio" / name, 0.1 * np.sin(np.arange(int(0.5 * sr)) * 0.05), sr)
        body.append([name, 1 + i % 2, target, cat, esc10, 1000 + i, "A"])
    write_csv(tmp_path, datasets.ESC_COLUMNS, body)
    assert [c.target for c in datasets.load_esc_meta(tmp_path, esc10_only=True)] == [0, 12, 40]
    ds = datasets.EscDataset(tmp_path, folds=2, sr=16000, duration=1.0, esc10_only=True,
                             transform=lambda y, sr: y[None, :10])
    assert ds.classes == [0, 12, 40] and ds.class_names == ["dog", "crackling_fire", "helicopter"]
    x, label = ds[0]
    assert label == 1 and x.shape == (1, 10)  # fold 2 holds the ESC-10 clips of targets 12 and 40
    assert [c.fold for c in ds.clips] == [2, 2] and ds.labels.tolist() == [1, 2]
    padded = datasets.load_clip(ds.clips[0].path, sr=16000, duration=1.0)
    assert padded.shape == (16000,) and np.all(padded[8100:] == 0)  # 0.5 s of audio, then zeros


def test_dataset_default_log_mel_and_tensors(small):
    ds = datasets.EscDataset(small, folds=[1, 2], sr=8000, duration=1.0)
    x, label = ds[0]
    assert isinstance(x, torch.Tensor) and x.dtype == torch.float32
    assert x.shape == (40, 1 + 8000 // 512) and isinstance(label, int)
    assert float(x.max()) - float(x.min()) <= 80.0 + 1e-3  # dB, floored 80 dB below the peak
    X, y = ds.tensors()
    assert X.shape == (len(ds), 40, 16) and y.dtype == torch.int64
    assert y.tolist() == [c.target for c in ds.clips]


def test_dataset_memory_cache_transform_and_augment(small):
    """The transform runs once per clip; augment runs on every access, on a copy."""
    calls = []

    def transform(y, sr):
        calls.append(1)
        return np.abs(y[:400]).reshape(4, 100)
    ds = datasets.EscDataset(small, folds=1, transform=transform, sr=8000, duration=1.0,
                             augment=lambda x: x * 0)
    first, _ = ds[0]
    second, _ = ds[0]
    assert len(calls) == 1 and float(first.abs().sum()) == 0
    assert ds.features(0).sum() > 0, "augment must not modify the cached features"
    ds.preload(progress=False)
    assert len(calls) == len(ds)


def test_dataset_disk_cache(small, tmp_path):
    """Features stored on disk are reused by a new Dataset; a custom transform needs a key."""
    calls = []

    def transform(y, sr):
        calls.append(1)
        return y[:300].reshape(3, 100)
    with pytest.raises(ValueError, match="cache_key"):
        datasets.EscDataset(small, transform=transform, cache_dir=tmp_path)
    kwargs = dict(folds=4, transform=transform, sr=8000, duration=1.0, cache_dir=tmp_path,
                  cache_key="first300")
    a = datasets.EscDataset(small, **kwargs).preload(progress=False)
    n = len(calls)
    b = datasets.EscDataset(small, **kwargs)
    np.testing.assert_array_equal(b[0][0].numpy(), a[0][0].numpy())
    assert len(calls) == n and len(list(tmp_path.rglob("*.npy"))) == len(a)
