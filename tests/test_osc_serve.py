"""`distill serve` as a real process: it starts, answers OSC, and stops cleanly on SIGTERM and SIGINT."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from engine import __version__
from engine.osc.client import OscClient

DISTILL = Path(sys.executable).parent / "distill"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_answers_and_stops_cleanly(home, tmp_path, tiny_prior_file, signum):
    command = [str(DISTILL), "serve", "--port", "0", "--audio-device", "none", "--out", str(tmp_path / "out"), "--model", str(tiny_prior_file)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env={**os.environ, "DISTILL_HOME": str(home)})
    try:
        port = None
        for line in process.stderr:
            found = re.search(r"listening for OSC on 127\.0\.0\.1:(\d+)", line)
            if found:
                port = int(found.group(1))
                break
        assert port, "distill serve did not start"
        client = OscClient(("127.0.0.1", port))
        assert client.request("/distill/ping", reply="/distill/pong") == [__version__]
        path, _, _ = client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)
        assert Path(path).parent == tmp_path / "out" and Path(path).is_file()
        client.close()
        process.send_signal(signum)
        rest = process.stderr.read()
        assert process.wait(timeout=30) == 0
        assert "/distill/ping" in rest or "/distill/generate" in rest  # one log line per request
        assert rest.rstrip().endswith("distill serve: stopped")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
