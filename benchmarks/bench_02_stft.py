"""Speed of the model answer's stft and istft (notebook 02) against librosa's, on 60 s of audio.

Usage:
    python benchmarks/bench_02_stft.py               # best of 7 runs per row
    python benchmarks/bench_02_stft.py --repeat 15

The functions are taken from the solution notebook itself (``solutions/02_stft/02_stft.ipynb``):
only the cells with the listed nbgrader grade_ids are executed (see ``_notebook_code.py``). The
signal is 60 s of synthetic audio at 22050 Hz (a chirp, a harmonic tone and noise; the shipped
clips are at most 10 s). Each function runs once to warm up (numba compiles librosa's
overlap-add on first use), then ``--repeat`` times; the table shows the best time, which is the
least disturbed by other processes. The issue's target: the solution's ``stft`` within 2x of
``librosa.stft``. This script prints; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _notebook_code import best_time, load_functions  # noqa: E402

import librosa  # noqa: E402

from course_utils import synth  # noqa: E402

SR = 22050
DURATION_S = 60.0
CELLS = ["imports", "frame_signal", "stft", "overlap_add", "istft"]



def signal(dtype) -> np.ndarray:
    """60 s test signal: a slow chirp, a harmonic tone and white noise, shape (1323000,)."""
    y = (synth.chirp(100, 8000, sr=SR, duration=DURATION_S, amplitude=0.4)
         + synth.harmonic_tone(150, sr=SR, duration=DURATION_S, amplitude=0.4, envelope=False)
         + synth.noise(sr=SR, duration=DURATION_S, amplitude=0.05, seed=0))
    return y.astype(dtype)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed runs per row (best is shown)")
    args = parser.parse_args(argv)

    f = load_functions("02_stft", ["stft", "istft"], cells=CELLS)
    stft, istft = f["stft"], f["istft"]
    load = os.getloadavg()[0]
    rows = []
    for dtype in (np.float32, np.float64):
        y = signal(dtype)
        for n_fft, hop in ((2048, 512), (512, 128)):
            D_ref = librosa.stft(y, n_fft=n_fft, hop_length=hop)
            err = np.abs(stft(y, n_fft=n_fft, hop_length=hop) - D_ref).max() / np.abs(D_ref).max()
            t_mine = best_time(lambda: stft(y, n_fft=n_fft, hop_length=hop), args.repeat)
            t_ref = best_time(lambda: librosa.stft(y, n_fft=n_fft, hop_length=hop), args.repeat)
            rows.append(("stft", n_fft, hop, np.dtype(dtype).name, t_mine, t_ref, err, "2x"))

            ref_y = librosa.istft(D_ref, hop_length=hop, length=len(y))
            err = np.abs(istft(D_ref, hop_length=hop, length=len(y)) - ref_y).max()
            t_mine = best_time(lambda: istft(D_ref, hop_length=hop, length=len(y)), args.repeat)
            t_ref = best_time(lambda: librosa.istft(D_ref, hop_length=hop, length=len(y)), args.repeat)
            rows.append(("istft", n_fft, hop, np.dtype(dtype).name, t_mine, t_ref, err, "-"))

    print(f"\nNotebook 02 model answer vs librosa {librosa.__version__}, {DURATION_S:.0f} s of audio "
          f"at {SR} Hz, best of {args.repeat} (1-min load average before: {load:.2f}; "
          "a busy machine inflates every time)\n")
    print("| function | n_fft | hop | dtype   | solution (ms) | librosa (ms) | ratio | target  | "
          "max error |")
    print("|----------|------:|----:|---------|--------------:|-------------:|------:|---------|"
          "----------:|")
    for name, n_fft, hop, dtype, t_mine, t_ref, err, target in rows:
        ratio = t_mine / t_ref
        mark = "" if target == "-" else (" ok" if ratio <= 2 else " SLOW")
        print(f"| {name:<8} | {n_fft:5d} | {hop:3d} | {dtype:<7} | {1e3 * t_mine:13.1f} | "
              f"{1e3 * t_ref:12.1f} | {ratio:5.2f} | {target + mark:<7} | {err:9.1e} |")
    print("\nratio = solution / librosa (target for stft: at most 2). max error: stft relative to "
          "max|D|, istft absolute (samples in [-1, 1]).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
