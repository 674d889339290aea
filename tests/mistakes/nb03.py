"""Mistake catalogue of 03_mel_mfcc: mel scales, the filterbank, the mel spectrogram, dB, MFCC, deltas."""

from mistakes.runner import right, wrong

NOTEBOOK = "03_mel_mfcc"

FILTERBANK_LOOP = '''
def mel_filterbank(sr, n_fft, n_mels=128, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    fmax = sr / 2 if fmax is None else fmax
    freqs = np.linspace(0, sr / 2, 1 + n_fft // 2)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels + 2), htk=htk)
    W = np.zeros((n_mels, len(freqs)))
    for i in range(n_mels):
        lo, mid, hi = edges[i], edges[i + 1], edges[i + 2]
        W[i] = np.interp(freqs, [lo, mid, hi], [0.0, 1.0, 0.0], left=0.0, right=0.0)
        if norm == "slaney":
            W[i] *= 2.0 / (hi - lo)
    return W.astype(np.float32)
'''

DELTA_LOOP = '''
def delta(X, width=9, order=1):
    X = np.asarray(X, dtype=np.float64)
    N = width // 2
    n = np.arange(-N, N + 1, dtype=np.float64)
    if order == 1:
        w = n / np.sum(n ** 2)
    else:
        q = n ** 2 - np.mean(n ** 2)
        w = 2.0 * q / np.sum(q ** 2)
    T = X.shape[-1]
    out = np.empty_like(X)
    for t in range(T):
        c = min(max(t, N), T - 1 - N)          # the nearest frame with a full window
        out[..., t] = X[..., c - N: c + N + 1] @ w
    return out
'''

