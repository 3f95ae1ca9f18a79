"""Variations over OSC with the tiny trained prior: /distill/reimagine, /distill/continue and /distill/vary on a
real loopback server, and the copy check that follows each (the codes the prior draws are never asserted, only
what is kept and what repeats)."""

from __future__ import annotations

import shutil
import threading

import numpy as np
import pytest

from engine.codes.copies import TrainingCodes
from engine.core import Engine, free_slot
from engine.errors import DistillError
from engine.events import CopyChecked
from engine.modelfile import read_model_metadata, update_model_metadata
from engine.osc.client import OscClient
from tui_support import FakeAudio


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out", audio=FakeAudio())
    yield engine
    engine.shutdown()


@pytest.fixture
def loaded(engine, tiny_prior_file, sound_folder, client):
    engine.load_model(str(tiny_prior_file))
    client.request("/distill/encode", "A", str(sorted(sound_folder.glob("*.wav"))[0]), reply="/distill/encoded", timeout=60)
    return engine


def error_of(client, address, *values) -> str:
    client.send(address, *values)
    echoed, message = client.expect("/distill/error", 30)
    assert echoed == address
    return message


def reimagine(client, *values) -> tuple[list, list]:
    """Send /distill/reimagine; its (/distill/edited, /distill/reimagined) replies."""
    client.send("/distill/reimagine", *values)
    return client.expect("/distill/edited", 60), client.expect("/distill/reimagined", 60)


def test_reimagine_keeps_what_it_does_not_redraw_repeats_a_seed_and_undoes(loaded, server, client):
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    before = loaded.grid("A").codes.copy()  # [L, F]
    start, end = 2, min(before.shape[1], 8)
    client.request("/distill/param/seed", 7.0, reply="/distill/param/seed")
    edited, (slot, seed) = reimagine(client, "A", float(start), float(end), "timbre", 2.0)  # Pd sends floats
    assert edited == ["A", 1, 0] and (slot, seed) == ("A", 7)
    assert listener.expect("/distill/edited", 60) == ["A", 1, 0]  # subscribers hear it as any edit
    first = loaded.grid("A").codes.copy()
    kept = np.ones_like(before, dtype=bool)
    kept[1:, start:end] = False  # Timbre and Detail of [start, end) were redrawn
    assert np.array_equal(first[kept], before[kept])
    assert client.request("/distill/param/seed", reply="/distill/param/seed") == [8]  # the seed advanced

    assert client.request("/distill/undo", "A", reply="/distill/edited") == ["A", 0, 1]
    assert np.array_equal(loaded.grid("A").codes, before)
    client.request("/distill/param/seed", 7, reply="/distill/param/seed")
    reimagine(client, "A", start, end, 1, "detail")
    assert np.array_equal(loaded.grid("A").codes, first)  # same seed, same grid

    edited, _ = reimagine(client, "A", 0, before.shape[1])  # every level of every frame
    assert edited == ["A", 2, 0]
    assert loaded.grid("A").codes.shape == before.shape
    listener.close()


def test_reimagine_refuses_bad_regions_levels_and_slots(loaded, client):
    columns = loaded.grid("A").columns
    assert "does not fit" in error_of(client, "/distill/reimagine", "A", 3, 3)
    assert "does not fit" in error_of(client, "/distill/reimagine", "A", 0, columns + 1)
    assert "whole number" in error_of(client, "/distill/reimagine", "A", 0.5, 2)
    assert "level" in error_of(client, "/distill/reimagine", "A", 0, 2, "colour")
    assert "slot 'Z' holds no grid" in error_of(client, "/distill/reimagine", "Z", 0, 2)
    assert "expects" in error_of(client, "/distill/reimagine", "A", 0)
    assert loaded.edit_history("A") == ([], [])  # nothing was applied


