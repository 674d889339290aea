"""Plots in physical units: waveforms (s), spectra (Hz, dB) and spectrograms (s, Hz or mel, dB).

Used by every notebook. Spectrograms are drawn by ``librosa.display.specshow`` so that the axes
carry seconds, Hz or mel, with a labelled colorbar. Each function draws into ``ax`` when given
(for side-by-side figures) and returns the axes.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["waveform", "spectrum", "spectrogram", "compare", "overlay", "outline"]


def _axes(ax, figsize=(9, 2.8)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize, layout="constrained")
    return ax


def _as_array(x):
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def waveform(y, sr: float, ax=None, title: str | None = None, label: str | None = None,
             **kwargs):
    """Plot a waveform against time.

    Args:
        y: signal, shape ``(n_samples,)``.
        sr: sample rate in Hz.
        ax: matplotlib axes to draw into (a new figure when ``None``).
        title: axes title.
        label: legend label (a legend is drawn when given).
        **kwargs: passed to ``ax.plot`` (e.g. ``alpha``, ``color``, ``marker``).

    Returns:
        matplotlib.axes.Axes
    """
    y = _as_array(y)
    if y.ndim != 1:
        raise ValueError(f"waveform expects a mono signal of shape (n_samples,), got {y.shape}.")
    ax = _axes(ax)
    t = np.arange(len(y)) / sr
    ax.plot(t, y, lw=kwargs.pop("lw", 0.8), label=label, **kwargs)
    ax.set(xlabel="Time (s)", ylabel="Amplitude", xlim=(0, max(t[-1], 1 / sr)))
    if title:
        ax.set_title(title)
    if label:
        ax.legend(loc="upper right")
    return ax


def spectrum(y, sr: float, ax=None, title: str | None = None, label: str | None = None,
             db: bool = True, window: str = "hann", **kwargs):
    """Plot the magnitude spectrum of a whole (short) signal, in dB relative to its maximum.

    Args:
        y: signal, shape ``(n_samples,)``.
        sr: sample rate in Hz; the axis runs from 0 to the Nyquist frequency ``sr / 2``.
        db: plot ``20 log10(|X| / max|X|)`` (floored at -120 dB) instead of ``|X|``.
        window: a scipy window name applied before the FFT (``"boxcar"`` for none).

    Returns:
        matplotlib.axes.Axes
    """
    from scipy.signal import get_window

    y = _as_array(y).astype(np.float64)
    ax = _axes(ax)
    X = np.abs(np.fft.rfft(y * get_window(window, len(y), fftbins=True)))
    f = np.fft.rfftfreq(len(y), d=1.0 / sr)
    if db:
        X = 20 * np.log10(np.maximum(X / max(X.max(), 1e-20), 1e-6))
    ax.plot(f, X, lw=kwargs.pop("lw", 0.9), label=label, **kwargs)
    ax.set(xlabel="Frequency (Hz)", ylabel="Magnitude (dB re max)" if db else "Magnitude",
           xlim=(0, sr / 2))
    if title:
        ax.set_title(title)
    if label:
        ax.legend(loc="upper right")
    return ax


def spectrogram(S_db, sr: float, hop_length: int = 512, y_axis: str = "hz", ax=None,
                title: str | None = None, colorbar: bool = True, cbar_label: str = "dB",
                fmin: float | None = None, fmax: float | None = None, n_fft: int | None = None,
                **kwargs):
    """Show a spectrogram (already in dB) with time in seconds and frequency in Hz or mel.

    Args:
        S_db: array of shape ``(n_freq, n_frames)`` in dB (e.g. ``librosa.power_to_db(S)``).
        sr: sample rate in Hz.
        hop_length: hop between frames in samples (sets the time axis).
        y_axis: ``"hz"`` (linear), ``"log"``, or ``"mel"`` (rows are mel bands; give ``fmin``/``fmax``).
        ax: axes to draw into.
        title: axes title.
        colorbar: draw a colorbar labelled ``cbar_label``.
        n_fft: FFT size, when the rows are STFT bins (needed if it is not ``2 * (n_freq - 1)``).
        **kwargs: passed to ``librosa.display.specshow`` (e.g. ``cmap``, ``vmin``, ``vmax``).

    Returns:
        matplotlib.axes.Axes
    """
    import librosa.display

    S_db = _as_array(S_db)
    if S_db.ndim != 2:
        raise ValueError(f"spectrogram expects shape (n_freq, n_frames), got {S_db.shape}.")
    ax = _axes(ax, figsize=(9, 3.2))
    extra = {}
    if y_axis == "mel":
        extra = {"fmin": 0.0 if fmin is None else fmin, "fmax": sr / 2 if fmax is None else fmax}
    elif n_fft is not None:
        extra = {"n_fft": n_fft}
    img = librosa.display.specshow(S_db, sr=sr, hop_length=hop_length, x_axis="s", y_axis=y_axis,
                                   ax=ax, cmap=kwargs.pop("cmap", "magma"), **extra, **kwargs)
    ax.set_xlabel("Time (s)")
    ax.set_ylabel({"mel": "Frequency (mel-spaced, Hz)", "log": "Frequency (Hz, log)"}.get(
        y_axis, "Frequency (Hz)"))
    if title:
        ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(img, ax=ax, format="%+.0f", label=cbar_label)
    return ax


def compare(spectrograms: dict, sr: float, hop_length: int = 512, y_axis: str = "hz",
            same_scale: bool = True, ncols: int | None = None, **kwargs):
    """Side-by-side spectrograms on one colour scale.

    Args:
        spectrograms: ``{title: S_db}``, each of shape ``(n_freq, n_frames)`` in dB.
        sr, hop_length, y_axis: as in :func:`spectrogram`.
        same_scale: share ``vmin``/``vmax`` across panels so that colours are comparable.
        ncols: panels per row (all in one row by default).

    Returns:
        np.ndarray of matplotlib axes.
    """
    items = [(t, _as_array(S)) for t, S in spectrograms.items()]
    if not items:
        raise ValueError("compare needs at least one spectrogram.")
    ncols = ncols or len(items)
    nrows = int(np.ceil(len(items) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.6 * ncols, 3.2 * nrows), squeeze=False,
                             layout="constrained")
    if same_scale and "vmin" not in kwargs:
        kwargs["vmax"] = max(float(np.max(S)) for _, S in items)
        kwargs["vmin"] = min(float(np.min(S)) for _, S in items)
    for ax, (title, S) in zip(axes.flat, items):
        spectrogram(S, sr, hop_length=hop_length, y_axis=y_axis, ax=ax, title=title, **kwargs)
    for ax in list(axes.flat)[len(items):]:
        ax.set_visible(False)
    return axes


def overlay(signals: dict, sr: float, ax=None, title: str | None = None, **kwargs):
    """Several waveforms on one time axis, e.g. an original and its reconstruction.

    Args:
        signals: ``{label: y}``, each of shape ``(n_samples,)``.
        sr: sample rate in Hz.

    Returns:
        matplotlib.axes.Axes
    """
    ax = _axes(ax)
    for label, y in signals.items():
        waveform(y, sr, ax=ax, label=label, alpha=kwargs.get("alpha", 0.8))
    if title:
        ax.set_title(title)
    return ax


def outline(ax, x0: float, y0: float, width: float, height: float, color: str = "cyan",
            label: str | None = None):
    """Draw a rectangle (e.g. a patch or clip of a spectrogram) on an axes, in data units."""
    from matplotlib.patches import Rectangle

    ax.add_patch(Rectangle((x0, y0), width, height, fill=False, edgecolor=color, lw=1.5,
                           label=label))
    return ax
