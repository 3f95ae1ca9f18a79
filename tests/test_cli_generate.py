"""`distill generate`, `distill presets ...`, `distill history ...` end to end: output, files, exit status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import engine.cli
from engine.cli import main
from engine.library import Library
from engine.modelfile import read_model_file, save_model_file
from engine.paths import safe_stem
from engine.store import History


@pytest.fixture
def library(home, tiny_prior_file, monkeypatch) -> Library:
    """A fresh library holding the tiny model with its prior as 'tiny'; only this module's commands."""
    monkeypatch.setattr(engine.cli, "COMMAND_MODULES", ("engine.cli.generate",))
    library = Library()
    library.import_file(tiny_prior_file)
    return library


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_generate_prints_one_path_per_sound_and_records_them(library, capsys, home):
    code, out, err = run(capsys, "generate", "tiny", "--duration", "0.5", "--seed", "40", "--count", "2")
    assert (code, err) == (0, "")
    paths = [Path(line) for line in out.splitlines()]
    assert len(paths) == 2 and all(p.is_file() and p.parent == home / "outputs" for p in paths)
    assert [p.name.split("_")[:2] for p in paths] == [["tiny", "seed40"], ["tiny", "seed41"]]
    assert [r.path for r in History().list()] == paths[::-1]

    code, out, _ = run(capsys, "history", "list")
    assert code == 0 and out.splitlines()[0].split()[:4] == ["ID", "CREATED", "(UTC)", "MODEL"]
    assert [line.split()[0] for line in out.splitlines()[1:]] == ["2", "1"] and str(paths[1]) in out
    code, out, _ = run(capsys, "history", "list", "--limit", "1")
    assert len(out.splitlines()) == 2
    code, out, _ = run(capsys, "history", "show", "1")
    assert code == 0 and "seed          40" in out and "44100 Hz, 16-bit" in out and str(paths[0]) in out


def test_export_flags_reach_the_file(library, capsys, tmp_path):
    code, out, err = run(capsys, "generate", "tiny", "--duration", "0.4", "--seed", "3", "--stereo-width", "0.6",
                         "--sample-rate", "48000", "--bit-depth", "24", "--out", str(tmp_path / "pad.flac"))
    assert (code, err) == (0, "")
    assert Path(out.strip()) == (tmp_path / "pad.flac").resolve()
    info = sf.info(tmp_path / "pad.flac")
    assert (info.format, info.samplerate, info.channels, info.subtype) == ("FLAC", 48000, 2, "PCM_24")
    code, out, _ = run(capsys, "generate", "tiny", "--duration", "0.4", "--format", "ogg", "--out", str(tmp_path / "folder"))
    assert code == 0 and Path(out.strip()).suffix == ".ogg" and Path(out.strip()).parent == tmp_path / "folder"


@pytest.mark.parametrize("name", ["pad.aiff", "pad.AIF"])
def test_the_format_follows_the_out_extension(library, capsys, tmp_path, name):
    code, out, err = run(capsys, "generate", "tiny", "--duration", "0.3", "--seed", "1", "--out", str(tmp_path / name))
    assert (code, err) == (0, "") and Path(out.strip()) == (tmp_path / name).resolve()
    assert sf.info(tmp_path / name).format == "AIFF"
    assert History().list()[0].export.format == "aiff"


def test_presets_save_list_show_use_delete(library, capsys):
    code, out, _ = run(capsys, "presets", "list")
    assert code == 0 and "No presets yet" in out
    code, out, _ = run(capsys, "presets", "save", "warm", "--temperature", "0.7", "--top-k", "8", "--duration", "0.3")
    assert code == 0 and out.startswith("Saved preset 'warm'") and "temperature 0.7" in out
    code, out, _ = run(capsys, "presets", "list")
    assert out.splitlines()[1].split() == ["warm", "0.3", "0.7", "8", "1", "mono"]
    code, out, _ = run(capsys, "presets", "show", "warm")
    assert "top-k         8" in out and "top-p         1 (off)" in out

    # the preset's values, overridden by the flags given
    code, out, err = run(capsys, "generate", "tiny", "--preset", "warm", "--top-k", "4", "--seed", "9")
    assert (code, err) == (0, "")
    record = History().get(1)
    assert (record.settings.temperature, record.settings.top_k, record.settings.duration_s) == (0.7, 4, 0.3)

    code, out, _ = run(capsys, "presets", "save", "warm", "--temperature", "1.2")
    assert out.startswith("Replaced preset 'warm'")
    code, out, _ = run(capsys, "presets", "delete", "warm")
    assert (code, out) == (0, "Deleted preset 'warm'.\n")
    code, _, err = run(capsys, "presets", "show", "warm")
    assert code == 1 and err == "error: no preset named 'warm' (see `distill presets list`)\n"


def test_history_regenerate_reproduces_the_file(library, capsys, tmp_path):
    run(capsys, "generate", "tiny", "--duration", "1.2", "--seed", "77", "--temperature", "0.9", "--stereo-width", "0.4",
        "--out", str(tmp_path / "first.wav"))
    code, out, err = run(capsys, "history", "regenerate", "1", "--out", str(tmp_path / "again"))
    assert (code, err) == (0, "")
    again = Path(out.strip())
    assert again.parent == tmp_path / "again" and again.name.startswith("tiny_seed77_")
    assert again.read_bytes() == (tmp_path / "first.wav").read_bytes()
    assert [r.id for r in History().list()] == [2, 1]