def test_continue_makes_a_new_longer_slot_that_starts_with_the_prompt(loaded, server, client):
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    prompt = loaded.grid("A").codes.copy()  # [L, F]
    source, slot, frames, seed = client.request("/distill/continue", "A", 0.5, 3.0, 11.0, reply="/distill/continued", timeout=60)
    assert (source, slot, seed) == ("A", "B", 11)
    assert listener.expect("/distill/encoded", 60) == ["B", 3, frames]
    grown = loaded.grid("B").codes
    assert grown.shape[1] == frames > 3
    assert np.array_equal(grown[:, :3], prompt[:, :3])
    assert np.array_equal(loaded.grid("A").codes, prompt)  # the prompt's slot is untouched

    again = client.request("/distill/continue", "A", 0.5, 3, 11, reply="/distill/continued", timeout=60)
    assert again[1] == "C" and np.array_equal(loaded.grid("C").codes, grown)  # same seed, same continuation
    whole = client.request("/distill/continue", "A", 0.5, reply="/distill/continued", timeout=60)
    assert whole[2] > prompt.shape[1] and np.array_equal(loaded.grid(whole[1]).codes[:, : prompt.shape[1]], prompt)
    listener.close()


def test_continue_refuses_bad_lengths_columns_and_seeds(loaded, client):
    columns = loaded.grid("A").columns
    assert "continuation lasts" in error_of(client, "/distill/continue", "A", 0)
    assert "continuation lasts" in error_of(client, "/distill/continue", "A", 601)
    assert "continuation starts" in error_of(client, "/distill/continue", "A", 1, columns + 1)
    assert "seed" in error_of(client, "/distill/continue", "A", 1, 0, -1)
    assert loaded.slots() == ["A"]


def test_vary_turns_variations_on_a_key_on_and_off(loaded, client):
    assert client.request("/distill/vary", "A", reply="/distill/vary") == ["A", "timbre"]
    assert client.request("/distill/vary", "A", "continue", reply="/distill/vary") == ["A", "continue"]
    assert "a variation is one of" in error_of(client, "/distill/vary", "A", "louder")
    assert "slot 'Q' holds no grid" in error_of(client, "/distill/vary", "Q")
    assert client.request("/distill/vary", "off", reply="/distill/vary") == ["off", ""]


def test_variations_need_a_prior(engine, client, tiny_model_file, sound_folder):
    engine.load_model(str(tiny_model_file))
    client.request("/distill/encode", "A", str(sorted(sound_folder.glob("*.wav"))[0]), reply="/distill/encoded", timeout=60)
    assert "has no prior" in error_of(client, "/distill/reimagine", "A", 0, 2)
    assert "has no prior" in error_of(client, "/distill/continue", "A", 1)


def test_a_continuation_goes_to_the_first_free_slot():
    assert free_slot([], "A") == "A"
    assert free_slot(["A", "B", "D"], "A") == "C"
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert free_slot(letters, "kick") == "kick-1"
    assert free_slot([*letters, "kick-1"], "kick") == "kick-2"


def test_one_shot_is_a_parameter_that_generation_follows(loaded, server, client):
    import soundfile as sf

    assert client.request("/distill/param/one_shot", reply="/distill/param/one_shot") == [0]
    assert client.request("/distill/param/one_shot", 1.0, reply="/distill/param/one_shot") == [1]  # Pd sends floats
    assert "one_shot must be 0 (off) or 1 (on)" in error_of(client, "/distill/param/one_shot", 2)
    assert loaded.params.one_shot == 1 and loaded.params.settings().one_shot
    path, duration, _ = client.request("/distill/generate", 3.0, 5, reply="/distill/generated", timeout=120)
    assert sf.info(path).duration <= duration == 3.0
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    assert listener.expect("/distill/param/one_shot") == [1]  # a new subscriber hears it with the others
    listener.close()


def test_the_engine_continues_into_a_named_slot_from_the_grid_it_was_asked_for(loaded):
    prompt = loaded.grid("A").codes.copy()  # [L, F]
    future = loaded.continue_slot("A", 0.3, 2, seed=3, into="long")
    loaded.set_cell("A", 0, 0, (int(prompt[0, 0]) + 1) % loaded.model.codebook_size)  # after the request: not seen
    continued = future.result(timeout=60)
    assert (continued.source, continued.slot, continued.seed) == ("A", "long", 3)
    grown = loaded.grid("long").codes
    assert grown.shape[1] == continued.frames > 2 and np.array_equal(grown[:, :2], prompt[:, :2])
    with pytest.raises(DistillError, match="slot name"):
        loaded.continue_slot("A", 0.3, into="../x")


def addresses_until(client, last: str, timeout: float = 60) -> list[tuple[str, list]]:
    """Every message `client` receives, in order, up to and including the first `last` one."""
    received = []
    while not received or received[-1][0] != last:
        received.append(client.receive(timeout))
    return received


