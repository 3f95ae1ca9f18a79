"""Atomic file writes: write to a temporary name in the same folder, then rename into place.

A temporary is named `.<final name>.<8 random characters><suffix>` (hidden, so folder listings skip it). A
writer killed mid-write (`kill -9`, power loss) leaves one behind; `remove_stale_temporaries` deletes those
of a folder, called by whoever holds the lock that keeps other writers out of it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import string
from pathlib import Path
from typing import Iterator

_CHARACTERS = string.ascii_lowercase + string.digits + "_"
_RANDOM = "[a-z0-9_]{8}"  # the 8 random characters of a temporary's name


@contextlib.contextmanager
def atomic_path(final: str | os.PathLike, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to `final`; on success it is fsynced and renamed onto `final`.

    `suffix` keeps the extension for writers that infer the format from the name (soundfile). The file is
    created with the permissions the umask allows (0644 under umask 022, as `open` gives; not mkstemp's
    0600), and given them again before the rename, since some writers replace the file with their own
    0600 temporary (safetensors does); so other programs and users can read what distill writes. On
    failure the temporary file is removed and `final` is left untouched.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temporary(final, suffix or ".tmp")
    mode = stat.S_IMODE(tmp.stat().st_mode)  # 0666 less the umask, read back rather than asked of os.umask
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fchmod(handle.fileno(), mode)
            os.fsync(handle.fileno())
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()


def _create_temporary(final: Path, suffix: str) -> Path:
    """Create a new empty `.<final name>.<8 random characters><suffix>` beside `final` (mode 0666 less the umask)."""
    for _ in range(100):
        tmp = final.parent / f".{final.name}.{''.join(secrets.choice(_CHARACTERS) for _ in range(8))}{suffix}"
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f"no free temporary name beside {final}")


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
