"""Prior training on a really trained tiny model: codes, windows, epochs, saving, resume, the CLI."""

from __future__ import annotations

import threading

import pytest
import torch

from engine.cli import main
from engine.errors import DistillError
from engine.library import Library
from engine.model.persist import load_vqvae, save_vqvae
from engine.modelfile import read_model_metadata, update_model_metadata
from engine.prior.bundle import load_prior
from engine.prior.data import CodeSet, epoch_plan, take_windows
from engine.prior.train import (
    MEMORISATION_PPL,
    PriorEpochReport,
    PriorTrainer,
    PriorTrainingFinished,
    PriorTrainingStarted,
    PriorTrainRequest,
    memorisation_warnings,
    train_prior,
)

TINY = {"context": 16, "d_model": 32, "n_layers": 1, "device": "cpu"}
LABELS = ("Structure", "Timbre", "Detail")


def tiny_request(model="tiny", **overrides) -> PriorTrainRequest:
    return PriorTrainRequest(model=model, **(TINY | {"epochs": 2} | overrides))


@pytest.fixture
def library(home, tiny_model_file) -> Library:
    """A fresh library holding the tiny model as 'tiny'."""
    library = Library()
    library.import_file(tiny_model_file)
    return library


def test_code_set_stream_and_take_windows():
    codes = torch.arange(3 * 10).view(3, 10)  # sequences of 4, 1 and 5 frames
    codes_set = CodeSet(codes, torch.tensor([4, 1, 5]), copies=1)
    assert codes_set.stream(torch.tensor([2, 0, 2]))[0].tolist() == [5, 6, 7, 8, 9, 0, 1, 2, 3, 5, 6, 7, 8, 9]

    stream = torch.arange(2 * 6).view(2, 6)
    windows, mask = take_windows(stream, torch.tensor([0, 4]), context=4)
    assert windows.shape == (2, 2, 4) and mask.tolist() == [[True] * 4, [True, True, False, False]]
    assert windows[1, 0].tolist() == [4, 5, 0, 0]  # padding past the end is masked out


