"""A user's sound folder as a training dataset: scan, load, compute log-mels once, split by file.

The folder is only ever read. Files are found recursively in sorted order (by path, folder by folder), so
the same folder always gives the same clips in the same order. Hidden files and folders (name starting with
".") are ignored silently; every other file that cannot be used is reported once as a `SkippedFile`,
among them sounds shorter than `MIN_AUDIO_SECONDS` after trimming and names that are not valid UTF-8.
"""

from __future__ import annotations

import math
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from engine.audio.io import AUDIO_EXTENSIONS, load_audio
from engine.audio.mel import MelSpectrogram
from engine.errors import AudioFileError, DatasetError
from engine import limits
from engine.paths import printable, user_path

NOT_AUDIO = "not an audio file"
_MAX_LISTED_SKIPS = 10  # skipped files named in a "too few files" message before "and N more"


@dataclass
class Clip:
    """One usable sound file: its log-mel, computed once at load, and its waveform for the waveform head."""

    path: Path
    name: str  # path relative to the dataset folder, posix style ("drums/kick.wav")
    duration_s: float  # after silence trimming, as the model sees it
    log_mel: Tensor  # [n_mels, T] natural-log magnitude mel, on the CPU
    wave: Tensor | None = None  # [N] float16 on the CPU (half the memory; 11-bit mantissa at every level)


@dataclass
class SkippedFile:
    """A file (or unreadable sub-folder) in the dataset folder that was not used, and why."""

    path: Path
    reason: str  # short, lower case: "not an audio file", "silent", ...


@dataclass
class Dataset:
    """The usable clips of a folder, in sorted path order, and what was skipped."""

    folder: Path
    clips: list[Clip]
    skipped: list[SkippedFile] = field(default_factory=list)

    @property
    def file_count(self) -> int:
        """Number of usable files."""
        return len(self.clips)

    @property
    def duration_s(self) -> float:
        """Total duration of the usable files in seconds."""
        return sum(clip.duration_s for clip in self.clips)

    def summary(self) -> dict:
        """JSON-friendly overview: folder, file_count, duration_s, files (names), skipped (name + reason)."""
        return {
            "folder": str(self.folder),
            "file_count": self.file_count,
            "duration_s": self.duration_s,
            "files": [clip.name for clip in self.clips],
            "skipped": [{"name": _relative_name(s.path, self.folder), "reason": s.reason} for s in self.skipped],
        }


def load_dataset(
    folder: str | os.PathLike,
    mel: MelSpectrogram,
    *,
    min_files: int = 5,
    on_skip: Callable[[SkippedFile], None] | None = None,
) -> Dataset:
    """Load every usable audio file under `folder` (recursively) as a `Clip` with its log-mel.

    Audio is loaded mono at `mel.cfg.sample_rate`, peak-normalised and silence-trimmed (`load_audio`), and
    its log-mel is computed on the mel module's device and kept on the CPU with the wave. Files with another extension are
    skipped as "not an audio file", audio files that fail to load with the loader's reason; `on_skip` is
    called once for each, as it happens. Raises `DatasetError` when the folder is missing or is not a
    folder, or when fewer than `min_files` files are usable (the message lists what was skipped).
    """
    root = _dataset_root(folder)
    clips: list[Clip] = []
    skipped: list[SkippedFile] = []

    def skip(path: Path, reason: str) -> None:
        item = SkippedFile(path=Path(printable(str(path))), reason=reason)  # a non-UTF-8 name cannot be shown as it is
        skipped.append(item)
        if on_skip is not None:
            on_skip(item)

    sample_rate = mel.cfg.sample_rate
    device = mel.filterbank.device
    for path in _scan(root, skip):
        audio = _usable_audio(path, sample_rate)
        if isinstance(audio, str):
            skip(path, audio)
            continue
        with torch.no_grad():
            log_mel = mel(torch.from_numpy(audio).to(device)).cpu()  # [n_mels, T]
        clips.append(
            Clip(
                path=path, name=_relative_name(path, root), duration_s=len(audio) / sample_rate, log_mel=log_mel,
                wave=torch.from_numpy(audio).to(torch.float16),
            )
        )

    if len(clips) < min_files:
        raise DatasetError(_too_few_message(root, clips, skipped, min_files))
    return Dataset(folder=root, clips=clips, skipped=skipped)


def count_usable(folder: str | os.PathLike, sample_rate: int) -> int:
    """How many files under `folder` `load_dataset` would use at `sample_rate` (silent, too short and unreadable
    ones not counted); each is decoded, so this takes a moment per file. DatasetError when there is no folder."""
    return sum(not isinstance(_usable_audio(path, sample_rate), str) for path in audio_files(folder))


def _usable_audio(path: Path, sample_rate: int) -> np.ndarray | str:
    """`path` loaded as training uses it ([N] float32 mono, trimmed), or the short reason it cannot be used."""
    if path.suffix.lower() not in AUDIO_EXTENSIONS:
        return NOT_AUDIO
    try:
        audio = load_audio(path, sample_rate)  # [N] float32 mono
    except AudioFileError as err:
        return _short_reason(err, path)
    if len(audio) < limits.MIN_AUDIO_SECONDS * sample_rate:
        return f"too short ({1000 * len(audio) / sample_rate:.3g} ms after trimming silence; at least {1000 * limits.MIN_AUDIO_SECONDS:.0f} ms)"
    return audio


def audio_files(folder: str | os.PathLike) -> list[Path]:
    """The files under `folder` that `load_dataset` would try to load (audio extensions), in its order.

    Nothing is read, so this is quick; DatasetError when the folder is missing or is not a folder.
    """
    return [path for path in _scan(_dataset_root(folder), lambda path, reason: None) if path.suffix.lower() in AUDIO_EXTENSIONS]


