"""Code that trains on a GPU keeps every tensor on the model's device; no GPU is here, so: meta.

06_ast's SpecAugment helper builds its masks on the device of its input (issue 12, section 4).

The helper (a read-only cell of the notebook, ``grade_id: training_helpers``) once built its masks
with ``torch.arange(size)`` on the CPU and applied them to a batch on ``cfg.device``: with the
paper's recipe on a GPU, the first batch failed with a device mismatch. No GPU exists here, so the
test runs the helper on the ``meta`` device, which torch checks for device mismatches exactly as it
checks ``cuda`` (the old helper raises "Tensor on device meta is not on the expected device cpu").
The helper is read from the solution notebook with ``benchmarks/_notebook_code.py`` (the loader
the benchmarks use), so nothing of the notebook is copied here.

The notebooks that train on ``DEVICE`` (the GPU when ``torch.cuda.is_available()``, issue 15) are
checked the same way: 05's ``train_model`` and ``evaluate``, 06's ``train_fold`` (its run goes to
``cfg.device``) and 07's ``train_detector`` with a model on meta, 08's ``perceive`` and ``nca_step``
with a grid and a rule on meta. Meta tensors hold no numbers, so a function that
keeps its data on the model's device runs until the first value is read back to Python
(``loss.item()``, ``.cpu()``), and the tests require exactly that error; one that leaves a batch or
a random mask on the CPU fails earlier, with the device mismatch a GPU would report. The first
test shows that torch reports such a mismatch on meta (the assumption the others rest on).
"""

from __future__ import annotations

import functools
import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@functools.cache
def _loader():
    spec = importlib.util.spec_from_file_location("_notebook_code", ROOT / "benchmarks" / "_notebook_code.py")
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    return loader


def load_functions(*args, **kwargs):
    return _loader().load_functions(*args, **kwargs)


@pytest.fixture(scope="module")
def spec_augment():
    return load_functions("06_ast", ["spec_augment"], cells=["training_helpers"],
                          setup="import torch")["spec_augment"]


@pytest.fixture(scope="module")
def nb05():
    return load_functions("05_audio_classification", ["train_model", "evaluate", "AudioCNN"],
                          cells=["imports", "AudioCNN", "evaluate", "train_model"])


@pytest.fixture(scope="module")
def nb08():
    return load_functions("08_nca_spectrograms", ["perceive", "nca_step", "UpdateRule"],
                          cells=["imports", "perceive", "UpdateRule", "living_mask", "nca_step"],
                          setup="N_CHANNELS, LEVEL, ALPHA = 12, 0, 1")


def test_meta_reports_a_device_mismatch():
    """The stand-in works: a CPU batch into a model on meta fails as it would on cuda."""
    model = torch.nn.Linear(4, 2).to("meta")
    with pytest.raises(RuntimeError, match="not on the expected device"):
        model(torch.zeros(3, 4))
    with pytest.raises(RuntimeError, match="expected|device"):
        torch.zeros(2, 1, 3, 3, device="meta") * (torch.rand(2, 1, 3, 3) < 0.5)


def test_masks_follow_the_input_device(spec_augment):
    """On the meta device (a stand-in for cuda) the helper runs and returns a tensor there."""
    x = torch.zeros(4, 50, 32, device="meta")
    out = spec_augment(x, 8, 12, torch.Generator().manual_seed(0))
    assert out.device.type == "meta", f"the output is on {out.device}, the input on meta"
    assert out.shape == x.shape


def test_masks_on_the_cpu_are_whole_bands_and_frames(spec_augment):
    """On the CPU: per clip, one band range narrower than freqm and one frame range narrower than timem are 0."""
    x = torch.ones(64, 40, 20)
    out = spec_augment(x, 6, 9, torch.Generator().manual_seed(1))
    assert torch.equal(x, torch.ones(64, 40, 20)), "the input must not change"
    for clip in out:
        bands = (clip == 0).all(dim=0).nonzero().flatten()       # masked bands: zero in every frame
        frames = (clip == 0).all(dim=1).nonzero().flatten()      # masked frames: zero in every band
        assert len(bands) < 6 and len(frames) < 9, f"mask widths {len(bands)} bands, {len(frames)} frames"
        for idx in (bands, frames):                              # one contiguous range each
            assert len(idx) == 0 or int(idx[-1] - idx[0]) == len(idx) - 1, f"masked indices {idx.tolist()}"
        expected = torch.ones(40, 20)
        expected[:, bands] = 0
        expected[frames, :] = 0
        assert torch.equal(clip, expected), "cells outside the masked bands and frames changed"
    assert (out == 0).any(), "no clip was masked in 64 draws"