def test_epoch_plan_rounds_and_windows():
    files, copies, context = 5, 3, 8
    lengths = torch.tensor([3, 3, 3, 6, 6, 6, 2, 2, 2, 4, 4, 4, 5, 5, 5])  # copies of a file share its length
    codes_set = CodeSet(torch.zeros(1, int(lengths.sum()), dtype=torch.long), lengths, copies)
    plan = epoch_plan(codes_set, context, min_windows=64, generator=torch.Generator().manual_seed(0))
    rounds = plan.order.view(-1, files)  # 3 rounds of data + 1 to let the last windows run on
    assert len(rounds) == copies + 1
    for r in rounds:  # every file once per round
        assert sorted((r // copies).tolist()) == list(range(files))
    used = rounds[:copies].flatten().tolist()
    assert sorted(used) == list(range(files * copies))  # every copy once in the epoch's data
    starts = torch.cumsum(lengths[plan.order], 0) - lengths[plan.order]
    data_frames = int(lengths.sum())
    assert len(plan.starts) == 64 and int(plan.begins.sum()) >= 32
    assert torch.equal(plan.begins, torch.isin(plan.starts, starts))  # BEGIN exactly at first frames
    assert int(plan.starts.max()) < data_frames and int(plan.starts.max()) + context <= int(lengths[plan.order].sum())


def test_memorisation_rule():
    def epoch(train, val, ppl0=5.0):
        return {"train_loss": train, "val_loss": val, "val_perplexity": [ppl0, 5.0, 5.0]}

    assert memorisation_warnings([epoch(2.0, 2.2)], LABELS) == []
    assert "Structure validation perplexity" in memorisation_warnings([epoch(2.0, 2.2, ppl0=MEMORISATION_PPL - 0.1)], LABELS)[0]
    assert "1.5 x the training loss" in memorisation_warnings([epoch(1.0, 1.6)], LABELS)[0]
    rising = [epoch(2.0, 2.2), epoch(1.9, 2.25), epoch(1.8, 2.3), epoch(1.7, 2.35)]
    assert "rose for 3 epochs" in memorisation_warnings(rising, LABELS)[0]
    assert memorisation_warnings(rising[:3], LABELS) == []  # two epochs of it are not yet a trend


def test_training_reports_saves_into_the_model_and_generates(library):
    events = []
    result = train_prior(tiny_request(epochs=3), on_event=events.append)
    started = [e for e in events if isinstance(e, PriorTrainingStarted)]
    epochs = [e for e in events if isinstance(e, PriorEpochReport)]
    assert len(started) == 1 and started[0].train_files + started[0].val_files == 8
    assert started[0].train.variants == 8  # 8 files: the strongest augmentation
    assert started[0].train_frames > 9 * started[0].val_frames  # the original and 8 copies of 6 files vs 2 files
    assert [e.epoch for e in epochs] == [1, 2, 3]
    assert all(len(e.train_perplexity) == len(e.val_perplexity) == 3 for e in epochs)
    assert epochs[-1].train_loss < epochs[0].train_loss and epochs[-1].val_loss < epochs[0].val_loss
    assert isinstance(events[-1], PriorTrainingFinished) and events[-1].path == result.path

    entry = library.get("tiny")
    assert entry.has_prior
    record = entry.metadata["prior"]
    assert len(record["history"]) == 3 and record["best_epoch"] == result.best_epoch
    assert record["memorisation"]["rule"].startswith("warn when") and "flagged" in record["memorisation"]
    assert record["data"]["train_files"] == 6 and record["config"]["context"] == 16

    loaded = load_vqvae(result.path)
    prior = load_prior(loaded)
    codes = prior.generate(40, generator=torch.Generator().manual_seed(0))  # longer than the context
    mel = loaded.model.decode_indices(codes)
    assert codes.shape == (1, 3, 40) and mel.shape == (1, 1, loaded.mel.n_mels, 40 * loaded.model.cfg.downsample)


def test_training_stops_early_once_validation_stops_improving_and_says_so_once(library, monkeypatch):
    from engine.prior import train as prior_train

    trainer = PriorTrainer(tiny_request(epochs=5))
    trainer.state.epoch, trainer.state.best_epoch = 30, 10
    assert trainer._converged()  # 20 epochs without progress
    trainer.state.best_epoch = 11
    assert not trainer._converged()

    monkeypatch.setattr(prior_train, "PATIENCE", 0)  # every epoch counts as one without progress: stop after the first
    events = []
    result = train_prior(tiny_request(epochs=5), on_event=events.append)
    reports = [e for e in events if isinstance(e, PriorEpochReport)]
    assert len(reports) == 1 and result.epochs == 1 and not result.stopped
    (stop,) = [w for w in reports[0].warnings if "training stops here" in w]
    assert stop.startswith("validation loss has not improved for 0 epochs (best: epoch 1)")
    assert library.get("tiny").metadata["prior"]["early_stop"] == 1


def test_resume_after_a_stop_mid_epoch_continues_exactly(library, tiny_model_file, stop_after_steps):
    library.import_file(tiny_model_file, name="broken")
    straight = train_prior(tiny_request("tiny", epochs=3))

    stopped = PriorTrainer(tiny_request("broken", epochs=3), stop=stop_after_steps(15)).run()  # 10 steps per epoch
    assert stopped.stopped and stopped.epochs == 1
    resumed = train_prior(tiny_request("broken", epochs=3, resume=True))
    assert resumed.epochs == 3 and not resumed.stopped

    a = load_prior(load_vqvae(straight.path)).state_dict()
    b = load_prior(load_vqvae(resumed.path)).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    history = library.get("broken").metadata["prior"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3]


def test_earlier_runs_and_priors_are_not_replaced_without_restart(library):
    stop = threading.Event()
    stop.set()
    with pytest.raises(DistillError, match="before the first epoch"):
        train_prior(tiny_request(), stop=stop)
    assert not library.get("tiny").has_prior
    with pytest.raises(DistillError, match="--resume to continue it or --restart"):
        train_prior(tiny_request())
    with pytest.raises(DistillError, match="contradict"):
        train_prior(tiny_request(resume=True, restart=True))
    first = train_prior(tiny_request(epochs=1, restart=True))
    more = train_prior(tiny_request(epochs=2, resume=True))  # extends the finished run
    assert (first.epochs, more.epochs) == (1, 2)
    for checkpoint in (library.home / "checkpoints").rglob("prior-*.pt"):
        checkpoint.unlink()
    with pytest.raises(DistillError, match="already has a prior; add --restart"):
        train_prior(tiny_request())
    with pytest.raises(DistillError, match="nothing to resume"):
        train_prior(tiny_request(resume=True))


def test_a_moved_dataset_folder_is_a_clear_error(library, tmp_path):
    path = library.get("tiny").path
    metadata = read_model_metadata(path)
    update_model_metadata(path, {**metadata, "dataset": {**metadata["dataset"], "folder": str(tmp_path / "gone")}})
    with pytest.raises(DistillError, match="no longer in .*gone; put that folder back"):
        train_prior(tiny_request())


def test_cli_train_prior_end_to_end(library, capsys):
    args = ["train-prior", "tiny", "--epochs", "2", "--device", "cpu", "--context", "16", "--d-model", "32", "--layers", "1"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "training the prior of 'tiny'" in out and "epoch   2" in out and "saved the prior" in out
    assert library.get("tiny").has_prior
    assert main(["models", "show", "tiny"]) == 0
    assert "prior        yes" in capsys.readouterr().out
    assert main(args) == 1
    assert "--resume" in capsys.readouterr().err
    assert main(["train-prior", "no-such-model"]) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--d-model", "0"], "the prior's d_model must be from 1 to 2048, not 0"),
        (["--context", "1000000000"], "the prior's context must be from 2 to 8192, not 1000000000"),
        (["--layers", "0"], "the prior's n_layers must be from 1 to 64, not 0"),
        (["--epochs", "0"], "epochs must be 1 or more, not 0"),
        (["--minutes", "nan"], "minutes must be above 0 and at most 1440, not nan"),
        (["--seed", str(2**80)], f"the seed must be a whole number from 0 to {2**63 - 1}, not {2**80}"),
    ],
)
def test_sizes_budgets_and_seeds_out_of_range_are_refused_before_any_work(library, capsys, argv, message):
    # `--d-model 0` trained and saved a prior that made every command refuse the model; `--context 1e9` asked
    # torch for 128 GB and `--context 0` ended in a ValueError traceback (issue 16 probes).
    before = library.get("tiny").path.read_bytes()
    assert main(["train-prior", "tiny", "--device", "cpu", *argv]) == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert library.get("tiny").path.read_bytes() == before


def during_first_epoch(action):
    """An on_event callback that runs `action()` once, after the first epoch of prior training."""
    done = []

    def on_event(event):
        if isinstance(event, PriorEpochReport) and not done:
            done.append(True)
            action()

    return on_event


def test_a_model_renamed_while_its_prior_trains_gets_the_prior(library):
    started_id = library.get("tiny").metadata["model_id"]
    result = train_prior(tiny_request(), on_event=during_first_epoch(lambda: library.rename("tiny", "renamed")))

    assert (result.model, result.path.name) == ("renamed", "renamed.sda")
    assert result.notice == "'tiny' was renamed to 'renamed' meanwhile; the result was saved there"
    assert [entry.name for entry in library.list()] == ["renamed"]
    assert library.get("renamed").has_prior and library.get("renamed").metadata["model_id"] == started_id
    load_prior(load_vqvae(result.path))


def test_a_model_replaced_while_its_prior_trains_is_left_alone(library, tmp_path):
    started_id = library.get("tiny").metadata["model_id"]
    loaded = load_vqvae(library.get("tiny").path)
    with torch.no_grad():
        next(loaded.model.parameters()).add_(1.0)  # other weights: another model id
    other = save_vqvae(tmp_path / "other.sda", loaded.model, loaded.mel, {**loaded.metadata, "name": "other"})

    def replace_it():
        library.delete("tiny")
        library.import_file(other, name="tiny")

    result = train_prior(tiny_request(), on_event=during_first_epoch(replace_it))
    assert (result.model, result.path.name) == ("tiny-2", "tiny-2.sda")
    assert "no longer holds the model this run started from, so the result was saved as a new model 'tiny-2'" in result.notice
    assert not library.get("tiny").has_prior and library.get("tiny").metadata["model_id"] != started_id
    kept = library.get("tiny-2")
    assert kept.has_prior and kept.metadata["model_id"] == started_id and kept.metadata["name"] == "tiny-2"
    load_prior(load_vqvae(kept.path))


def test_a_second_prior_run_of_the_same_model_is_refused_while_the_first_runs(library):
    refused = []

    def start_second():
        with pytest.raises(DistillError, match="prior training of model 'tiny' is already under way"):
            train_prior(tiny_request())
        refused.append(True)

    train_prior(tiny_request(epochs=1), on_event=during_first_epoch(start_second))
    assert refused and library.get("tiny").has_prior


def test_a_checkpoint_that_does_not_fit_the_disk_is_one_sentence(small_disk, fill_disk, tiny_model_file, capsys, monkeypatch):
    # torch's zip writer failed with "RuntimeError: [enforce fail at inline_container.cc] unexpected pos" and a
    # traceback (issue 16 probes).
    monkeypatch.setenv("DISTILL_HOME", str(small_disk / "home"))
    Library().import_file(tiny_model_file)
    (small_disk / "home" / "checkpoints").mkdir()
    fill_disk(small_disk)
    assert main(["train-prior", "tiny", "--context", "16", "--d-model", "32", "--layers", "1", "--device", "cpu", "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.endswith("(torch could not write it; is the disk full?)\n")
    assert err.splitlines()[-1].startswith(f"error: cannot write the checkpoint {small_disk / 'home' / 'checkpoints'}")
