"""Find the engine on the configured port, or start one in the background and stop it again on exit.

    with engine_at(("127.0.0.1", 9000)) as started:  # starts `distill serve` only when nothing answers
        ...                                            # stopped on leaving, only if it was started here

An engine started here is stopped however the app ends: on leaving the block, and on SIGHUP (its terminal
closed) or SIGTERM, which stop it before the app exits. A running engine on this machine whose data folder
(its `/distill/pong` says which) is not this app's `DISTILL_HOME` is refused, so the app never shows another
library's models. The engine started here writes its log to `distill_home()/logs/tui-engine.log`; when it
fails to come up, the error names that log and quotes its last line.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from engine.errors import DistillError
from engine.paths import distill_home
from tui.link import engine_answers, engine_pong

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")  # an engine here shares this app's file system
STOP_SIGNALS = (signal.SIGHUP, signal.SIGTERM)  # the terminal closed; asked to stop
START_TIMEOUT_S = 60.0  # importing torch on a cold laptop disk can take a while
STOP_TIMEOUT_S = 15.0  # the engine finishes its running job before it exits


class EngineStartError(DistillError):
    """A background engine could not be started."""


class OtherLibraryError(DistillError):
    """The engine on the port serves another data folder than this app's."""


def log_path() -> Path:
    """Where a background engine's output goes."""
    return distill_home() / "logs" / "tui-engine.log"


def start_engine(server: tuple[str, int], model: str | None = None, audio_device: str | None = None) -> subprocess.Popen:
    """Start `distill serve` on `server` in the background and wait until it answers pings."""
    host, port = server
    command = [sys.executable, "-m", "engine.cli", "serve", "--host", host, "--port", str(port)]
    if model:
        command += ["--model", model]
    if audio_device:
        command += ["--audio-device", audio_device]
    log = log_path()
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EngineStartError(f"the engine stopped at start (exit {process.returncode}): {_last_line(log)} (log: {log})")
        if engine_answers(server, timeout=0.25):
            return process
    stop_engine(process)
    raise EngineStartError(f"the engine did not answer on {host}:{port} within {START_TIMEOUT_S:g} s (log: {log})")


def stop_engine(process: subprocess.Popen) -> None:
    """Ask a background engine to stop (SIGTERM: it finishes its running job), kill it if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def check_same_library(server: tuple[str, int], pong: list) -> None:
    """OtherLibraryError when the local engine that answered `pong` serves another data folder than ours."""
    host, port = server
    served = str(pong[1]) if len(pong) > 1 else None  # an engine of an earlier version does not say
    ours = str(distill_home().resolve())
    if host in LOCAL_HOSTS and served is not None and served != ours:
        raise OtherLibraryError(
            f"the engine on {host}:{port} serves the data folder {served}, not this app's {ours} (DISTILL_HOME): "
            f"stop that engine or start the app with another --port"
        )


@contextlib.contextmanager
def stopped_on_signals(process: subprocess.Popen) -> Iterator[None]:
    """While inside, SIGHUP and SIGTERM stop `process` first, then end this program (exit 128 + signal)."""

    def stop_then_exit(signum, frame) -> None:
        stop_engine(process)
        raise SystemExit(128 + signum)

    previous = {signum: signal.signal(signum, stop_then_exit) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextlib.contextmanager
def engine_at(server: tuple[str, int], model: str | None = None, audio_device: str | None = None) -> Iterator[bool]:
    """Make sure an engine of our data folder answers at `server`; yields whether it was started here.

    One started here is stopped on leaving, or on SIGHUP/SIGTERM; one of another data folder is refused
    (OtherLibraryError).
    """
    pong = engine_pong(server)
    if pong is not None:
        check_same_library(server, pong)
        yield False
        return
    process = start_engine(server, model, audio_device)
    try:
        with stopped_on_signals(process):
            yield True
    finally:
        stop_engine(process)


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1].strip() if lines else "no output"
