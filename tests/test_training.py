"""Real (tiny) training runs on synthesised audio: learning, saving, determinism, stop and resume."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.errors import DatasetError, DistillError
from engine.library import Library
from engine.model.persist import load_vqvae
from engine.modelfile import read_model_metadata
from engine.prior.bundle import load_prior
from engine.prior.train import PriorTrainRequest, train_prior
from engine.training.checkpoint import checkpoint_path
from engine.training.trainer import EpochReport, Trainer, TrainingFinished, TrainingStarted, TrainRequest, train


def tiny_request(folder, name="tiny", **overrides) -> TrainRequest:
    settings = dict(dataset=folder, name=name, codebook_size=16, codebook_dim=16, hidden=32, epochs=3, device="cpu", seed=1)
    settings.update(overrides)
    return TrainRequest(**settings)


def weights(name: str) -> dict:
    return load_vqvae(Library().resolve(name)).model.state_dict()


def test_training_lowers_loss_saves_and_reloads_identically(home, sound_folder):
    events = []
    result = train(tiny_request(sound_folder, epochs=4), on_event=events.append)
    started = [e for e in events if isinstance(e, TrainingStarted)]
    epochs = [e for e in events if isinstance(e, EpochReport)]
    assert len(started) == 1 and started[0].train_files + started[0].val_files == 8
    assert [e.epoch for e in epochs] == [1, 2, 3, 4]
    assert epochs[-1].train_loss < epochs[0].train_loss
    assert min(e.val_l1 for e in epochs) < epochs[0].val_l1 or epochs[0].best
    assert isinstance(events[-1], TrainingFinished) and events[-1].path == result.path
    assert all(len(e.health) == 3 for e in epochs)

    entry = Library().get("tiny")
    assert entry.levels == 3 and entry.codebook_size == 16 and not entry.has_prior
    meta = entry.metadata
    assert meta["training"]["best_epoch"] == result.best_epoch
    assert len(meta["training"]["history"]) == 4
    assert sorted(meta["dataset"]["train_files"] + meta["dataset"]["val_files"]) == sorted(meta["dataset"]["files"])
    assert set(meta["dataset"]["train_files"]).isdisjoint(meta["dataset"]["val_files"])
    assert len(meta["health"]["usage"]) == 3 and len(meta["health"]["usage"][0]) == 16

    # a saved and reloaded model gives identical codes and output
    a, b = load_vqvae(result.path), load_vqvae(result.path)
    mel = torch.randn(1, 1, 128, 77) * 3 - 6
    ra, ia, _ = a.model(mel)
    rb, ib, _ = b.model(mel)
    assert torch.equal(ia, ib) and torch.equal(ra, rb)


def test_same_seed_same_model_on_cpu(home, sound_folder):
    train(tiny_request(sound_folder, name="a", epochs=2))
    train(tiny_request(sound_folder, name="b", epochs=2))
    train(tiny_request(sound_folder, name="c", epochs=2, seed=2))
    wa, wb, wc = weights("a"), weights("b"), weights("c")
    assert all(torch.equal(wa[k], wb[k]) for k in wa)
    assert not all(torch.equal(wa[k], wc[k]) for k in wa)


def test_resume_after_a_stop_mid_epoch_continues_exactly(home, sound_folder, stop_after_steps):
    """Stopped partway through epoch 2 and resumed, the run ends with the same weights as an unbroken one."""
    train(tiny_request(sound_folder, name="straight", epochs=3))

    request = tiny_request(sound_folder, name="broken", epochs=3)
    stopped = Trainer(request, stop=stop_after_steps(40)).run()  # 25 steps per epoch: stops inside epoch 2
    assert stopped.stopped and stopped.epochs == 1
    assert checkpoint_path("broken").exists()
    Library().delete("broken")  # as if the process had died before saving: only the checkpoint is left
    resumed = train(tiny_request(sound_folder, name="broken", epochs=3, resume=True))
    assert resumed.epochs == 3 and not resumed.stopped

    ws, wr = weights("straight"), weights("broken")
    assert all(torch.equal(ws[k], wr[k]) for k in ws)
    history = Library().get("broken").metadata["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_resume_extends_a_finished_run(home, sound_folder):
    train(tiny_request(sound_folder, epochs=1))
    Library().delete("tiny")
    more = train(tiny_request(sound_folder, epochs=2, resume=True))
    assert more.epochs == 2


def test_minutes_budget_is_respected(home, sound_folder):
    result = train(tiny_request(sound_folder, epochs=None, minutes=0.05))
    assert result.epochs >= 1
    assert result.seconds < 0.05 * 60 + 10  # stops within one epoch after the budget


def test_stop_before_first_epoch_saves_nothing_but_can_resume(home, sound_folder):
    stop = threading.Event()
    stop.set()
    with pytest.raises(DistillError, match="before the first epoch"):
        train(tiny_request(sound_folder), stop=stop)
    assert "tiny" not in {e.name for e in Library().list()}
    assert train(tiny_request(sound_folder, epochs=1, resume=True)).epochs == 1  # as the message promises


def test_names_are_not_overwritten(home, sound_folder):
    train(tiny_request(sound_folder, epochs=1))
    with pytest.raises(DistillError, match="--resume"):
        train(tiny_request(sound_folder, epochs=1))
    with pytest.raises(DistillError, match="nothing to resume"):
        train(tiny_request(sound_folder, name="other", resume=True))


def test_too_few_files_is_a_clear_error(home, tmp_path, sound_folder):
    few = tmp_path / "few"
    few.mkdir()
    for path in sorted(sound_folder.iterdir())[:3]:
        (few / path.name).write_bytes(path.read_bytes())
    with pytest.raises(DatasetError, match="3 usable"):
        train(tiny_request(few))


def test_cuda_request_without_cuda_is_a_clear_error(home, sound_folder):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(DistillError, match="no CUDA device"):
        train(tiny_request(sound_folder, device="cuda"))


def test_learning_rate_warms_up_then_anneals_to_a_tenth():
    from engine.training.trainer import WARMUP, learning_rate

    assert learning_rate(1.0, 0.0) == pytest.approx(0.1)
    assert learning_rate(1.0, WARMUP) == pytest.approx(1.0)
    assert learning_rate(1.0, 1.0) == pytest.approx(0.1)
    after = [learning_rate(1.0, WARMUP + i * (1 - WARMUP) / 50) for i in range(51)]
    assert all(a >= b for a, b in zip(after, after[1:]))


def test_the_last_share_of_the_budget_trains_the_decoder_adversarially_with_codes_frozen(home, sound_folder):
    """4 epochs: the 4th starts past 1 - SHARE, so it is adversarial and starts from the spectral best."""
    events, at_phase_start = [], {}

    def on_event(event):
        events.append(event)
        if isinstance(event, EpochReport) and event.epoch == 3:
            at_phase_start.update(trainer.best_state)  # what the adversarial phase starts from

    trainer = Trainer(tiny_request(sound_folder, epochs=4), on_event=on_event)
    result = trainer.run()
    reports = [e for e in events if isinstance(e, EpochReport)]
    assert [e.phase for e in reports] == ["spectral"] * 3 + ["adversarial"]
    assert reports[-1].best and set(reports[-1].losses) == {"reconstruction", "adversarial", "feature_matching", "discriminator"}
    assert all(e.losses is None for e in reports[:3])
    saved = load_vqvae(result.path).model.state_dict()
    frozen = [k for k in saved if k.startswith(("encoder.", "quantizer."))]
    assert frozen and all(torch.equal(saved[k], at_phase_start[k]) for k in frozen)  # the same codes for every sound
    decoder = [k for k in saved if k.startswith("decoder.") and k.endswith("weight")]
    assert any(not torch.equal(saved[k], at_phase_start[k]) for k in decoder)
    history = Library().get("tiny").metadata["training"]["history"]
    assert [h["phase"] for h in history] == ["spectral"] * 3 + ["adversarial"] and "losses" in history[-1]


def test_resume_inside_the_adversarial_phase_continues_exactly(home, sound_folder, stop_after_steps, monkeypatch):
    """Stopped partway through epoch 4 (adversarial) and resumed, the run ends as an unbroken one does, waveform head included."""
    from engine.training import vocoder

    choose = vocoder.choose_inverter  # both files keep their waveform heads, to compare them
    monkeypatch.setattr(vocoder, "choose_inverter", lambda *args: {**choose(*args), "inverter": "waveform-head"})
    train(tiny_request(sound_folder, name="straight", epochs=4, waveform_head=True))
    stopped = Trainer(tiny_request(sound_folder, name="broken", epochs=4, waveform_head=True), stop=stop_after_steps(90)).run()
    assert stopped.stopped and stopped.epochs == 3  # 25 steps per epoch: stopped inside the 4th
    Library().delete("broken")
    resumed = train(tiny_request(sound_folder, name="broken", epochs=4, resume=True))  # keeps the head without being told
    assert resumed.epochs == 4 and not resumed.stopped
    ws, wr = weights("straight"), weights("broken")
    assert all(torch.equal(ws[k], wr[k]) for k in ws)
    assert Library().get("broken").metadata["training"]["history"][-1]["phase"] == "adversarial"
    hs, hr = (load_vqvae(Library().resolve(name)).head.state_dict() for name in ("straight", "broken"))
    assert all(torch.equal(hs[k], hr[k]) for k in hs)  # the waveform head, trained in both phases, continues exactly too


def when_first(event_type, action):
    """An on_event callback that runs `action()` once, at the first event of `event_type`."""
    done = []

    def on_event(event):
        if isinstance(event, event_type) and not done:
            done.append(True)
            action()

    return on_event


def test_a_model_imported_under_the_name_while_training_is_kept(home, sound_folder, tiny_model_file):
    library = Library()
    imported_id = read_model_metadata(tiny_model_file)["model_id"]
    on_event = when_first(EpochReport, lambda: library.import_file(tiny_model_file, name="dup"))
    result = train(tiny_request(sound_folder, name="dup", epochs=2, seed=5), on_event=on_event)

    assert (result.name, result.path.name) == ("dup-2", "dup-2.sda")
    assert result.notice == "a model named 'dup' came into the library meanwhile and was kept, so this one was saved as 'dup-2'"
    assert library.get("dup").metadata["model_id"] == imported_id  # the import is untouched
    assert library.get("dup-2").metadata["name"] == "dup-2"
    assert library.get("dup-2").metadata["model_id"] != imported_id


def test_a_second_run_of_the_same_name_is_refused_while_the_first_runs(home, sound_folder):
    refused = []

    def start_second():
        with pytest.raises(DistillError, match="a training run named 'dup' is already under way") as error:
            train(tiny_request(sound_folder, name="dup", epochs=1))
        refused.append(error.value)

    first = train(tiny_request(sound_folder, name="dup", epochs=1), on_event=when_first(TrainingStarted, start_second))
    assert refused and first.name == "dup" and first.notice == ""
    assert [entry.name for entry in Library().list()] == ["dup"]


def test_resume_of_a_finished_run_keeps_a_prior(home, sound_folder):
    train(tiny_request(sound_folder, name="t1", epochs=1))
    train_prior(PriorTrainRequest(model="t1", context=16, d_model=32, n_layers=1, epochs=1, device="cpu"))
    with pytest.raises(DistillError, match="'t1' already has a prior, which continued training would leave behind"):
        train(tiny_request(sound_folder, name="t1", epochs=2, resume=True))
    load_prior(load_vqvae(Library().resolve("t1")))  # still there, and still fits


def test_resume_replaces_only_its_own_earlier_result(home, sound_folder, tiny_model_file):
    train(tiny_request(sound_folder, name="t1", epochs=1))
    own = train(tiny_request(sound_folder, name="t1", epochs=2, resume=True))
    assert (own.name, own.notice) == ("t1", "")  # its own result is replaced by the continued run

    library = Library()
    library.delete("t1")
    library.import_file(tiny_model_file, name="t1")  # another model now holds the name
    other = train(tiny_request(sound_folder, name="t1", epochs=3, resume=True))
    assert other.name == "t1-2" and "'t1' came into the library meanwhile" in other.notice
    assert library.get("t1").metadata["model_id"] == read_model_metadata(tiny_model_file)["model_id"]


def test_checkpoints_half_written_by_killed_runs_are_removed_when_a_run_starts(home, sound_folder):
    train(tiny_request(sound_folder, name="killed", epochs=1))
    folder = checkpoint_path("killed").parent
    killed = folder / ".checkpoint.pt.k1ll3d9x.pt"  # what atomic_path leaves when kill -9 hits mid-write
    killed.write_bytes(b"\0" * 4096)
    kept = [folder / ".checkpoint.pt.json", folder / "notes.pt"]  # not of our naming: never touched
    for path in kept:
        path.write_text("mine")
    live = checkpoint_path("live").parent / ".checkpoint.pt.w0rk1ng0.pt"

    def while_live_runs():
        live.write_bytes(b"\0")  # the live run's own write in progress
        train(tiny_request(sound_folder, name="third", epochs=1))

    train(tiny_request(sound_folder, name="live", epochs=1), on_event=when_first(EpochReport, while_live_runs))
    assert not killed.exists() and all(path.exists() for path in kept)
    assert live.exists()  # its run held its lock while the third run started


def test_a_save_that_fails_on_a_full_disk_says_how_to_save_the_run_later(small_disk, fill_disk, monkeypatch, sound_folder):
    monkeypatch.setenv("DISTILL_HOME", str(small_disk / "home"))
    with pytest.raises(DistillError, match=r"cannot be written \(.*\); the checkpoint keeps this training, so run it again with --resume to save it$"):
        train(tiny_request(sound_folder, name="t1", epochs=1), on_event=when_first(EpochReport, lambda: fill_disk(small_disk)))
    (small_disk / "filler").unlink()
    result = train(tiny_request(sound_folder, name="t1", epochs=1, resume=True))
    assert (result.name, result.epochs, result.notice) == ("t1", 1, "")
    load_vqvae(Library().resolve("t1"))