def assert_sane_copy(engine, values: list, slot: str, training_files: set[str]) -> None:
    """`/distill/copy` arguments that fit `slot`'s grid: a run no longer than the grid, from a training file."""
    copy_slot, columns, distinct, seconds, file = values
    grid = engine.grid(slot)
    assert copy_slot == slot
    assert 0 <= distinct <= columns <= grid.columns and (distinct > 0) == (columns > 0)
    assert seconds == pytest.approx(columns * grid.column_seconds, rel=1e-5)
    assert file in training_files if columns else file == ""


def test_every_variation_is_followed_by_its_longest_copy_of_a_training_file(loaded, server, client, tiny_prior_file):
    training_files = set(read_model_metadata(tiny_prior_file)["dataset"]["train_files"])
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    client.send("/distill/reimagine", "A", 0, 4)
    received = addresses_until(client, "/distill/copy")
    order = [address for address, _ in received]
    assert order.index("/distill/reimagined") < order.index("/distill/copy")  # a separate message, after the reply
    assert_sane_copy(loaded, received[-1][1], "A", training_files)
    assert listener.expect("/distill/copy", 60) == received[-1][1]  # subscribers hear it too

    client.send("/distill/continue", "A", 0.5)
    received = addresses_until(client, "/distill/copy")
    order = [address for address, _ in received]
    new_slot = received[order.index("/distill/continued")][1][1]
    assert order.index("/distill/continued") < order.index("/distill/copy")
    assert_sane_copy(loaded, received[-1][1], new_slot, training_files)
    listener.close()


def test_the_reply_never_waits_for_the_copy_check_and_the_training_files_are_encoded_once_per_model(loaded, client, tiny_prior_file, monkeypatch):
    encode_training = TrainingCodes.of.__func__
    release, calls = threading.Event(), []

    def slow(cls, model):
        calls.append(model.name)
        assert release.wait(60), "the test never let the copy check go on"
        return encode_training(cls, model)

    monkeypatch.setattr(TrainingCodes, "of", classmethod(slow))
    source, slot, _, _ = client.request("/distill/continue", "A", 0.3, reply="/distill/continued", timeout=30)  # while the check waits
    release.set()
    assert client.expect("/distill/copy", 60)[0] == slot
    client.request("/distill/reimagine", "A", 0, 2, reply="/distill/reimagined", timeout=60)
    assert client.expect("/distill/copy", 60)[0] == "A"
    assert calls == ["tiny"]  # kept for the second check
    loaded.load_model(str(tiny_prior_file))  # a model load drops them
    client.request("/distill/continue", slot, 0.3, reply="/distill/continued", timeout=60)
    assert client.expect("/distill/copy", 60)
    assert calls == ["tiny", "tiny"]


def test_an_encoded_training_file_copies_itself_whole(loaded, sound_folder, tiny_prior_file):
    name = read_model_metadata(tiny_prior_file)["dataset"]["train_files"][0]
    loaded.encode("T", str(sound_folder / name)).result(timeout=60)
    checked = loaded.check_copy("T").result(timeout=60)
    assert isinstance(checked, CopyChecked) and (checked.slot, checked.columns, checked.file) == ("T", loaded.grid("T").columns, name)


def test_without_the_training_files_copies_are_said_to_be_unavailable_once(engine, client, tiny_prior_file, sound_folder, tmp_path):
    moved = shutil.copy(tiny_prior_file, tmp_path / f"moved{tiny_prior_file.suffix}")
    metadata = read_model_metadata(moved)
    update_model_metadata(moved, {**metadata, "dataset": {**metadata["dataset"], "folder": str(tmp_path / "gone")}})
    engine.load_model(str(moved))
    client.request("/distill/encode", "A", str(sorted(sound_folder.glob("*.wav"))[0]), reply="/distill/encoded", timeout=60)
    client.request("/distill/continue", "A", 0.3, reply="/distill/continued", timeout=60)
    (reason,) = client.expect("/distill/copy/unavailable", 60)
    assert "training files of model" in reason and "not at hand" in reason and "gone" in reason
    client.request("/distill/continue", "A", 0.3, reply="/distill/continued", timeout=60)
    client.request("/distill/decode", "A", reply="/distill/decoded", timeout=60)  # queued after that check: it has ended
    assert not [address for address, _ in client.pending if address.startswith("/distill/copy")]  # said once, not per request
