"""`--device auto|cpu|cuda` on serve, generate, encode and decode: one definition, checked before any work."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine.cli import main
from engine.device import resolve_device
from engine.errors import DistillError
from engine.library import Library

NO_CUDA = "error: --device cuda was requested but no CUDA device is available\n"


def test_auto_picks_what_there_is_and_unknown_names_are_refused():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu"
    with pytest.raises(DistillError, match="unknown device 'gpu' \\(use auto, cpu or cuda\\)"):
        resolve_device("gpu")


@pytest.mark.parametrize("command", ["serve", "generate", "encode", "decode", "train", "train-prior"])
def test_every_model_command_takes_the_same_device_choices(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "--device {auto,cpu,cuda}" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_cuda_is_one_sentence_before_any_work(home, tiny_prior_file, sound_folder, tmp_path, capsys):
    Library().import_file(tiny_prior_file)
    wav = str(sorted(sound_folder.glob("*.wav"))[0])
    grid = tmp_path / "kick.json"
    assert main(["encode", "tiny", wav, "--out", str(grid), "--device", "cpu"]) == 0 and grid.is_file()
    for argv in (
        ["serve", "--port", "0", "--audio-device", "none", "--device", "cuda"],
        ["generate", "tiny", "--duration", "0.3", "--device", "cuda"],
        ["encode", "tiny", wav, "--out", str(tmp_path / "other.json"), "--device", "cuda"],
        ["decode", "tiny", str(grid), "--out", str(tmp_path / "kick.wav"), "--device", "cuda"],
    ):
        capsys.readouterr()
        assert main(argv) == 1, argv
        assert capsys.readouterr().err == NO_CUDA
    assert not (tmp_path / "other.json").exists() and not (tmp_path / "kick.wav").exists()
    assert not any((home / "outputs").glob("*"))


def test_cpu_generates_decodes_and_refuses_other_names(home, tiny_prior_file, sound_folder, tmp_path, capsys):
    Library().import_file(tiny_prior_file)
    assert main(["generate", "tiny", "--duration", "0.3", "--seed", "1", "--device", "cpu"]) == 0
    assert Path(capsys.readouterr().out.strip()).is_file()
    grid = tmp_path / "g.json"
    assert main(["encode", "tiny", str(sorted(sound_folder.glob("*.wav"))[0]), "--out", str(grid), "--device", "auto"]) == 0
    assert main(["decode", "tiny", str(grid), "--out", str(tmp_path / "g.wav"), "--device", "cpu"]) == 0
    assert (tmp_path / "g.wav").is_file()
    with pytest.raises(SystemExit) as exit_:
        main(["generate", "tiny", "--device", "gpu"])
    assert exit_.value.code == 2 and "invalid choice: 'gpu'" in capsys.readouterr().err
