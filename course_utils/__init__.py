"""Shared helpers for the course *Audio and speech processing with deep learning*.

Installed with ``pip install -e .`` (``make lab`` does it); notebooks import it as::

    from course_utils import audio, data, plot, checks, synth

Modules:
    audio: load, save, normalise and play audio (soundfile, soxr).
    data: the registry of shipped clips, checked by sha256 on load.
    plot: waveforms and spectrograms in physical units (s, Hz or mel, dB).
    checks: assertions for test cells that tell a student what is wrong.
    synth: test signals with known spectra (sines, chirps, clicks, noise).
    datasets: ESC-50-format datasets (synthetic generator, loader, torch Dataset); notebooks 05-06.
    esc_synth: the sound generators of the synthetic ESC-style dataset.
    music: procedural songs (melodies, harmonics, percussion) for notebook 07.
    grader: the instructors' grading system (the ``course`` command); notebooks never import it.

Nothing here is a function a student is asked to write: later notebooks use librosa or torch
for what an earlier notebook taught.
"""

__version__ = "0.1.0"

__all__ = ["audio", "checks", "data", "plot", "synth"]
