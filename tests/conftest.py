"""Shared fixtures: a private DISTILL_HOME per test and small synthesised datasets on disk."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.demo_sounds import write_demo_dataset

torch.set_num_threads(1)  # tiny models gain nothing from threads; avoids oversubscribing CI


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty DISTILL_HOME."""
    path = tmp_path / "home"
    monkeypatch.setenv("DISTILL_HOME", str(path))
    return path


@pytest.fixture(scope="session")
def sound_folder(tmp_path_factory) -> Path:
    """Eight synthesised one-shots (one of each demo kind), shared read-only by the session's tests."""
    folder = tmp_path_factory.mktemp("sounds")
    write_demo_dataset(folder, per_kind=1, seed=3)
    return folder
