"""Shared fixtures: a private DISTILL_HOME per test and small synthesised datasets on disk."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


@pytest.fixture(scope="session")
def tiny_model_file(tmp_path_factory, sound_folder) -> Path:
    """A really trained (2 epochs, tiny) 3-level model file, shared read-only by the session's tests.

    Tests that need it in their library import it: `Library().import_file(tiny_model_file)`.
    """
    from engine.training.trainer import TrainRequest, train

    home = tmp_path_factory.mktemp("tiny-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISTILL_HOME", str(home))
        request = TrainRequest(dataset=sound_folder, name="tiny", codebook_size=16, codebook_dim=16, hidden=32, epochs=2, device="cpu", seed=1)
        return train(request).path


@pytest.fixture(scope="session")
def tiny_prior_file(tmp_path_factory, tiny_model_file) -> Path:
    """`tiny_model_file` with a really trained tiny prior (2 epochs, 16-frame context), shared read-only.

    The short context makes any sound longer than ~0.7 s exercise the sliding window. Tests that need it
    in their library import it: `Library().import_file(tiny_prior_file)`.
    """
    from engine.library import Library
    from engine.prior.train import PriorTrainRequest, train_prior

    home = tmp_path_factory.mktemp("tiny-prior-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DISTILL_HOME", str(home))
        Library().import_file(tiny_model_file)
        request = PriorTrainRequest(model="tiny", context=16, d_model=32, n_layers=1, epochs=2, device="cpu", seed=1)
        return train_prior(request).path


class StopAfterSteps:
    """A stop flag that trips after `steps` checks (trainers check once per step), like Ctrl-C mid-epoch."""

    def __init__(self, steps: int):
        self.remaining = steps

    def is_set(self) -> bool:
        self.remaining -= 1
        return self.remaining < 0


@pytest.fixture
def stop_after_steps() -> type[StopAfterSteps]:
    """The StopAfterSteps class, for tests that interrupt training at an exact step."""
    return StopAfterSteps


@pytest.fixture
def small_disk(tmp_path):
    """A real 16 MB file system (tmpfs) for DISTILL_HOME; skips where mounting is not allowed."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], capture_output=True).returncode:
        pytest.skip("mounting a small file system needs root")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=True)


@pytest.fixture
def fill_disk():
    """`fill_disk(disk)` fills `disk` (a `small_disk`) to the last byte with the file `disk / "filler"`."""

    def fill(disk: Path) -> None:
        with pytest.raises(OSError), open(disk / "filler", "wb") as filler:
            while True:
                filler.write(b"\0" * 4096)
                filler.flush()

    return fill


@pytest.fixture
def start_serve(home):
    """Start `distill serve` as a real process on a free port: `start_serve(*args) -> (process, port)`.

    Processes still running at the end of the test are killed.
    """
    processes = []

    def start(*args: str) -> tuple[subprocess.Popen, int]:
        command = [str(Path(sys.executable).parent / "distill"), "serve", "--port", "0", *args]
        process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "DISTILL_HOME": str(home)})
        processes.append(process)
        for line in process.stderr:
            found = re.search(r"listening for OSC on 127\.0\.0\.1:(\d+)", line)
            if found:
                return process, int(found.group(1))
        raise AssertionError(f"distill serve did not start (exit status {process.wait()})")

    yield start
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.fixture
def server(engine):
    """The test module's `engine` fixture served over OSC on a free loopback port."""
    from engine.osc.server import OscServer

    server = OscServer(engine, "127.0.0.1", 0).start()
    yield server
    server.close()


@pytest.fixture
def client(server):
    """A real OSC client of `server`."""
    from engine.osc.client import OscClient

    client = OscClient(server.address)
    yield client
    client.close()


@pytest.fixture
def served_engine(home, tmp_path, tiny_prior_file):
    """A real engine with the tiny model and prior loaded, served on a free loopback port.

    Yields (engine, server, audio); `audio` records what would have been played.
    """
    from engine.core import Engine
    from engine.osc.server import OscServer
    from tui_support import FakeAudio

    audio = FakeAudio()
    engine = Engine(out_dir=tmp_path / "out", audio=audio)
    engine.load_model(str(tiny_prior_file))
    server = OscServer(engine, "127.0.0.1", 0).start()
    yield engine, server, audio
    server.close()
    engine.shutdown()
