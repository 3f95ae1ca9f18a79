"""The OSC adapter end to end: a real server on a loopback port, a real client socket, every address."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from pythonosc.osc_message import OscMessage
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.parsing import osc_types

from engine import __version__
from engine.core import Engine
from engine.osc import args as osc_args
from engine.osc.client import OscClient
from engine.osc.routes import ROUTES, routes_markdown
from engine.osc.messages import GRID_PAGE, MAX_REPLY_BYTES, messages_markdown
from tui_support import FakeAudio

DOCS = Path(__file__).resolve().parents[1] / "docs" / "osc.md"


@pytest.fixture
def audio():
    return FakeAudio()


@pytest.fixture
def engine(home, tmp_path, audio):
    engine = Engine(out_dir=tmp_path / "out", audio=audio)
    yield engine
    engine.shutdown()


@pytest.fixture
def loaded(engine, tiny_prior_file):
    engine.load_model(str(tiny_prior_file))
    return engine


@pytest.fixture
def wavs(sound_folder):
    return sorted(str(p) for p in sound_folder.glob("*.wav"))


def error_of(client, address, *values, timeout=10.0) -> str:
    """Send a request that must fail; the error's message (its address echoed checked)."""
    client.send(address, *values)
    echoed, message = client.expect("/distill/error", timeout)
    assert echoed == address
    return message


def encode(client, slot, path):
    return client.request("/distill/encode", slot, path, reply="/distill/encoded", timeout=30)


def grid_codes(client, slot) -> np.ndarray:
    """The grid as the client sees it through /distill/grid/get."""
    _, levels, frames = client.request("/distill/grid/get", slot, reply="/distill/grid/size")
    codes = np.full((levels, frames), -1)
    filled = 0
    while filled < levels * frames:
        got_slot, level, first, *page = client.expect("/distill/grid")
        assert got_slot == slot and 1 <= len(page) <= GRID_PAGE
        codes[level, first : first + len(page)] = page
        filled += len(page)
    return codes


# -- basics ----------------------------------------------------------------------------------------------


def test_ping_help_and_docs_come_from_one_table(client, home):
    assert client.request("/distill/ping", reply="/distill/pong") == [__version__, str(home.resolve())]  # the data folder it serves
    client.send("/distill/help")
    helps = [client.expect("/distill/help") for _ in ROUTES]
    assert [h[0] for h in helps] == [r.address for r in ROUTES]
    assert all(isinstance(v, str) for h in helps for v in h)
    assert {h[0]: h[1] for h in helps}["/distill/swap"] == "<slot_a:s> <slot_b:s> <start_frame:i> <end_frame:i> [<level:i> ...]"
    text = DOCS.read_text()
    assert routes_markdown() in text, "docs/osc.md is out of date: run `.venv/bin/python -m engine.osc.docs`"
    assert messages_markdown() in text, "docs/osc.md is out of date: run `.venv/bin/python -m engine.osc.docs`"
    # every address of the issue exists
    for address in (
        "/distill/ping", "/distill/help", "/distill/model/load", "/distill/model/list", "/distill/param/temperature",
        "/distill/param/top_k", "/distill/param/top_p", "/distill/param/seed", "/distill/param/duration",
        "/distill/generate", "/distill/encode", "/distill/grid/get", "/distill/cell/set", "/distill/swap",
        "/distill/blend", "/distill/undo", "/distill/redo", "/distill/decode", "/distill/preview", "/distill/play",
        "/distill/stop", "/distill/health", "/distill/train/start", "/distill/train/stop", "/distill/subscribe",
        "/distill/midi/learn",
    ):
        assert address in {r.address for r in ROUTES}


def test_unknown_addresses_patterns_and_garbage_are_answered(client):
    assert "unknown address /distill/nope" in error_of(client, "/distill/nope", 1)
    assert "patterns are not supported" in error_of(client, "/distill/*")
    client.send_raw(b"/distill/ping\x00\x00\x00,i\x00\x00")  # truncated: the int is missing
    echoed, message = client.expect("/distill/error")
    assert echoed == "" and "argument 1 (type i) needs 4 bytes, but 0 follow" in message
    assert client.request("/distill/ping", reply="/distill/pong")[0] == __version__


def test_wrong_argument_counts_and_types(loaded, client):
    assert "expects no arguments, got 1 argument" in error_of(client, "/distill/ping", 1)
    assert "expects <slot:s>, got 0 arguments" in error_of(client, "/distill/undo")
    assert "must be a number, not the text 'hot'" in error_of(client, "/distill/param/temperature", "hot")
    assert "must be a whole number, not 2.5" in error_of(client, "/distill/param/top_k", 2.5)
    assert "must be text" in error_of(client, "/distill/model/load", 3)
    assert "32-bit integer" in error_of(client, "/distill/param/seed", 1e12)


