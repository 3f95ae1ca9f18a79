"""A burst of datagrams while the network thread is busy is kept in the socket's receive buffer, not dropped."""

from __future__ import annotations

import threading
import time

import pytest

from engine.core import Engine
from engine.osc.args import build

BURST = 2000  # about 2 MB of kernel buffer on Linux loopback; the default 208 KB holds a few hundred


class SlowToStopAudio:
    """An audio output whose stop takes half a second (a device that is slow to close), on the network thread."""

    def __init__(self):
        self.stopping = threading.Event()

    def stop(self):
        self.stopping.set()
        time.sleep(0.5)

    def close(self):
        pass


@pytest.fixture
def audio():
    return SlowToStopAudio()


@pytest.fixture
def engine(home, tmp_path, audio):
    engine = Engine(out_dir=tmp_path / "out", audio=audio)
    yield engine
    engine.shutdown()


def test_a_burst_sent_while_the_network_thread_is_busy_is_answered_whole(server, client, audio):
    client.send("/distill/stop")
    assert audio.stopping.wait(5)
    ping = build("/distill/ping", ())
    for _ in range(BURST):  # all wait in the socket: the network thread is still stopping the sound
        client.send_raw(ping)
    client.expect("/distill/stopped", timeout=5)
    pongs = 0
    try:
        while pongs < BURST:
            client.expect("/distill/pong", timeout=2)
            pongs += 1
    except TimeoutError:
        pass
    assert pongs == BURST, f"{BURST - pongs} of {BURST} pings were lost (receive buffer {server.receive_buffer} bytes)"
