"""Atomic writes: what is written lands whole under its final name, readable as the umask allows."""

from __future__ import annotations

import contextlib
import os
import stat

import numpy as np
import pytest
import torch

from engine.audio.io import write_audio
from engine.fileio import atomic_path, remove_stale_temporaries
from engine.modelfile import save_model_file


@contextlib.contextmanager
def umask(mask: int):
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_written_files_get_the_permissions_the_umask_allows(tmp_path, mask, expected):
    with umask(mask):
        with atomic_path(tmp_path / "plain.txt") as tmp:
            tmp.write_text("hello")
        sound = write_audio(tmp_path / "sound.wav", np.zeros(100, dtype=np.float32), 44100)
        model = save_model_file(tmp_path / "model.sda", {"w": torch.zeros(2)}, {"name": "model"})
    assert [mode(path) for path in (tmp_path / "plain.txt", sound, model)] == [expected] * 3


def test_a_failed_write_leaves_neither_the_final_name_nor_a_temporary(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "out.txt") as tmp:
        tmp.write_text("half")
        raise RuntimeError("writer failed")
    assert list(tmp_path.iterdir()) == []


def test_a_temporary_left_by_a_killed_writer_is_recognised_as_one(tmp_path):
    with atomic_path(tmp_path / "kept.txt") as tmp:
        tmp.write_text("whole")
        name = tmp.name
    (tmp_path / name).write_text("left by kill -9")  # as if the rename never happened
    (tmp_path / ".kept.txt.notmine").write_text("someone else's")

    assert remove_stale_temporaries(tmp_path) == [tmp_path / name]
    assert sorted(path.name for path in tmp_path.iterdir()) == [".kept.txt.notmine", "kept.txt"]
