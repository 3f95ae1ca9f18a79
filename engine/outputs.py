"""Keeping the outputs folder tidy: `clean_outputs` removes the sound files the engine wrote there.

Only sound files (by extension, `AUDIO_EXTENSIONS`) lying directly in the folder are removed, never folders,
links or other files, so a folder given by mistake loses nothing but sounds. The generation history keeps
every entry: an entry whose file is gone is listed as missing and can still be made again sample for sample
(`distill history regenerate ID`), which says that the old file is gone (`gone_note`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from engine.audio.io import AUDIO_EXTENSIONS
from engine.errors import DistillError
from engine.limits import MAX_CLEAN_AGE_DAYS
from engine.store import GenerationRecord

SECONDS_PER_DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Cleaned:
    """What `clean_outputs` did: files removed and their bytes, sound files kept (too new or in the history)."""

    removed: int
    freed_bytes: int
    kept: int


def check_age(days: object) -> float:
    """`days` if it is a number of days from 0 to MAX_CLEAN_AGE_DAYS, else DistillError."""
    if isinstance(days, bool) or not isinstance(days, (int, float)) or not 0 <= days <= MAX_CLEAN_AGE_DAYS:
        raise DistillError(f"the age must be a number of days from 0 to {MAX_CLEAN_AGE_DAYS}, not {days!r}")
    return float(days)


def clean_outputs(folder: Path, *, older_than_days: float = 0.0, keep: frozenset[Path] = frozenset(), now: float | None = None) -> Cleaned:
    """Remove the sound files directly in `folder` last changed more than `older_than_days` ago, except `keep`.

    `keep` holds paths not to remove (compared resolved); `now` (seconds since the epoch) defaults to the
    clock. A file that vanishes meanwhile is skipped; one that cannot be removed is a DistillError naming it.
    """
    days = check_age(older_than_days)
    if not folder.is_dir():
        raise DistillError(f"'{folder}' is not a folder")
    cutoff = (time.time() if now is None else now) - days * SECONDS_PER_DAY
    kept_paths = {path.resolve() for path in keep}
    removed = freed = kept = 0
    for path in sorted(folder.iterdir()):
        if path.is_symlink() or not path.is_file() or path.suffix.lower() not in AUDIO_EXTENSIONS:
            continue
        try:
            info = path.stat()
            if info.st_mtime > cutoff or path.resolve() in kept_paths:
                kept += 1
                continue
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            raise DistillError(f"cannot remove '{path}' ({error.strerror or error}); {removed} files were removed before it") from error
        removed, freed = removed + 1, freed + info.st_size
    return Cleaned(removed, freed, kept)


def gone_note(record: GenerationRecord) -> str | None:
    """One sentence when history entry `record`'s file is gone (cleaned up or deleted), else None."""
    if Path(record.path).exists():
        return None
    return f"the file of generation #{record.id}, {record.path}, is gone; the sound is made again as a new file"
