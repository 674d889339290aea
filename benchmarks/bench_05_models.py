"""Held-out accuracy of notebook 05's models and of an MFCC-mean + logistic-regression baseline.

The models, features, SpecAugment and training loop are the model answers of
solutions/05_audio_classification (loaded with ``_notebook_code.load_functions``), with the
notebook's settings: log-mel 40 bands, n_fft 1024, hop 1024 (79 frames per 5-s clip), per-sample
normalisation; AdamW + OneCycle, batch 32, 12 epochs; SpecAugment 2 frequency masks of up to 6
bands and 2 time masks of up to 8 frames. Folds 1-4 train, fold 5 (80 clips) is held out, as in
the notebook. Each model is trained with several seeds (mean, std, min, max over seeds); the CNN
is also trained without SpecAugment (the notebook's ablation).

The baseline is the mean over time of 20 MFCCs (librosa, same n_fft and hop), standardised with the
training statistics, and a multinomial logistic regression (a torch ``nn.Linear`` trained to
convergence with L-BFGS, L2 penalty 1e-3). It sees the average spectrum envelope of a clip and
nothing about its time structure. No accuracy is asserted; the machine may be shared.

Usage::

    python benchmarks/bench_05_models.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import os
import time

import librosa
import numpy as np
import torch

from _notebook_code import load_functions
from course_utils import datasets

CELLS = ["imports", "log_mel", "spec_augment", "AudioCNN", "AudioRNN", "AudioTransformer", "evaluate", "train_model"]
FEATURES = dict(n_fft=1024, hop_length=1024, n_mels=40)
EPOCHS = 12


def mfcc_linear(train_clips, test_clips, y_train, y_test, sr=16000):
    """Held-out accuracy of logistic regression on standardised time-averaged MFCCs."""
    def mfcc_mean(clip_list):
        return np.stack([librosa.feature.mfcc(y=datasets.load_clip(c.path, sr=sr), sr=sr, n_mfcc=20,
                                              n_fft=FEATURES["n_fft"], hop_length=FEATURES["hop_length"]).mean(axis=1)
                         for c in clip_list])
    M_train, M_test = mfcc_mean(train_clips), mfcc_mean(test_clips)
    mu, sd = M_train.mean(axis=0), M_train.std(axis=0) + 1e-8
    A_train = torch.tensor((M_train - mu) / sd, dtype=torch.float32)
    A_test = torch.tensor((M_test - mu) / sd, dtype=torch.float32)
    torch.manual_seed(0)
    linear = torch.nn.Linear(A_train.shape[1], int(y_train.max()) + 1)
    opt = torch.optim.LBFGS(linear.parameters(), max_iter=500, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(linear(A_train), y_train) + 1e-3 * linear.weight.pow(2).sum()
        loss.backward()
        return loss
    opt.step(closure)
    with torch.no_grad():
        train_acc = (linear(A_train).argmax(1) == y_train).float().mean().item()
        test_acc = (linear(A_test).argmax(1) == y_test).float().mean().item()
    return train_acc, test_acc


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="training seeds per model")
    args = parser.parse_args()
    torch.set_num_threads(2)
    f = load_functions("05_audio_classification", ["log_mel", "spec_augment", "AudioCNN", "AudioRNN",
                                                   "AudioTransformer", "train_model", "evaluate"], cells=CELLS)
    root = datasets.esc_root()
    transform = lambda y, sr: f["log_mel"](y, sr, **FEATURES)
    train_ds = datasets.EscDataset(root, folds=[1, 2, 3, 4], transform=transform)
    test_ds = datasets.EscDataset(root, folds=5, transform=transform)
    X_train, y_train = train_ds.tensors()
    X_test, y_test = test_ds.tensors()
    n_classes = len(train_ds.classes)
    augment = lambda x, rng: f["spec_augment"](x, 2, 6, 2, 8, rng)
    print(f"dataset {root.name}: train {tuple(X_train.shape)}, test {tuple(X_test.shape)}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    rows = []
    configs = [("AudioCNN + SpecAugment", "AudioCNN", augment, 3e-3),
               ("AudioCNN, no SpecAugment", "AudioCNN", None, 3e-3),
               ("AudioRNN + SpecAugment", "AudioRNN", augment, 3e-3),
               ("AudioTransformer + SpecAugment", "AudioTransformer", augment, 1e-3)]
    for label, cls, aug, lr in configs:
        accs, t0 = [], time.perf_counter()
        for seed in range(args.seeds):
            torch.manual_seed(seed)
            model = f[cls](n_mels=FEATURES["n_mels"], n_classes=n_classes)
            f["train_model"](model, X_train, y_train, epochs=EPOCHS, lr=lr, augment=aug, seed=seed, progress=False)
            accs.append(f["evaluate"](model, X_test, y_test)[0])
        n_params = sum(p.numel() for p in model.parameters())
        rows.append((label, n_params, np.array(accs), (time.perf_counter() - t0) / args.seeds))
        print(f"  {label}: {np.round(accs, 3).tolist()}", flush=True)
    train_acc, lin_acc = mfcc_linear(train_ds.clips, test_ds.clips, y_train, y_test)
    print(f"\nheld-out fold 5 accuracy ({len(y_test)} clips, chance {1 / n_classes:.2f}), {args.seeds} seeds each")
    print(f"{'model':32s} {'params':>8s} {'mean':>6s} {'std':>6s} {'min':>6s} {'max':>6s} {'s/run':>6s}")
    for label, n_params, accs, secs in rows:
        print(f"{label:32s} {n_params:8,d} {accs.mean():6.3f} {accs.std():6.3f} {accs.min():6.3f} {accs.max():6.3f} {secs:6.1f}")
    print(f"{'MFCC mean + logistic regression':32s} {21 * n_classes:8,d} {lin_acc:6.3f} {'-':>6s} {'-':>6s} {'-':>6s} {'-':>6s}"
          f"   (train accuracy {train_acc:.3f})")


if __name__ == "__main__":
    main()
