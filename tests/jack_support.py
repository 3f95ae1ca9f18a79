"""A real JACK server with its dummy backend (no sound card) and a recording client, for playback tests.

`jackd -d dummy` paces process cycles like hardware does, PortAudio (so sounddevice, so `AudioOut`) sees it
as the device "system", and `Recorder`, a second JACK client (python JACK-Client), records whatever is
connected to its two inputs, stamped with JACK's frame clock.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import numpy as np
import pytest

RATE, PERIOD = 48000, 128
SERVER = f"distill-test-{os.getpid()}"


@contextmanager
def jack_server():
    """Start a private dummy JACK server, point PortAudio at it, and stop it afterwards (skip without jackd)."""
    if shutil.which("jackd") is None:
        pytest.skip("jackd is not installed (Debian: jackd2); .ci/run installs it")
    import jack
    import sounddevice as sd

    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = SERVER
    process = subprocess.Popen(
        ["jackd", "--no-realtime", "-n", SERVER, "-d", "dummy", "-r", str(RATE), "-p", str(PERIOD)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                jack.Client("distill-probe", no_start_server=True, servername=SERVER).close()
                break
            except jack.JackOpenError:
                assert time.monotonic() < deadline and process.poll() is None, "jackd did not start"
                time.sleep(0.05)
        sd._terminate()  # PortAudio lists devices once, when initialised: let it find the new server
        sd._initialize()
        yield
    finally:
        sd._terminate()  # before the server goes: PortAudio aborts the process if its server vanishes first
        process.terminate()
        process.wait(10)
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous
        sd._initialize()


class Recorder:
    """A JACK client that records two inputs; `connect_from(client)` wires another client's outputs to them."""

    def __init__(self):
        import jack

        self.client = jack.Client("distill-recorder", no_start_server=True, servername=SERVER)
        self.inputs = [self.client.inports.register(f"in_{i}") for i in range(2)]
        self.blocks: list[tuple[int, np.ndarray]] = []  # (frame time of the block's first frame, [frames, 2])
        self.lock = threading.Lock()
        self.client.set_process_callback(self._process)
        self.client.activate()

    def _process(self, frames: int) -> None:
        block = np.stack([port.get_array() for port in self.inputs], axis=1).copy()  # [frames, 2]
        with self.lock:
            self.blocks.append((self.client.last_frame_time, block))

    def connect_from(self, client_name: str) -> None:
        """Connect every audio output port of `client_name` to the inputs, in order."""
        outputs = self.client.get_ports(f"{client_name}:.*", is_audio=True, is_output=True)
        assert outputs, f"no output ports of {client_name}: {[p.name for p in self.client.get_ports()]}"
        for source, target in zip(outputs, self.inputs):
            self.client.connect(source, target)

    @property
    def now(self) -> int:
        """JACK's frame clock now."""
        return self.client.frame_time

    def audio(self, since: int = 0) -> tuple[int, np.ndarray]:
        """(first frame, samples [N, 2]) of the blocks recorded from frame `since` on, back to back (the frame
        clock may jump between blocks where JACK skipped cycles)."""
        with self.lock:
            blocks = [(start, block) for start, block in self.blocks if start + len(block) > since]
        if not blocks:
            return since, np.zeros((0, 2), dtype=np.float32)
        return blocks[0][0], np.concatenate([block for _, block in blocks])

    def wait_recorded(self, since: int, frames: int, timeout: float = 30) -> None:
        """Wait until `frames` samples from frame `since` on are recorded. Counted in samples, not on JACK's clock:
        a loaded machine skips cycles (xruns), and then the clock jumps while the engine's sound goes on."""
        deadline = time.monotonic() + timeout
        while True:
            start, samples = self.audio(since)
            if len(samples) - max(0, since - start) >= frames:
                return
            assert time.monotonic() < deadline, f"JACK did not record {frames} frames"
            time.sleep(0.01)

    def first_sound(self, since: int, threshold: float = 1e-4, timeout: float = 60) -> int:
        """The frame at which the recording first exceeds `threshold` after frame `since`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            start, samples = self.audio(since)
            loud = np.flatnonzero(np.abs(samples).max(axis=1) > threshold)
            loud = loud[start + loud >= since]
            if loud.size:
                return start + int(loud[0])
            time.sleep(0.01)
        raise AssertionError("no sound reached the recorder")

    def close(self) -> None:
        self.client.deactivate()
        self.client.close()
