"""A failing listener never breaks engine work: edits stay applied and answered, training runs on."""

from __future__ import annotations

import logging
import threading

import pytest

from engine.core import Engine
from engine.errors import DistillError
from engine.events import TrainJobDone, TrainJobStarted, TrainProgress
from engine.osc import args as osc_args
from engine.osc.client import OscClient


@pytest.fixture
def engine(home, tmp_path, tiny_prior_file, sound_folder):
    engine = Engine(out_dir=tmp_path / "out")
    engine.load_model(str(tiny_prior_file))
    engine.encode("A", str(sorted(sound_folder.glob("*.wav"))[0])).result()
    yield engine
    engine.shutdown()


def broken_encoder(event) -> None:
    """A listener with an encoding mistake, as an adapter might have: a value OSC cannot carry."""
    osc_args.build("/distill/broken", [object()])


def test_an_edit_is_answered_as_applied_when_a_listener_fails(engine, caplog):
    caplog.set_level(logging.ERROR, logger="distill.engine")
    engine.subscribe(broken_encoder)  # called before the OSC server's listener
    from engine.osc.server import OscServer

    server = OscServer(engine, "127.0.0.1", 0).start()
    client, subscriber = OscClient(server.address), OscClient(server.address)
    try:
        subscriber.request("/distill/subscribe", reply="/distill/subscribed")
        old = int(engine.grid("A").codes[0, 0])
        new = (old + 1) % 16
        assert client.request("/distill/cell/set", "A", 0, 0, new, reply="/distill/edited") == ["A", 1, 0]
        assert engine.grid("A").codes[0, 0] == new
        assert subscriber.expect("/distill/edited") == ["A", 1, 0]  # later listeners still get the event
    finally:
        client.close()
        subscriber.close()
        server.close()
    failures = [r for r in caplog.records if "broken_encoder" in r.getMessage()]
    assert failures and "cannot send" in failures[0].getMessage()


def test_training_runs_to_its_end_when_listeners_fail_or_call_back_into_the_engine(engine, sound_folder):
    events, reentry = [], []

    def listener(event) -> None:
        events.append(type(event))
        if isinstance(event, TrainJobStarted):  # emitted under the training lock before: this deadlocked
            try:
                engine.train_start(str(sound_folder), "second", epochs=1)
            except DistillError as error:
                reentry.append(str(error))
        if isinstance(event, (TrainJobStarted, TrainProgress)):
            raise TypeError("a listener's bug")

    engine.subscribe(listener)
    done = threading.Event()
    engine.subscribe(lambda event: done.set() if isinstance(event, TrainJobDone) else None)
    starter = threading.Thread(target=engine.train_start, args=(str(sound_folder), "first"), kwargs=dict(epochs=1, codebook_size=16, codebook_dim=16, hidden=32), daemon=True)
    starter.start()
    starter.join(timeout=20)
    assert not starter.is_alive(), "train_start hung: an event was emitted under the training lock"
    assert done.wait(timeout=120), "the run did not finish"
    assert reentry and "already going" in reentry[0]
    assert events[0] is TrainJobStarted and TrainProgress in events and events[-1] is TrainJobDone
    assert "first" in engine.list_models()
