"""Resumable training state: one file per model name, rewritten atomically every epoch and every few minutes.

Tensors (weights, optimizer moments, RNG states) go through `torch.save` and are read back with
`weights_only=True`; everything else travels as one JSON string, so no pickled object is ever loaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pickle
import re
from pathlib import Path
from typing import Iterator

import torch

from engine.errors import DistillError
from engine.fileio import atomic_path, remove_stale_temporaries
from engine.paths import checkpoints_dir

FORMAT_NAME = "distill-checkpoint"
FORMAT_VERSION = 1


def checkpoint_path(name: str) -> Path:
    """Where the checkpoint of the run that produces model `name` lives.

    Model names ignore case, so an existing run folder spelled in another case is that run's folder (the
    exact spelling wins should both exist).
    """
    folder = checkpoints_dir()
    if not (folder / name).is_dir():
        with os.scandir(folder) as entries:
            name = next((entry.name for entry in entries if entry.is_dir() and entry.name.lower() == name.lower()), name)
    return folder / name / "checkpoint.pt"


@contextlib.contextmanager
def claim_run(path: Path, what: str) -> Iterator[None]:
    """Hold the lock of the run whose checkpoint is `path` for the block; DistillError naming `what` if another
    process holds it. The operating system drops the lock when its process dies, even by `kill -9`; the
    temporary such a process may have left half-written is deleted once the lock is held."""
    lock_path = path.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise DistillError(f"{what} is already under way in another process; wait for it to finish") from error
        remove_stale_temporaries(path.parent, re.escape(path.name), ".pt")  # of a run killed mid-checkpoint
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_abandoned_temporaries() -> None:
    """Delete the checkpoints that runs killed mid-write left half-written, in every run folder no live run holds."""
    for lock_path in checkpoints_dir().glob("*/*.lock"):
        with contextlib.suppress(DistillError), claim_run(lock_path.with_suffix(".pt"), "a run"):
            pass  # claiming the run removes its temporaries


def save_checkpoint(path: Path, tensors: dict, info: dict) -> None:
    """Write `tensors` (nested dicts of tensors/numbers allowed) and JSON `info` atomically."""
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "info": json.dumps(info), **tensors}
    try:
        with atomic_path(path, suffix=".pt") as tmp:
            torch.save(payload, tmp)
    except OSError as error:
        raise DistillError(f"cannot write the checkpoint {path} ({error.strerror or error})") from error
    except RuntimeError as error:  # torch's zip writer reports a failed write (a full disk) as "unexpected pos ..."
        raise DistillError(f"cannot write the checkpoint {path} (torch could not write it; is the disk full?)") from error


def load_checkpoint(path: Path) -> tuple[dict, dict]:
    """Read a checkpoint -> (tensors, info); a damaged or foreign file is a one-line DistillError."""
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("format") != FORMAT_NAME or payload.get("version") != FORMAT_VERSION:
            raise ValueError("not a distill checkpoint of this version")
        info = json.loads(payload.pop("info"))
    except (OSError, RuntimeError, ValueError, KeyError, AttributeError, EOFError, pickle.UnpicklingError) as error:
        raise DistillError(f"cannot resume: the checkpoint {path} is unreadable ({error}); delete it to start over") from error
    return payload, info
