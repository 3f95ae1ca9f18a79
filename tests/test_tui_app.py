"""The TUI's frame: connecting to a real engine over OSC, switching screens, errors as notifications."""

from __future__ import annotations

import os
import pty
import select
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tui_support import wait_for

from engine.events import Previewed
from engine.osc.client import OscClient
from engine.osc.messages import Error, ModelNames, ModelNamesEnd, Subscribed
from tui.app import DistillApp
from tui.launcher import OtherLibraryError, engine_at
from tui.link import EngineError, EngineLink, engine_answers
from tui.screens.codes import CodesScreen
from tui.screens.generate import GenerateScreen
from tui.screens.health import HealthScreen
from tui.screens.library import LibraryScreen
from tui.screens.train import TrainScreen

SIZE = (120, 40)


async def test_connects_and_shows_the_loaded_model(served_engine):
    engine, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.model is not None, what="the model announcement")
        assert app.state.model.name == engine.model.name
        assert app.state.model.labels == engine.model.labels
        assert app.state.params["temperature"] == engine.params.temperature
        assert engine.model.name in app.sub_title


async def test_function_keys_switch_between_the_five_screens(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, LibraryScreen)
        for key, screen in (("f2", TrainScreen), ("f3", CodesScreen), ("f4", GenerateScreen), ("f5", HealthScreen), ("f1", LibraryScreen)):
            await pilot.press(key)
            assert isinstance(app.screen, screen), key


async def test_esc_leaves_every_text_field_of_every_screen(served_engine):
    from textual.widgets import Input

    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.connected, what="connection")
        for key in ("f1", "f2", "f3", "f4", "f5"):
            await pilot.press(key)
            for field in app.screen.query(Input):
                if field.display:
                    field.focus()
                    await pilot.pause()
                    await pilot.press("escape")
                    assert not isinstance(app.focused, Input), f"{key}: Esc stayed in #{field.id}"


async def test_a_parameter_set_by_another_client_reaches_the_app(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.connected, what="connection")
        other = OscClient(server.address)
        other.request("/distill/param/temperature", 0.5, reply="/distill/param/temperature")
        other.close()
        await wait_for(pilot, lambda: app.state.params.get("temperature") == 0.5, what="the new temperature")


async def test_an_engine_error_becomes_a_notification_and_the_app_goes_on(served_engine):
    _, server, _ = served_engine
    app = DistillApp(server.address)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.state.connected, what="connection")
        app.send("/distill/cell/set", "nothing-here", 0, 0, 1)
        notes = await wait_for(pilot, lambda: [n for n in app._notifications if n.severity == "error"], what="an error notification")
        assert "/distill/cell/set" in notes[0].title
        assert "nothing-here" in notes[0].message
        app.send("/distill/param/top_k", 3)
        await wait_for(pilot, lambda: app.state.params.get("top_k") == 3, what="the next answer")


async def test_no_engine_is_a_notification_not_a_crash(unused_udp_port):
    app = DistillApp(("127.0.0.1", unused_udp_port), connect_timeout=0.5)
    async with app.run_test(size=SIZE) as pilot:
        notes = await wait_for(pilot, lambda: app._notifications and list(app._notifications), timeout=15, what="the no-engine notice")
        assert "no engine answers" in notes[0].message
        assert not app.state.connected


def test_link_request_raises_the_engines_error(served_engine):
    _, server, _ = served_engine
    heard = []
    link = EngineLink(server.address, on_message=lambda record, tag: heard.append((type(record), tag)))
    link.start()
    try:
        with pytest.raises(EngineError, match="level"):
            link.request("/distill/preview", 99, 0, reply=Previewed)
        pages, end = link.request_list("/distill/model/list", item=ModelNames, end=ModelNamesEnd)
        assert end.count == sum(len(page.names) for page in pages)
        assert (Subscribed, "tag:1") in heard and (Error, "tag:2") in heard  # each request's replies carry its own tag
    finally:
        link.close()