def test_model_load_list_and_missing_model(engine, client, tiny_prior_file, tiny_model_file):
    from engine.library import Library

    assert "no model is loaded" in error_of(client, "/distill/health")
    assert "no model is loaded" in error_of(client, "/distill/generate")
    assert "neither a model file nor a model" in error_of(client, "/distill/model/load", "nosuchmodel")
    library = Library()
    for index in range(40):  # enough names for several pages
        library.import_file(tiny_model_file, name=f"model-with-a-rather-long-name-{index:02d}")
    client.send("/distill/model/list")
    names = []
    while True:
        address, values = client.receive()
        if address == "/distill/model/list/end":
            assert values == [40]
            break
        assert address == "/distill/model/list" and len(OscMessage(osc_args.build(address, values)).dgram) <= MAX_REPLY_BYTES
        names += values
    assert names == sorted(names) and len(names) == 40

    loaded = client.request("/distill/model/load", "model-with-a-rather-long-name-00", reply="/distill/model/loaded")
    assert loaded == ["model-with-a-rather-long-name-00", 3, 16, engine.model.sample_rate, 0, 512 * 4]  # 0: no prior; hop 512 x downsample 4
    assert "has no prior yet" in error_of(client, "/distill/generate")
    loaded = client.request("/distill/model/load", str(tiny_prior_file), reply="/distill/model/loaded")
    assert loaded[0] == "tiny" and loaded[4] == 1


def test_health_per_level(loaded, client):
    client.send("/distill/health")
    rows = [client.expect("/distill/health") for _ in range(3)]
    assert [r[0] for r in rows] == [0, 1, 2] and [r[1] for r in rows] == ["Structure", "Timbre", "Detail"]
    for level, label, utilisation, perplexity, dead, status, light in rows:
        assert 0.0 <= utilisation <= 1.0 and perplexity >= 1.0 and 0 <= dead <= 16
        assert (status, light) in (("Healthy", "green"), ("Some codes underused", "yellow"), ("Codebook collapse detected", "red"))


# -- parameters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "good", "expected", "bad", "why"),
    [
        ("temperature", 0.7, 0.7, -0.1, "temperature must be 0"),
        ("top_k", 8.0, 8, 17, "at most 16"),  # Pd float; 17 exceeds the tiny model's 16 codes
        ("top_p", 0.9, 0.9, 1.5, "top-p must be above 0 and at most 1"),
        ("seed", 12.0, 12, -1, "seed must be a whole number from 0 to 2147483647"),
        ("duration", 2.0, 2.0, 0.0, "duration must be above 0"),
    ],
)
def test_params_answer_broadcast_and_refuse_out_of_range(loaded, server, client, name, good, expected, bad, why):
    listener = OscClient(server.address)
    try:
        assert listener.request("/distill/subscribe", reply="/distill/subscribed") == [listener.address[1]]
        assert listener.expect(f"/distill/param/{name}")  # the current value, sent on subscribing
        (value,) = client.request(f"/distill/param/{name}", good, reply=f"/distill/param/{name}")
        assert value == pytest.approx(expected) and type(value) is type(expected)
        assert listener.expect(f"/distill/param/{name}") == [value]
        assert why in error_of(client, f"/distill/param/{name}", bad)
        assert getattr(loaded.params, name) == pytest.approx(expected)  # unchanged by the refused value
        assert client.request(f"/distill/param/{name}", reply=f"/distill/param/{name}") == [value]
    finally:
        listener.close()


# -- grids -----------------------------------------------------------------------------------------------


def test_encode_grid_edit_undo_redo_and_broadcast_cells(loaded, server, client, wavs):
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    _, levels, frames = encode(client, "A", wavs[0])
    assert listener.expect("/distill/encoded", 30) == ["A", levels, frames]
    before = grid_codes(client, "A")
    assert before.shape == (levels, frames) == (3, loaded.grid("A").columns)
    assert np.array_equal(before, loaded.grid("A").codes)

    new = (int(before[1, 2]) + 1) % 16
    assert client.request("/distill/cell/set", "A", 1.0, 2.0, float(new), reply="/distill/edited") == ["A", 1, 0]
    assert listener.expect("/distill/grid") == ["A", 1, 2, new]
    assert listener.expect("/distill/edited") == ["A", 1, 0]
    detail = (int(before[2, 0]) + 1) % 16
    assert client.request("/distill/cell/set", "A", "detail", 0, detail, reply="/distill/edited")[1:] == [2, 0]
    assert client.request("/distill/undo", "A", reply="/distill/edited") == ["A", 1, 1]
    assert client.request("/distill/undo", "A", reply="/distill/edited") == ["A", 0, 2]
    assert np.array_equal(grid_codes(client, "A"), before)
    assert "nothing to undo" in error_of(client, "/distill/undo", "A")
    assert client.request("/distill/redo", "A", reply="/distill/edited") == ["A", 1, 1]
    assert grid_codes(client, "A")[1, 2] == new

    assert "column 9999 is outside" in error_of(client, "/distill/cell/set", "A", 0, 9999, 1)
    assert "codebook" in error_of(client, "/distill/cell/set", "A", 0, 0, 16)
    assert "level 7" in error_of(client, "/distill/cell/set", "A", 7, 0, 1)
    assert "slot 'Z' holds no grid" in error_of(client, "/distill/grid/get", "Z")
    assert "slot name" in error_of(client, "/distill/grid/get", "../etc")
    listener.close()


