"""Where distill keeps its data: `DISTILL_HOME` if set, otherwise the platform's user data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def distill_home() -> Path:
    """The data folder (library, outputs, checkpoints), created on first use."""
    configured = os.environ.get("DISTILL_HOME")
    home = Path(configured).expanduser() if configured else Path(platformdirs.user_data_dir("distill"))
    home.mkdir(parents=True, exist_ok=True)
    return home


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
    path = distill_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path
