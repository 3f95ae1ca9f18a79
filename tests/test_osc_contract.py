"""The OSC addresses the TUI drives: library, training options and runs, health usage, presets, history, slots.

A real server on a loopback port and the real `OscClient`, real model files and sound folders; numbers are
sent as floats where Pd would, and every failure is checked to answer `/distill/error` and leave the server
answering.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from pythonosc.osc_message import OscMessage
from pythonosc.parsing import osc_types

from engine import __version__
from engine.core import Engine
from engine.training.runs import TrainOptions
from engine.generation.settings import GenerationSettings
from engine.library import Library
from engine.modelfile import read_model_metadata, update_model_metadata
from engine.osc import args as osc_args
from engine.osc.client import OscClient, OscErrorReply
from engine.osc.messages import MAX_REPLY_BYTES, MAX_TEXT_BYTES
from engine.store import History, Presets

TINY_PRIOR = {"context": 16, "d_model": 32, "n_layers": 1, "variants": 1, "seed": 1}  # as small as the fixture's prior
OPTION_TYPES = {"levels": int, "codebook_size": int, "codebook_dim": int, "commitment_weight": float, "hidden": int, "minutes": float, "seed": int, "waveform_head": int}


@pytest.fixture
def engine(home, tmp_path):
    engine = Engine(out_dir=tmp_path / "out")
    yield engine
    engine.shutdown()


@pytest.fixture
def listener(server):
    """A subscriber: it receives every event."""
    listener = OscClient(server.address)
    listener.request("/distill/subscribe", reply="/distill/subscribed")
    yield listener
    listener.close()


@pytest.fixture
def library(home, tiny_model_file, tiny_prior_file) -> Library:
    """The library with 'tiny' (with a prior) and 'bare' (the same VQ-VAE, no prior)."""
    library = Library()
    library.import_file(tiny_prior_file, name="tiny")
    library.import_file(tiny_model_file, name="bare")
    return library


def error_of(client, address, *values, timeout=10.0) -> str:
    """Send a request that must fail; its message (the echoed address checked), then check the server still answers."""
    client.send(address, *values)
    echoed, message = client.expect("/distill/error", timeout)
    assert echoed == address
    assert client.request("/distill/ping", reply="/distill/pong")[0] == __version__
    return message


def until(client, end: str, timeout=10.0, prefix: str | tuple[str, ...] = "/distill/") -> list[tuple[str, list]]:
    """The messages whose address starts with `prefix` (or one of them), up to and including the first `end`;
    an error raises."""
    messages = []
    while True:
        address, values = client.receive(timeout)
        if address == "/distill/error":
            raise OscErrorReply(" ".join(str(v) for v in values))
        if address.startswith(prefix):
            messages.append((address, values))
        if address == end:
            return messages


def drain(client) -> None:
    """Drop every message received so far."""
    client.pending.clear()
    while True:
        try:
            client.receive(0.2)
        except TimeoutError:
            return


def type_tags(data: bytes) -> str:
    """The type tag string of a raw OSC message."""
    _, index = osc_types.get_string(data, 0)
    return osc_types.get_string(data, index)[0]


# -- library -------------------------------------------------------------------------------------------------


def test_model_search_pages_names_and_an_empty_query_lists_all(library, client, tiny_model_file):
    library.set_description("tiny", "punchy drum hits")
    library.edit_tags("bare", add=["pads", "slow"])
    for index in range(30):  # enough long names for two pages
        library.import_file(tiny_model_file, name=f"a-model-with-a-rather-long-name-{index:02d}")
    client.send("/distill/model/search", "")
    messages = until(client, "/distill/model/search/end")
    pages = [values for address, values in messages if address == "/distill/model/search"]
    assert len(pages) >= 2 and all(len(osc_args.build("/distill/model/search", page)) <= MAX_REPLY_BYTES for page in pages)
    assert sorted(name for page in pages for name in page) == sorted(entry.name for entry in library.list())
    assert messages[-1] == ("/distill/model/search/end", [32])
    assert client.request("/distill/model/search", "drum", reply="/distill/model/search") == ["tiny"]
    assert client.expect("/distill/model/search/end") == [1]
    assert client.request("/distill/model/search", "slow pad", reply="/distill/model/search") == ["bare"]
    assert client.expect("/distill/model/search/end") == [1]
    client.send("/distill/model/search", "nothing-matches-this")
    assert until(client, "/distill/model/search/end") == [("/distill/model/search/end", [0])]


def test_model_info_reports_each_recorded_fact_with_its_type(library, client, sound_folder):
    client.send("/distill/model/info", "tiny")
    messages = until(client, "/distill/model/info/end")
    assert messages[-1] == ("/distill/model/info/end", ["tiny"])
    assert all(address == "/distill/model/info" and values[0] == "tiny" for address, values in messages[:-1])
    facts = {values[1]: values[2] for _, values in messages[:-1]}
    types = {
        "created": str, "description": str, "tags": str, "levels": int, "codebook_size": int, "codebook_dim": int, "hidden": int,
        "sample_rate": int, "files": int, "duration_s": float, "size_bytes": int, "has_prior": int, "health": str,
        "dataset": str, "epochs": int, "best_val_l1": float, "prior_val_perplexity": str,
    }
    assert list(facts) == list(types)  # every fact is recorded for a trained model with a prior, in this order
    assert {key: type(value) for key, value in facts.items()} == types
    entry = library.get("tiny")
    assert (facts["levels"], facts["codebook_size"], facts["codebook_dim"], facts["hidden"]) == (3, 16, 16, 32)
    assert (facts["files"], facts["has_prior"], facts["epochs"], facts["size_bytes"]) == (8, 1, 2, entry.size_bytes)
    assert Path(facts["dataset"]) == sound_folder.resolve() and facts["health"] == entry.health_summary
    assert facts["best_val_l1"] == pytest.approx(entry.metadata["training"]["best_val_l1"], rel=1e-6)
    perplexities = [float(p) for p in facts["prior_val_perplexity"].split(",")]
    assert perplexities == pytest.approx(entry.metadata["prior"]["val_perplexity"], rel=1e-3) and len(perplexities) == 3

    library.set_description("bare", "long " * 400)  # 2000 bytes: cut to fit one message
    library.edit_tags("bare", add=["kick", "snare"])
    client.send("/distill/model/info", "bare")
    facts = {values[1]: values[2] for address, values in until(client, "/distill/model/info/end")[:-1]}
    assert facts["has_prior"] == 0 and "prior_val_perplexity" not in facts and facts["tags"] == "kick,snare"
    assert facts["description"].endswith("…") and len(facts["description"].encode()) <= MAX_TEXT_BYTES
    assert "no model named 'nope'" in error_of(client, "/distill/model/info", "nope")
    assert "must be text" in error_of(client, "/distill/model/info", 3.0)


def test_rename_and_delete_are_events_and_the_loaded_model_follows(library, engine, client, listener):
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    assert listener.expect("/distill/model/loaded", 30)[0] == "tiny"
    assert client.request("/distill/model/rename", "tiny", "tiny-2", reply="/distill/model/renamed") == ["tiny", "tiny-2"]
    assert listener.expect("/distill/model/renamed") == ["tiny", "tiny-2"]
    assert engine.model.name == "tiny-2" and engine.model.path == library.get("tiny-2").path and engine.model.path.is_file()
    assert read_model_metadata(engine.model.path)["name"] == "tiny-2"
    path, _, _ = client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)
    assert Path(path).name.startswith("tiny-2_")
    client.send("/distill/history/list", 1)
    assert until(client, "/distill/history/list/end")[0][1][2] == "tiny-2"  # the history names the new name

    assert "no model named 'tiny'" in error_of(client, "/distill/model/rename", "tiny", "other")
    assert "already in the library" in error_of(client, "/distill/model/rename", "tiny-2", "bare")
    assert "not a valid model name" in error_of(client, "/distill/model/rename", "bare", "../escape")

    assert client.request("/distill/model/delete", "tiny-2", reply="/distill/model/deleted") == ["tiny-2"]
    assert listener.expect("/distill/model/deleted") == ["tiny-2"]
    assert "tiny-2" not in engine.list_models() and engine.model.name == "tiny-2"  # still loaded in memory
    client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)
    assert "no model named 'tiny-2'" in error_of(client, "/distill/model/delete", "tiny-2")
    with pytest.raises(TimeoutError):
        listener.expect("/distill/model/renamed", timeout=0.2)  # failures announce nothing


def test_tags_and_description_are_set_over_osc_and_shown_by_info(library, engine, client):
    assert client.request("/distill/model/tag", "BARE", "vinyl", "Dusty", reply="/distill/model/tags") == ["bare", "vinyl,Dusty"]
    assert client.request("/distill/model/tag", "bare", "dusty", "lofi", reply="/distill/model/tags") == ["bare", "vinyl,Dusty,lofi"]
    assert client.request("/distill/model/untag", "bare", "vinyl", reply="/distill/model/tags") == ["bare", "Dusty,lofi"]
    assert client.request("/distill/model/describe", "bare", " tape hiss ", reply="/distill/model/described") == ["bare", "tape hiss"]
    entry = library.get("bare")
    assert (entry.tags, entry.description) == (["Dusty", "lofi"], "tape hiss")  # written into the file
    client.send("/distill/model/info", "bare")
    facts = {values[1]: values[2] for address, values in until(client, "/distill/model/info/end")[:-1]}
    assert (facts["tags"], facts["description"]) == ("Dusty,lofi", "tape hiss")
    assert engine.search_models("lofi") == ["bare"]

    assert error_of(client, "/distill/model/untag", "bare", "vinyl") == "model 'bare' has no tag 'vinyl' (its tags: Dusty, lofi)"
    assert "is not a usable tag" in error_of(client, "/distill/model/tag", "bare", "a,b")
    assert "at most 2000 characters" in error_of(client, "/distill/model/describe", "bare", "x" * 2001)
    assert "did you mean 'bare'" in error_of(client, "/distill/model/tag", "baer", "x")
    assert "must be text" in error_of(client, "/distill/model/tag", "bare", 3.0)
    assert library.get("bare").tags == ["Dusty", "lofi"]


# -- training options --------------------------------------------------------------------------------------------


def test_train_options_hold_report_and_validate(engine, client, listener):
    client.send("/distill/train/options")
    reported = {values[0]: values[1] for values in (client.expect("/distill/train/option") for _ in OPTION_TYPES)}
    assert reported == asdict(TrainOptions()) and {k: type(v) for k, v in reported.items()} == OPTION_TYPES
    assert client.request("/distill/train/option", "levels", 2.0, reply="/distill/train/option") == ["levels", 2]  # Pd float
    assert listener.expect("/distill/train/option") == ["levels", 2]
    (key, value) = client.request("/distill/train/option", "commitment_weight", 0.5, reply="/distill/train/option")
    assert (key, value, type(value)) == ("commitment_weight", 0.5, float)
    assert client.request("/distill/train/option", "codebook_size", 0, reply="/distill/train/option") == ["codebook_size", 0]
    assert client.request("/distill/train/option", "levels", reply="/distill/train/option") == ["levels", 2]
    assert engine.train_options.levels == 2

    assert "levels must be a whole number from 2 to 4, not 5" in error_of(client, "/distill/train/option", "levels", 5.0)
    assert "levels must be a whole number from 2 to 4, not 2.5" in error_of(client, "/distill/train/option", "levels", 2.5)
    assert "0 (adapt to the dataset) or a whole number from 2 to 4096, not 1" in error_of(client, "/distill/train/option", "codebook_size", 1)
    assert "minutes must be a number from 0 (the default budget) to 1440" in error_of(client, "/distill/train/option", "minutes", -1.0)
    assert "hidden must be a whole number from 8 to 1024" in error_of(client, "/distill/train/option", "hidden", 4096)
    assert "unknown training option 'volume'" in error_of(client, "/distill/train/option", "volume", 1)
    assert "unknown training option 'volume'" in error_of(client, "/distill/train/option", "volume")
    assert "must be a number" in error_of(client, "/distill/train/option", "levels", "three")
    assert "waveform_head must be a whole number from 0 to 1, not 2" in error_of(client, "/distill/train/option", "waveform_head", 2)
    assert engine.train_options == replace_options(levels=2, commitment_weight=0.5)  # refused values changed nothing


def test_a_subscribed_sender_gets_an_announced_reply_once(library, listener):
    for request in (("/distill/train/option", "seed", 3.0), ("/distill/preset/save", "once"), ("/distill/model/rename", "bare", "bare-2")):
        listener.send(*request)
        reply = {"/distill/train/option": "/distill/train/option", "/distill/preset/save": "/distill/preset/saved", "/distill/model/rename": "/distill/model/renamed"}[request[0]]
        assert listener.expect(reply)
        with pytest.raises(TimeoutError):
            listener.expect(reply, timeout=0.3)


def test_training_progress_is_the_larger_share_of_the_budget():
    from engine.training.runs import Budget

    assert Budget().fraction(3, 100.0) == 0.0
    assert Budget(epochs=4).fraction(1, 1000.0) == 0.25
    assert Budget(minutes=2.0).fraction(1, 30.0) == 0.25
    assert Budget(epochs=4, minutes=2.0).fraction(1, 90.0) == 0.75
    assert Budget(epochs=4).fraction(5, 0.0) == 1.0


def replace_options(**changes) -> TrainOptions:
    return TrainOptions(**{**asdict(TrainOptions()), **changes})


def test_train_option_defaults_match_the_trainer():
    from engine.training.trainer import TrainRequest

    request = {f.name: f.default for f in fields(TrainRequest)}
    options = TrainOptions().request_fields()
    assert all(options[key] == request[key] for key in options)


def test_train_defaults_count_usable_sound_files_and_keep_the_seed(engine, client, listener, sound_folder, tmp_path):
    folder = tmp_path / "kit"
    (folder / "sub").mkdir(parents=True)
    wavs = sorted(sound_folder.glob("*.wav"))
    for wav in wavs[:2]:
        shutil.copy(wav, folder / wav.name)
    shutil.copy(wavs[2], folder / "sub" / wavs[2].name)
    (folder / "broken.wav").write_bytes(b"not a sound")
    sf.write(folder / "silent.wav", np.zeros(44100, dtype=np.float32), 44100)  # readable, but training skips it
    (folder / "notes.txt").write_text("not a sound either")
    (folder / ".hidden.wav").write_bytes(b"hidden")
    client.request("/distill/train/option", "seed", 7.0, reply="/distill/train/option")
    client.request("/distill/train/option", "hidden", 32, reply="/distill/train/option")
    client.request("/distill/train/option", "waveform_head", 1, reply="/distill/train/option")  # kept, like the seed
    for _ in range(3):
        listener.expect("/distill/train/option")

    client.send("/distill/train/defaults", str(folder))
    messages = until(client, "/distill/train/defaults")
    assert messages[-1] == ("/distill/train/defaults", [str(folder), 3])
    answered = dict(values for _, values in messages[:-1])
    expected = {"levels": 3, "codebook_size": 64, "codebook_dim": 128, "commitment_weight": 0.25, "hidden": 256, "minutes": 10.0, "seed": 7, "waveform_head": 1}
    assert answered == expected and asdict(engine.train_options) == expected
    announced = dict(listener.expect("/distill/train/option") for _ in expected)
    assert announced == expected

    assert "does not exist" in error_of(client, "/distill/train/defaults", str(tmp_path / "missing"))
    assert "name the dataset folder" in error_of(client, "/distill/train/defaults", "")
    assert "cannot be a dataset folder" in error_of(client, "/distill/train/defaults", "x" * 2000)


@pytest.mark.parametrize("path, reason", [("n" * 5000, "File name too long"), ("/tmp/" + "d" * 300 + "/x", "File name too long")])
def test_paths_no_file_can_have_are_refused_in_one_sentence_by_every_route_that_takes_one(engine, library, client, path, reason):
    # A name too long for the file system made /distill/model/load and /distill/encode an internal error
    # (OSError from pathlib's is_file) (issue 16 probes).
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=60)
    shown = path[:79] + "…"
    assert error_of(client, "/distill/model/load", path) == f"'{shown}' cannot be a model file or name ({reason})"
    assert error_of(client, "/distill/encode", "A", path, timeout=30) == f"'{shown}' cannot be read as a sound ({reason})"
    assert error_of(client, "/distill/train/defaults", path) == f"'{shown}' cannot be a dataset folder ({reason})"
    assert error_of(client, "/distill/train/start", path, "never") == f"'{shown}' cannot be a dataset folder ({reason})"


def test_a_home_folder_of_an_unknown_user_is_a_path_that_does_not_exist(engine, library, client):
    # pathlib's expanduser raised RuntimeError for ~nosuchuser: an internal error (issue 16 probes).
    assert "neither a model file nor a model in the library" in error_of(client, "/distill/model/load", "~nosuchuser/x.sda")
    assert "does not exist" in error_of(client, "/distill/train/defaults", "~nosuchuser/sounds")


# -- training runs -----------------------------------------------------------------------------------------------


def test_vqvae_training_uses_the_options_and_reports_levels_and_warnings(engine, library, client, listener, sound_folder):
    for key, value in (("levels", 2.0), ("codebook_size", 100.0), ("codebook_dim", 16.0), ("hidden", 16.0), ("minutes", 30.0)):
        client.request("/distill/train/option", key, value, reply="/distill/train/option")
    # the minutes argument (0.3 s) overrides the option (30 minutes)
    assert client.request("/distill/train/start", str(sound_folder), "fresh", 0.005, reply="/distill/train/started") == ["fresh"]
    assert "already going" in error_of(client, "/distill/train/start", str(sound_folder), "other")
    assert "already going" in error_of(client, "/distill/prior/train/start", "tiny")
    messages = until(listener, "/distill/train/done", timeout=120, prefix="/distill/train/")
    addresses = [address for address, _ in messages if address != "/distill/train/option"]
    assert addresses[0] == "/distill/train/started" and addresses[-1] == "/distill/train/done"
    assert messages[-1][1] == ["fresh", 0]
    progress = [values for address, values in messages if address == "/distill/train/progress"]
    assert len(progress) == 1  # one (shortened) epoch in 0.3 s
    epoch, loss, seconds, val_l1, fraction, best, phase = progress[0]
    assert (epoch, best, phase) == (1, 1, "spectral") and loss > 0 and seconds >= 0.3 and val_l1 > 0 and fraction == pytest.approx(1.0)
    levels = [values for address, values in messages if address == "/distill/train/level"]
    assert [v[:3] for v in levels] == [[1, 0, "Structure"], [1, 1, "Detail"]]
    for _, _, _, utilisation, perplexity, dead, status, light in levels:
        assert 0 <= utilisation <= 1 and perplexity >= 0 and 0 <= dead <= 100 and light in ("green", "yellow", "red") and status
    warnings = [values[0] for address, values in messages if address == "/distill/train/warning"]
    assert len(warnings) == sum(1 for level in levels if level[3] < 0.3) and all("codebook collapse" in w for w in warnings)
    # in order: progress, its levels, its warnings, then done
    assert addresses == ["/distill/train/started", "/distill/train/progress", *["/distill/train/level"] * 2, *["/distill/train/warning"] * len(warnings), "/distill/train/done"]

    entry = library.get("fresh")
    assert (entry.levels, entry.codebook_size, entry.metadata["config"]["hidden"]) == (2, 100, 16)
    assert entry.metadata["train_config"]["minutes"] == pytest.approx(0.005)

    # the new model's usage counts, paged by 64
    client.request("/distill/model/load", "fresh", reply="/distill/model/loaded", timeout=30)
    client.send("/distill/health/usage", 0.0)
    messages = until(client, "/distill/health/usage/end")
    assert [values[:2] for _, values in messages[:-1]] == [[0, 0], [0, 64]] and messages[-1][1] == [0, 100]
    counts = messages[0][1][2:] + messages[1][1][2:]
    assert counts == entry.metadata["health"]["usage"][0] and sum(counts) > 0


def test_training_errors_are_answered(engine, library, client, sound_folder):
    assert "does not exist" in error_of(client, "/distill/train/start", "/no/such/folder", "x")
    assert "not a valid model name" in error_of(client, "/distill/train/start", str(sound_folder), "../x")
    assert "training minutes must be 0" in error_of(client, "/distill/train/start", str(sound_folder), "x", -2.0)
    assert "neither a model file nor a model" in error_of(client, "/distill/prior/train/start", "nope")
    assert "cannot be a model file or name (File name too long)" in error_of(client, "/distill/prior/train/start", "x" * 2000)
    assert "damaged or not a model file" in error_of(client, "/distill/prior/train/start", str(next(sound_folder.glob("*.wav"))))
    assert "no training run" in error_of(client, "/distill/train/stop")
    assert "no training run" in error_of(client, "/distill/prior/train/stop")
    assert not engine.training


def test_prior_training_reloads_the_loaded_model_and_stops_on_request(engine, library, client, listener, monkeypatch):
    original = engine.prior_train_start
    epochs = {"value": 1}
    monkeypatch.setattr(engine, "prior_train_start", lambda model, minutes, restart: original(model, minutes, restart, epochs=epochs["value"], **TINY_PRIOR))
    assert client.request("/distill/model/load", "bare", reply="/distill/model/loaded", timeout=30)[4] == 0
    listener.expect("/distill/model/loaded", 30)
    assert "has no prior yet" in error_of(client, "/distill/generate", 0.3)

    assert client.request("/distill/prior/train/start", "bare", reply="/distill/prior/train/started") == ["bare"]
    messages = until(listener, "/distill/prior/train/done", timeout=120, prefix=("/distill/prior/train/", "/distill/model/loaded"))
    addresses = [address for address, _ in messages]
    assert addresses[0] == "/distill/prior/train/started" and messages[-1] == ("/distill/prior/train/done", ["bare", 0])
    epoch, train_loss, val_loss, seconds, fraction, best = next(v for a, v in messages if a == "/distill/prior/train/progress")
    assert (epoch, best, fraction) == (1, 1, 1.0) and train_loss > 0 and val_loss > 0 and seconds > 0
    levels = [values for address, values in messages if address == "/distill/prior/train/level"]
    assert [v[:3] for v in levels] == [[1, 0, "Structure"], [1, 1, "Timbre"], [1, 2, "Detail"]]
    saved = library.get("bare").metadata["prior"]
    assert [level[3] for level in levels] == pytest.approx(saved["train_perplexity"], rel=1e-6)  # the best epoch's
    assert [level[4] for level in levels] == pytest.approx(saved["val_perplexity"], rel=1e-6)
    loaded = [values for address, values in messages if address == "/distill/model/loaded"]
    assert loaded == [["bare", 3, 16, engine.model.sample_rate, 1, engine.model.samples_per_column]]  # reloaded with its prior before done
    assert addresses.index("/distill/model/loaded") < addresses.index("/distill/prior/train/done")
    client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)

    # a second prior is refused without restart (in the training thread: subscribers learn it)
    client.request("/distill/prior/train/start", "bare", reply="/distill/prior/train/started")
    echoed, message = listener.expect("/distill/error", 60)
    assert echoed == "/distill/prior/train" and "--restart" in message

    # restart, then stop after the first epoch: the best weights so far are kept
    epochs["value"] = 50
    assert client.request("/distill/prior/train/start", "bare", 0.0, 1.0, reply="/distill/prior/train/started") == ["bare"]
    assert listener.expect("/distill/prior/train/progress", 120)[0] == 1
    assert client.request("/distill/prior/train/stop", reply="/distill/prior/train/stopping") == []
    assert listener.expect("/distill/prior/train/done", 120) == ["bare", 1]
    assert library.get("bare").metadata["prior"]["stopped"] is True
    assert client.request("/distill/ping", reply="/distill/pong")[0] == __version__


# -- health ------------------------------------------------------------------------------------------------------


def test_health_usage_by_index_or_label_and_its_errors(library, engine, client):
    assert "no model is loaded" in error_of(client, "/distill/health/usage", 0)
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    usage = library.get("tiny").metadata["health"]["usage"]
    for level, index in (("timbre", 1), (2.0, 2)):
        client.send("/distill/health/usage", level)
        messages = until(client, "/distill/health/usage/end")
        assert messages == [("/distill/health/usage", [index, 0, *usage[index]]), ("/distill/health/usage/end", [index, 16])]
    assert "level 7 does not exist" in error_of(client, "/distill/health/usage", 7)
    assert "level 'loud' does not exist" in error_of(client, "/distill/health/usage", "loud")

    path = library.get("bare").path
    metadata = read_model_metadata(path)
    update_model_metadata(path, {**metadata, "health": {"levels": metadata["health"]["levels"]}})
    client.request("/distill/model/load", "bare", reply="/distill/model/loaded", timeout=30)
    assert "has no code usage recorded" in error_of(client, "/distill/health/usage", 0)


# -- presets and history -----------------------------------------------------------------------------------------


def test_presets_save_list_load_delete(library, engine, client, listener):
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    for name, value in (("temperature", 0.75), ("top_k", 8.0), ("top_p", 0.5), ("duration", 2.0)):
        client.request(f"/distill/param/{name}", value, reply=f"/distill/param/{name}")
    assert client.request("/distill/preset/save", "warm", reply="/distill/preset/saved") == ["warm"]
    assert listener.expect("/distill/preset/saved") == ["warm"]
    client.request("/distill/param/temperature", 1.5, reply="/distill/param/temperature")
    client.request("/distill/param/top_k", 0, reply="/distill/param/top_k")
    assert client.request("/distill/preset/save", "hot", reply="/distill/preset/saved") == ["hot"]

    client.send("/distill/preset/list")
    messages = until(client, "/distill/preset/list/end")
    assert messages == [
        ("/distill/preset", ["hot", 1.5, 0, 0.5, 2.0]),
        ("/distill/preset", ["warm", 0.75, 8, 0.5, 2.0]),
        ("/distill/preset/list/end", [2]),
    ]
    assert [type(v) for v in messages[0][1]] == [str, float, int, float, float]

    drain(listener)
    client.send("/distill/preset/load", "WARM")  # names are case-blind
    messages = until(client, "/distill/preset/loaded")
    assert messages == [
        ("/distill/param/temperature", [0.75]), ("/distill/param/top_k", [8]), ("/distill/param/top_p", [0.5]),
        ("/distill/param/duration", [2.0]), ("/distill/preset/loaded", ["warm"]),
    ]
    assert until(listener, "/distill/param/duration") == messages[:4]
    assert (engine.params.temperature, engine.params.top_k) == (0.75, 8)

    # a preset whose top-k the loaded model cannot take changes nothing
    client.request("/distill/param/top_k", 0, reply="/distill/param/top_k")
    Presets(library.db_path).save("wide", GenerationSettings(temperature=0.1, top_k=400))
    assert "top-k must be at most 16" in error_of(client, "/distill/preset/load", "wide")
    assert (engine.params.temperature, engine.params.top_k) == (0.75, 0)

    assert client.request("/distill/preset/delete", "hot", reply="/distill/preset/deleted") == ["hot"]
    assert until(listener, "/distill/preset/deleted")[-1] == ("/distill/preset/deleted", ["hot"])
    assert "no preset named 'hot'" in error_of(client, "/distill/preset/delete", "hot")
    assert "no preset named 'cold'" in error_of(client, "/distill/preset/load", "cold")
    assert "not a valid preset name" in error_of(client, "/distill/preset/save", "../x")


def test_history_lists_newest_first_and_replays_the_same_sound(library, engine, client, listener, tmp_path):
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    client.send("/distill/history/list")
    assert until(client, "/distill/history/list/end") == [("/distill/history/list/end", [0])]
    first, _, _ = client.request("/distill/generate", 0.3, 12.0, reply="/distill/generated", timeout=60)
    second, _, _ = client.request("/distill/generate", 0.4, 13.0, reply="/distill/generated", timeout=60)
    client.send("/distill/history/list")
    messages = until(client, "/distill/history/list/end")
    assert messages[-1] == ("/distill/history/list/end", [2])
    (newest, oldest) = [values for _, values in messages[:-1]]
    record_id, created, model, seed, duration, temperature, top_k, top_p, path = oldest
    assert (model, seed, top_k, path) == ("tiny", 12, 0, first) and newest[0] == record_id + 1 and newest[8] == second
    assert duration == pytest.approx(0.3) and temperature == 1.0 and top_p == 1.0 and created.startswith("20")
    assert [type(v) for v in oldest] == [int, str, str, int, float, float, int, float, str]
    client.send("/distill/history/list", 1.0)  # Pd float
    assert [values[0] for _, values in until(client, "/distill/history/list/end")[:-1]] == [newest[0]]

    drain(listener)
    replayed, duration, seed = client.request("/distill/history/replay", float(record_id), reply="/distill/generated", timeout=60)
    assert (duration, seed) == (pytest.approx(0.3), 12) and replayed != first and Path(replayed).parent == tmp_path / "out"
    assert listener.expect("/distill/generated", 60)[0] == replayed
    assert np.array_equal(sf.read(first)[0], sf.read(replayed)[0])

    assert "count must be a whole number from 1 to 1000" in error_of(client, "/distill/history/list", 0)
    assert "no generation #999" in error_of(client, "/distill/history/replay", 999)
    records = History(library.db_path)
    big = records.get(record_id)
    records.add(model_name="tiny", model_path=big.model_path, model_id=big.model_id, prior_id=big.prior_id, seed=2**40,
                threads=big.threads, settings=big.settings, export=big.export, path=big.path, inversion=big.inversion)
    client.send("/distill/history/list", 1)
    assert until(client, "/distill/history/list/end")[0][1][3] == str(2**40)  # beyond 32 bits: as text
    assert "beyond the engine's" in error_of(client, "/distill/history/replay", record_id + 3)

    # a sound whose model is gone cannot be made again
    library.import_file(library.get("tiny").path, name="gone")
    client.request("/distill/model/load", "gone", reply="/distill/model/loaded", timeout=30)
    client.request("/distill/generate", 0.3, reply="/distill/generated", timeout=60)
    gone_id = engine.generations(1)[0].id
    client.request("/distill/model/delete", "gone", reply="/distill/model/deleted")
    assert "'gone' is neither a model file nor a model" in error_of(client, "/distill/history/replay", gone_id, timeout=60)


# -- slots and message shapes --------------------------------------------------------------------------------------


def test_slots_lists_the_filled_slots(library, engine, client, sound_folder):
    assert client.request("/distill/slots", reply="/distill/slots") == []
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    wavs = sorted(str(p) for p in sound_folder.glob("*.wav"))
    for slot, wav in (("B", wavs[0]), ("A", wavs[1]), (1.0, wavs[2])):  # Pd's 1 is slot "1"
        client.request("/distill/encode", slot, wav, reply="/distill/encoded", timeout=30)
    assert sorted(client.request("/distill/slots", reply="/distill/slots")) == ["1", "A", "B"]
    assert "expects no arguments" in error_of(client, "/distill/slots", "A")


def test_new_replies_use_only_i_f_s_and_fit_a_datagram(library, engine, client):
    """Raw replies of the new list-like addresses carry only i, f and s tags and stay under MAX_REPLY_BYTES."""
    library.set_description("tiny", "é" * 1000)
    client.request("/distill/model/load", "tiny", reply="/distill/model/loaded", timeout=30)
    client.request("/distill/preset/save", "p" * 64, reply="/distill/preset/saved")
    client.request("/distill/generate", 0.2, reply="/distill/generated", timeout=60)
    requests = [
        ("/distill/model/search", ""), ("/distill/model/info", "tiny"), ("/distill/train/options",), ("/distill/preset/list",),
        ("/distill/history/list",), ("/distill/health/usage", 0), ("/distill/slots",), ("/distill/train/option", "levels", 9),
    ]
    for request in requests:
        client.send(*request)
    ends = {"/distill/model/search/end", "/distill/model/info/end", "/distill/preset/list/end", "/distill/history/list/end", "/distill/health/usage/end", "/distill/slots", "/distill/error"}
    client.socket.settimeout(10)
    seen = set()
    while not ends <= seen:
        data = client.socket.recv(65536)
        seen.add(OscMessage(data).address)
        assert re.fullmatch(r",[ifs]*", type_tags(data)), type_tags(data)
        assert len(data) <= MAX_REPLY_BYTES
    assert "/distill/train/option" in seen