@pytest.fixture
def unused_udp_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_engine_at_starts_a_background_engine_and_stops_it(home, unused_udp_port):
    server = ("127.0.0.1", unused_udp_port)
    assert not engine_answers(server)
    with engine_at(server, audio_device="none") as started:
        assert started
        assert engine_answers(server, timeout=2.0)
    assert not engine_answers(server)


def test_engine_at_leaves_a_running_engine_alone(served_engine):
    _, server, _ = served_engine
    with engine_at(server.address) as started:
        assert not started
    assert engine_answers(server.address)


def test_engine_at_refuses_an_engine_that_serves_another_data_folder(served_engine, tmp_path, monkeypatch):
    _, server, _ = served_engine
    monkeypatch.setenv("DISTILL_HOME", str(tmp_path / "another-home"))
    with pytest.raises(OtherLibraryError, match="serves the data folder .*home, not this app's .*another-home"):
        with engine_at(server.address):
            pass
    assert engine_answers(server.address)  # refused, not stopped


def port_is_free(port: int) -> bool:
    """Whether UDP `port` on loopback can be bound (no engine holds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_closing_the_terminal_stops_the_engine_the_app_started(home, unused_udp_port, tmp_path):
    server = ("127.0.0.1", unused_udp_port)
    tmux = ["tmux", "-S", str(tmp_path / "tmux.socket")]
    app = f"{Path(sys.executable).parent / 'distill'} tui --port {unused_udp_port} --audio-device none"
    subprocess.run([*tmux, "new-session", "-d", "-x", "100", "-y", "30", f"env DISTILL_HOME={home} TERM=xterm-256color {app}"], check=True)
    try:
        screen = lambda: subprocess.run([*tmux, "capture-pane", "-p"], capture_output=True, text=True).stdout
        assert wait_until(lambda: "no model loaded" in screen(), 60), "the app did not connect to the engine it started"
        assert engine_answers(server) and not port_is_free(unused_udp_port)
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)  # the terminal closes: the app gets SIGHUP
    assert wait_until(lambda: port_is_free(unused_udp_port), 30), "the engine started by the app outlived its terminal"
    assert not engine_answers(server)


def test_distill_tui_is_a_command_of_distill():
    result = subprocess.run([sys.executable, "-m", "engine.cli", "tui", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "--port" in result.stdout and "--model" in result.stdout


@pytest.mark.parametrize("ending", ["ctrl+q", "sigterm"])
def test_distill_tui_in_a_terminal_starts_an_engine_and_stops_it_however_it_ends(home, unused_udp_port, ending):
    server = ("127.0.0.1", unused_udp_port)
    command = [str(Path(sys.executable).parent / "distill"), "tui", "--port", str(unused_udp_port), "--audio-device", "none"]
    pid, terminal = pty.fork()
    if pid == 0:  # the child: the real command in a real (pseudo) terminal
        os.environ.update(TERM="xterm-256color", DISTILL_HOME=str(home))
        os.execv(command[0], command)
    screen = b""

    def read_for(seconds: float) -> None:
        nonlocal screen
        ready, _, _ = select.select([terminal], [], [], seconds)
        if ready:
            try:
                screen += os.read(terminal, 65536)
            except OSError:  # the child closed the terminal
                pass

    try:
        deadline = time.monotonic() + 60
        while b"no model loaded" not in screen and time.monotonic() < deadline:
            read_for(0.5)
        assert b"no model loaded" in screen, "the app did not connect to the engine it started"
        assert engine_answers(server)
        if ending == "ctrl+q":
            os.write(terminal, b"\x11")
        else:
            os.kill(pid, signal.SIGTERM)
        deadline, ended = time.monotonic() + 30, False
        while time.monotonic() < deadline and not ended:
            ended = os.waitpid(pid, os.WNOHANG) != (0, 0)
            read_for(0.2)
        assert ended, "the app did not end"
        assert not engine_answers(server) and port_is_free(unused_udp_port), "the engine started by the app outlived it"
    finally:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(terminal)
