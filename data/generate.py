"""Regenerate the course's shipped audio clips and ``data/registry.json``.

Every clip in ``data/`` but one is made here from scratch, offline, with no
recording and no download:

* ``speech_low.wav``, ``speech_high.wav``, ``welcome.wav``: English speech
  synthesised by espeak-ng (voices ``en-us+m3``, ``en-us+f3``, ``en-gb+f2``).
* ``violin.wav``: a legato violin phrase (General MIDI program 41) and
* ``song.mp3``: a four-bar band excerpt (piano, bass, flute, drums),
  both written as MIDI by this script and rendered by FluidSynth with the
  FluidR3_GM soundfont.

These are converted to 22050 Hz mono, peak-normalised and written. The one
real recording,

* ``arctic_a0007.wav``: a human voice from the CMU ARCTIC database (speaker
  awb), is copied byte for byte, unmodified (16 kHz), from the source
  distribution of pysptk, which ships it with its licence; the script downloads
  that sdist with pip (PyPI) and checks its SHA-256 first.

Then every clip's SHA-256 checksum, duration, licence and provenance are stored
in ``registry.json`` (read by ``course_utils`` to find and verify a clip by name).

The course itself never runs this script; it is kept so anyone can see and
redo how the data was made. Its dependencies are therefore its own:

* system tools: ``apt-get install espeak-ng fluidsynth fluid-soundfont-gm``
* Python: numpy, soundfile (>= 0.13, with libsndfile >= 1.1 for MP3), soxr,
  and pip with access to PyPI (for the pysptk sdist only; pysptk is not
  installed). The MIDI files are written by a small writer below, so no MIDI
  package is needed.

Usage::

    python data/generate.py                 # rewrite the files in data/
    python data/generate.py --out-dir /tmp/x  # write elsewhere (e.g. to diff)

The output is deterministic for a given set of tool versions (reverb and
chorus are off, FluidSynth renders to float so no dither is added, and the MP3
is encoded at a constant bitrate): two runs give byte-identical files. Other
versions of espeak-ng, FluidSynth, the soundfont or libsndfile/LAME may give
slightly different bytes; the registry records the versions used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

SR = 22050
"""Sample rate of every shipped clip, in Hz."""

DATA_DIR = Path(__file__).resolve().parent
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")

SPEECH_TEXT = (
    "The quick brown fox jumps over the lazy dog. "
    "Speech is sound shaped by the mouth."
)
WELCOME_TEXT = "Welcome to audio and speech processing with deep learning."

TICKS_PER_BEAT = 480
"""MIDI time resolution (ticks per quarter note)."""

OUTPUT_LICENCE = "CC0-1.0"

SOUNDFONT_NOTICE = (
    "instrument samples from FluidR3_GM.sf2 (Copyright 2000-2002, 2008 Frank Wen; "
    "2008 Toby Smithe), MIT licence, Debian package fluid-soundfont-gm; "
    "notice reproduced in data/README.md"
)

ARCTIC_SDIST = "pysptk==1.0.1"
"""The source distribution that ships the CMU ARCTIC clip (pysptk/example_audio_data/)."""
ARCTIC_SDIST_SHA256 = "78b1c9338bf795a41cdc3ff03fcd4699c401c323f54630bb71a19710078d0b3f"
ARCTIC_MEMBER = "pysptk-1.0.1/pysptk/example_audio_data/"
ARCTIC_TEXT = "And you always want to see it in the superlative degree."
ARCTIC_LICENCE = (
    "CMU ARCTIC licence (Carnegie Mellon University, Copyright (c) 2003): free for use for any "
    "purpose, commercial or otherwise; the copyright notice, conditions and disclaimer must be "
    "kept, modifications marked and the authors' names kept; notice reproduced verbatim in "
    "data/README.md"
)


# --------------------------------------------------------------------------
# External tools
# --------------------------------------------------------------------------

def require_tools() -> None:
    """Check that espeak-ng, fluidsynth and the soundfont are installed.

    Raises:
        RuntimeError: naming the missing tool and the apt package that has it.
    """
    missing = []
    if shutil.which("espeak-ng") is None:
        missing.append("espeak-ng (apt-get install espeak-ng)")
    if shutil.which("fluidsynth") is None:
        missing.append("fluidsynth (apt-get install fluidsynth)")
    if not SOUNDFONT.is_file():
        missing.append(f"{SOUNDFONT} (apt-get install fluid-soundfont-gm)")
    if missing:
        raise RuntimeError(
            "data/generate.py needs these, which are missing:\n  "
            + "\n  ".join(missing)
            + "\nInstall all with: apt-get install espeak-ng fluidsynth fluid-soundfont-gm"
        )


def tool_version(cmd: list[str]) -> str:
    """Return the first line of a tool's ``--version`` output.

    Args:
        cmd: the command, e.g. ``["espeak-ng", "--version"]``.

    Returns:
        The first non-empty output line, stripped.
    """
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return (out.stdout or out.stderr).strip().splitlines()[0]


def run(cmd: list[str]) -> None:
    """Run a command, raising with its stderr if it fails.

    Args:
        cmd: the command and its arguments.

    Raises:
        RuntimeError: if the command exits with a non-zero status.
    """
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stderr}")


# --------------------------------------------------------------------------
# Signal helpers
# --------------------------------------------------------------------------

def load_mono(path: Path, sr: int = SR) -> np.ndarray:
    """Read an audio file, mix it down to mono and resample it with soxr.

    Args:
        path: a file libsndfile can read (WAV, float or integer).
        sr: target sample rate in Hz.

    Returns:
        y: float64 array of shape (n_samples,), range about [-1, 1].
    """
    y, sr_in = sf.read(path, dtype="float64", always_2d=True)
    y = y.mean(axis=1)
    if sr_in != sr:
        y = soxr.resample(y, sr_in, sr, quality="VHQ")
    return y


def trim_silence(y: np.ndarray, sr: int, top_db: float = 50.0,
                 pad_s: float = 0.05, lead: bool = True) -> np.ndarray:
    """Cut leading and trailing samples quieter than ``top_db`` below the peak.

    Args:
        y: float array of shape (n_samples,).
        sr: sample rate in Hz.
        top_db: threshold in dB below the absolute peak.
        pad_s: silence kept on each trimmed side, in seconds.
        lead: if False, only the trailing silence is cut.

    Returns:
        The trimmed array, shape (n_trimmed,).
    """
    threshold = np.max(np.abs(y)) * 10.0 ** (-top_db / 20.0)
    loud = np.flatnonzero(np.abs(y) > threshold)
    pad = int(round(pad_s * sr))
    start = max(loud[0] - pad, 0) if lead else 0
    stop = min(loud[-1] + 1 + pad, len(y))
    return y[start:stop]


def fit_length(y: np.ndarray, sr: int, max_s: float, fade_s: float = 0.3) -> np.ndarray:
    """Cut a signal to at most ``max_s`` seconds, fading out if it was cut.

    Args:
        y: float array of shape (n_samples,).
        sr: sample rate in Hz.
        max_s: longest allowed duration in seconds.
        fade_s: length of the linear fade-out applied when cutting, in seconds.

    Returns:
        Array of shape (min(n_samples, max_s * sr),).
    """
    n_max = int(max_s * sr)
    if len(y) <= n_max:
        return y
    y = y[:n_max].copy()
    n_fade = int(fade_s * sr)
    y[-n_fade:] *= np.linspace(1.0, 0.0, n_fade)
    return y


def normalise_peak(y: np.ndarray, peak_dbfs: float) -> np.ndarray:
    """Scale a signal so its absolute peak is ``peak_dbfs`` dB full scale.

    Args:
        y: float array of shape (n_samples,), not all zeros.
        peak_dbfs: target peak in dBFS (e.g. -1.0).

    Returns:
        The scaled array, same shape.
    """
    return y * (10.0 ** (peak_dbfs / 20.0) / np.max(np.abs(y)))


def to_pcm16(y: np.ndarray) -> np.ndarray:
    """Round a float signal in [-1, 1] to int16 ourselves (no library dither).

    Args:
        y: float array of shape (n_samples,).

    Returns:
        int16 array of shape (n_samples,).
    """
    return np.clip(np.round(y * 32767.0), -32768, 32767).astype(np.int16)


# --------------------------------------------------------------------------
# Speech (espeak-ng)
# --------------------------------------------------------------------------

def synth_speech(text: str, voice: str, workdir: Path) -> np.ndarray:
    """Synthesise English speech with espeak-ng.

    Args:
        text: the sentence(s) to speak.
        voice: an espeak-ng voice, e.g. ``"en-us+m3"``.
        workdir: a scratch directory for the intermediate WAV.

    Returns:
        y: float64 array of shape (n_samples,) at ``SR`` Hz, trimmed of
        leading/trailing silence and peak-normalised to -1 dBFS.
    """
    wav = workdir / f"espeak_{voice.replace('+', '_')}.wav"
    run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(wav), text])
    y = load_mono(wav)
    return normalise_peak(trim_silence(y, SR, top_db=45.0, pad_s=0.1), -1.0)


# --------------------------------------------------------------------------
# MIDI writing (Standard MIDI File, format 0)
# --------------------------------------------------------------------------

def varlen(value: int) -> bytes:
    """Encode an integer as a MIDI variable-length quantity.

    Args:
        value: a non-negative integer below 2**28.

    Returns:
        The 1-4 byte encoding.
    """
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def write_midi(path: Path, events: list[tuple[int, int, bytes]], bpm: float,
               end_tick: int) -> None:
    """Write a single-track (format 0) Standard MIDI File.

    Args:
        path: where to write the ``.mid`` file.
        events: ``(tick, order, message)`` triples; ``message`` is a raw MIDI
            channel message. Events are sorted by tick then ``order`` (so a
            note-off, order 0, comes before a note-on, order 2, at the same tick).
        bpm: tempo in quarter notes per minute.
        end_tick: tick of the end-of-track event (leave room for release tails).
    """
    tempo = struct.pack(">I", int(round(60_000_000 / bpm)))[1:]
    track = bytearray(b"\x00\xff\x51\x03" + tempo)
    now = 0
    for tick, _, msg in sorted(events, key=lambda e: (e[0], e[1])):
        track += varlen(tick - now) + msg
        now = tick
    track += varlen(max(end_tick - now, 0)) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, TICKS_PER_BEAT)
    path.write_bytes(header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track))


def setup_channel(channel: int, program: int | None, volume: int) -> list[tuple[int, int, bytes]]:
    """Events at tick 0 that choose an instrument and centre a channel.

    Args:
        channel: MIDI channel, 0-based (9 is the GM drum channel).
        program: GM program change value, 0-based (40 is Violin), or None.
        volume: channel volume (CC 7), 0-127.

    Returns:
        A list of ``(tick, order, message)`` events.
    """
    events = [
        (0, 1, bytes([0xB0 | channel, 7, volume])),
        (0, 1, bytes([0xB0 | channel, 10, 64])),  # pan centre
        (0, 1, bytes([0xB0 | channel, 91, 0])),   # reverb send off
        (0, 1, bytes([0xB0 | channel, 93, 0])),   # chorus send off
    ]
    if program is not None:
        events.append((0, 1, bytes([0xC0 | channel, program])))
    return events


def notes(channel: int, seq: list[tuple[int | list[int] | None, float, int]],
          start_beat: float = 0.0, gate: float = 1.0) -> list[tuple[int, int, bytes]]:
    """Turn a list of notes into note-on/note-off events.

    Args:
        channel: MIDI channel, 0-based.
        seq: ``(pitch, beats, velocity)`` items played one after another;
            ``pitch`` is a MIDI note number, a list of them (a chord), or None
            (a rest); ``beats`` is the duration in quarter notes.
        start_beat: where the sequence starts, in quarter notes.
        gate: fraction of each duration the note is held (1.0 = legato).

    Returns:
        A list of ``(tick, order, message)`` events.
    """
    events = []
    beat = start_beat
    for pitch, beats, velocity in seq:
        if pitch is not None:
            on = int(round(beat * TICKS_PER_BEAT))
            off = int(round((beat + beats * gate) * TICKS_PER_BEAT))
            for p in pitch if isinstance(pitch, list) else [pitch]:
                events.append((on, 2, bytes([0x90 | channel, p, velocity])))
                events.append((off, 0, bytes([0x80 | channel, p, 0])))
        beat += beats
    return events


# --------------------------------------------------------------------------
# The two pieces of music
# --------------------------------------------------------------------------

VIOLIN_BPM = 120.0
VIOLIN_MELODY = [  # G major, G4 (67) .. E5 (76); (pitch, beats, velocity)
    (67, 1.0, 84), (69, 0.5, 80), (71, 0.5, 84), (74, 1.0, 96),
    (76, 1.0, 100), (74, 0.5, 90), (71, 0.5, 84), (72, 1.0, 88),
    (69, 1.0, 84), (71, 0.5, 86), (69, 0.5, 80), (67, 2.0, 90),
]


def violin_midi(path: Path) -> None:
    """Write the violin phrase: 12 legato notes, GM program 41 (Violin).

    Args:
        path: where to write the ``.mid`` file.
    """
    events = setup_channel(0, program=40, volume=110)
    events += notes(0, VIOLIN_MELODY, gate=1.0)
    total_beats = sum(b for _, b, _ in VIOLIN_MELODY)
    write_midi(path, events, VIOLIN_BPM, end_tick=int((total_beats + 2) * TICKS_PER_BEAT))


SONG_BPM = 112.0
C4, D4, E4, F4, G4, A4, B4 = 60, 62, 64, 65, 67, 69, 71
CHORDS = [  # C  G  Am  F, one per 4/4 bar
    [C4, E4, G4], [B4 - 12, D4, G4], [C4, E4, A4], [C4, F4, A4],
]
BASS_ROOTS = [36, 43, 45, 41]  # C2 G2 A2 F2
LEAD = [  # one line per bar; (pitch, beats, velocity)
    (76, 1.0, 96), (74, 0.5, 84), (72, 0.5, 84), (74, 1.0, 90), (76, 1.0, 92),
    (74, 1.5, 94), (71, 0.5, 82), (67, 1.0, 86), (71, 1.0, 88),
    (72, 1.0, 92), (76, 1.0, 94), (81, 1.0, 100), (79, 1.0, 92),
    (77, 1.0, 94), (76, 0.5, 86), (74, 0.5, 86), (72, 2.0, 96),
]
KICK, SNARE, HIHAT, CRASH = 36, 38, 42, 49


def song_midi(path: Path) -> None:
    """Write the song: 4 bars of C-G-Am-F with piano, bass, flute and drums.

    Channels (0-based): 0 piano (GM 1), 1 fingered bass (GM 34),
    2 flute lead (GM 74), 9 drums (GM percussion, "channel 10").

    Args:
        path: where to write the ``.mid`` file.
    """
    events = setup_channel(0, program=0, volume=88)
    events += setup_channel(1, program=33, volume=110)
    events += setup_channel(2, program=73, volume=112)
    events += setup_channel(9, program=None, volume=96)
    for bar, (chord, root) in enumerate(zip(CHORDS, BASS_ROOTS)):
        b0 = 4.0 * bar
        events += notes(0, [(chord, 1.5, 76), (chord, 1.0, 64), (chord, 1.5, 70)],
                        start_beat=b0, gate=0.95)
        events += notes(1, [(root, 1.5, 100), (root, 0.5, 84), (root + 7, 1.0, 92),
                            (root + 12, 0.5, 84), (root, 0.5, 88)],
                        start_beat=b0, gate=0.9)
        for eighth in range(8):
            beat = b0 + 0.5 * eighth
            drum = [(HIHAT, 70 if eighth % 2 else 88)]
            if eighth in (0, 4) or (eighth == 5 and bar % 2):
                drum.append((KICK, 110))
            if eighth in (2, 6):
                drum.append((SNARE, 104))
            if eighth == 0 and bar == 0:
                drum.append((CRASH, 96))
            for pitch, velocity in drum:
                events += notes(9, [(pitch, 0.25, velocity)], start_beat=beat)
    events += notes(2, LEAD, gate=0.92)
    write_midi(path, events, SONG_BPM, end_tick=18 * TICKS_PER_BEAT)


def render_midi(midi: Path, workdir: Path) -> np.ndarray:
    """Render a MIDI file with FluidSynth (reverb and chorus off, float output).

    Float output means FluidSynth adds no dither noise, so the result is
    deterministic; conversion to 16 bits is done later by ``to_pcm16``.

    Args:
        midi: the ``.mid`` file.
        workdir: a scratch directory for the rendered WAV.

    Returns:
        y: float64 array of shape (n_samples,) at ``SR`` Hz (stereo mixed down).
    """
    wav = workdir / (midi.stem + "_render.wav")
    run(["fluidsynth", "-n", "-i", "-q", "-R", "0", "-C", "0", "-g", "0.5",
         "-r", str(SR), "-O", "float", "-T", "wav", "-F", str(wav),
         str(SOUNDFONT), str(midi)])
    return load_mono(wav)


# --------------------------------------------------------------------------
# The real recording (CMU ARCTIC, from the pysptk sdist)
# --------------------------------------------------------------------------

def download_pysptk_sdist(workdir: Path) -> Path:
    """Download the pysptk source distribution with pip and check its SHA-256.

    ``--no-binary pysptk`` makes pip fetch the sdist, the same archive on every platform, rather
    than a platform wheel; ``--no-binary :all:`` would also demand pysptk's build requirements
    (numpy, Cython) as sources, and pip fails building them (it prepares the sdist's metadata
    even for a download). Nothing is built or installed.

    Args:
        workdir: a scratch directory to download into.

    Returns:
        The path of ``pysptk-1.0.1.tar.gz``.

    Raises:
        RuntimeError: pip failed, or the archive is not the one this script was written for.
    """
    run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary",
         "pysptk", ARCTIC_SDIST, "-d", str(workdir)])
    sdist = workdir / "pysptk-1.0.1.tar.gz"
    digest = sha256(sdist)
    if digest != ARCTIC_SDIST_SHA256:
        raise RuntimeError(f"{sdist.name} has sha256 {digest}, expected {ARCTIC_SDIST_SHA256}")
    return sdist


def extract_arctic(sdist: Path, out_dir: Path) -> tuple[Path, str]:
    """Copy ``arctic_a0007.wav`` out of the pysptk sdist, byte for byte, and read its licence.

    The licence (``example_audio_data/COPYING``) asks that its notice be kept: this function
    checks that ``data/README.md`` reproduces it verbatim.

    Args:
        sdist: the pysptk source archive.
        out_dir: where to write ``arctic_a0007.wav``.

    Returns:
        ``(path, notice)``: the written file and the text of the licence notice.

    Raises:
        RuntimeError: data/README.md does not contain the notice, character for character.
    """
    with tarfile.open(sdist) as tar:
        wav = tar.extractfile(ARCTIC_MEMBER + "arctic_a0007.wav").read()
        notice = tar.extractfile(ARCTIC_MEMBER + "COPYING").read().decode("utf-8")
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    if notice.strip() not in readme:
        raise RuntimeError("data/README.md must reproduce the CMU ARCTIC licence notice verbatim "
                           "(in a text block, exactly as in COPYING):\n" + notice)
    path = out_dir / "arctic_a0007.wav"
    path.write_bytes(wav)
    return path, notice


# --------------------------------------------------------------------------
# Writing and registry
# --------------------------------------------------------------------------

def sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes.

    Args:
        path: the file.

    Returns:
        64 lowercase hex characters.
    """
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_clip(path: Path, y: np.ndarray) -> None:
    """Write a mono clip at ``SR`` Hz as 16-bit PCM WAV, or as MP3 for ``.mp3``.

    Args:
        path: destination; the suffix picks the format.
        y: float array of shape (n_samples,), peak below 1.0.
    """
    if path.suffix == ".mp3":
        # Constant bitrate; libsndfile maps compression_level 0..1 onto LAME's
        # bitrates: 0.5 gives 80 kbit/s for 22050 Hz mono (about 88 kB here).
        # Checked with libsndfile 1.2.2: levels 0.3-0.7 decode back to exactly
        # len(y) samples with no offset; 0.8 (40 kbit/s) did not (about 1100
        # samples of extra delay and length), so do not go that low.
        sf.write(path, y.astype(np.float32), SR, format="MP3",
                 subtype="MPEG_LAYER_III", compression_level=0.5,
                 bitrate_mode="CONSTANT")
    else:
        sf.write(path, to_pcm16(y), SR, format="WAV", subtype="PCM_16")