def test_05_train_model_moves_model_and_batches(nb05):
    """train_model(device=...) moves the model there and every batch (plain and augmented) with it."""
    X, y = torch.randn(10, 40, 16), torch.arange(10) % 3
    for augment in (None, lambda x, rng: x * 0.5):
        model = nb05["AudioCNN"](n_mels=40, n_classes=3)
        with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
            nb05["train_model"](model, X, y, epochs=1, batch_size=4, augment=augment, progress=False,
                                device="meta")
        assert {p.device.type for p in model.parameters()} == {"meta"}, "the model was not moved"


def test_05_evaluate_predicts_on_the_model_device(nb05):
    """evaluate(device=...) sends each batch to the model's device and brings predictions back."""
    model = nb05["AudioCNN"](n_mels=40, n_classes=3).to("meta")
    with pytest.raises(NotImplementedError, match="Cannot copy out of meta tensor"):
        nb05["evaluate"](model, torch.randn(10, 40, 16), torch.arange(10) % 3, batch_size=4, device="meta")


def test_05_train_model_on_the_cpu_is_unchanged_by_the_device_argument(nb05):
    """device="cpu" (the default) and torch.device("cpu") train to the same losses."""
    X, y = torch.randn(12, 40, 16, generator=torch.Generator().manual_seed(0)), torch.arange(12) % 3
    losses = []
    for device in ("cpu", torch.device("cpu")):
        torch.manual_seed(1)
        losses.append(nb05["train_model"](nb05["AudioCNN"](n_mels=40, n_classes=3), X, y, epochs=2,
                                          batch_size=5, progress=False, device=device))
    assert losses[0] == losses[1]


def test_08_perceive_and_nca_step_stay_on_the_grid_device(nb08):
    """perceive's kernels and nca_step's random fire mask follow the grid to its device."""
    grid = torch.zeros(2, 12, 20, 32, device="meta")
    seen = nb08["perceive"](grid)
    assert seen.device.type == "meta" and seen.shape == (2, 48, 20, 32)
    rule = nb08["UpdateRule"]().to("meta")
    out = nb08["nca_step"](grid, rule, 0.5, torch.Generator().manual_seed(0))
    assert out.device.type == "meta" and out.shape == grid.shape


def test_06_train_fold_keeps_the_run_on_cfg_device():
    """06's train_fold puts the model and the data on cfg.device; the masks follow (SMALL-like AST)."""
    from dataclasses import replace

    f = load_functions("06_ast", ["train_fold", "ASTConfig"],
                       cells=["imports", "num_patches", "PatchEmbed", "MultiHeadSelfAttention", "ASTConfig",
                              "TransformerBlock", "AST", "training_helpers", "train_fold"])
    cfg = replace(f["ASTConfig"](), n_mels=16, target_length=32, embed_dim=16, depth=1, num_heads=2,
                  epochs=1, batch_size=4, freqm=4, timem=8, device="meta")
    X, y = torch.randn(8, cfg.input_frames, 16), torch.arange(8) % 2
    with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
        f["train_fold"](cfg, X, y, X, y, n_classes=2)


def test_07_train_detector_moves_model_and_batches():
    """07's train_detector(device=...) trains on that device (here: to the first value read back)."""
    f = load_functions("07_spectttra", ["train_detector"], cells=["imports", "train_detector"])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(24, 2))
    with pytest.raises(RuntimeError, match=r"item\(\) cannot be called on meta"):
        f["train_detector"](model, torch.randn(10, 4, 6), torch.arange(10) % 2, epochs=1, device="meta")
    assert {p.device.type for p in model.parameters()} == {"meta"}
