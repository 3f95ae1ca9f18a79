"""Subscribers that vanish never lock out new ones: a full engine drops the one heard from longest ago; and no
subscription makes engines answer each other's echoes."""

from __future__ import annotations

import time

import pytest

from engine.core import Engine
from engine.osc.client import OscClient
from engine.osc.server import MAX_LISTENERS, OscServer


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out")
    yield engine
    engine.shutdown()


def everything(client: OscClient) -> list[tuple[str, list]]:
    """Every message kept or arriving until none has for half a second."""
    got = []
    while True:
        try:
            got.append(client.receive(timeout=0.5))
        except TimeoutError:
            return got


def test_a_new_subscriber_replaces_the_one_heard_from_longest_ago(server):
    clients = [OscClient(server.address) for _ in range(MAX_LISTENERS + 1)]
    alive, silent, *others, newcomer = clients
    try:
        for client in clients[:MAX_LISTENERS]:
            client.request("/distill/subscribe", reply="/distill/subscribed")
        alive.request("/distill/ping", reply="/distill/pong")  # the first to subscribe, but heard from since
        assert newcomer.request("/distill/subscribe", reply="/distill/subscribed") == [newcomer.address[1]]
        assert silent.expect("/distill/unsubscribed") == [silent.address[1]]

        newcomer.send("/distill/train/option", "levels", 3)  # an event that subscribing does not send
        for client in (alive, *others, newcomer):
            assert client.expect("/distill/train/option") == ["levels", 3]
        assert "/distill/train/option" not in [address for address, _ in everything(silent)]  # dropped: no more events
    finally:
        for client in clients:
            client.close()


def test_subscribing_again_renews_a_subscription(server):
    clients = [OscClient(server.address) for _ in range(MAX_LISTENERS + 1)]
    first, second, *others, newcomer = clients
    try:
        for client in clients[:MAX_LISTENERS]:
            client.request("/distill/subscribe", reply="/distill/subscribed")
        first.request("/distill/subscribe", reply="/distill/subscribed")  # renewed: now the most recent
        newcomer.request("/distill/subscribe", reply="/distill/subscribed")
        assert second.expect("/distill/unsubscribed") == [second.address[1]]
        assert first.request("/distill/unsubscribe", reply="/distill/unsubscribed") == [first.address[1]]  # still subscribed
    finally:
        for client in clients:
            client.close()


def test_the_engines_own_port_cannot_be_subscribed(server):
    # Subscribed to itself, the engine answered its own /distill/subscribed with an error, and that error
    # with another, some 20000 datagrams a second for ever (issue 16 probes).
    client = OscClient(server.address)
    client.send("/distill/subscribe", server.address[1])
    assert client.expect("/distill/error", timeout=5) == [
        "/distill/subscribe", f"port {server.address[1]} is this engine's own port: subscribe the port your client listens on",
    ]
    client.close()


def test_two_engines_subscribed_to_each_other_fall_quiet(engine, tmp_path):
    # A client subscribed engine B's port to engine A: B took A's events for requests and answered them, A took
    # the answers for requests, and the two bounced parameter values (and errors) for ever (issue 16 probes).
    other = Engine(out_dir=tmp_path / "other")
    a, b = OscServer(engine, "127.0.0.1", 0).start(), OscServer(other, "127.0.0.1", 0).start()
    handled = []
    for server in (a, b):
        original = server.handle_datagram
        server.handle_datagram = lambda data, client, original=original: (handled.append(data), original(data, client))
    client = OscClient(a.address)
    try:
        client.request("/distill/subscribe", b.address[1], reply="/distill/subscribed")
        client.request("/distill/param/top_k", 3, reply="/distill/param/top_k")
        client.send("/distill/error", "/distill/x", "an error is never answered")
        time.sleep(1.0)
        settled = len(handled)
        time.sleep(1.0)
        assert len(handled) == settled < 30
        assert everything(client) == []
        assert client.request("/distill/ping", reply="/distill/pong")
    finally:
        client.close()
        a.close()
        b.close()
        other.shutdown()