def registry_entry(path: Path, description: str, licence: str, provenance: str) -> dict:
    """Describe a written clip as read back from disk.

    Args:
        path: the written file.
        description: what the clip is, in a sentence.
        licence: the licence the clip is released under.
        provenance: how and from what it was made.

    Returns:
        A dict with file, sha256, sr, channels, duration_s (3 decimals),
        description, licence and provenance.
    """
    info = sf.info(path)
    return {
        "file": path.name,
        "sha256": sha256(path),
        "sr": info.samplerate,
        "channels": info.channels,
        "duration_s": round(info.frames / info.samplerate, 3),
        "description": description,
        "licence": licence,
        "provenance": provenance,
    }


def make_all(out_dir: Path) -> dict:
    """Generate every clip into ``out_dir`` and return the registry.

    Args:
        out_dir: destination directory (created if needed).

    Returns:
        The registry dict, keyed by clip name.
    """
    require_tools()
    out_dir.mkdir(parents=True, exist_ok=True)
    espeak = tool_version(["espeak-ng", "--version"]).split("  Data at")[0]
    fluid = tool_version(["fluidsynth", "--version"])
    made_by = "made by data/generate.py"
    speech_licence = (f"{OUTPUT_LICENCE} (espeak-ng is GPL-3.0 software; its synthesised "
                      "output is not covered by the GPL)")
    music_licence = f"{OUTPUT_LICENCE} for the melody, arrangement and rendering; {SOUNDFONT_NOTICE}"
    registry = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        speech = [
            ("speech_low", "en-us+m3", SPEECH_TEXT, "English sentences, lower-pitched male voice"),
            ("speech_high", "en-us+f3", SPEECH_TEXT, "the same sentences, higher-pitched female voice"),
            ("welcome", "en-gb+f2", WELCOME_TEXT, "a short spoken welcome phrase"),
        ]
        for name, voice, text, what in speech:
            path = out_dir / f"{name}.wav"
            write_clip(path, synth_speech(text, voice, work))
            registry[name] = registry_entry(
                path, f'Synthetic speech ({what}): "{text}"', speech_licence,
                f"{espeak}, voice {voice}, rate 150 wpm, silence-trimmed, peak -1 dBFS, "
                f"22050 Hz mono PCM_16; {made_by}")

        violin_midi(work / "violin.mid")
        y = render_midi(work / "violin.mid", work)
        y = normalise_peak(fit_length(trim_silence(y, SR, top_db=50.0, lead=False), SR, 6.0), -1.0)
        path = out_dir / "violin.wav"
        write_clip(path, y)
        registry["violin"] = registry_entry(
            path, "A 12-note legato violin phrase in G major (G4-E5) at 120 bpm",
            music_licence,
            f"MIDI written by data/generate.py (GM program 41, Violin), rendered by {fluid} "
            "with FluidR3_GM.sf2 (reverb and chorus off), mixed to mono, trailing silence "
            "trimmed, peak -1 dBFS, 22050 Hz PCM_16")

        song_midi(work / "song.mid")
        y = render_midi(work / "song.mid", work)
        y = normalise_peak(fit_length(trim_silence(y, SR, top_db=50.0, lead=False), SR, 9.9), -3.0)
        path = out_dir / "song.mp3"
        write_clip(path, y)
        registry["song"] = registry_entry(
            path, "A 4-bar song excerpt (C-G-Am-F) at 112 bpm: piano chords, "
            "fingered bass, flute melody and GM drums",
            music_licence,
            f"MIDI written by data/generate.py (GM programs 1 piano, 34 bass, 74 flute; "
            f"drums on channel 10), rendered by {fluid} with FluidR3_GM.sf2 (reverb and "
            "chorus off), mixed to mono, peak -3 dBFS (headroom for MP3), encoded by "
            f"libsndfile {sf.__libsndfile_version__} (LAME) as constant-bitrate MP3, "
            "22050 Hz")

        path, _ = extract_arctic(download_pysptk_sdist(work), out_dir)
        registry["arctic_a0007"] = registry_entry(
            path, "Real speech (a human voice, Scottish-accented English, male; CMU ARCTIC speaker "
            f'awb, utterance arctic_a0007): "{ARCTIC_TEXT}"',
            ARCTIC_LICENCE,
            "Recorded for the CMU ARCTIC speech synthesis databases (Kominek and Black, Carnegie "
            "Mellon University, 2003), cmu_us_awb_arctic; 16000 Hz mono PCM_16 as shipped in "
            f"pysptk 1.0.1's source distribution (pysptk/example_audio_data/, sdist sha256 "
            f"{ARCTIC_SDIST_SHA256[:16]}...), copied byte for byte, unmodified; extracted by "
            "data/generate.py")

    (out_dir / "registry.json").write_text(json.dumps(registry, sort_keys=True, indent=2) + "\n")
    return registry


def main() -> None:
    """Parse the command line, generate the clips and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out-dir", type=Path, default=DATA_DIR,
                        help="where to write the clips (default: this script's folder)")
    args = parser.parse_args()
    registry = make_all(args.out_dir)
    for name, entry in registry.items():
        print(f"{name:12s} {entry['duration_s']:6.3f} s  {entry['sha256']}")


if __name__ == "__main__":
    main()
