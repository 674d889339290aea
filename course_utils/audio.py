"""Loading, saving, normalising and playing audio.

Used by every notebook (01–08). Reading is done by soundfile (WAV, FLAC, OGG and MP3 without
ffmpeg), resampling by soxr. Signals are float32 arrays in [-1, 1]: shape ``(n_samples,)`` for
mono, ``(n_channels, n_samples)`` otherwise, as in librosa.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

__all__ = ["load", "save", "resample", "peak_normalize", "rms_normalize", "rms", "play",
           "AudioError"]


class AudioError(ValueError):
    """Raised for audio that cannot be used as asked (missing, corrupt, empty, wrong shape)."""


def _check_sr(sr, name: str = "sr") -> None:
    if sr is None:
        return
    if isinstance(sr, (bool, str, bytes)) or not np.isscalar(sr) or not np.isfinite(sr) or sr <= 0:
        raise AudioError(f"{name} must be a positive number of samples per second (e.g. 22050), got {sr!r}.")


def check_signal(y, name: str = "y", mono: bool = False) -> np.ndarray:
    """Validate a signal and return it as a float array.

    Args:
        y: array of shape ``(n_samples,)`` or, unless ``mono``, ``(n_channels, n_samples)``.
        name: name used in error messages.
        mono: require a 1-D signal.

    Returns:
        np.ndarray: the same samples as a floating-point array.

    Raises:
        AudioError: if ``y`` is empty, not finite, or has the wrong number of dimensions.
    """
    y = np.asarray(y)
    if y.dtype.kind not in "fiu":
        raise AudioError(f"{name} must be a numeric array of samples, got dtype {y.dtype}.")
    if y.size == 0:
        raise AudioError(f"{name} is empty (shape {y.shape}): there is no audio to process.")
    if mono and y.ndim != 1:
        raise AudioError(
            f"{name} must be mono, shape (n_samples,), but has shape {y.shape}; "
            "mix it down first, e.g. y.mean(axis=0), or load with mono=True.")
    if y.ndim not in (1, 2):
        raise AudioError(f"{name} must have shape (n_samples,) or (n_channels, n_samples), got {y.shape}.")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        raise AudioError(f"{name} contains NaN or infinite samples.")
    return y.astype(np.float32) if y.dtype.kind != "f" else y


def resample(y: np.ndarray, orig_sr: float, target_sr: float) -> np.ndarray:
    """Resample with soxr (high quality).

    Args:
        y: signal, shape ``(n_samples,)`` or ``(n_channels, n_samples)``.
        orig_sr: its sample rate in Hz.
        target_sr: the wanted sample rate in Hz.

    Returns:
        np.ndarray: float32 signal at ``target_sr``, same number of dimensions.
    """
    _check_sr(orig_sr, "orig_sr")
    _check_sr(target_sr, "target_sr")
    y = check_signal(y)
    if orig_sr == target_sr:
        return y.astype(np.float32, copy=False)
    out = soxr.resample(np.ascontiguousarray(y.T), orig_sr, target_sr, quality="HQ")
    return np.ascontiguousarray(out.T).astype(np.float32, copy=False)


def load(path, sr: float | None = None, mono: bool = True) -> tuple[np.ndarray, int]:
    """Read an audio file.

    Args:
        path: file path (str or Path).
        sr: resample to this rate in Hz; ``None`` keeps the file's rate.
        mono: mix the channels down to one by averaging. With ``mono=False`` a multichannel file
            is returned as ``(n_channels, n_samples)``.

    Returns:
        tuple: ``(y, sr)``: float32 samples in [-1, 1], shape ``(n_samples,)`` when mono, and the
        sample rate in Hz (int).

    Raises:
        FileNotFoundError: the file does not exist.
        AudioError: the file is not audio soundfile can read, is corrupt or empty, or ``sr`` is
            not positive.
    """
    _check_sr(sr)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"No audio file at {path}. Check the path; shipped clips are listed "
                                "by course_utils.data.available().")
    if path.is_dir():
        raise AudioError(f"{path} is a folder, not an audio file.")
    try:
        y, file_sr = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, TypeError) as err:
        raise AudioError(
            f"Cannot read {path.name} as audio ({err}). Supported: WAV, FLAC, OGG, MP3; the file may "
            "be corrupt or of another format.") from err
    if y.shape[0] == 0:
        raise AudioError(f"{path.name} contains no samples (an empty recording).")
    y = y.T  # (n_channels, n_samples)
    y = y.mean(axis=0) if mono else (y[0] if y.shape[0] == 1 else y)
    if sr is not None and sr != file_sr:
        y = resample(y, file_sr, sr)
        file_sr = sr
    return np.ascontiguousarray(y, dtype=np.float32), int(file_sr)


def save(path, y: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    """Write a signal to an audio file; the format follows the extension (.wav, .flac, .ogg, .mp3).

    Args:
        path: destination; parent folders are created.
        y: signal in [-1, 1], shape ``(n_samples,)`` or ``(n_channels, n_samples)``.
        sr: sample rate in Hz.
        subtype: soundfile subtype for WAV/FLAC (``"PCM_16"``, ``"FLOAT"``, ...).

    Returns:
        Path: the path written.
    """
    _check_sr(sr)
    y = check_signal(y)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ext = path.suffix.lower()
    kwargs = {"subtype": subtype} if ext in (".wav", ".flac") else {}
    if np.max(np.abs(y)) > 1.0:
        raise AudioError("Samples exceed [-1, 1] and would clip when written; normalise first "
                         "(course_utils.audio.peak_normalize).")
    sf.write(str(path), y.T, int(sr), **kwargs)
    return path


def rms(y: np.ndarray) -> float:
    """Root-mean-square level of a signal (linear, same unit as the samples)."""
    y = check_signal(y)
    return float(np.sqrt(np.mean(np.square(y, dtype=np.float64))))


def peak_normalize(y: np.ndarray, peak_db: float = -1.0) -> np.ndarray:
    """Scale a signal so that its largest absolute sample is ``peak_db`` dBFS.

    Raises:
        AudioError: for a silent (all-zero) signal, which cannot be normalised.
    """
    y = check_signal(y)
    peak = float(np.max(np.abs(y)))
    if peak == 0.0:
        raise AudioError("Cannot peak-normalise a silent signal (all samples are zero).")
    return (y * (10.0 ** (peak_db / 20.0) / peak)).astype(y.dtype, copy=False)


def rms_normalize(y: np.ndarray, rms_db: float = -20.0) -> np.ndarray:
    """Scale a signal to an RMS level of ``rms_db`` dBFS (may exceed [-1, 1]: check before saving).

    Raises:
        AudioError: for a silent (all-zero) signal.
    """
    level = rms(y)
    if level == 0.0:
        raise AudioError("Cannot RMS-normalise a silent signal (all samples are zero).")
    y = check_signal(y)
    return (y * (10.0 ** (rms_db / 20.0) / level)).astype(y.dtype, copy=False)


def play(y: np.ndarray, sr: int, normalize: bool = True):
    """A notebook audio player (``IPython.display.Audio``) for a signal.

    Args:
        y: signal, shape ``(n_samples,)`` or ``(n_channels, n_samples)``; a torch tensor is accepted.
        sr: sample rate in Hz.
        normalize: let the player scale the signal to full range. Use ``False`` to hear true
            loudness (the signal must then lie in [-1, 1]).

    Returns:
        IPython.display.Audio: displayed when it is the last expression of a cell.
    """
    from IPython.display import Audio

    if hasattr(y, "detach"):
        y = y.detach().cpu().numpy()
    _check_sr(sr)
    y = check_signal(y)
    return Audio(data=y, rate=int(sr), normalize=normalize)
