"""A directory tree for picking a sound folder: folders only, hidden ones left out."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.widgets import DirectoryTree


class FolderTree(DirectoryTree):
    """A `DirectoryTree` of the folders (not files) under its root; selecting one posts `DirectorySelected`."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [path for path in paths if not path.name.startswith(".") and self._safe_is_dir(path)]