VARIANTS = [
    # Part A: hz_to_mel, mel_to_hz
    wrong("hz_to_mel", "HTK formula with the natural log instead of log10",
          replace=[("2595.0 * np.log10(", "2595.0 * np.log(")]),
    wrong("hz_to_mel", "Slaney's scale linear everywhere (the log part above 1 kHz forgotten)",
          replace=[("return np.where(f >= MIN_LOG_HZ, logarithmic, linear)", "return linear")]),
    wrong("hz_to_mel", "htk ignored: always Slaney's scale", replace=[("if htk:", "if False:")]),
    wrong("hz_to_mel", "Slaney's log part with log10 instead of ln",
          replace=[("np.log(np.maximum(f, MIN_LOG_HZ) / MIN_LOG_HZ)", "np.log10(np.maximum(f, MIN_LOG_HZ) / MIN_LOG_HZ)")]),
    right("hz_to_mel", "log1p and a piecewise Python loop over the elements", """
def hz_to_mel(f, htk=False):
    f = np.asarray(f, dtype=np.float64)
    if htk:
        return 2595.0 / np.log(10.0) * np.log1p(f / 700.0)
    out = np.empty(f.shape)
    for idx in np.ndindex(f.shape):
        x = f[idx]
        out[idx] = x / F_SP if x < MIN_LOG_HZ else MIN_LOG_MEL + np.log(x / MIN_LOG_HZ) / LOGSTEP
    return out
"""),
    wrong("mel_to_hz", "Slaney's break taken at 1000 mel instead of 15 mel",
          replace=[("return np.where(m >= MIN_LOG_MEL, logarithmic, linear)",
                    "return np.where(m >= MIN_LOG_HZ, logarithmic, linear)")]),
    wrong("mel_to_hz", "HTK inverse with exp instead of 10 **",
          replace=[("700.0 * (10.0 ** (m / 2595.0) - 1.0)", "700.0 * (np.exp(m / 2595.0) - 1.0)")]),
    wrong("mel_to_hz", "Slaney's log part inverted with 10 ** instead of exp",
          replace=[("MIN_LOG_HZ * np.exp(LOGSTEP * (np.maximum(m, MIN_LOG_MEL) - MIN_LOG_MEL))",
                    "MIN_LOG_HZ * 10.0 ** (LOGSTEP * (np.maximum(m, MIN_LOG_MEL) - MIN_LOG_MEL))")]),
    right("mel_to_hz", "np.piecewise and expm1", """
def mel_to_hz(m, htk=False):
    m = np.asarray(m, dtype=np.float64)
    if htk:
        return 700.0 * np.expm1(m * np.log(10.0) / 2595.0)
    return np.piecewise(m, [m < MIN_LOG_MEL, m >= MIN_LOG_MEL],
                        [lambda x: F_SP * x, lambda x: MIN_LOG_HZ * np.exp(LOGSTEP * (x - MIN_LOG_MEL))])
"""),
    # Part B: mel_filterbank
    wrong("mel_filterbank", "edges rounded to FFT bin indices (the HTK-book recipe)",
          replace=[("edges = mel_to_hz(edges_mel, htk=htk)",
                    "edges = np.floor((n_fft + 1) * mel_to_hz(edges_mel, htk=htk) / sr) * sr / n_fft")]),
    wrong("mel_filterbank", "no Slaney normalisation", replace=[("weights *= 2.0 / (upper - lower)", "pass")]),
    wrong("mel_filterbank", "Slaney normalisation without the factor 2 (1 / bandwidth)",
          replace=[("weights *= 2.0 / (upper - lower)", "weights *= 1.0 / (upper - lower)")]),
    wrong("mel_filterbank", "n_mels edges instead of n_mels + 2 (two bands short)",
          replace=[("n_mels + 2)", "n_mels)")]),
    wrong("mel_filterbank", "edges equally spaced in Hz, not in mel",
          replace=[("edges = mel_to_hz(edges_mel, htk=htk)", "edges = np.linspace(fmin, fmax, n_mels + 2)")]),
    wrong("mel_filterbank", "fmax ignored: always up to sr / 2", replace=[("if fmax is None:", "if True:")]),
    wrong("mel_filterbank", "n_fft // 2 bins instead of 1 + n_fft // 2 (Nyquist bin lost)",
          replace=[("np.arange(1 + n_fft // 2)", "np.arange(n_fft // 2)")]),
    right("mel_filterbank", "one band at a time with np.interp, in float64 then cast", FILTERBANK_LOOP),
    # Part C: melspectrogram
    wrong("melspectrogram", "power ignored: the magnitude |D| always",
          replace=[("np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length)) ** power",
                    "np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))")]),
    wrong("melspectrogram", "the power taken after the filterbank, (W |D|) ** power", """
def melspectrogram(y, sr=22050, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None, power=2.0):
    S = np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))
    return (mel_filterbank(sr, n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax) @ S) ** power
"""),
    wrong("melspectrogram", "frames as rows: S.T @ W.T", replace=[("return W @ S", "return S.T @ W.T")]),
    wrong("melspectrogram", "fmin and fmax not passed to the filterbank",
          replace=[("n_mels=n_mels, fmin=fmin, fmax=fmax)", "n_mels=n_mels)")]),
    wrong("melspectrogram", "the sample rate hard-coded to 22050 in the filterbank",
          replace=[("W = mel_filterbank(sr, n_fft,", "W = mel_filterbank(22050, n_fft,")]),
    right("melspectrogram", "einsum over the bins, power as (|D|**2) ** (power / 2)", """
def melspectrogram(y, sr=22050, n_fft=2048, hop_length=512, n_mels=128, fmin=0.0, fmax=None, power=2.0):
    D = librosa.stft(y, n_fft=n_fft, hop_length=hop_length)
    S = (D.real ** 2 + D.imag ** 2) ** (power / 2)
    return np.einsum("mk,kt->mt", mel_filterbank(sr, n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax), S)
"""),
    # Part D: power_to_db
    wrong("power_to_db", "20 log10 (amplitude dB) of a power", replace=[("10.0 * np.log10", "20.0 * np.log10")]),
    wrong("power_to_db", "natural log instead of log10", replace=[("10.0 * np.log10", "10.0 * np.log")]),
    wrong("power_to_db", "top_db clips at -top_db, not max - top_db",
          replace=[("np.maximum(S_db, S_db.max() - top_db)", "np.maximum(S_db, -top_db)")]),
    wrong("power_to_db", "a callable ref not called (treated as a number)",
          replace=[("ref_value = ref(S) if callable(ref) else np.abs(ref)", "ref_value = ref")]),
    wrong("power_to_db", "no amin floor: log10(0) = -inf",
          replace=[("np.log10(np.maximum(amin, S))", "np.log10(S)")]),
    right("power_to_db", "10 log10 of the ratio, floors applied first, in float32 when S is", """
def power_to_db(S, ref=1.0, amin=1e-10, top_db=80.0):
    S = np.asarray(S)
    r = ref(S) if callable(ref) else abs(ref)
    with np.errstate(divide="ignore"):
        out = 10 * np.log10(np.maximum(S, amin) / np.maximum(r, amin))
    return out if top_db is None else np.clip(out, out.max() - top_db, None)
"""),
    # Part E: mfcc
    wrong("mfcc", "unnormalised DCT-II (scipy's default norm)", """
import scipy.fft
def mfcc(S_db, n_mfcc=20):
    return scipy.fft.dct(np.asarray(S_db, dtype=np.float64), type=2, axis=0)[:n_mfcc]
"""),
    wrong("mfcc", "the DCT along time (axis 1) instead of the mel axis", """
import scipy.fft
def mfcc(S_db, n_mfcc=20):
    return scipy.fft.dct(np.asarray(S_db, dtype=np.float64), type=2, norm="ortho", axis=1)[:n_mfcc]
"""),
    wrong("mfcc", "the 1 / sqrt(2) on row 0 forgotten", replace=[("dct[0] /= np.sqrt(2.0)", "pass")]),
    wrong("mfcc", "DCT-III instead of DCT-II", """
import scipy.fft
def mfcc(S_db, n_mfcc=20):
    return scipy.fft.dct(np.asarray(S_db, dtype=np.float64), type=3, norm="ortho", axis=0)[:n_mfcc]
"""),
    wrong("mfcc", "c0 dropped: coefficients 1 .. n_mfcc kept", """
import scipy.fft
def mfcc(S_db, n_mfcc=20):
    return scipy.fft.dct(np.asarray(S_db, dtype=np.float64), type=2, norm="ortho", axis=0)[1:n_mfcc + 1]
"""),
    right("mfcc", "scipy.fft.dct(type=2, norm='ortho') along axis 0", """
import scipy.fft
def mfcc(S_db, n_mfcc=20):
    return scipy.fft.dct(np.asarray(S_db, dtype=np.float64), type=2, norm="ortho", axis=0)[:n_mfcc]
"""),
    right("mfcc", "a double loop over coefficients and bands", """
def mfcc(S_db, n_mfcc=20):
    S_db = np.asarray(S_db, dtype=np.float64)
    N = S_db.shape[0]
    C = np.zeros((n_mfcc, S_db.shape[1]))
    for k in range(n_mfcc):
        scale = np.sqrt(1.0 / N) if k == 0 else np.sqrt(2.0 / N)
        for n in range(N):
            C[k] += scale * np.cos(np.pi * k * (2 * n + 1) / (2 * N)) * S_db[n]
    return C
"""),
    # Part F: delta
    wrong("delta", "np.gradient (a central difference) instead of the regression", """
def delta(X, width=9, order=1):
    X = np.asarray(X, dtype=np.float64)
    d = np.gradient(X, axis=-1)
    return d if order == 1 else np.gradient(d, axis=-1)
"""),
    wrong("delta", "regression weights not divided by sum(n**2)", replace=[("w = n / np.sum(n ** 2)", "w = n")]),
    wrong("delta", "zero-padded edges instead of repeating the nearest full-window value",
          replace=[("first, last = np.repeat(inner[..., :1], N, axis=-1), np.repeat(inner[..., -1:], N, axis=-1)",
                    "first = last = np.zeros(inner.shape[:-1] + (N,))")]),
    wrong("delta", "order 2 as the delta of the delta", """
def delta(X, width=9, order=1):
    X = np.asarray(X, dtype=np.float64)
    N = width // 2
    n = np.arange(-N, N + 1)
    w = n / np.sum(n ** 2)
    inner = np.lib.stride_tricks.sliding_window_view(X, width, axis=-1) @ w
    d = np.concatenate([np.repeat(inner[..., :1], N, -1), inner, np.repeat(inner[..., -1:], N, -1)], -1)
    return d if order == 1 else delta(d, width, 1)
"""),
    wrong("delta", "edge frames padded by repeating X (mode 'nearest') before the regression", """
def delta(X, width=9, order=1):
    X = np.asarray(X, dtype=np.float64)
    N = width // 2
    n = np.arange(-N, N + 1)
    if order == 1:
        w = n / np.sum(n ** 2)
    else:
        q = n ** 2 - np.mean(n ** 2)
        w = 2.0 * q / np.sum(q ** 2)
    Xp = np.pad(X, [(0, 0)] * (X.ndim - 1) + [(N, N)], mode="edge")
    return np.lib.stride_tricks.sliding_window_view(Xp, width, axis=-1) @ w
"""),
    wrong("delta", "a convolution with the unflipped kernel: the sign reversed",
          replace=[("@ w    # (..., T - 2N)", "@ w[::-1]")]),
    right("delta", "a Python loop over frames", DELTA_LOOP),
    right("delta", "scipy's Savitzky-Golay filter, mode 'interp' (what librosa calls)", """
import scipy.signal
def delta(X, width=9, order=1):
    X = np.asarray(X, dtype=np.float64)
    return scipy.signal.savgol_filter(X, width, polyorder=order, deriv=order, axis=-1, mode="interp")
"""),
]
