"""Memorisation made visible (engine/codes/copies.py): the longest verbatim copy of a training file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.codes import codec
from engine.codes.copies import TrainingCodes, column_tokens, longest_common_run
from engine.errors import DistillError
from engine.model.persist import load_vqvae


def test_longest_common_run_and_column_tokens():
    assert longest_common_run(np.array([9, 1, 2, 3, 9]), np.array([0, 1, 2, 3, 4, 1, 2])) == (3, 3)
    assert longest_common_run(np.array([5, 5, 5]), np.array([5, 5, 0])) == (2, 1)
    assert longest_common_run(np.array([1, 2]), np.array([3, 4])) == (0, 0)
    codes = np.array([[1, 1, 2], [0, 3, 0]])  # columns (1, 0), (1, 3), (2, 0)
    assert column_tokens(codes, 4).tolist() == [4, 7, 8]


def test_a_training_file_is_its_own_copy_and_a_changed_column_splits_it(tiny_model_file):
    loaded = load_vqvae(tiny_model_file)
    training = TrainingCodes.of(loaded)
    name = loaded.metadata["dataset"]["train_files"][0]
    grid = codec.encode_file(loaded, Path(loaded.metadata["dataset"]["folder"]) / name)
    copy = training.longest_copy(grid.codes)
    assert (copy.columns, copy.file) == (grid.columns, name)
    changed = grid.codes.copy()
    middle = grid.columns // 3
    changed[:, middle] = (changed[:, middle] + 1) % grid.codebook_size  # a column no training file may hold there
    assert training.longest_copy(changed).columns < grid.columns
    assert f"{copy.columns} columns" in copy.describe(grid.column_seconds) and name in copy.describe(grid.column_seconds)


def test_copies_cannot_be_checked_without_the_training_files(tiny_model_file, tmp_path):
    loaded = load_vqvae(tiny_model_file)
    loaded.metadata["dataset"] = {**loaded.metadata["dataset"], "folder": str(tmp_path / "gone")}
    with pytest.raises(DistillError, match="not at hand"):
        TrainingCodes.of(loaded)
