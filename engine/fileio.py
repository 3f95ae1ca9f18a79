"""Atomic file writes: write to a temporary name in the same folder, then rename into place.

A temporary is named `.<final name>.<8 random characters><suffix>` (hidden, so folder listings skip it). A
writer killed mid-write (`kill -9`, power loss) leaves one behind; `remove_stale_temporaries` deletes those
of a folder, called by whoever holds the lock that keeps other writers out of it.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Iterator

_RANDOM = "[a-z0-9_]{8}"  # what tempfile.mkstemp puts between prefix and suffix


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to `final`; on success it is fsynced and renamed onto `final`.

    `suffix` keeps the extension for writers that infer the format from the name (soundfile).
    On failure the temporary file is removed and `final` is left untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=suffix or ".tmp", dir=final.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def remove_stale_temporaries(folder: Path, final_name: str = ".+", suffix: str = ".tmp") -> list[Path]:
    """Delete the temporaries `atomic_path(folder / <final_name>, suffix)` left in `folder`; return them.

    `final_name` is a regular expression (default: any name). Only call this while holding the lock that
    keeps every other writer of those files out, or a write in progress loses its temporary.
    """
    pattern = re.compile(rf"\.{final_name}\.{_RANDOM}{re.escape(suffix)}")
    try:
        stale = [Path(entry.path) for entry in os.scandir(folder) if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False)]
    except FileNotFoundError:
        return []
    for path in stale:
        path.unlink(missing_ok=True)
    return stale
