"""Subscribers that vanish never lock out new ones: a full engine drops the one heard from longest ago."""

from __future__ import annotations

import pytest

from engine.core import Engine
from engine.osc.client import OscClient
from engine.osc.server import MAX_LISTENERS


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
