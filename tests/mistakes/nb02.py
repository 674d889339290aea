"""Mistake catalogue of 02_stft: framing, the DFT matrix, the STFT, power, overlap-add, the inverse."""

from mistakes.runner import right, wrong

NOTEBOOK = "02_stft"

FRAME_LOOP = '''
def frame_signal(y, frame_length, hop_length, center=True, pad_mode="constant"):
    y = np.asarray(y)
    if center:
        y = np.pad(y, (frame_length // 2, frame_length // 2), mode=pad_mode)
    n_frames = 1 + (len(y) - frame_length) // hop_length
    return np.stack([y[m * hop_length: m * hop_length + frame_length] for m in range(n_frames)], axis=1)
'''

ISTFT_LOOP = '''
def istft(D, hop_length=512, window="hann", center=True, length=None):
    n_fft = 2 * (D.shape[0] - 1)
    n_frames = D.shape[1]
    w = scipy.signal.get_window(window, n_fft, fftbins=True)
    y = np.zeros(n_fft + hop_length * (n_frames - 1))
    w_sum = np.zeros_like(y)
    for m in range(n_frames):
        frame = np.fft.irfft(D[:, m], n=n_fft)
        y[m * hop_length: m * hop_length + n_fft] += w * frame
        w_sum[m * hop_length: m * hop_length + n_fft] += w ** 2
    y = np.divide(y, w_sum, out=np.zeros_like(y), where=w_sum > 1e-300)
    start = n_fft // 2 if center else 0
    stop = len(y) - start if length is None else start + length
    y = np.pad(y[start:stop], (0, max(0, stop - max(len(y), start))))
    return y.astype(np.float32 if D.dtype == np.complex64 else np.float64)
'''

