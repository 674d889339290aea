"""Speed and agreement of notebook 06's model-answer ``fbank`` against ``kaldi-native-fbank``.

The model answer (solutions/06_ast, loaded with ``_notebook_code.load_functions``) is vectorised
NumPy: frames by fancy indexing, DC removal, pre-emphasis and the window on all frames at once, one
``np.fft.rfft`` call and one matrix product with the mel filterbank. ``kaldi-native-fbank`` (a test
dependency of the course) is C++, frame by frame; its time includes reading the frames back one
``get_frame`` call at a time, the only way its Python API offers (a few per cent of its time).

Both get the same 60 s signals at 16 kHz with AST's settings (25 ms frames every 10 ms, snip edges,
DC removal, pre-emphasis 0.97, dither 0), at 80 and 64 bands (kaldi-native-fbank refuses 128 bands
at 16 kHz: one filter would be empty, see Part C of the notebook). Each time is the best of several
runs after a warm-up; the ratio is ours / kaldi-native-fbank's (below 1: ours is faster). The last
columns check that the two agree (same frame count, largest absolute difference of the natural-log
energies), so the table never compares two different computations. No timing is asserted: the
machine may be shared (see the load average).

Usage::

    python benchmarks/bench_06_fbank.py
"""

from __future__ import annotations

import os

import numpy as np

from _notebook_code import best_time, load_functions
from course_utils import data, synth

REPEATS = 5
SR = 16000


def knf_fbank(y: np.ndarray, sr: int, n_mels: int, window: str = "hanning") -> np.ndarray:
    """kaldi-native-fbank's log mel energies with AST's settings, shape (n_frames, n_mels)."""
    import kaldi_native_fbank as knf

    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq, opts.frame_opts.dither = float(sr), 0.0
    opts.frame_opts.window_type, opts.frame_opts.snip_edges = window, True
    opts.mel_opts.num_bins = n_mels
    opts.use_energy, opts.htk_compat = False, True
    computer = knf.OnlineFbank(opts)
    computer.accept_waveform(float(sr), y)
    computer.input_finished()
    return np.array([computer.get_frame(i) for i in range(computer.num_frames_ready)], dtype=np.float32)


def main() -> None:
    try:
        import kaldi_native_fbank as knf
    except ImportError:
        raise SystemExit("kaldi-native-fbank is not installed: pip install kaldi-native-fbank==1.23.0")
    fbank = load_functions("06_ast", ["fbank"], cells=["imports", "kaldi_constants", "kaldi_frames", "kaldi_window",
                                                       "kaldi_mel", "kaldi_mel_banks", "fbank"])["fbank"]
    speech, _ = data.load_example("speech_low", sr=SR)
    n = 60 * SR
    signals = {
        "pink noise": synth.noise(sr=SR, duration=60.0, color="pink", seed=0).astype(np.float32),
        "speech x N": np.resize(speech, n).astype(np.float32),       # the sentence repeated to 60 s
    }
    cases = [("pink noise", 80, "hanning"), ("pink noise", 64, "hanning"),
             ("speech x N", 80, "hanning"), ("speech x N", 23, "povey")]
    load = os.getloadavg()
    print(f"06_ast: fbank, model answer vs kaldi-native-fbank {knf.__version__}, 60 s at {SR} Hz "
          f"(best of {REPEATS}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    header = (f"{'input':<11} {'n_mels':>6} {'window':>8} {'ours (ms)':>10} {'knf (ms)':>9} {'ratio':>6} "
              f"{'frames':>13} {'max |diff|':>11}")
    print(header)
    print("-" * len(header))
    for name, n_mels, window in cases:
        y = signals[name]
        ours = fbank(y, SR, n_mels=n_mels, window=window)
        ref = knf_fbank(y, SR, n_mels, window)
        frames = f"{ours.shape[0]}/{ref.shape[0]}"
        diff = float(np.max(np.abs(ours - ref))) if ours.shape == ref.shape else float("nan")
        t_ours = best_time(lambda: fbank(y, SR, n_mels=n_mels, window=window), REPEATS)
        t_ref = best_time(lambda: knf_fbank(y, SR, n_mels, window), REPEATS)
        print(f"{name:<11} {n_mels:>6} {window:>8} {1e3 * t_ours:>10.1f} {1e3 * t_ref:>9.1f} "
              f"{t_ours / t_ref:>6.2f} {frames:>13} {diff:>11.1e}")
    print("max |diff| is in natural-log units (the notebook's tolerance is 5e-3); frames: ours/knf.")


if __name__ == "__main__":
    main()