def _dataset_root(folder: str | os.PathLike) -> Path:
    """`folder` resolved, or DatasetError when it is missing or is not a folder."""
    root = user_path(folder, "a dataset folder", DatasetError)
    if not root.exists():
        raise DatasetError(f"Dataset folder {root} does not exist.")
    if not root.is_dir():
        raise DatasetError(f"Dataset path {root} is not a folder.")
    return root.resolve()


def default_val_fraction(file_count: int) -> float:
    """Share of files held out for validation: 0.2 below 50 files, 0.15 below 200, 0.1 from 200 on."""
    if file_count < 50:
        return 0.2
    if file_count < 200:
        return 0.15
    return 0.1


def split_by_file(
    clips: Sequence[Clip], *, val_fraction: float | None = None, seed: int = 0
) -> tuple[list[Clip], list[Clip]]:
    """Split clips into (train, validation) by whole file, never by chunk, so no sound leaks across.

    The validation size is round(count x fraction) (`default_val_fraction` when None), kept between 1 and
    count - 1: 5 files give 4 / 1, 20 give 16 / 4, 60 give 51 / 9. Which files are held out is a seeded
    random choice (same seed, same split); both lists keep the input order.
    """
    count = len(clips)
    if count < 2:
        raise DatasetError(f"Need at least 2 audio files to hold one out for validation, got {count}.")
    fraction = default_val_fraction(count) if val_fraction is None else val_fraction
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"val_fraction must be between 0 and 1 (exclusive), not {fraction}")
    n_val = min(count - 1, max(1, math.floor(count * fraction + 0.5)))
    held_out = set(random.Random(seed).sample(range(count), n_val))
    train = [clip for i, clip in enumerate(clips) if i not in held_out]
    val = [clip for i, clip in enumerate(clips) if i in held_out]
    return train, val


def _scan(root: Path, skip: Callable[[Path, str], None]) -> list[Path]:
    """Every non-hidden file under `root`, depth first, each folder's entries sorted by name.

    Symlinked folders are followed once (a loop is not re-entered); a folder that cannot be listed and an
    entry whose type cannot be read (a loop of links, a link into a folder we may not enter) are reported
    through `skip`; sockets, pipes and devices are skipped as not audio files. DatasetError past
    `MAX_DATASET_ENTRIES` entries.
    """
    found: list[Path] = []
    visited: set[str] = set()
    seen = 0  # entries looked at, against MAX_DATASET_ENTRIES

    def visit(directory: Path) -> None:
        nonlocal seen
        real = os.path.realpath(directory)
        if real in visited:
            return
        visited.add(real)
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda entry: entry.name)
        except OSError as err:
            skip(directory, f"folder cannot be read ({err.strerror or err})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            seen += 1
            if seen > limits.MAX_DATASET_ENTRIES:
                raise DatasetError(f"{root} holds more than {limits.MAX_DATASET_ENTRIES} files and folders; choose the folder that holds your sounds.")
            path = Path(entry.path)
            try:
                is_dir, is_file = entry.is_dir(), entry.is_file() or entry.is_symlink()
            except OSError as err:  # a link loop, or a link into a folder we may not enter
                skip(path, f"cannot be read ({err.strerror or err})")
                continue
            if is_dir:
                visit(path)
            elif is_file:  # a broken link reaches the loader, which names it
                found.append(path)
            else:
                skip(path, NOT_AUDIO)

    visit(root)
    return found


def _relative_name(path: Path, root: Path) -> str:
    """`path` relative to `root` in posix form, or the full path when it lies elsewhere."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def _short_reason(err: AudioFileError, path: Path) -> str:
    """The loader's reason without the file name (the skip line names the file itself).

    "Audio file '/x/b.wav' is silent (peak below -80 dBFS)." -> "silent (peak below -80 dBFS)";
    "Cannot read '/x/c.wav' as audio (Format not recognised)." -> "cannot read as audio (Format not recognised)".
    A message that does not quote the path is kept whole.
    """
    reason = getattr(err, "reason", None)
    if isinstance(reason, str) and reason:
        return reason
    text = str(err).strip()
    quoted = f"'{printable(str(path))}'"
    if quoted in text:
        text = " ".join(text.replace(quoted, " ").split())
        for prefix in ("Audio file ", "is "):
            text = text.removeprefix(prefix)
    text = text.rstrip(".")
    return text[:1].lower() + text[1:]


def _too_few_message(root: Path, clips: list[Clip], skipped: list[SkippedFile], min_files: int) -> str:
    """One sentence saying how many usable files were found, what was skipped and what is needed."""
    if not clips and not skipped:
        return (
            f"Found no files in {root} (need at least {min_files} audio files: "
            f"{', '.join(sorted(AUDIO_EXTENSIONS))})."
        )
    count = len(clips)
    message = f"Only {count} usable audio file{'' if count == 1 else 's'} in {root} (need at least {min_files})"
    if skipped:
        listed = [f"{_relative_name(s.path, root)} ({_flat(s.reason)})" for s in skipped[:_MAX_LISTED_SKIPS]]
        more = len(skipped) - len(listed)
        message += "; skipped: " + ", ".join(listed) + (f" and {more} more" if more else "")
    if any(s.reason == NOT_AUDIO for s in skipped):
        message += f"; audio files must end in {', '.join(sorted(AUDIO_EXTENSIONS))}"
    return message + "."


def _flat(reason: str) -> str:
    """A reason without its own parentheses, to sit inside the message's: "silent (peak ...)" -> "silent, peak ..."."""
    if reason.endswith(")") and " (" in reason:
        head, _, detail = reason.partition(" (")
        return f"{head}, {detail[:-1]}"
    return reason
