"""What a generated sound is made with and how it is written, validated in one place.

`GenerationSettings` (duration, temperature, top-k, top-p, stereo width) is what a preset stores and what
shapes the sound; `InversionSettings` (Griffin-Lim iterations and phase start) say how the decoded mel
becomes audio, recorded with every generation so it can be made again after the defaults change;
`ExportSettings` (format, sample rate, bit depth) only says how it is written. Both refuse
bad values on construction with an `InvalidSettings`, which is a `DistillError` (one sentence for the user)
and a `ValueError` (for code calling the engine). Limits that need the model (top-k against the codebook
size) are checked by `GenerationSettings.check_for(codebook_size)`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from engine.errors import DistillError
from engine.records import JsonRecord

MAX_DURATION_S = 600.0  # ten minutes: ~12,900 code frames, ~2 minutes of CPU time at the measured speed
MAX_HISTORY_SEED = 2**63 - 1  # the history stores seeds as SQLite integers (signed 64-bit)
FORMATS = ("wav", "flac", "ogg", "mp3", "aiff")
FORMAT_EXTENSIONS = {"wav": (".wav",), "flac": (".flac",), "ogg": (".ogg",), "mp3": (".mp3",), "aiff": (".aiff", ".aif")}
BIT_DEPTHS = (16, 24, 32)  # 32 is float in WAV; FLAC stops at 24; OGG and MP3 ignore the depth
SAMPLE_RATE_RANGE = (8000, 192000)
MP3_SAMPLE_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)  # MPEG-1, 2 and 2.5
MAX_INVERSION_ITERATIONS = 256
INVERSION_PHASES = ("zero", "random")  # the phase starts `engine.audio.griffinlim.mel_to_audio` knows


class InvalidSettings(DistillError, ValueError):
    """A generation or export setting is out of range; the message names the setting and its range."""


@dataclass(frozen=True)
class GenerationSettings(JsonRecord):
    """The settings that shape a generated sound (a preset holds exactly these).

    temperature 0 is greedy decoding; top_k 0 and top_p 1.0 switch those filters off. stereo_width None
    writes a mono file; a width in [0, 1] writes two channels (0: the mono sound in both, 1: widest).
    one_shot: the prior's end head ends the sound where it learnt the training sounds end (see
    `engine.generation.pipeline`), and duration_s is then only the longest it may last.
    """

    duration_s: float = 4.0
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    stereo_width: float | None = None
    one_shot: bool = False

    def __post_init__(self) -> None:
        duration = _number("duration", self.duration_s)
        if not 0.0 < duration <= MAX_DURATION_S:
            raise InvalidSettings(f"duration must be above 0 and at most {MAX_DURATION_S:g} seconds, not {self.duration_s}")
        temperature = _number("temperature", self.temperature)
        if temperature < 0.0:
            raise InvalidSettings(f"temperature must be 0 (greedy) or more, not {self.temperature}")
        if not _is_int(self.top_k) or self.top_k < 0:
            raise InvalidSettings(f"top-k must be a whole number, 0 (off) or more, not {self.top_k}")
        top_p = _number("top-p", self.top_p)
        if not 0.0 < top_p <= 1.0:
            raise InvalidSettings(f"top-p must be above 0 and at most 1 (off), not {self.top_p}")
        width = None if self.stereo_width is None else _number("stereo width", self.stereo_width)
        if width is not None and not 0.0 <= width <= 1.0:
            raise InvalidSettings(f"stereo width must lie between 0 (mono in both channels) and 1, not {self.stereo_width}")
        if not isinstance(self.one_shot, bool):
            raise InvalidSettings(f"one-shot must be true or false, not {self.one_shot!r}")
        # Store plain floats, so that 1 and 1.0 give the same preset, history row and JSON.
        for name, value in (("duration_s", duration), ("temperature", temperature), ("top_p", top_p), ("stereo_width", width)):
            object.__setattr__(self, name, value)

    def check_for(self, codebook_size: int) -> None:
        """InvalidSettings unless top_k fits a codebook of `codebook_size` codes."""
        if self.top_k > codebook_size:
            raise InvalidSettings(f"top-k must be at most {codebook_size}, the model's codebook size, not {self.top_k}")


@dataclass(frozen=True)
class InversionSettings(JsonRecord):
    """How a decoded log-mel becomes audio: fast Griffin-Lim `iterations` from a `phase` start.

    The default, 24 iterations from a random start, is as close as 32 from zero phase (0.062 against 0.060
    log-mel L1 on generated sounds) in three quarters of the time; see docs/benchmarks.md, "Generation".
    """

    iterations: int = 24
    phase: str = "random"

    def __post_init__(self) -> None:
        if not _is_int(self.iterations) or not 0 <= self.iterations <= MAX_INVERSION_ITERATIONS:
            raise InvalidSettings(f"inversion iterations must be a whole number from 0 to {MAX_INVERSION_ITERATIONS}, not {self.iterations}")
        if self.phase not in INVERSION_PHASES:
            raise InvalidSettings(f"inversion phase must be one of {', '.join(INVERSION_PHASES)}, not {self.phase!r}")



@dataclass(frozen=True)
class ExportSettings(JsonRecord):
    """How a generated sound is written: file format, sample rate (None: the model's) and bit depth."""

    format: str = "wav"
    sample_rate: int | None = None
    bit_depth: int = 16

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise InvalidSettings(f"format must be one of {', '.join(FORMATS)}, not {self.format!r}")
        if self.bit_depth not in BIT_DEPTHS or not _is_int(self.bit_depth):
            raise InvalidSettings(f"bit depth must be 16, 24 or 32, not {self.bit_depth}")
        if self.sample_rate is not None:
            self.check_rate(self.sample_rate)

    def check_rate(self, sample_rate: int) -> None:
        """InvalidSettings unless this format can be written at `sample_rate` Hz."""
        check_sample_rate(sample_rate)
        if self.format == "mp3" and sample_rate not in MP3_SAMPLE_RATES:
            rates = ", ".join(str(rate) for rate in MP3_SAMPLE_RATES)
            raise InvalidSettings(f"mp3 cannot be written at {sample_rate} Hz; use one of {rates}")


def format_of(path: str | os.PathLike | None) -> str:
    """The format a sound file path asks for by its extension; "wav" for no path, a folder or no extension.

    InvalidSettings, naming the extensions distill writes, for any other extension.
    """
    if path is None or os.path.isdir(path) or not Path(path).suffix:  # os.path's: False for a name too long, where pathlib raises
        return "wav"
    suffix = Path(path).suffix.lower()
    for file_format, extensions in FORMAT_EXTENSIONS.items():
        if suffix in extensions:
            return file_format
    raise InvalidSettings(f"distill cannot write sound files ending in {Path(path).suffix} ({Path(path).name}); name it {extension_list()}")


def extension_list() -> str:
    """'.wav, .flac, .ogg, .mp3, .aiff or .aif': every extension distill writes sounds with."""
    extensions = [extension for group in FORMAT_EXTENSIONS.values() for extension in group]
    return ", ".join(extensions[:-1]) + f" or {extensions[-1]}"


def check_seed(seed: int) -> int:
    """`seed` if it is a whole number from 0 to MAX_HISTORY_SEED, else InvalidSettings."""
    if not _is_int(seed) or not 0 <= seed <= MAX_HISTORY_SEED:
        raise InvalidSettings(f"seed must be a whole number from 0 to {MAX_HISTORY_SEED}, not {seed}")
    return seed


def check_sample_rate(sample_rate: int) -> int:
    """`sample_rate` if it is a whole number of Hz in SAMPLE_RATE_RANGE, else InvalidSettings."""
    low, high = SAMPLE_RATE_RANGE
    if not _is_int(sample_rate) or not low <= sample_rate <= high:
        raise InvalidSettings(f"sample rate must be a whole number of Hz from {low} to {high}, not {sample_rate}")
    return sample_rate


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(name: str, value: object) -> float:
    """`value` as a finite float, else InvalidSettings naming the setting."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidSettings(f"{name} must be a finite number, not {value!r}")
    return float(value)


LEGACY_INVERSION = InversionSettings(iterations=32, phase="zero")  # what every sound was made with before the settings were recorded
