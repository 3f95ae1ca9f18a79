"""A mixin for settings dataclasses that are stored as JSON (model files, checkpoints, presets, history)."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

T = TypeVar("T", bound="JsonRecord")


class JsonRecord:
    """`to_dict()` / `from_dict()` for a dataclass; unknown keys are ignored, missing ones take their defaults.

    Ignoring unknown keys lets a file written by a newer distill with an extra setting still load here.
    """

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly copy."""
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        """Rebuild from `to_dict()` output."""
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{k: v for k, v in data.items() if k in known})