def test_swap_blend_decode_preview_and_play(loaded, client, wavs, audio, tmp_path):
    encode(client, "A", wavs[0])
    encode(client, "B", wavs[1])
    a, b = loaded.grid("A").codes.copy(), loaded.grid("B").codes.copy()
    client.send("/distill/swap", "A", "B", 0, 2, "Timbre")
    assert client.expect("/distill/edited") == ["A", 1, 0]
    assert client.expect("/distill/edited") == ["B", 1, 0]
    assert np.array_equal(loaded.grid("A").codes[1, :2], b[1, :2]) and np.array_equal(loaded.grid("A").codes[0], a[0])
    assert client.request("/distill/blend", "A", "B", 0.5, 0, 2, reply="/distill/edited") == ["A", 2, 0]
    assert client.request("/distill/blend", "A", "B", 1.0, reply="/distill/edited") == ["A", 3, 0]
    assert "expects" in error_of(client, "/distill/blend", "A", "B", 0.5, 1)  # a start frame needs an end frame
    assert "weight" in error_of(client, "/distill/blend", "A", "B", 1.5)
    assert "two different slots" in error_of(client, "/distill/swap", "A", "A", 0, 1)
    assert "expects" in error_of(client, "/distill/blend", "A", "B", 0.5, "timbre")  # levels need the frames

    slot, path = client.request("/distill/decode", "A", reply="/distill/decoded", timeout=30)
    assert slot == "A" and Path(path).parent == tmp_path / "out" and Path(path).stat().st_size > 44
    level, index, clip = client.request("/distill/preview", "timbre", 3, reply="/distill/previewed", timeout=30)
    assert (level, index) == (1, 3) and Path(clip).parent == tmp_path / "out"
    assert "codebook" in error_of(client, "/distill/preview", 0, 99)

    assert client.request("/distill/play", wavs[2], reply="/distill/playing") == [wavs[2]]
    played = client.request("/distill/play", "B", reply="/distill/playing", timeout=30)[0]
    assert Path(played).parent == tmp_path / "out" and len(audio.played) == 2
    assert "neither a filled slot nor a sound file" in error_of(client, "/distill/play", "/no/such/file.wav")
    assert client.request("/distill/stop", reply="/distill/stopped") == [] and audio.stops == 1


def test_blend_keeps_to_the_levels_asked_and_blended_cells_are_listed_as_runs(loaded, server, client, wavs):
    encode(client, "A", wavs[0])
    encode(client, "B", wavs[1])
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    before = loaded.grid("A").codes.copy()
    assert client.request("/distill/blend", "A", "B", 0.5, 1, 4, "timbre", reply="/distill/edited") == ["A", 1, 0]
    after = loaded.grid("A")
    assert set(after.blends) <= {(1, column) for column in range(1, 4)} and after.blends  # only Timbre, frames 1-3
    assert np.array_equal(after.codes[[0, 2]], before[[0, 2]])
    runs = after.blended_runs()
    flat = [value for run in runs for value in run]
    assert listener.expect("/distill/grid/blended") == ["A", 0, *flat]  # with the edit's event
    client.request("/distill/grid/get", "A", reply="/distill/grid/size")
    assert client.expect("/distill/grid/blended") == ["A", 0, *flat]  # after the grid's pages
    client.request("/distill/undo", "A", reply="/distill/edited")
    assert listener.expect("/distill/grid/blended") == ["A", 0]  # nothing blended any more
    listener.close()


def test_generate_reports_a_complete_file_and_advances_the_seed(loaded, server, client, tmp_path):
    import soundfile as sf

    client.request("/distill/param/seed", 5, reply="/distill/param/seed")
    path, duration, seed = client.request("/distill/generate", 0.5, reply="/distill/generated", timeout=60)
    assert seed == 5 and duration == pytest.approx(0.5, abs=1e-3)
    assert Path(path).parent == tmp_path / "out" and sf.info(path).duration == pytest.approx(0.5, abs=1e-3)
    assert loaded.params.seed == 6
    path2, _, seed2 = client.request("/distill/generate", 0.5, 5.0, reply="/distill/generated", timeout=60)
    assert seed2 == 5 and path2 != path
    assert np.array_equal(sf.read(path)[0], sf.read(path2)[0])  # same seed, same sound
    assert "duration must be above 0" in error_of(client, "/distill/generate", -1.0)
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]  # no temporary files left


