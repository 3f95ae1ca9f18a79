"""Where distill keeps its data: `DISTILL_HOME` if set, otherwise the platform's user data folder."""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

from engine.errors import DistillError

SAFE_STEM_CHARACTERS = "letters, digits, '-', '_' and '.'"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")
MAX_STEM = 64


def safe_stem(text: str, fallback: str = "untitled") -> str:
    """`text` made safe to use in a file name inside a chosen folder; the one place names are sanitised.

    Names that come from a model file's metadata, a client or a folder listing may hold separators, `..`,
    control characters or anything else. Here every character but SAFE_STEM_CHARACTERS becomes '_',
    leading dots are dropped (no hidden files, no `..`) and the result is cut to MAX_STEM characters;
    `fallback` stands in for a name with nothing left. The result never leaves the folder it is joined to.
    """
    stem = _UNSAFE.sub("_", text)[:MAX_STEM].lstrip(".")
    return stem or fallback


def printable(text: str) -> str:
    """`text` as valid Unicode, to show or store: bytes of a file name that are not UTF-8 (which Python holds
    as lone surrogates) become U+FFFD. A name that comes back changed is not valid UTF-8."""
    try:
        raw = text.encode("utf-8", "surrogateescape")  # a file name's undecodable bytes, back as they were
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogatepass")  # any other lone surrogate
    return raw.decode("utf-8", "replace")


def user_path(text: str | os.PathLike, what: str = "used", error: type[DistillError] = DistillError) -> Path:
    """A path a user or client gave, `~` expanded (`~unknown` stays as written, where pathlib would raise), looked
    up once, so that the caller's `exists()` and `is_file()` then answer instead of raising: `error` in one sentence
    ("'...' cannot be {what} (File name too long)") when the path cannot name a file at all (a name longer than
    the file system allows, a loop of links, a folder that may not be entered, a NUL)."""
    path = Path(os.path.expanduser(text))
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        pass  # missing: the caller says so in its own words
    except (OSError, ValueError) as problem:
        shown = printable(str(text))
        shown = shown if len(shown) <= 80 else f"{shown[:79]}…"
        reason = problem.strerror if isinstance(problem, OSError) and problem.strerror else str(problem)
        raise error(f"'{shown}' cannot be {what} ({reason})") from None
    return path


def free_path(path: Path) -> Path:
    """`path`, or the first of `<stem>-2<suffix>`, `<stem>-3<suffix>`, ... beside it that does not exist yet."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def distill_home() -> Path:
    """The data folder (library, outputs, checkpoints), created on first use."""
    configured = os.environ.get("DISTILL_HOME")
    return make_folder(Path(os.path.expanduser(configured)) if configured else Path(platformdirs.user_data_dir("distill")))


def make_folder(path: Path) -> Path:
    """`path`, made (with its parents) if it does not exist yet; DistillError in one sentence when it cannot be: a
    file where the folder should be, a read-only disk, no permission."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # with exist_ok, only when something other than a folder is there
        raise DistillError(f"{path} is a file, but distill keeps a folder there; move the file away") from None
    except OSError as error:
        raise DistillError(f"cannot make the folder {path} ({error.strerror or error})") from error
    return path


def models_dir() -> Path:
    """Folder holding the library's model files."""
    return _subdir("models")


def checkpoints_dir() -> Path:
    """Folder holding resumable training checkpoints, one sub-folder per model name."""
    return _subdir("checkpoints")


def outputs_dir() -> Path:
    """Folder where generated and decoded audio is written."""
    return _subdir("outputs")


def _subdir(name: str) -> Path:
    return make_folder(distill_home() / name)
