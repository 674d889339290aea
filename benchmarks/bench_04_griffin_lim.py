"""Speed of notebook 04's model-answer ``griffin_lim`` against ``librosa.griffinlim``, and the spread
over random starts that justifies the margins of notebook 04's tests.

The model answer (solutions/04_griffin_lim, loaded with ``_notebook_code.load_functions``) runs
``librosa.stft`` / ``librosa.istft`` in a loop, as librosa's own implementation does; both run on the
same magnitude, with the same settings (32 iterations, zero-phase start so that both compute the
same thing), in the same process; each time is the best of several runs after a warm-up. The ratio
is ours / librosa's (below 1: ours is faster). The last two columns give the spectral convergence
(dB) each reaches, so the table never compares two different computations. No timing is asserted:
the machine may be shared (see the load average).

With ``--seeds N`` it also runs N random starts of both implementations (classic and fast) on the
excerpts the tests use and prints mean, standard deviation and range of the spectral convergence
after 32 iterations, the smallest win of the fast variant over the classic one from the same start,
and the largest difference between one start of ours and one of librosa's.

Usage::

    python benchmarks/bench_04_griffin_lim.py             # timing table
    python benchmarks/bench_04_griffin_lim.py --seeds 20  # + spread over random starts (a few minutes)
"""

from __future__ import annotations

import argparse
import os

import librosa
import numpy as np

from _notebook_code import best_time, load_functions
from course_utils import data

REPEATS = 5
N_ITER = 32



def sc_db(S: np.ndarray, y: np.ndarray, hop_length: int) -> float:
    """Spectral convergence 20 log10(||S - |STFT(y)| ||_F / ||S||_F) in dB."""
    E = np.abs(librosa.stft(y, n_fft=2 * (S.shape[0] - 1), hop_length=hop_length))
    return float(20 * np.log10(np.linalg.norm(S - E) / np.linalg.norm(S)))


def timing(ours) -> None:
    sr = 22050
    speech, _ = data.load_example("speech_low", sr=sr)
    cases = [(1024, 256, 0.0), (1024, 256, 0.99), (2048, 512, 0.99), (512, 128, 0.99)]
    load = os.getloadavg()
    print(f"04_griffin_lim: griffin_lim, model answer vs librosa {librosa.__version__} griffinlim, "
          f"{N_ITER} iterations from zero phase, speech_low {len(speech) / sr:.1f} s "
          f"(best of {REPEATS}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    header = (f"{'n_fft':>6} {'hop':>5} {'momentum':>8} {'ours (ms)':>10} {'librosa (ms)':>13} "
              f"{'ratio':>6} {'SC ours (dB)':>13} {'SC librosa (dB)':>16}")
    print(header)
    print("-" * len(header))
    for n_fft, hop, mom in cases:
        S = np.abs(librosa.stft(speech, n_fft=n_fft, hop_length=hop))
        kw = dict(n_iter=N_ITER, hop_length=hop, momentum=mom, init=None, length=len(speech))
        t_ours = best_time(lambda: ours(S, **kw), REPEATS)
        t_ref = best_time(lambda: librosa.griffinlim(S, **kw), REPEATS)
        sc_ours, sc_ref = sc_db(S, ours(S, **kw), hop), sc_db(S, librosa.griffinlim(S, **kw), hop)
        print(f"{n_fft:>6} {hop:>5} {mom:>8.2f} {1e3 * t_ours:>10.1f} {1e3 * t_ref:>13.1f} "
              f"{t_ours / t_ref:>6.2f} {sc_ours:>13.2f} {sc_ref:>16.2f}")


def spread(ours, n_seeds: int) -> None:
    sr = 22050
    print(f"\nSpectral convergence (dB) after {N_ITER} iterations over {n_seeds} random starts "
          "(seeds 0..N-1; librosa draws its phases with another generator)")
    header = (f"{'excerpt':<16} {'n_fft':>5} {'hop':>4} {'algorithm':<9} {'who':<8} {'mean':>7} {'sd':>5} "
              f"{'min':>7} {'max':>7}")
    print(header)
    print("-" * len(header))
    summary = []
    for name, seconds, n_fft, hop in [("speech_low", 3.0, 1024, 256), ("speech_high", 3.0, 1024, 256),
                                      ("speech_low", 2.0, 512, 128)]:
        y, _ = data.load_example(name, sr=sr)
        y = y[: int(seconds * sr)]
        S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop))
        res = {}
        for mom, algo in [(0.0, "GLA"), (0.99, "fast GLA")]:
            for who, fn in [("ours", ours), ("librosa", librosa.griffinlim)]:
                res[algo, who] = np.array([
                    sc_db(S, fn(S, n_iter=N_ITER, hop_length=hop, momentum=mom, random_state=s,
                                length=len(y)), hop) for s in range(n_seeds)])
                v = res[algo, who]
                print(f"{name + f' {seconds:.0f} s':<16} {n_fft:>5} {hop:>4} {algo:<9} {who:<8} "
                      f"{v.mean():>7.2f} {v.std():>5.2f} {v.min():>7.2f} {v.max():>7.2f}")
        win = res["GLA", "ours"] - res["fast GLA", "ours"]
        pair = res["fast GLA", "ours"][:, None] - res["fast GLA", "librosa"][None, :]
        summary.append((name, n_fft, hop, win.min(), win.mean(), np.abs(pair).max()))
    print(f"\n{'excerpt':<12} {'n_fft':>5} {'hop':>4} {'fast-GLA win, min (dB)':>23} {'mean':>6} "
          f"{'max |ours - librosa|, one start each (dB)':>42}")
    for name, n_fft, hop, wmin, wmean, pmax in summary:
        print(f"{name:<12} {n_fft:>5} {hop:>4} {wmin:>23.2f} {wmean:>6.2f} {pmax:>42.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=0, help="also measure the spread over N random starts")
    args = parser.parse_args()
    ours = load_functions("04_griffin_lim", ["griffin_lim"], cells=["imports", "griffin_lim"])["griffin_lim"]
    timing(ours)
    if args.seeds:
        spread(ours, args.seeds)


if __name__ == "__main__":
    main()