@pytest.mark.parametrize(
    "argv, message",
    [
        (("generate", "tiny", "--temperature", "-1"), "error: temperature must be 0 (greedy) or more, not -1.0\n"),
        (("generate", "tiny", "--top-p", "0"), "error: top-p must be above 0 and at most 1 (off), not 0.0\n"),
        (("generate", "tiny", "--top-k", "17"), "error: top-k must be at most 16, the model's codebook size, not 17\n"),
        (("generate", "tiny", "--preset", "nope"), "error: no preset named 'nope' (see `distill presets list`)\n"),
        (("generate", "nope"), "error: 'nope' is neither a model file nor a model in the library (see `distill models list`)\n"),
        (("history", "regenerate", "5"), "error: no generation #5 in the history (see `distill history list`)\n"),
        (("generate", "tiny", "--out", "x.xyz"), "error: distill cannot write sound files ending in .xyz (x.xyz); name it .wav, .flac, .ogg, .mp3, .aiff or .aif\n"),
        (("generate", "tiny", "--format", "wav", "--out", "x.aiff"), "error: the output file x.aiff is to be wav, so its name must end in .wav\n"),
        # a name longer than the file system allows was an OSError traceback from pathlib (issue 16 probes)
        (("generate", "tiny", "--out", "/tmp/" + "d" * 300 + ".wav"), f"error: '/tmp/{'d' * 74}…' cannot be written to (File name too long)\n"),
    ],
)
def test_mistakes_are_one_line_and_status_1(library, capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (1, "", message)
    assert History().list() == []


def test_a_model_without_a_prior_says_to_train_one(home, tiny_model_file, capsys, monkeypatch):
    monkeypatch.setattr(engine.cli, "COMMAND_MODULES", ("engine.cli.generate",))
    Library().import_file(tiny_model_file)
    code, out, err = run(capsys, "generate", "tiny")
    assert (code, out) == (1, "")
    assert err == "error: model 'tiny' has no prior yet: run `distill train-prior tiny`\n"


def test_the_installed_command_generates(library, home, tmp_path):
    distill = Path(sys.executable).with_name("distill")
    result = subprocess.run(
        [str(distill), "generate", "tiny", "--duration", "0.5", "--seed", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, env={**os.environ, "DISTILL_HOME": str(home)}, timeout=120, check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    path = Path(result.stdout.strip())
    audio, rate = sf.read(path)
    assert rate == 44100 and len(audio) == 22050 and np.abs(audio).max() > 1e-3
    assert History().get(1).path == path


def test_a_hostile_model_name_cannot_leave_the_output_folder(home, tiny_prior_file, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(engine.cli, "COMMAND_MODULES", ("engine.cli.generate",))
    hostile = tmp_path / "models" / "hostile.sda"
    hostile.parent.mkdir()
    tensors, metadata = read_model_file(tiny_prior_file)
    save_model_file(hostile, tensors, {**metadata, "name": "../../escaped/x"})
    out = tmp_path / "deep" / "out"
    code, printed, err = run(capsys, "generate", str(hostile), "--duration", "0.3", "--out", str(out))
    assert (code, err) == (0, "")
    written = Path(printed.strip())
    assert written.parent == out.resolve() and written.name.startswith("hostile_seed")  # an invalid stated name gives way to the file name
    code, printed, err = run(capsys, "history", "regenerate", "1", "--out", str(out))
    assert (code, err) == (0, "") and Path(printed.strip()).parent == out.resolve()
    assert not (tmp_path / "escaped").exists() and sorted(p.name for p in tmp_path.iterdir()) == ["deep", "home", "models"]


@pytest.mark.parametrize("name, stem", [("../../x", "_.._x"), ("..", "untitled"), ("a/b\\c\x00d", "a_b_c_d"), ("é" * 80, "_" * 64)])
def test_safe_stem_keeps_names_inside_their_folder(name, stem):
    assert safe_stem(name) == stem


def test_one_shots_end_on_whole_columns_within_the_cap_and_are_recorded(library, capsys, tmp_path):
    from engine.model.persist import load_vqvae

    loaded = load_vqvae(library.resolve("tiny"))
    code, out, err = run(capsys, "generate", "tiny", "--one-shot", "--duration", "3", "--seed", "0", "--count", "4", "--out", str(tmp_path))
    assert (code, err) == (0, "")
    column = loaded.model.cfg.downsample * loaded.mel.hop_length  # samples per code column
    for path in map(Path, out.splitlines()):
        frames = sf.info(path).frames
        assert frames <= 3 * loaded.mel.sample_rate
        assert frames == 3 * loaded.mel.sample_rate or (frames + loaded.mel.hop_length) % column == 0  # ended after a whole column
    code, out, _ = run(capsys, "history", "show", "1")
    assert "one-shot" in out and "at most 3 s" in out


def test_a_prior_trained_before_one_shots_refuses_them_in_one_sentence(library, capsys):
    path = library.resolve("tiny")
    tensors, metadata = read_model_file(path)
    old = {name: tensor for name, tensor in tensors.items() if not name.startswith("prior.end.")}
    config = {key: value for key, value in metadata["prior"]["config"].items() if key != "end_head"}
    save_model_file(path, old, {**metadata, "prior": {**metadata["prior"], "config": config}})
    code, out, err = run(capsys, "generate", "tiny", "--one-shot", "--seed", "1")
    assert code == 1 and out == "" and err.count("\n") == 1 and "trained before one-shots existed" in err
    assert run(capsys, "generate", "tiny", "--duration", "0.3", "--seed", "1")[0] == 0  # it still generates
