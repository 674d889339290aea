"""Mistake catalogue of 01_audio_basics: alias_frequency, quantize, snr_db and the 6 dB-per-bit table."""

from mistakes.runner import right, wrong

NOTEBOOK = "01_audio_basics"

VARIANTS = [
    # Part A: alias_frequency
    wrong("alias_frequency", "no folding: f mod sr, so tones between sr/2 and sr stay above Nyquist",
          replace=[("return np.minimum(f_mod, sr - f_mod)", "return f_mod")]),
    wrong("alias_frequency", "folds to f - sr (a negative frequency) instead of mirroring to sr - f", """
def alias_frequency(f, sr):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f > sr / 2, f - sr, f)
"""),
    wrong("alias_frequency", "folds only once: sr - f without reducing modulo sr first (2 sr -> -sr)", """
def alias_frequency(f, sr):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f > sr / 2, sr - f, f)
"""),
    wrong("alias_frequency", "folds once with abs(sr - f): right up to 1.5 sr, wrong at 2 sr and beyond", """
def alias_frequency(f, sr):
    f = np.asarray(f, dtype=np.float64)
    return np.where(f > sr / 2, np.abs(sr - f), f)
"""),
    wrong("alias_frequency", "scalar-only code (an if on f): arrays raise", """
def alias_frequency(f, sr):
    f = f % sr
    if f > sr / 2:
        return float(sr - f)
    return float(f)
"""),
    wrong("alias_frequency", "integer arithmetic: f // 1 truncates fractional frequencies", """
def alias_frequency(f, sr):
    f_mod = np.mod(np.asarray(f).astype(np.int64), sr)
    return np.minimum(f_mod, sr - f_mod)
"""),
    wrong("alias_frequency", "reduced modulo the Nyquist frequency sr / 2 instead of mirrored",
          replace=[("return np.minimum(f_mod, sr - f_mod)", "return np.mod(f_mod, sr / 2)")]),
    right("alias_frequency", "the distance to the nearest multiple of sr, |f - sr round(f / sr)|", """
def alias_frequency(f, sr):
    f = np.asarray(f, dtype=np.float64)
    return np.abs(f - sr * np.round(f / sr))
"""),
    right("alias_frequency", "a Python loop over the elements, float returned for a number", """
def alias_frequency(f, sr):
    arr = np.asarray(f, dtype=np.float64)
    out = np.empty(arr.shape)
    for idx in np.ndindex(arr.shape):
        x = arr[idx] % sr
        out[idx] = sr - x if x > sr / 2 else x
    return float(out) if out.ndim == 0 else out
"""),
    # Part B: quantize
    wrong("quantize", "mid-rise grid (levels at odd multiples of step/2): 0 is not a level", """
def quantize(y, n_bits):
    delta = 2.0 ** (1 - n_bits)
    k = np.floor(np.asarray(y, dtype=np.float64) / delta)
    k = np.clip(k, -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1)
    return (k + 0.5) * delta
"""),
    wrong("quantize", "no clipping: samples beyond [-1, 1 - step] keep out-of-grid levels",
          replace=[("k = np.clip(k, -(2 ** (n_bits - 1)), 2 ** (n_bits - 1) - 1)  # keep the 2**n_bits levels", "")]),
    wrong("quantize", "clips to +1: 2**n_bits + 1 levels",
          replace=[("2 ** (n_bits - 1) - 1)", "2 ** (n_bits - 1))")]),
    wrong("quantize", "step 2 / (2**n_bits - 1) (levels spread over [-1, 1] inclusive)",
          replace=[("delta = 2.0 ** (1 - n_bits)", "delta = 2.0 / (2 ** n_bits - 1)")]),
    wrong("quantize", "floor instead of round: the error reaches a whole step",
          replace=[("np.round(", "np.floor(")]),
    wrong("quantize", "truncation toward zero (int conversion) instead of rounding",
          replace=[("np.round(", "np.trunc(")]),
    right("quantize", "scale by 2**(n_bits - 1), round half up, clip, scale back", """
def quantize(y, n_bits):
    half = 2 ** (n_bits - 1)
    k = np.floor(np.asarray(y, dtype=np.float64) * half + 0.5)
    return np.clip(k, -half, half - 1) / half
"""),
    right("quantize", "nearest level picked from the explicit table of levels (searchsorted)", """
def quantize(y, n_bits):
    y = np.asarray(y, dtype=np.float64)
    delta = 2.0 ** (1 - n_bits)
    levels = np.arange(-(2 ** (n_bits - 1)), 2 ** (n_bits - 1)) * delta
    idx = np.clip(np.searchsorted(levels, y), 1, len(levels) - 1)
    lower, upper = levels[idx - 1], levels[idx]
    return np.where(np.abs(y - lower) <= np.abs(upper - y), lower, upper)
"""),
    # Part C: snr_db
    wrong("snr_db", "20 log10 of a power ratio", replace=[("10 * np.log10", "20 * np.log10")]),
    wrong("snr_db", "natural log instead of log10", replace=[("10 * np.log10", "10 * np.log")]),
    wrong("snr_db", "10 log10 of an RMS (amplitude) ratio", """
def snr_db(reference, estimate):
    reference = np.asarray(reference, dtype=np.float64)
    error = reference - np.asarray(estimate, dtype=np.float64)
    return float(10 * np.log10(np.sqrt(np.mean(reference ** 2)) / np.sqrt(np.mean(error ** 2))))
"""),
    wrong("snr_db", "the estimate's power as the signal power (arguments confused)",
          replace=[("np.mean(reference ** 2)", "np.mean(np.asarray(estimate, dtype=np.float64) ** 2)")]),
    wrong("snr_db", "noise power as the difference of the powers instead of the power of the difference", """
def snr_db(reference, estimate):
    p_ref = np.mean(np.asarray(reference, dtype=np.float64) ** 2)
    p_est = np.mean(np.asarray(estimate, dtype=np.float64) ** 2)
    return float(10 * np.log10(p_ref / abs(p_ref - p_est)))
"""),
    right("snr_db", "20 log10 of a ratio of norms, in float32", """
def snr_db(reference, estimate):
    reference = np.asarray(reference, dtype=np.float32)
    error = reference - np.asarray(estimate, dtype=np.float32)
    with np.errstate(divide="ignore"):
        return float(20 * np.log10(np.linalg.norm(reference) / np.linalg.norm(error)))
"""),
    # Part D: the table of SNRs against bits
    wrong("snrs_vs_bits", "the formula typed in (6.02 N + 1.76) instead of measured",
          replace=[("snrs = np.array([snr_db(y_sine, quantize(y_sine, n)) for n in bits])",
                    "snrs = 6.02 * bits + 1.76")]),
    wrong("snrs_vs_bits", "off by one bit: quantised with n - 1 bits",
          replace=[("quantize(y_sine, n))", "quantize(y_sine, n - 1))")]),
    wrong("snrs_vs_bits", "reference and estimate swapped in snr_db",
          replace=[("snr_db(y_sine, quantize(y_sine, n))", "snr_db(quantize(y_sine, n), y_sine)")]),
    right("snrs_vs_bits", "a for loop with append, on a float32 copy of the sine",
          replace=[("snrs = np.array([snr_db(y_sine, quantize(y_sine, n)) for n in bits])",
                    "snrs = []\nfor n in bits:\n    y32 = y_sine.astype(np.float32)\n"
                    "    snrs.append(snr_db(y32, quantize(y32, int(n))))\nsnrs = np.array(snrs)")]),
]
