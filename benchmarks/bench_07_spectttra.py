"""Notebook 07 (SpecTTTra): speed and peak memory against a 16x16 ViT on long inputs, and the spread
over training seeds that justifies the accuracy floor of the detector test.

The models are the notebook's own (``SpecTTTra`` and ``PatchViT``, loaded from
solutions/07_spectttra with ``_notebook_code.load_functions``), 64-dimensional tokens, 2 layers,
4 heads, random weights. For each input length and model it prints the number of tokens, the best
wall time of 5 runs and the peak memory of torch's CPU allocator (PyTorch profiler, the notebook's
``peak_memory_mb``), for inference (eval, no_grad, one example) and for one training step
(forward + backward, a batch of 4), next to the size of one layer's attention matrix
(batch x heads x N x N float32). No timing is asserted: the machine may be shared (see the load).

With ``--seeds N`` it also trains the notebook's detector (SpecTTTra-beta, dim 32, 10 epochs, the
notebook's data and split) with N training seeds and prints the held-out accuracy on the test songs
and on 24 new songs (data-set seed 7, as the hidden test), with min, median and max.

Usage::

    python benchmarks/bench_07_spectttra.py              # speed and memory tables
    python benchmarks/bench_07_spectttra.py --seeds 10   # + accuracy over 10 training seeds (minutes)
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import torch

from _notebook_code import best_time, load_functions
from course_utils import music

CELLS = ["imports", "spectttra_mel", "n_frames_for", "spectttra_tokens", "vit_tokens",
         "sinusoidal_table", "STTokenizer", "SpecTTTra", "accuracy", "train_detector", "PatchViT",
         "peak_memory_mb"]
NAMES = ["spectttra_mel", "n_frames_for", "spectttra_tokens", "vit_tokens", "SpecTTTra",
         "accuracy", "train_detector", "PatchViT", "peak_memory_mb"]
VARIANTS = {"SpecTTTra-a": dict(t_clip=3, f_clip=1), "SpecTTTra-b": dict(t_clip=5, f_clip=3),
            "SpecTTTra-g": dict(t_clip=7, f_clip=5), "ViT 16x16": None}  # as in the notebook


def best_ms(fn, repeats: int = 5) -> float:
    """Best wall time of fn() in ms over ``repeats`` runs, after one warm-up call."""
    return 1000 * best_time(fn, repeats)


def speed_and_memory(f) -> None:
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; torch threads "
          f"{torch.get_num_threads()}")
    header = (f"{'input':>6} {'model':12} {'tokens':>6} | {'infer ms':>9} {'peak MiB':>9} "
              f"{'attn MiB':>9} | {'train ms':>9} {'peak MiB':>9} {'attn MiB':>9}")
    print(header)
    print("-" * len(header))
    for seconds in (10, 30, 60, 120):
        n_frames = f["n_frames_for"](seconds)
        one, four = torch.randn(1, 128, n_frames), torch.randn(4, 128, n_frames)
        labels = torch.zeros(4, dtype=torch.long)
        for name, clips in VARIANTS.items():
            torch.manual_seed(0)
            if clips is None:
                model, n_tok = f["PatchViT"](128, n_frames), f["vit_tokens"](128, n_frames)
            else:
                model = f["SpecTTTra"](128, n_frames, **clips, dim=64)
                n_tok = f["spectttra_tokens"](128, n_frames, **clips)

            def infer():
                with torch.no_grad():
                    model(one)

            def step():
                model.zero_grad(set_to_none=True)
                torch.nn.functional.cross_entropy(model(four), labels).backward()

            model.eval()
            t_inf, m_inf = best_ms(infer), f["peak_memory_mb"](infer)
            model.train()
            t_tr, m_tr = best_ms(step, repeats=3), f["peak_memory_mb"](step)
            attn = 4 * n_tok ** 2 * 4 / 2 ** 20
            print(f"{seconds:>5}s {name:12} {n_tok:>6} | {t_inf:>9.1f} {m_inf:>9.1f} {attn:>9.1f} | "
                  f"{t_tr:>9.1f} {m_tr:>9.1f} {4 * attn:>9.1f}", flush=True)


def seed_spread(f, n_seeds: int) -> None:
    sr, duration = 16000, 2.0
    data = music.detection_dataset(n_songs=96, duration=duration, sr=sr, n_iter=16, seed=0)
    new = music.detection_dataset(n_songs=24, duration=duration, sr=sr, n_iter=16, seed=7)
    mel = f["spectttra_mel"]
    mels = np.stack([mel(clip, sr, duration=duration) for clip in data["audio"]])
    new_mels = np.stack([mel(clip, sr, duration=duration) for clip in new["audio"]])
    train = data["song"] < 72
    mean, std = float(mels[train].mean()), float(mels[train].std())

    def tensor(x):
        return torch.from_numpy((x - mean) / std).float()

    X_tr, X_te, X_new = tensor(mels[train]), tensor(mels[~train]), tensor(new_mels)
    y_tr, y_te = torch.from_numpy(data["label"][train]), torch.from_numpy(data["label"][~train])
    y_new = torch.from_numpy(new["label"])
    print(f"\nDetector over {n_seeds} training seeds (model init torch.manual_seed(seed), "
          f"train_detector(..., seed=seed)); load {os.getloadavg()[0]:.1f}")
    print(f"{'seed':>4} {'test songs':>10} {'new songs':>10} {'train s':>8}")
    tests, news = [], []
    for seed in range(n_seeds):
        torch.manual_seed(seed)
        model = f["SpecTTTra"](128, X_tr.shape[-1], t_clip=5, f_clip=3, dim=32, depth=2, heads=4)
        start = time.perf_counter()
        f["train_detector"](model, X_tr, y_tr, epochs=10, batch_size=16, lr=2e-3, seed=seed)
        seconds = time.perf_counter() - start
        tests.append(f["accuracy"](model, X_te, y_te))
        news.append(f["accuracy"](model, X_new, y_new))
        print(f"{seed:>4} {tests[-1]:>10.3f} {news[-1]:>10.3f} {seconds:>8.1f}", flush=True)
    for name, acc in [("test songs", tests), ("new songs", news)]:
        print(f"{name}: min {min(acc):.3f}, median {np.median(acc):.3f}, max {max(acc):.3f}, "
              f"mean {np.mean(acc):.3f} +- {np.std(acc):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=0, help="train the detector with this many seeds")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed and memory tables")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (default 1: stable times on a shared machine)")
    args = parser.parse_args()
    os.environ.setdefault("KINETO_LOG_LEVEL", "9")
    torch.set_num_threads(args.threads)
    f = load_functions("07_spectttra", NAMES, cells=CELLS)
    if not args.no_speed:
        speed_and_memory(f)
    if args.seeds:
        seed_spread(f, args.seeds)


if __name__ == "__main__":
    main()