def test_train_start_stop_and_errors(engine, server, client, sound_folder, monkeypatch):
    assert "does not exist" in error_of(client, "/distill/train/start", "/no/such/folder", "x")
    assert "no training run" in error_of(client, "/distill/train/stop")
    assert "MIDI is off" in error_of(client, "/distill/midi/learn", "temperature")
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    small = {"codebook_size": 16, "codebook_dim": 16, "hidden": 16, "epochs": 1, "seed": 1}
    original = engine.train_start
    monkeypatch.setattr(engine, "train_start", lambda dataset, name, minutes: original(dataset, name, minutes, **small))
    assert client.request("/distill/train/start", str(sound_folder), "fresh", 5.0, reply="/distill/train/started") == ["fresh"]
    assert "already going" in error_of(client, "/distill/train/start", str(sound_folder), "other")
    epoch, loss, seconds, *_ = listener.expect("/distill/train/progress", 60)
    assert epoch == 1 and loss > 0 and seconds > 0
    assert listener.expect("/distill/train/done", 60) == ["fresh", 0]
    assert "fresh" in engine.list_models()
    listener.close()


def test_subscribe_unsubscribe_and_reply_routing(loaded, server, client):
    pd_listener = OscClient(server.address)  # Pd/Max: send from one socket, listen on another
    port = pd_listener.address[1]
    assert client.request("/distill/subscribe", float(port), reply="/distill/subscribed") == [port]
    for name in ("temperature", "top_k", "top_p", "seed", "duration"):
        assert pd_listener.expect(f"/distill/param/{name}")
    assert pd_listener.expect("/distill/model/loaded")[0] == "tiny"
    client.send("/distill/ping")
    assert pd_listener.expect("/distill/pong")[0] == __version__  # replies reach the listening port too
    client.send("/distill/param/top_p", 0.5)
    assert client.expect("/distill/param/top_p") == [0.5]  # the sender is no subscriber: it gets its answer
    assert pd_listener.expect("/distill/param/top_p") == [0.5]
    with pytest.raises(TimeoutError):
        pd_listener.expect("/distill/param/top_p", timeout=0.3)  # and the listener gets it once
    assert "port must be" in error_of(client, "/distill/subscribe", 70000)
    assert pd_listener.expect("/distill/error")[0] == "/distill/subscribe"  # errors are replies: routed too
    assert client.request("/distill/unsubscribe", port, reply="/distill/unsubscribed") == [port]
    client.send("/distill/param/top_p", 0.25)
    client.expect("/distill/param/top_p")
    with pytest.raises(TimeoutError):
        pd_listener.expect("/distill/param/top_p", timeout=0.3)
    pd_listener.close()


def raw(address: str, *tagged: tuple) -> bytes:
    """A datagram with explicit (value, tag) arguments, any OSC tag."""
    builder = OscMessageBuilder(address)
    for value, tag in tagged:
        builder.add_arg(value, tag)
    return builder.build().dgram


def type_tags(data: bytes) -> str:
    """The type tag string of a raw OSC message."""
    _, index = osc_types.get_string(data, 0)
    return osc_types.get_string(data, index)[0]


def test_every_reply_uses_only_i_f_s_and_fits_a_datagram(loaded, client, wavs):
    """Raw replies (help, a grid, an edit, an error, a generation) carry only i, f and s tags and stay small."""
    encode(client, "A", wavs[0])
    client.send("/distill/help")
    client.send("/distill/grid/get", "A")
    client.send("/distill/cell/set", "A", 0, 0, 1)
    client.send_raw(raw("/distill/cell/set", ("A", "s"), (0, "i"), (0, "i"), (True, "T")))  # an error: T is no number
    client.send("/distill/generate", 0.2)
    client.socket.settimeout(30)
    seen = set()
    while "/distill/generated" not in seen:
        data = client.socket.recv(65536)
        seen.add(OscMessage(data).address)
        assert re.fullmatch(r",[ifs]*", type_tags(data)), type_tags(data)
        assert len(data) <= MAX_REPLY_BYTES
    assert {"/distill/help", "/distill/grid", "/distill/edited", "/distill/error"} <= seen


def test_docs_describe_every_route():
    text = DOCS.read_text()
    for route in ROUTES:
        assert f"`{route.address}`" in text
