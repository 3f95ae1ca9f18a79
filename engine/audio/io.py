"""Reading and writing sound files: the one place that talks to soundfile and soxr.

`load_audio` turns any file libsndfile reads (wav, flac, ogg, mp3, aiff; any rate, any channel count) into
float32 mono at the model's rate, trimmed and normalised; every way a file can be unusable becomes an
`AudioFileError` that names the file; a file whose header declares more than `MAX_AUDIO_SECONDS` or
`MAX_AUDIO_SAMPLES` (engine.limits) is refused before a sample is read. `write_audio` writes atomically
and never clips.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from engine.errors import AudioFileError
from engine.fileio import atomic_path
from engine.limits import MAX_AUDIO_SAMPLES, MAX_AUDIO_SECONDS
from engine.paths import printable, user_path

AUDIO_EXTENSIONS = frozenset({".wav", ".flac", ".ogg", ".mp3", ".aif", ".aiff", ".aifc"})

NORMALISE_MODES = ("peak", "loudness", "none")
PEAK_TARGET = 0.95  # "peak" normalisation, -0.45 dBFS
LOUDNESS_RMS_TARGET = 0.1  # "loudness" normalisation, -20 dBFS RMS
LOUDNESS_PEAK_LIMIT = 0.99  # "loudness" never pushes the peak above this
SILENCE_PEAK = 1e-4  # -80 dBFS: a file whose peak stays below this is refused as silent
TRIM_MARGIN_S = 0.005  # kept before the first and after the last sample above the trim threshold
WRITE_PEAK_LIMIT = 0.999  # write_audio scales louder audio down to this peak

# extension -> (libsndfile format, subtypes for bit depths 16, 24, 32); lossy codecs ignore the depth
_BIT_DEPTHS = (16, 24, 32)
_WRITE_FORMATS: dict[str, tuple[str, tuple[str, str, str]]] = {
    ".wav": ("WAV", ("PCM_16", "PCM_24", "FLOAT")),
    ".flac": ("FLAC", ("PCM_16", "PCM_24", "PCM_24")),  # libsndfile's FLAC stops at 24 bits
    ".aif": ("AIFF", ("PCM_16", "PCM_24", "FLOAT")),
    ".aiff": ("AIFF", ("PCM_16", "PCM_24", "FLOAT")),
    ".ogg": ("OGG", ("VORBIS",) * 3),
    ".mp3": ("MP3", ("MPEG_LAYER_III",) * 3),
}


def load_audio(
    path: str | os.PathLike,
    sample_rate: int,
    *,
    normalise: str = "peak",
    trim: bool = True,
    trim_db: float = -60.0,
) -> np.ndarray:
    """Read a sound file as float32 mono `[N]` at `sample_rate`.

    Channels are averaged; other rates are resampled with soxr ("HQ"). With `trim`, leading and trailing
    samples quieter than `trim_db` below the file's peak are cut, keeping `TRIM_MARGIN_S` either side
    (the peak itself always survives). `normalise`: "peak" scales the peak to 0.95 (-0.45 dBFS);
    "loudness" scales the RMS of the (trimmed) sound to -20 dBFS but lowers the gain if the peak would pass
    0.99; "none" leaves the level alone. The file is only read.

    Raises AudioFileError if the file is missing, not readable audio, empty, silent (peak below -80 dBFS)
    or holds NaN/infinite samples.
    """
    if normalise not in NORMALISE_MODES:
        raise ValueError(f"normalise must be one of {', '.join(NORMALISE_MODES)}, got {normalise!r}.")
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}.")
    if trim and trim_db >= 0:
        raise ValueError(f"trim_db must be negative (dB below the peak), got {trim_db}.")
    path = _readable_file(path)
    try:
        _check_size(path, sf.info(str(path)))
        data, file_rate = sf.read(path, dtype="float32", always_2d=True)  # [N, C]
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise AudioFileError(f"Cannot read '{path}' as audio ({_reason(exc)}).") from exc
    except MemoryError as exc:
        raise AudioFileError(f"Audio file '{path}' does not fit in memory.") from exc

    if data.shape[0] == 0:
        raise AudioFileError(f"Audio file '{path}' is empty (0 frames).")
    if not np.isfinite(data).all():
        raise AudioFileError(f"Audio file '{path}' contains NaN or infinite samples.")
    mono = data.mean(axis=1, dtype=np.float32)  # [N]
    peak = float(np.max(np.abs(mono)))
    if peak < SILENCE_PEAK:
        raise AudioFileError(f"Audio file '{path}' is silent (peak below -80 dBFS).")

    if trim:
        mono = _trim(mono, peak * 10.0 ** (trim_db / 20.0), round(TRIM_MARGIN_S * file_rate))
    if file_rate != sample_rate:
        mono = resample(mono, file_rate, sample_rate)  # [N * sample_rate / file_rate]
    return np.ascontiguousarray(_normalise(mono, normalise), dtype=np.float32)


def _readable_file(path: str | os.PathLike) -> Path:
    """`path` as a Path if it is a file we may open, else AudioFileError saying why in the system's words.

    A name that is not valid UTF-8 is refused too: it could not be shown, stored in a model or matched again.
    """
    path = user_path(path, "read as a sound", AudioFileError)
    if printable(str(path)) != str(path):
        raise AudioFileError(f"Audio file '{printable(str(path))}' has a name that is not valid UTF-8; rename it to use it.")
    if not path.exists():
        raise AudioFileError(f"Audio file '{path}' does not exist.")
    if not path.is_file():
        raise AudioFileError(f"Audio file '{path}' is not a file.")
    try:
        with open(path, "rb"):  # libsndfile would call a permission problem "System error"
            pass
    except OSError as exc:
        raise AudioFileError(f"Cannot read '{path}' ({exc.strerror or exc}).") from exc
    return path


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """`audio` (`[N]` or `[N, C]`) from `from_rate` to `to_rate` Hz with soxr ("HQ"); as it is when they agree."""
    if from_rate == to_rate:
        return audio
    return soxr.resample(audio, from_rate, to_rate, quality="HQ")  # [round(N * to_rate / from_rate), ...]


def resample_pieces(pieces: Iterable[np.ndarray], from_rate: int, to_rate: int) -> Iterator[np.ndarray]:
    """`resample` of the concatenated mono `pieces` ([n_i] float32), as they come: non-empty pieces [m_i].

    One soxr stream resamples them all; its output is the one-shot `resample`'s, sample for sample (soxr
    runs the same filter; tests/test_audio_io.py checks it), only soxr holds back a few samples until the end.
    """
    if from_rate == to_rate:
        yield from (piece for piece in pieces if piece.size)
        return
    stream = soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32", quality="HQ")
    for piece in pieces:
        out = stream.resample_chunk(np.asarray(piece, dtype=np.float32), last=False)  # [m_i]
        if out.size:
            yield out
    out = stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)  # the samples held back
    if out.size:
        yield out


def write_audio(
    path: str | os.PathLike,
    audio: np.ndarray,
    sample_rate: int,
    *,
    bit_depth: int = 16,
) -> Path:
    """Write `audio` (`[N]` mono or `[N, C]`) to `path` atomically and return the final path.

    The format comes from the extension: .wav, .flac, .aif/.aiff (PCM_16 / PCM_24 by `bit_depth`; 32 gives
    FLOAT, or PCM_24 for flac), .ogg (Vorbis), .mp3. Audio whose peak exceeds 0.999 is scaled down as a whole
    to 0.999, never clipped. Raises AudioFileError for an unsupported extension or a failed write.
    """
    path = Path(path)
    extension = path.suffix.lower()
    if extension not in _WRITE_FORMATS:
        supported = ", ".join(sorted(_WRITE_FORMATS))
        raise AudioFileError(f"Cannot write '{path}': unsupported extension '{path.suffix}' (use {supported}).")
    if bit_depth not in _BIT_DEPTHS:
        raise ValueError(f"bit_depth must be 16, 24 or 32, got {bit_depth}.")
    file_format, subtypes = _WRITE_FORMATS[extension]
    subtype = subtypes[_BIT_DEPTHS.index(bit_depth)]

    data = np.asarray(audio, dtype=np.float32)  # [N] or [N, C]
    if data.ndim not in (1, 2) or data.shape[0] == 0:
        raise ValueError(f"audio must be a non-empty [N] or [N, C] array, got shape {data.shape}.")
    if not np.isfinite(data).all():
        raise ValueError("audio contains NaN or infinite samples.")
    peak = float(np.max(np.abs(data)))
    if peak > WRITE_PEAK_LIMIT:
        data = data * np.float32(WRITE_PEAK_LIMIT / peak)

    try:
        with atomic_path(path, suffix=extension) as temporary:
            sf.write(temporary, data, sample_rate, format=file_format, subtype=subtype)
    except (sf.SoundFileError, RuntimeError, OSError) as exc:
        raise AudioFileError(f"Cannot write '{path}' ({_reason(exc)}).") from exc
    return path


def _check_size(path: Path, info) -> None:
    """AudioFileError if the header of `path` (its soundfile `info`) declares more than distill reads.

    Checked before reading: libsndfile allocates what the header claims, true or not.
    """
    seconds = info.frames / info.samplerate if info.samplerate > 0 else 0.0
    if seconds > MAX_AUDIO_SECONDS or info.frames * info.channels > MAX_AUDIO_SAMPLES:
        raise AudioFileError(
            f"Audio file '{path}' is too long: its header declares {seconds / 60:.1f} minutes in {info.channels} channels, "
            f"and distill reads at most {MAX_AUDIO_SECONDS // 60} minutes ({MAX_AUDIO_SAMPLES} samples in all channels)."
        )


def _reason(exc: Exception) -> str:
    """libsndfile's own words for a failure, as one clause to put in parentheses."""
    text = (getattr(exc, "error_string", None) or str(exc)).strip().rstrip(".")
    return "; ".join(part.strip() for part in text.split(". "))


def _trim(mono: np.ndarray, threshold: float, margin: int) -> np.ndarray:
    """Cut `mono` `[N]` to its first..last sample above `threshold`, widened by `margin` samples each side."""
    loud = np.flatnonzero(np.abs(mono) > threshold)  # non-empty: the peak is above any threshold below it
    start = max(int(loud[0]) - margin, 0)
    stop = min(int(loud[-1]) + 1 + margin, mono.shape[0])
    return mono[start:stop]


def _normalise(mono: np.ndarray, mode: str) -> np.ndarray:
    """Apply a `NORMALISE_MODES` level rule to `mono` `[N]`."""
    if mode == "none":
        return mono
    peak = float(np.max(np.abs(mono)))
    if mode == "peak":
        gain = PEAK_TARGET / peak
    else:
        rms = float(np.sqrt(np.mean(np.square(mono, dtype=np.float64))))
        gain = min(LOUDNESS_RMS_TARGET / rms, LOUDNESS_PEAK_LIMIT / peak)
    return mono * np.float32(gain)
