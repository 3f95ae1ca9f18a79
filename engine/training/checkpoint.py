"""Resumable training state: one file per model name, rewritten atomically every epoch and every few minutes.

Tensors (weights, optimizer moments, RNG states) go through `torch.save` and are read back with
`weights_only=True`; everything else travels as one JSON string, so no pickled object is ever loaded.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import torch

from engine.errors import DistillError
from engine.fileio import atomic_path
from engine.paths import checkpoints_dir

FORMAT_NAME = "distill-checkpoint"
FORMAT_VERSION = 1


def checkpoint_path(name: str) -> Path:
    """Where the checkpoint of the run that produces model `name` lives."""
    return checkpoints_dir() / name / "checkpoint.pt"


def save_checkpoint(path: Path, tensors: dict, info: dict) -> None:
    """Write `tensors` (nested dicts of tensors/numbers allowed) and JSON `info` atomically."""
    payload = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "info": json.dumps(info), **tensors}
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(payload, tmp)


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
