"""Memorisation made visible: the longest run of code columns a grid copies verbatim from a training file.

A prior trained on few files can give back a training file instead of a variation. Every kind of drawn
grid (generation, one-shot, continuation, re-imagined region) can be checked the same way: each column
becomes one integer (all its levels), and the longest run of consecutive columns that also occurs, in
order, in one training file's grid is the copy. The training files are encoded as `distill encode` does.

    copies = TrainingCodes.of(loaded)                   # encodes the model's training split once
    copy = copies.longest_copy(grid.codes)              # Copy(columns=12, distinct=9, file="kick.wav")

A long run of one repeated column (silence, a held tone) is a weak sign; `distinct` says how many different
columns the run holds. A grid that keeps columns of its prompt (a continuation, a region re-imagined in an
encoded training file) copies at least those: compare with the columns that were drawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from engine.errors import DistillError

if TYPE_CHECKING:  # torch stays out of the terminal app, which imports describe_copy
    from engine.model.persist import LoadedModel


@dataclass(frozen=True)
class Copy:
    """The longest verbatim copy: `columns` in a row (`distinct` different ones) from training file `file`."""

    columns: int
    distinct: int
    file: str

    def describe(self, column_seconds: float) -> str:
        """One line for the user (`describe_copy`)."""
        return describe_copy(self.columns, self.distinct, self.columns * column_seconds, self.file)


def describe_copy(columns: int, distinct: int, seconds: float, file: str) -> str:
    """The line that reports a copy, the same in the CLI and in the app (which gets it as `/distill/copy`)."""
    if not columns:
        return "longest verbatim copy of a training file: none"
    return f"longest verbatim copy of a training file: {columns} columns ({seconds:.2f} s, {distinct} distinct) of {file}"


@dataclass(frozen=True)
class TrainingCodes:
    """The code columns of a model's training files, one integer per column, by file name."""

    codebook_size: int
    files: dict[str, np.ndarray]  # name -> tokens [F]

    @classmethod
    def of(cls, loaded: LoadedModel) -> TrainingCodes:
        """Encode the training split `loaded` records; DistillError when its folder or files are gone."""
        from engine.codes.codec import encode_file

        dataset = loaded.metadata.get("dataset") or {}
        folder, names = dataset.get("folder"), dataset.get("train_files")
        if not folder or not names or not Path(folder).is_dir():
            raise DistillError(f"the training files of model '{loaded.name}' are not at hand ({folder or 'not recorded'}), so copies cannot be checked")
        size = loaded.model.cfg.codebook_size
        found = [name for name in names if (Path(folder) / name).is_file()]
        if not found:
            raise DistillError(f"none of the training files of model '{loaded.name}' are left in {folder}, so copies cannot be checked")
        return cls(size, {name: column_tokens(encode_file(loaded, Path(folder) / name).codes, size) for name in found})

    def longest_copy(self, codes: np.ndarray) -> Copy:
        """The longest run of columns of `codes` [L, F] found verbatim in one training file."""
        tokens = column_tokens(codes, self.codebook_size)  # [F]
        best = Copy(0, 0, "")
        for name, training in self.files.items():
            length, distinct = longest_common_run(tokens, training)
            if length > best.columns:
                best = Copy(length, distinct, name)
        return best


def column_tokens(codes: np.ndarray, codebook_size: int) -> np.ndarray:
    """Code grid [L, F] -> one integer per column [F] (equal columns, equal integers)."""
    codes = np.asarray(codes, dtype=np.int64)
    weights = codebook_size ** np.arange(codes.shape[0] - 1, -1, -1, dtype=np.int64)  # [L]
    return (weights[:, None] * codes).sum(axis=0)  # [F]


def longest_common_run(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """(length, distinct values) of the longest run of consecutive elements found in both `a` and `b`.

    Dynamic programming over a: run[j] = length of the common run ending at a[i] and b[j - 1].
    """
    best, end, previous = 0, 0, np.zeros(len(b) + 1, dtype=np.int64)
    for i, value in enumerate(a):
        current = np.zeros_like(previous)
        current[1:] = np.where(b == value, previous[:-1] + 1, 0)
        if current.max() > best:
            best, end = int(current.max()), i + 1
        previous = current
    return best, len(set(a[end - best : end].tolist()))
