"""Speed of notebook 03's model-answer ``melspectrogram`` against ``librosa.feature.melspectrogram``.

The model answer (solutions/03_mel_mfcc, loaded with ``_notebook_code.load_functions``) takes the
power of ``librosa.stft`` and multiplies by its own vectorised mel filterbank, built on every
call as librosa builds its own. Both run on the same inputs, with the same settings, in the same
process; each time is the best of several runs after a warm-up. The ratio is ours / librosa's
(below 1: ours is faster). The last column checks that the two agree, so the table never compares
two different computations. No timing is asserted: the machine may be shared (see the load).

Usage::

    python benchmarks/bench_03_mel.py
"""

from __future__ import annotations

import os

import librosa
import numpy as np

from _notebook_code import best_time, load_functions
from course_utils import data, synth

REPEATS = 7



def main() -> None:
    ours = load_functions("03_mel_mfcc", ["melspectrogram"],
                          cells=["imports", "slaney_constants", "hz_to_mel", "mel_to_hz",
                                 "mel_filterbank", "melspectrogram"])["melspectrogram"]
    sr = 22050
    speech, _ = data.load_example("speech_low", sr=sr)
    noise = synth.noise(sr=sr, duration=60.0, color="pink", seed=0)
    cases = [
        ("speech_low", speech, dict(n_fft=2048, hop_length=512, n_mels=128)),
        ("speech_low", speech, dict(n_fft=1024, hop_length=256, n_mels=80, fmin=1.0, fmax=8192.0)),
        ("pink noise", noise, dict(n_fft=2048, hop_length=512, n_mels=128)),
        ("pink noise", noise, dict(n_fft=512, hop_length=128, n_mels=40)),
    ]
    load = os.getloadavg()
    print(f"03_mel_mfcc: melspectrogram, model answer vs librosa {librosa.__version__} "
          f"(best of {REPEATS}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    header = (f"{'input':<11} {'length':>7} {'n_fft':>6} {'hop':>5} {'n_mels':>6} "
              f"{'ours (ms)':>10} {'librosa (ms)':>13} {'ratio':>6} {'max rel. diff':>14}")
    print(header)
    print("-" * len(header))
    for name, y, kw in cases:
        M_ours = ours(y, sr=sr, **kw)
        M_ref = librosa.feature.melspectrogram(y=y, sr=sr, **kw)
        # relative to the largest value: tiny cells of silence would dominate an elementwise ratio
        diff = float(np.max(np.abs(M_ours - M_ref)) / np.max(np.abs(M_ref)))
        t_ours = best_time(lambda: ours(y, sr=sr, **kw), REPEATS)
        t_ref = best_time(lambda: librosa.feature.melspectrogram(y=y, sr=sr, **kw), REPEATS)
        print(f"{name:<11} {len(y) / sr:>6.1f}s {kw['n_fft']:>6} {kw['hop_length']:>5} {kw['n_mels']:>6} "
              f"{1e3 * t_ours:>10.2f} {1e3 * t_ref:>13.2f} {t_ours / t_ref:>6.2f} {diff:>14.1e}")


if __name__ == "__main__":
    main()
