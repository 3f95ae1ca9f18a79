"""Where torch work runs: the `--device auto|cpu|cuda` every command that runs a model takes, resolved in one place.

torch is imported only when a device is resolved, so command-line parsers can offer DEVICES cheaply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.errors import DistillError

if TYPE_CHECKING:
    import torch

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(requested: str) -> torch.device:
    """'auto' picks CUDA when present; asking for CUDA without it is an error."""
    import torch

    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise DistillError("--device cuda was requested but no CUDA device is available")
    if requested not in ("cpu", "cuda"):
        raise DistillError(f"unknown device '{requested}' (use auto, cpu or cuda)")
    return torch.device(requested)
