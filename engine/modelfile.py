"""The distill model file (`.sda`, format version 2): a safetensors file with our format name and version.

Layout: the tensors are the model's weights; the safetensors header's `__metadata__` (strings only) holds

    {"format": "distill-model", "version": "2", "metadata": "<JSON object>"}

where the JSON object carries everything else (name, config, mel settings, dataset, training, health).
Nothing is pickled, so opening a model file never runs code. Every problem with a file on the way in is a
`ModelFileError` whose message is one sentence naming the file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from typing import TYPE_CHECKING

from safetensors import SafetensorError, safe_open

from engine.errors import ModelFileError
from engine.fileio import atomic_path
from engine.limits import MAX_METADATA_DEPTH, MODEL_FILE_RANGES

if TYPE_CHECKING:  # torch is imported where tensors are handled, so listing the library stays fast
    import torch

FORMAT_NAME = "distill-model"
FORMAT_VERSION = 2


def save_model_file(path: str | os.PathLike, tensors: dict[str, torch.Tensor], metadata: dict) -> Path:
    """Write `tensors` and `metadata` to `path` atomically and return the path.

    The tensors are copied to contiguous CPU tensors first. `metadata` must be a JSON-serialisable dict;
    a `TypeError` or `ValueError` is raised before anything is written otherwise. If writing fails, a
    file already at `path` is left as it was.
    """
    import torch
    from safetensors.torch import save_file

    if not isinstance(metadata, dict):
        raise TypeError(f"model metadata must be a dict, not {type(metadata).__name__}")
    header = {"format": FORMAT_NAME, "version": str(FORMAT_VERSION), "metadata": json.dumps(metadata)}
    for key, tensor in tensors.items():
        if not isinstance(key, str) or not isinstance(tensor, torch.Tensor):
            raise TypeError(f"model tensors must map names to tensors, got {key!r}: {type(tensor).__name__}")
    # Always copy: safetensors refuses tensors that share storage (tied weights, views of one buffer).
    prepared = {
        key: tensor.detach().to(device="cpu", memory_format=torch.contiguous_format, copy=True)
        for key, tensor in tensors.items()
    }
    path = Path(path)
    with atomic_path(path, suffix=".sda") as tmp:
        save_file(prepared, str(tmp), metadata=header)
    return path


def read_model_metadata(path: str | os.PathLike) -> dict:
    """The metadata dict of the model file at `path`, read from the header alone (no tensor data)."""
    path = _existing_file(path)
    try:
        with safe_open(str(path), framework="numpy") as handle:  # the header only: no torch needed
            header = handle.metadata()
    except SafetensorError as error:
        raise ModelFileError(f"{path} is damaged or not a model file ({error})") from error
    except OSError as error:
        raise ModelFileError(f"cannot read model file {path} ({error})") from error
    return _parse_header(path, header)


def read_model_file(
    path: str | os.PathLike, device: str | torch.device = "cpu"
) -> tuple[dict[str, torch.Tensor], dict]:
    """The tensors (on `device`) and the metadata dict of the model file at `path`."""
    from safetensors.torch import load_file

    metadata = read_model_metadata(path)
    path = Path(path)
    try:
        tensors = load_file(str(path))
    except SafetensorError as error:
        raise ModelFileError(f"{path} is damaged or not a model file ({error})") from error
    except OSError as error:
        raise ModelFileError(f"cannot read model file {path} ({error})") from error
    return {key: tensor.to(device) for key, tensor in tensors.items()}, metadata


def update_model_metadata(path: str | os.PathLike, metadata: dict) -> Path:
    """Rewrite the model file at `path` atomically with the same tensors and new `metadata`."""
    tensors, _ = read_model_file(path)
    return save_model_file(path, tensors, metadata)


def _existing_file(path: str | os.PathLike) -> Path:
    """`path` as a Path, or a ModelFileError if it is missing, a folder or empty."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"model file {path} does not exist")
    if path.is_dir():
        raise ModelFileError(f"{path} is a folder, not a model file")
    if path.stat().st_size == 0:
        raise ModelFileError(f"model file {path} is empty")
    return path


def _parse_header(path: Path, header: dict[str, str] | None) -> dict:
    """Check the format name and version in a safetensors header and decode the metadata JSON."""
    header = header or {}
    if header.get("format") != FORMAT_NAME:
        raise ModelFileError(f"{path} is not a distill model file")
    version = header.get("version", "")
    if not version.isdecimal():
        raise ModelFileError(f"{path} has an unreadable format version {version!r}")
    if int(version) != FORMAT_VERSION:
        raise ModelFileError(
            f"{path} was written by format version {int(version)}; "
            f"this distill reads version {FORMAT_VERSION}"
        )
    try:
        metadata = json.loads(header.get("metadata", ""))
    except json.JSONDecodeError as error:
        raise ModelFileError(f"{path} has corrupt metadata (not valid JSON)") from error
    except RecursionError as error:
        raise ModelFileError(f"{path} has corrupt metadata (nested more than {MAX_METADATA_DEPTH} levels deep)") from error
    if not isinstance(metadata, dict):
        raise ModelFileError(f"{path} has corrupt metadata (not a JSON object)")
    if _depth(metadata) > MAX_METADATA_DEPTH:
        raise ModelFileError(f"{path} has corrupt metadata (nested more than {MAX_METADATA_DEPTH} levels deep)")
    _check_declared_sizes(path, metadata)
    return metadata


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a decoded JSON value (a scalar is 0), without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is not None:
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _check_declared_sizes(path: Path, metadata: dict) -> None:
    """ModelFileError naming the first section of `MODEL_FILE_RANGES` that is not a JSON object, or the first
    size in one that is not a whole number within its range (before anything is built from it)."""
    for section, ranges in MODEL_FILE_RANGES.items():
        values: object = metadata
        keys = section.split(".")
        for depth, key in enumerate(keys, 1):
            values = values.get(key)
            if values is None:
                break  # a missing section is the loader's to report (a model without a prior has none)
            if not isinstance(values, dict):
                raise ModelFileError(f"{path} has corrupt metadata ({'.'.join(keys[:depth])} is not a JSON object)")
        if values is None:
            continue
        for key, (low, high) in ranges.items():
            value = values.get(key)
            if value is None:
                continue
            if type(value) is not int:
                raise ModelFileError(f"{path} declares {section} {key} = {value!r}, which is not a whole number")
            if not low <= value <= high:
                raise ModelFileError(f"{path} declares {section} {key} = {value}, outside the {low:g} to {high:g} distill accepts")
