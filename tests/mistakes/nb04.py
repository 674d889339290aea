"""Mistake catalogue of 04_griffin_lim: mel inversion, spectral convergence, (fast) Griffin-Lim, shift_mel."""

from mistakes.runner import right, wrong

NOTEBOOK = "04_griffin_lim"
# The grade cells read only what the cells with a grade_id define (imports, reference_sc, the
# solutions): the demonstrations between them (players, pitch plots, 40 s here) are not run.
ONLY_GRADED = True

GLA_LIBROSA_STYLE = '''
def griffin_lim(S, n_iter=32, hop_length=512, momentum=0.0, init="random", random_state=0,
                length=None, return_history=False):
    n_fft = 2 * (S.shape[0] - 1)
    if init == "random":
        angles = np.exp(2j * np.pi * np.random.default_rng(random_state).random(S.shape))
    else:
        angles = np.ones(S.shape, dtype=complex)
    norm_s = np.sqrt(np.sum(S.astype(np.float64) ** 2))
    sc = lambda y_: 20 * np.log10(np.sqrt(np.sum((S - np.abs(librosa.stft(y_, n_fft=n_fft, hop_length=hop_length))) ** 2)) / norm_s)
    history, tprev = [], None
    for _ in range(n_iter):
        inverse = librosa.istft(S * angles, n_fft=n_fft, hop_length=hop_length)
        if return_history:
            history.append(sc(inverse))
        rebuilt = librosa.stft(inverse, n_fft=n_fft, hop_length=hop_length)
        angles = rebuilt.copy()                      # librosa's form: rebuilt - m / (1 + m) * previous
        if tprev is not None:
            angles -= (momentum / (1 + momentum)) * tprev
        angles /= np.abs(angles) + 1e-16
        tprev = rebuilt
    y = librosa.istft(S * angles, n_fft=n_fft, hop_length=hop_length, length=length)
    if return_history:
        return y, np.array(history + [sc(y)])
    return y
'''

