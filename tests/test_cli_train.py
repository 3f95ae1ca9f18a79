"""`distill train`, `distill health` and `distill demo` end to end, as a user runs them."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
from rich.console import Console

from engine.cli import main
from engine.cli.train_display import TrainDisplay
from engine.heatmap import legend_text
from engine.library import Library
from engine.model.config import DEFAULT_MINUTES, ModelConfig, TrainConfig, adaptive_config
from engine.osc.routes import ROUTES
from engine.training.runs import TRAIN_OPTION_RANGES, TrainOptions, check_train_option
from engine.training.trainer import EpochReport, TrainingStarted, TrainRequest

DISTILL = Path(sys.executable).with_name("distill")
TINY = ["--hidden", "32", "--codebook-dim", "16", "--codebook-size", "64"]


def run_cli(home: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "DISTILL_HOME": str(home)}
    return subprocess.run([str(DISTILL), *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_train_then_health_and_list(home, sound_folder, capsys):
    assert main(["train", str(sound_folder), "--name", "kit", "--epochs", "4", *TINY]) == 0
    out = capsys.readouterr().out
    assert "training 'kit'" in out and "epoch   2" in out
    assert out.index("phase 1, spectral") < out.index("epoch   3") < out.index("phase 2, adversarial") < out.index("epoch   4")
    assert "waveform head" not in out  # only a run with --waveform-head trains one
    assert "disc " in out.split("epoch   4")[1] and "disc " not in out.split("epoch   4")[0]
    assert "Structure" in out and "utilisation" in out and "saved 'kit'" in out

    assert main(["health", "kit"]) == 0
    out = capsys.readouterr().out
    assert "overall" in out and "Timbre" in out and legend_text() in out  # the terminal app's legend
    assert out.count("│") >= 6  # one heatmap row per level, framed

    assert main(["models", "list"]) == 0
    assert "kit" in capsys.readouterr().out

    # Names ignore case: KIT is the run and model kit, refused as an exact repeat is; so is a library model.
    assert main(["train", str(sound_folder), "--name", "KIT", "--epochs", "1", *TINY]) == 1
    assert capsys.readouterr().err.startswith("error: a training run named 'kit' already exists; choose another name (or continue that run: `distill train --resume`)")
    (home / "models" / "pads.sda").write_bytes((home / "models" / "kit.sda").read_bytes())  # dropped in by hand
    assert main(["train", str(sound_folder), "--name", "PADS", "--epochs", "1", *TINY]) == 1
    assert capsys.readouterr().err == "error: a model named 'pads' is already in the library; choose another name\n"  # also said to the app and patches
    assert [entry.name for entry in Library().list()] == ["kit", "pads"]
    assert sorted(path.name for path in (home / "checkpoints").iterdir()) == ["kit", "pads"]


@pytest.mark.parametrize("head", [False, True])
def test_phase_intros_name_the_waveform_head_only_when_it_trains(head):
    console = Console(file=io.StringIO(), width=300)
    display = TrainDisplay(console)
    display(TrainingStarted("kit", "cpu", 2, 1, 2, ModelConfig(), TrainConfig(epochs=2, waveform_head=head), 0, 2, None))
    for epoch, phase in ((1, "spectral"), (2, "adversarial")):
        display(EpochReport(epoch, 1, 1.0, 1.0, 1.0, [], [], True, phase, {"adversarial": 0, "feature_matching": 0, "discriminator": 0} if epoch == 2 else None))
    display.close()
    out = console.file.getvalue()
    assert "phase 1, spectral" in out and "phase 2, adversarial" in out
    assert ("the waveform head learns their waves" in out) == head and ("the waveform head learns from its output" in out) == head


def test_bad_dataset_is_one_line_error(home, tmp_path, capsys):
    empty = tmp_path / "nothing"
    empty.mkdir()
    (empty / "notes.txt").write_text("not audio")
    assert main(["train", str(empty), "--name", "x", "--epochs", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("name", [".", "..", "../x", "a/b", "", "-x", "x" * 65])
def test_a_name_that_is_no_model_name_is_refused_before_training(home, sound_folder, capsys, name):
    # '.' and '..' once named the checkpoints folder and the data folder as the run's folder: `--name .`
    # trained a model called 'checkpoints' (issue 16 probes).
    assert main(["train", str(sound_folder), f"--name={name}", "--epochs", "1", *TINY]) == 1
    assert capsys.readouterr().err == f"error: {name!r} is not a valid model name: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit\n"
    assert not list(home.rglob("*.sda")) and not list(home.rglob("*.pt"))


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--epochs", "0"], "epochs must be 1 or more, not 0"),
        (["--minutes", "inf"], "minutes must be above 0 and at most 1440, not inf"),
        (["--seed", str(2**80)], f"the seed must be a whole number from 0 to {2**63 - 1}, not {2**80}"),
    ],
)
def test_a_budget_or_seed_out_of_range_is_refused_before_training(home, sound_folder, capsys, argv, message):
    # `--epochs 0` trained nothing and then said it stopped before its first epoch; a seed of 2^80 ended in
    # torch's overflow traceback (issue 16 probes).
    assert main(["train", str(sound_folder), "--name", "x", *TINY, *argv]) == 1
    assert capsys.readouterr().err == f"error: {message}\n"
    assert not list(home.rglob("*.sda")) and not list(home.rglob("*.pt"))


@pytest.mark.parametrize("health", [None, {"levels": [1, "x", None]}], ids=["none", "garbage"])
def test_health_of_a_model_without_health_is_an_error_line(home, tmp_path, tiny_model_file, capsys, health):
    # It printed the sentence on stdout, without "error:", and exited 1 (issue 16 probes).
    from engine.modelfile import read_model_file, save_model_file

    tensors, metadata = read_model_file(tiny_model_file)
    path = save_model_file(tmp_path / "healthless.sda", tensors, {**metadata, "health": health})
    assert main(["health", str(path)]) == 1
    assert capsys.readouterr() == ("", "error: healthless.sda has no codebook health recorded\n")


def test_training_defaults_agree_across_config_request_options_and_cli(capsys):
    model, _ = adaptive_config(8)
    request, options = TrainRequest(dataset=Path("."), name="x"), TrainOptions()
    for key in ("levels", "codebook_dim", "commitment_weight", "hidden"):
        assert getattr(model, key) == getattr(request, key) == getattr(options, key) == getattr(ModelConfig, key)
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"(default {ModelConfig.hidden};" in help_text and f"(default {DEFAULT_MINUTES:g})" in help_text


@pytest.mark.parametrize("key", ["codebook_size", "codebook_dim", "hidden", "commitment_weight"])
def test_cli_and_osc_accept_the_same_training_option_range(home, tmp_path, key, capsys):
    whole, low, high = TRAIN_OPTION_RANGES[key]
    flag = "--" + key.replace("_", "-")
    for value in (low, high):  # the bounds are taken by both (OSC's check is the CLI's)
        assert check_train_option(key, value) == value
    beyond = high + 1
    with pytest.raises(SystemExit):
        main(["train", str(tmp_path), "--name", "x", flag, f"{beyond:g}"])
    err = capsys.readouterr().err
    assert f"{high:g}" in err and "Traceback" not in err
    help_of = {route.address: route.description for route in ROUTES}
    assert f"{key} " in help_of["/distill/train/option"] and f"to {high:g}" in help_of["/distill/train/option"]


def test_kill_9_then_resume_keeps_finished_epochs(tmp_path, sound_folder):
    home = tmp_path / "home"
    env = {**os.environ, "DISTILL_HOME": str(home), "PYTHONUNBUFFERED": "1"}  # each epoch line as it is printed
    process = subprocess.Popen(
        [str(DISTILL), "train", str(sound_folder), "--name", "crash", "--epochs", "40", *TINY],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:  # wait until two epochs have been reported, then kill -9 mid-run
        line = process.stdout.readline()
        lines.append(line)
        if line.startswith("epoch   2"):
            break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert any(line.startswith("epoch   2") for line in lines), "".join(lines)
    assert not (home / "models" / "crash.sda").exists()

    resumed = run_cli(home, "train", str(sound_folder), "--name", "crash", "--epochs", "4", "--resume", *TINY)
    assert resumed.returncode == 0, resumed.stderr
    done_before = int(re.search(r"resuming after epoch (\d+)", resumed.stdout).group(1))
    assert done_before >= 2  # the epochs finished before the kill were kept
    history = Library(home).get("crash").metadata["training"]["history"]
    assert [h["epoch"] for h in history] == [1, 2, 3, 4]


def test_demo_writes_model_and_reconstructions(tmp_path):
    home = tmp_path / "home"
    result = run_cli(home, "demo", "--minutes", "0.1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "model       :" in result.stdout and "reconstructions" in result.stdout and "inverter only" in result.stdout
    assert (home / "models" / "demo.sda").exists()
    pairs = sorted((home / "demo" / "reconstructions").glob("*.reconstruction.wav"))
    assert len(pairs) >= 3
    for path in pairs:
        audio, rate = soundfile.read(path)
        original, _ = soundfile.read(str(path).replace(".reconstruction.", ".original."))
        assert rate == 44100 and len(audio) == len(original)
        assert np.isfinite(audio).all() and abs(audio).max() > 1e-4  # decoded, not silence or NaN
    again = run_cli(home, "demo", "--minutes", "0.1")  # a second run reuses the model
    assert again.returncode == 0 and "already in the library" in again.stdout
