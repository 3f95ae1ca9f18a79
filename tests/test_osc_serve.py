"""`distill serve` as a real process: it starts, answers OSC, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from engine import __version__
from engine.cli import main
from engine.osc.client import OscClient

DISTILL = Path(sys.executable).parent / "distill"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_stops_cleanly(start_serve, home, tmp_path, tiny_prior_file, signum):
    process, port = start_serve("--audio-device", "none", "--out", str(tmp_path / "out"), "--model", str(tiny_prior_file))
    client = OscClient(("127.0.0.1", port))
    assert client.request("/distill/ping", reply="/distill/pong") == [__version__, str(home.resolve())]
    path, _, _ = client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)
    assert Path(path).parent == tmp_path / "out" and Path(path).is_file()
    client.close()
    process.send_signal(signum)
    rest = process.stderr.read()
    assert process.wait(timeout=30) == 0
    assert "/distill/ping" in rest or "/distill/generate" in rest  # one log line per request
    assert rest.rstrip().endswith("distill serve: stopped")


@pytest.mark.parametrize("port", ["70000", "-1"])
def test_a_port_out_of_range_is_one_sentence(home, capsys, port):
    # It ended in the socket's OverflowError traceback (issue 16 probes).
    assert main(["serve", "--audio-device", "none", f"--port={port}"]) == 1
    assert capsys.readouterr().err == f"error: --port must be from 0 (a free one) to 65535, not {port}\n"
