"""06_ast's SpecAugment helper builds its masks on the device of its input (issue 12, section 4).

The helper (a read-only cell of the notebook, ``grade_id: training_helpers``) once built its masks
with ``torch.arange(size)`` on the CPU and applied them to a batch on ``cfg.device``: with the
paper's recipe on a GPU, the first batch failed with a device mismatch. No GPU exists here, so the
test runs the helper on the ``meta`` device, which torch checks for device mismatches exactly as it
checks ``cuda`` (the old helper raises "Tensor on device meta is not on the expected device cpu").
The helper is read from the solution notebook with ``benchmarks/_notebook_code.py`` (the loader
the benchmarks use), so nothing of the notebook is copied here.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def spec_augment():
    spec = importlib.util.spec_from_file_location("_notebook_code", ROOT / "benchmarks" / "_notebook_code.py")
    loader = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loader)
    return loader.load_functions("06_ast", ["spec_augment"], cells=["training_helpers"],
                                 setup="import torch")["spec_augment"]


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
