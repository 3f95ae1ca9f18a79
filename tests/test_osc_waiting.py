"""The network thread never waits on the disk or SQLite: ping is answered while a preset save waits for a lock."""

from __future__ import annotations

import sqlite3
import time

import pytest

from engine.core import Engine
from engine.osc.routes import ROUTES


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out")
    yield engine
    engine.shutdown()


def test_ping_is_answered_at_once_while_a_preset_save_waits_for_a_locked_library_db(engine, client):
    engine.presets()  # creates library.db with its tables
    lock = sqlite3.connect(engine.library.db_path, isolation_level=None)
    lock.execute("BEGIN EXCLUSIVE")  # another program writing
    try:
        client.send("/distill/preset/save", "soft")
        client.send("/distill/param/temperature", 0.5)  # queued behind the save: stays in order
        time.sleep(0.2)
        latencies = []
        for _ in range(20):
            started = time.perf_counter()
            client.request("/distill/ping", reply="/distill/pong", timeout=5)
            latencies.append(time.perf_counter() - started)
        assert max(latencies) < 0.1, latencies
        assert not client.pending, "the save finished although library.db was locked"
    finally:
        lock.execute("COMMIT")
        lock.close()
    assert client.expect("/distill/preset/saved", timeout=10) == ["soft"]
    assert client.expect("/distill/param/temperature") == [0.5]
    assert engine.presets()[0].settings.temperature == 1.0  # saved before the later change


def test_only_ping_help_subscriptions_and_stops_are_answered_on_the_network_thread():
    now = {route.address for route in ROUTES if route.now}
    assert now == {"/distill/ping", "/distill/help", "/distill/subscribe", "/distill/unsubscribe", "/distill/stop", "/distill/train/stop", "/distill/prior/train/stop"}