VARIANTS = [
    # Part A: frame_signal
    wrong("frame_signal", "frames as rows (n_frames, frame_length), the transpose forgotten",
          replace=[("return windows[::hop_length].T", "return windows[::hop_length]")]),
    wrong("frame_signal", "off-by-one frame count: the last complete frame dropped",
          replace=[("return windows[::hop_length].T", "return windows[:-1:hop_length].T")]),
    wrong("frame_signal", "centring pads frame_length samples per side instead of frame_length // 2",
          replace=[("np.pad(y, frame_length // 2,", "np.pad(y, frame_length,")]),
    wrong("frame_signal", "centring pads only the start", replace=[
        ("np.pad(y, frame_length // 2,", "np.pad(y, (frame_length // 2, 0),")]),
    wrong("frame_signal", "pad_mode ignored: always zero padding",
          replace=[("mode=pad_mode", 'mode="constant"')]),
    wrong("frame_signal", "hop ignored: consecutive windows (hop 1) up to the frame count", """
def frame_signal(y, frame_length, hop_length, center=True, pad_mode="constant"):
    y = np.asarray(y)
    if center:
        y = np.pad(y, frame_length // 2, mode=pad_mode)
    n_frames = 1 + (len(y) - frame_length) // hop_length
    return sliding_window_view(y, frame_length)[:n_frames].T
"""),
    right("frame_signal", "a list comprehension of slices stacked as columns", FRAME_LOOP),
    # Part C: dft_matrix
    wrong("dft_matrix", "plus sign in the exponent (the inverse DFT's kernel)",
          replace=[("np.exp(-2j", "np.exp(2j")]),
    wrong("dft_matrix", "with a 1/N normalisation", replace=[("return np.exp(", "return (1 / N) * np.exp(")]),
    wrong("dft_matrix", "orthonormal 1/sqrt(N) normalisation",
          replace=[("return np.exp(", "return np.sqrt(1 / N) * np.exp(")]),
    wrong("dft_matrix", "only the real part (cosines)",
          replace=[("return np.exp(-2j * np.pi * np.outer(n, n) / N)",
                    "return np.cos(2 * np.pi * np.outer(n, n) / N)")]),
    right("dft_matrix", "a double loop with cmath", """
import cmath
def dft_matrix(N):
    F = np.empty((N, N), dtype=complex)
    for k in range(N):
        for n in range(N):
            F[k, n] = cmath.exp(-2j * cmath.pi * k * n / N)
    return F
"""),
    right("dft_matrix", "the FFT of the identity, column by column", """
def dft_matrix(N):
    return np.fft.fft(np.eye(N), axis=0)
"""),
    # Part D: stft and power_spectrogram
    wrong("stft", "symmetric Hann window (fftbins=False)", replace=[("fftbins=True", "fftbins=False")]),
    wrong("stft", "returns the magnitude |D| instead of the complex STFT",
          replace=[("return np.fft.rfft(w[:, None] * frames, axis=0)",
                    "return np.abs(np.fft.rfft(w[:, None] * frames, axis=0))")]),
    wrong("stft", "full FFT (n_fft rows) instead of rfft", replace=[("np.fft.rfft(", "np.fft.fft(")]),
    wrong("stft", "no window (rectangular)", replace=[("w[:, None] * frames", "frames")]),
    wrong("stft", "window normalised to unit sum", replace=[(".astype(y.dtype)  # periodic",
                                                             ".astype(y.dtype); w = w / w.sum()")]),
    wrong("stft", "center ignored: always padded",
          replace=[("center=center, pad_mode", "center=True, pad_mode")]),
    wrong("stft", "pad_mode not passed on (always zeros)",
          replace=[("pad_mode=pad_mode)", 'pad_mode="constant")')]),
    right("stft", "torch.stft with a periodic Hann window (torch instead of NumPy)", """
import torch
def stft(y, n_fft=2048, hop_length=512, window="hann", center=True, pad_mode="constant"):
    t = torch.from_numpy(np.ascontiguousarray(y))
    w = torch.from_numpy(scipy.signal.get_window(window, n_fft, fftbins=True)).to(t.dtype)
    return torch.stft(t, n_fft, hop_length=hop_length, window=w, center=center, pad_mode=pad_mode,
                      return_complex=True).numpy()
"""),
    right("stft", "one FFT per frame in a loop, the first 1 + n_fft // 2 bins kept", """
def stft(y, n_fft=2048, hop_length=512, window="hann", center=True, pad_mode="constant"):
    y = np.asarray(y)
    frames = frame_signal(y, n_fft, hop_length, center=center, pad_mode=pad_mode)
    w = scipy.signal.get_window(window, n_fft)
    cols = [np.fft.fft(w * frames[:, m])[: 1 + n_fft // 2] for m in range(frames.shape[1])]
    return np.stack(cols, axis=1).astype(np.complex64 if y.dtype == np.float32 else np.complex128)
"""),
    wrong("power_spectrogram", "magnitude |D| instead of power", "def power_spectrogram(D):\n    return np.abs(D)\n"),
    wrong("power_spectrogram", "D ** 2, a complex square", "def power_spectrogram(D):\n    return D ** 2\n"),
    wrong("power_spectrogram", "D times its conjugate, left complex",
          "def power_spectrogram(D):\n    return D * np.conj(D)\n"),
    wrong("power_spectrogram", "in dB (10 log10 of the power)",
          "def power_spectrogram(D):\n    return 10 * np.log10(np.maximum(np.abs(D) ** 2, 1e-10))\n"),
    right("power_spectrogram", "np.abs(D) ** 2", "def power_spectrogram(D):\n    return np.abs(D) ** 2\n"),
    # Part E: overlap_add and istft
    wrong("overlap_add", "output length hop_length * n_frames", """
def overlap_add(frames, hop_length):
    L, n = frames.shape
    out = np.zeros(hop_length * n + L)
    for m in range(n):
        out[m * hop_length: m * hop_length + L] += frames[:, m]
    return out[: hop_length * n]
"""),
    wrong("overlap_add", "overlaps overwritten instead of summed", """
def overlap_add(frames, hop_length):
    L, n = frames.shape
    out = np.zeros(L + hop_length * (n - 1))
    for m in range(n):
        out[m * hop_length: m * hop_length + L] = frames[:, m]
    return out
"""),
    wrong("overlap_add", "overlaps averaged instead of summed", """
def overlap_add(frames, hop_length):
    L, n = frames.shape
    out = np.zeros(L + hop_length * (n - 1))
    count = np.zeros_like(out)
    for m in range(n):
        out[m * hop_length: m * hop_length + L] += frames[:, m]
        count[m * hop_length: m * hop_length + L] += 1
    return out / np.maximum(count, 1)
"""),
    wrong("overlap_add", "frames read as rows (frames[m]) on a non-square input", """
def overlap_add(frames, hop_length):
    n, L = frames.shape
    out = np.zeros(L + hop_length * (n - 1))
    for m in range(n):
        out[m * hop_length: m * hop_length + L] += frames[m]
    return out
"""),
    right("overlap_add", "np.add.at with an index matrix, no Python loop", """
def overlap_add(frames, hop_length):
    frames = np.asarray(frames)
    L, n = frames.shape
    out = np.zeros(L + hop_length * (n - 1), dtype=frames.dtype)
    idx = np.arange(L)[:, None] + hop_length * np.arange(n)[None, :]
    np.add.at(out, idx, frames)
    return out
"""),
    wrong("istft", "no window-sum normalisation", replace=[("y[nonzero] /= w_sum[nonzero]", "pass")]),
    wrong("istft", "a constant 1 / 1.5 instead of the window sum (right only in the middle)",
          replace=[("y[nonzero] /= w_sum[nonzero]", "y /= 1.5")]),
    wrong("istft", "normalised by the overlap-added window, not the squared window",
          replace=[("w[:, None] ** 2", "w[:, None]")]),
    wrong("istft", "symmetric synthesis window", replace=[("fftbins=True", "fftbins=False")]),
    wrong("istft", "centring padding not removed", replace=[("start = n_fft // 2 if center else 0", "start = 0")]),
    wrong("istft", "length ignored", replace=[("if length is None:", "if True:")]),
    right("istft", "a loop of irfft per frame, float64 accumulation, explicit window sum", ISTFT_LOOP),
]