VARIANTS = [
    # Part A: mel_to_stft_magnitude
    wrong("mel_to_stft_magnitude", "abs instead of clipping negative powers at 0",
          replace=[("np.maximum(P_hat, 0.0)", "np.abs(P_hat)")]),
    wrong("mel_to_stft_magnitude", "power not undone (returns the power estimate)",
          replace=[("np.maximum(P_hat, 0.0) ** (1.0 / power)", "np.maximum(P_hat, 0.0)")]),
    wrong("mel_to_stft_magnitude", "the transpose of the filterbank instead of its pseudo-inverse",
          replace=[("np.linalg.pinv(mel_basis) @ M", "mel_basis.T @ M")]),
    wrong("mel_to_stft_magnitude", "n_mels fixed at 128 instead of M.shape[0]",
          replace=[("n_mels=M.shape[0]", "n_mels=128")]),
    wrong("mel_to_stft_magnitude", "root taken before clipping (NaN where the estimate is negative)",
          replace=[("np.maximum(P_hat, 0.0) ** (1.0 / power)", "np.maximum(P_hat ** (1.0 / power), 0.0)")]),
    wrong("mel_to_stft_magnitude", "fmin, fmax, htk and norm not passed to the filterbank",
          replace=[("fmin=fmin, fmax=fmax,\n                                    htk=htk, norm=norm)", ")")]),
    right("mel_to_stft_magnitude", "minimum-norm least squares with lstsq, in float64", """
def mel_to_stft_magnitude(M, sr, n_fft, power=2.0, fmin=0.0, fmax=None, htk=False, norm="slaney"):
    F = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=M.shape[0], fmin=fmin, fmax=fmax, htk=htk,
                            norm=norm).astype(np.float64)
    P = np.linalg.lstsq(F, M.astype(np.float64), rcond=None)[0]
    return np.clip(P, 0, None) ** (1 / power)
"""),
    # Part B: spectral_convergence
    wrong("spectral_convergence", "powers |STFT|**2 compared with S**2",
          replace=[("np.linalg.norm(S - S_hat) / np.linalg.norm(S)", "np.linalg.norm(S ** 2 - S_hat ** 2) / np.linalg.norm(S ** 2)")]),
    wrong("spectral_convergence", "10 log10 of a ratio of norms", replace=[("20 * np.log10", "10 * np.log10")]),
    wrong("spectral_convergence", "not normalised by ||S||",
          replace=[("np.linalg.norm(S - S_hat) / np.linalg.norm(S)", "np.linalg.norm(S - S_hat)")]),
    wrong("spectral_convergence", "natural log", replace=[("20 * np.log10", "20 * np.log")]),
    wrong("spectral_convergence", "hop_length ignored (librosa's default 512)",
          replace=[("n_fft=n_fft, hop_length=hop_length)", "n_fft=n_fft)")]),
    right("spectral_convergence", "10 log10 of a ratio of sums of squares, in float64", """
def spectral_convergence(S, y_hat, hop_length=512):
    E = np.abs(librosa.stft(np.asarray(y_hat, dtype=np.float64), n_fft=2 * (S.shape[0] - 1), hop_length=hop_length))
    return float(10 * np.log10(np.sum((S - E) ** 2) / np.sum(S.astype(np.float64) ** 2)))
"""),
    # Part C (and the tests of Part D): griffin_lim
    wrong("griffin_lim", "momentum with the wrong sign (c - alpha (c - c_prev))",
          replace=[("t = c + momentum * (c - c_prev)", "t = c - momentum * (c - c_prev)")]),
    wrong("griffin_lim", "init ignored: always the zero phase", replace=[('if init == "random":', "if False:"),
                                                                        ("elif init is None:", "elif True:")]),
    wrong("griffin_lim", "history without the initial value (n_iter values)",
          replace=[("    history.append(sc_db(np.abs(librosa.stft(y, n_fft=n_fft, hop_length=hop_length))))\n", "")]),
    wrong("griffin_lim", "the target magnitude not imposed: the next iSTFT uses c, not S * phase",
          replace=[("librosa.istft(S * phase, n_fft=n_fft, hop_length=hop_length),", "librosa.istft(c_prev + S * phase * (not c_prev.any()), n_fft=n_fft, hop_length=hop_length),")]),
    wrong("griffin_lim", "length ignored", replace=[("hop_length=hop_length, length=length)", "hop_length=hop_length)")]),
    wrong("griffin_lim", "initial phases from the global np.random (random_state ignored)",
          replace=[("phase = np.exp(2j * np.pi * rng.random(S.shape)).astype(cdtype)",
                    "phase = np.exp(2j * np.pi * np.random.random(S.shape)).astype(cdtype)")]),
    wrong("griffin_lim", "momentum applied to the previous extrapolation t instead of c",
          replace=[("c_prev = c", "c_prev = t")]),
    right("griffin_lim", "librosa's form of the momentum (rebuilt - m / (1 + m) * previous), float64 phases",
          GLA_LIBROSA_STYLE),
    # Part E: shift_mel
    wrong("shift_mel", "np.roll: rows wrap around instead of zeros",
          "def shift_mel(M, n_bins):\n    return np.roll(M, n_bins, axis=0)\n"),
    wrong("shift_mel", "direction reversed (positive moves down)",
          replace=[("k = int(np.clip(n_bins, -n_mels, n_mels))", "k = -int(np.clip(n_bins, -n_mels, n_mels))")]),
    wrong("shift_mel", "modifies M in place", """
def shift_mel(M, n_bins):
    n = M.shape[0]
    k = int(np.clip(n_bins, -n, n))
    if k > 0:
        M[k:] = M[: n - k].copy(); M[:k] = 0
    elif k < 0:
        M[:k] = M[-k:].copy(); M[k:] = 0
    return M
"""),
    wrong("shift_mel", "shifts beyond the number of rows not handled (slices break)",
          replace=[("k = int(np.clip(n_bins, -n_mels, n_mels))", "k = int(n_bins)")]),
    wrong("shift_mel", "float64 output whatever the input (np.zeros(M.shape))",
          replace=[("out = np.zeros_like(M)", "out = np.zeros(M.shape)")]),
    right("shift_mel", "np.pad and a slice, one expression per direction", """
def shift_mel(M, n_bins):
    n = M.shape[0]
    k = max(-n, min(n, int(n_bins)))
    if k >= 0:
        return np.pad(M, ((k, 0), (0, 0)))[:n]
    return np.pad(M, ((0, -k), (0, 0)))[-k:]
"""),
]
