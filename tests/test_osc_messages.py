"""The protocol's one definition: every message round-trips through `engine.osc.messages`, events become the
records subscribers get, and tags come back on the replies of a real server on loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from pythonosc.osc_message import OscMessage
from tui_support import FakeAudio

from engine import __version__
from engine.core import Engine
from engine.events import Generated, GridEdited, ParamChanged, TrainJobDone, TrainProgress
from engine.osc import messages as m
from engine.osc.args import Rest
from engine.osc.client import OscClient
from engine.training.health import LevelHealth

SAMPLES = {"i": 3, "f": 0.5, "s": "x", "path": Path("/tmp/x.wav"), "bool": True, "n": 2, "v": "text"}
REST_SAMPLES = {"i": (1, 2, 3), "s": ("a", "b")}


def sample(wire: m.Wire):
    """A record of `wire` with a value of the right type in every field."""
    values = {}
    for item in wire.args:
        if isinstance(item, Rest):
            values[item.arg.name] = REST_SAMPLES[item.arg.kind]
        else:
            values[item.name] = SAMPLES[item.kind]
    if wire.choices:
        field = wire.address.partition("{")[2].partition("}")[0]
        values[field] = wire.choices[-1]
    return wire.record(**values)


def over_the_wire(record, tag=None):
    """Encode `record`, parse the datagram as any OSC client would, and decode it."""
    message = OscMessage(m.encode(record, tag))
    return m.decode(message.address, list(message.params))


@pytest.mark.parametrize("wire", m.WIRES, ids=lambda wire: wire.address)
def test_every_message_decodes_to_the_record_it_was_encoded_from(wire):
    record = sample(wire)
    assert over_the_wire(record) == (record, None)
    assert over_the_wire(record, "tag:7") == (record, "tag:7")


def test_ill_formed_or_unknown_messages_decode_to_nothing():
    assert m.decode("/distill/nothing", []) is None
    assert m.decode("/distill/edited", ["A", 1]) is None  # an argument short
    assert m.decode("/distill/edited", ["A", "one", 0]) is None  # text where a number belongs
    assert m.decode("/distill/param/volume", [1.0]) is None  # no such parameter


def test_a_trailing_tag_is_a_tag_only_where_the_arguments_before_it_fit():
    assert m.decode("/distill/model/info/end", ["tag:x"]) == (m.ModelInfoEnd("tag:x"), None)  # a model named so
    assert m.decode("/distill/model/search", ["kick", "tag:2"]) == (m.ModelNames("search", ("kick",)), "tag:2")


def test_events_become_the_records_subscribers_get():
    edit = GridEdited("A", ((0, 3, 5), (0, 4, 6), (1, 0, 9)), 2, 0, ((1, 0, 1),))
    assert m.event_records(edit) == [
        m.GridCodes("A", 0, 3, (5, 6)), m.GridCodes("A", 1, 0, (9,)), m.BlendedRuns("A", 0, (1, 0, 1)), m.Edited("A", 2, 0),
    ]
    assert m.blended_pages("B", ()) == [m.BlendedRuns("B", 0, ())]  # nothing blended: one page that clears the list
    assert m.to_osc(ParamChanged("top_k", 4)) == ("/distill/param/top_k", [4])
    health = LevelHealth(0, "Structure", 0.5, 3.0, 2, "Healthy", "green")
    progress = TrainProgress(7, 0.4, 12.0, 0.9, 0.8, True, (health,), ("careful",), "adversarial", (("reconstruction", 0.3), ("discriminator", 1.2)))
    assert m.event_records(progress) == [
        m.TrainEpoch(7, 0.4, 12.0, 0.9, 0.8, True, "adversarial"),
        m.TrainLevel(7, 0, "Structure", 0.5, 3.0, 2, "Healthy", "green"),
        m.TrainLoss(7, "adversarial", "reconstruction", 0.3),
        m.TrainLoss(7, "adversarial", "discriminator", 1.2),
        m.TrainWarning("careful"),
    ]
    with pytest.raises(TypeError, match="no OSC message"):
        m.event_records(object())


def test_name_pages_leave_room_for_a_tag():
    pages = m.name_pages(m.SlotNames, [f"slot-{i:026d}" for i in range(100)])
    assert len(pages) > 1 and sum(len(page.slots) for page in pages) == 100
    assert all(len(m.encode(page, "t" * m.MAX_TAG_BYTES)) <= m.MAX_REPLY_BYTES for page in pages)


# -- tags on a real server ------------------------------------------------------------------------------------


@pytest.fixture
def engine(home, tmp_path, tiny_prior_file):
    engine = Engine(out_dir=tmp_path / "out", audio=FakeAudio())
    engine.load_model(str(tiny_prior_file))
    engine.set_param("duration", 0.3)
    yield engine
    engine.shutdown()


def test_every_reply_to_a_tagged_request_carries_its_tag(server, client):
    assert client.request("/distill/ping", "tag:p1", reply="/distill/pong")[::2] == [__version__, "tag:p1"]  # version, home, tag
    client.send("/distill/param/top_k", 100000, "tag:e")
    assert client.expect("/distill/error")[2:] == ["tag:e"]
    client.send("/distill/model/search", "tag:x")  # the query, not a tag: nothing fits before it
    assert client.expect("/distill/model/search/end") == [0]
    client.send("/distill/nowhere", 1, "tag:u")
    assert client.expect("/distill/error") == ["/distill/nowhere", "unknown address /distill/nowhere (send /distill/help for the list)", "tag:u"]
    client.send("/distill/ping", "tag:" + "x" * m.MAX_TAG_BYTES)
    assert "a tag is at most" in client.expect("/distill/error")[1]
    assert len(client.request("/distill/ping", reply="/distill/pong")) == 2  # untagged: version and home only


def test_a_subscriber_tells_its_own_generation_from_another_clients(server, client):
    other = OscClient(server.address)
    try:
        client.request("/distill/subscribe", reply="/distill/subscribed")
        other.send("/distill/generate", "tag:other")  # the same tag text: tags are per client
        client.send("/distill/generate", "tag:mine")
        heard = []  # (Generated, tag) as this client decodes them
        while len(heard) < 3:
            decoded = m.decode(*client.receive(30))
            if decoded is not None and isinstance(decoded[0], Generated):
                heard.append(decoded)
        mine = [record for record, tag in heard if tag == "tag:mine"]
        events = [record for record, tag in heard if tag is None]
        assert len(mine) == 1 and len(events) == 2  # its own answer, tagged, and both generations as events
        assert mine[0] in events
        assert other.expect("/distill/generated", 30)[-1] == "tag:other"
    finally:
        other.close()


def test_training_over_osc_reports_both_phases_and_the_adversarial_losses(engine, server, client, sound_folder, monkeypatch):
    small = {"codebook_size": 16, "codebook_dim": 8, "hidden": 8, "epochs": 4, "seed": 1}  # epoch 4 starts past 70 %: adversarial
    original = engine.train_start
    monkeypatch.setattr(engine, "train_start", lambda dataset, name, minutes: original(dataset, name, minutes, **small))
    client.request("/distill/subscribe", reply="/distill/subscribed")
    client.send("/distill/train/start", str(sound_folder), "phased", "tag:t")
    records = []
    while not records or not isinstance(records[-1], m.TrainJobDone | m.Error):
        decoded = m.decode(*client.receive(120))
        if decoded is not None:
            records.append(decoded[0])
    assert records[-1] == TrainJobDone("train", "phased", False)
    epochs = [r for r in records if isinstance(r, m.TrainEpoch)]
    assert [(e.epoch, e.phase) for e in epochs] == [(1, "spectral"), (2, "spectral"), (3, "spectral"), (4, "adversarial")]
    losses = [r for r in records if isinstance(r, m.TrainLoss)]
    assert {(l.epoch, l.phase) for l in losses} == {(4, "adversarial")}
    assert {l.name for l in losses} == {"reconstruction", "adversarial", "feature_matching", "discriminator"}


def test_route_descriptions_name_as_many_arguments_as_the_messages_carry():
    """Help text is written by hand; the message table is what is sent: they must not drift apart."""
    import re

    from engine.osc.args import Arg
    from engine.osc.routes import ROUTES

    wires = {address: wire for wire in m.WIRES for address in wire.addresses()}
    checked = 0
    for route in ROUTES:
        for address, shown in re.findall(r"(/distill/[a-z_/]+)((?: <[^>]+>)+)", route.description):
            if address in wires:
                wire = wires[address]
                count, fixed = shown.count("<"), sum(isinstance(item, Arg) for item in wire.args)
                assert count == fixed or (count > fixed and len(wire.args) > fixed), f"{route.address} describes {address}{shown}"
                checked += 1
    assert checked >= 40
