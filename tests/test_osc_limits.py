"""Limits on work and replies: one client cannot queue hours of jobs or make a datagram answer megabytes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from engine.core import Engine
from engine.osc import args as osc_args
from engine.osc.client import OscClient
from engine.osc.docs import limits_markdown
from engine.osc.packet import MAX_DATAGRAM_MESSAGES
from engine.osc.work import MAX_JOBS_PER_CLIENT, MAX_QUEUED_PER_CLIENT, MAX_REPLY_BYTES_PER_DATAGRAM

DOCS = Path(__file__).resolve().parents[1] / "docs" / "osc.md"


@pytest.fixture
def engine(home, tmp_path, tiny_prior_file):
    engine = Engine(out_dir=tmp_path / "out")
    engine.load_model(str(tiny_prior_file))
    yield engine
    engine.shutdown()


def bundle(messages: list[tuple[str, tuple]]) -> bytes:
    builder = OscBundleBuilder(IMMEDIATELY)
    for address, values in messages:
        message = OscMessageBuilder(address)
        for value in values:
            message.add_arg(value)
        builder.add_content(message.build())
    return builder.build().dgram


def replies(client: OscClient, timeout: float = 1.0) -> list[tuple[str, list]]:
    """Every message that arrives until none has for `timeout` seconds."""
    got = []
    while True:
        try:
            got.append(client.receive(timeout))
        except TimeoutError:
            return got


def test_the_limits_are_documented():
    assert limits_markdown() in DOCS.read_text(), "docs/osc.md is out of date: run `.venv/bin/python -m engine.osc.docs`"


def test_one_client_has_at_most_the_job_limit_waiting_or_running(server, client):
    extra = 3
    generations = [("/distill/generate", (20.0,))] + [("/distill/generate", (0.2,))] * (MAX_JOBS_PER_CLIENT - 1 + extra)
    client.send_raw(bundle(generations))
    other = OscClient(server.address)  # another client has its own allowance
    assert other.request("/distill/generate", 0.2, reply="/distill/generated", timeout=120)
    got = [client.receive(timeout=120) for _ in range(MAX_JOBS_PER_CLIENT + extra)]
    errors = [values for address, values in got if address == "/distill/error"]
    assert len(errors) == extra and len([address for address, _ in got if address == "/distill/generated"]) == MAX_JOBS_PER_CLIENT
    assert all(address == "/distill/generate" and f"already has {MAX_JOBS_PER_CLIENT} jobs waiting or running" in message for address, message in errors)
    assert client.request("/distill/generate", 0.2, reply="/distill/generated", timeout=60)  # the allowance is back
    other.close()


def test_the_replies_to_one_datagram_stop_at_the_byte_limit_with_one_error(client):
    client.send_raw(bundle([("/distill/help", ())] * MAX_DATAGRAM_MESSAGES))
    got = replies(client)
    errors = [values for address, values in got if address == "/distill/error"]
    assert len(errors) == 1 and f"passed {MAX_REPLY_BYTES_PER_DATAGRAM} bytes" in errors[0][1]
    help_bytes = sum(len(osc_args.build(address, values)) for address, values in got if address == "/distill/help")
    assert MAX_REPLY_BYTES_PER_DATAGRAM - 1024 < help_bytes <= MAX_REPLY_BYTES_PER_DATAGRAM
    assert client.request("/distill/help", reply="/distill/help")  # the next datagram has its own budget


def test_one_client_has_at_most_the_queue_limit_waiting(engine, server, client):
    engine.presets()  # creates library.db with its tables
    lock = sqlite3.connect(engine.library.db_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # the request worker waits on the save; the parameters queue behind it
    try:
        requests = [("/distill/preset/save", ("soft",))] + [("/distill/param/temperature", (0.5,))] * (MAX_QUEUED_PER_CLIENT + 1)
        for start in range(0, len(requests), MAX_DATAGRAM_MESSAGES):
            client.send_raw(bundle(requests[start : start + MAX_DATAGRAM_MESSAGES]))
        errors = [values for address, values in replies(client, 0.5) if address == "/distill/error"]
        assert errors == [["/distill/param/temperature", f"this client already has {MAX_QUEUED_PER_CLIENT} requests waiting, the most allowed; wait for one to end"]] * 2
    finally:
        lock.execute("COMMIT")
        lock.close()
    assert client.expect("/distill/preset/saved", timeout=30) == ["soft"]
    for _ in range(MAX_QUEUED_PER_CLIENT - 1):  # every queued request runs once the lock is released
        assert client.expect("/distill/param/temperature", timeout=10) == [0.5]


@pytest.mark.parametrize("stated", ["n" * 100_000, "../../escape", ""], ids=["100 KB", "../../escape", "empty"])
def test_a_model_file_that_names_itself_no_model_name_is_announced_by_its_file_name(client, tmp_path, tiny_prior_file, stated):
    # A 100 KB name made /distill/model/loaded too long for a datagram: it never arrived (issue 16 probes).
    from engine.modelfile import read_model_file, save_model_file

    tensors, metadata = read_model_file(tiny_prior_file)
    path = save_model_file(tmp_path / "odd-name.sda", tensors, {**metadata, "name": stated})
    loaded = client.request("/distill/model/load", str(path), reply="/distill/model/loaded", timeout=60)
    assert loaded[0] == "odd-name"
    generated = client.request("/distill/generate", 0.2, reply="/distill/generated", timeout=60)[0]
    assert Path(generated).name.startswith("odd-name_seed")
