"""`distill encode|decode|preview` and `distill codes ...` end to end, on real files in a fresh library."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import engine.cli
from engine.codes.codec import encode_file
from engine.codes.grid import load_codes
from engine.library import Library
from engine.model.persist import load_vqvae


@pytest.fixture
def library(home, tiny_model_file) -> Library:
    """A fresh library holding the tiny model as 'tiny'."""
    library = Library()
    library.import_file(tiny_model_file, name="tiny")
    return library


@pytest.fixture
def loaded_tiny(tiny_model_file):
    return load_vqvae(tiny_model_file)


def run(capsys, *argv: object) -> tuple[int, str, str]:
    code = engine.cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_encode_edit_undo_decode_preview(library, sound_folder, tmp_path, capsys):
    pad, kick = tmp_path / "pad.json", tmp_path / "kick.json"
    code, out, _ = run(capsys, "encode", "tiny", sound_folder / "pad_1.wav", "--out", pad)
    assert code == 0 and "encoded pad_1.wav with model 'tiny': 3 levels (Structure, Timbre, Detail) x 45 columns of 46.4 ms (2.07 s)" in out
    assert run(capsys, "encode", str(library.resolve("tiny")), sound_folder / "kick_1.wav", "--out", kick)[0] == 0  # a file path works too
    states = [load_codes(pad).grid]  # reference states of pad.json

    code, out, _ = run(capsys, "codes", "set", pad, "--level", "timbre", "--frame", 3, "--index", (states[0].codes[1, 3] + 1) % 16)
    assert code == 0 and out.startswith("set Timbre column 3 to ")
    states.append(load_codes(pad).grid)
    assert states[1].codes[1, 3] == (states[0].codes[1, 3] + 1) % 16

    code, out, _ = run(capsys, "codes", "swap", pad, kick, "--start", "0.1s", "--end", 5, "--levels", "detail", "0")
    assert code == 0 and out.splitlines()[0] == f"swap columns 2-4 (Structure, Detail) with {kick} -> {pad}"
    states.append(load_codes(pad).grid)
    assert np.array_equal(states[2].codes[[0, 2], 2:5], load_codes(kick).undo[0].grid.codes[[0, 2], 2:5])

    blended = tmp_path / "blend.json"
    code, out, _ = run(capsys, "codes", "blend", pad, kick, "--weight", 0.5, "--levels", "timbre", "--out", blended)
    assert code == 0 and out == f"blend columns 0-8 (Timbre) 0.5 towards {kick} -> {blended}\n"
    result = load_codes(blended)
    assert result.grid.blends and {level for level, _ in result.grid.blends} == {1}
    assert [step.grid for step in result.undo] == states  # the new file carries pad's history

    for action, expected in (("undo", states[1]), ("undo", states[0]), ("redo", states[1])):
        code, out, _ = run(capsys, "codes", action, pad)
        assert code == 0 and out.startswith(f"{action}: ") and load_codes(pad).grid == expected

    code, out, _ = run(capsys, "codes", "show", blended, "--width", 60)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith(f"{blended}: pad_1.wav, 3 levels x 45 columns of 46.4 ms (2.07 s), model 'tiny'")
    assert lines[1].startswith("history: 3 edit(s) to undo (last: blend columns 0-8 (Timbre) 0.5 towards")
    assert lines[2].startswith("~ marks a blended cell")
    pages = [i for i, line in enumerate(lines) if line.startswith("column ")]
    assert len(pages) == 4  # 45 columns, 12 per page at 60 characters
    assert [line.split()[0] for line in lines[pages[1] : pages[1] + 5]] == ["column", "time", "Structure", "Timbre", "Detail"]
    assert lines[pages[1]].split()[1:3] == ["12", "14"] and lines[pages[1] + 1].split()[2:4] == ["0.56", "0.65"]
    assert all(len(line) <= 60 for line in lines[3:])
    assert "~" in lines[pages[0] + 3]  # the Timbre row of the first page shows blended cells

    wav = tmp_path / "blend.wav"
    code, out, _ = run(capsys, "decode", "tiny", blended, "--out", wav)
    assert code == 0 and "decoded 2.07 s of audio in " in out and " s per second of audio) -> " in out
    audio, rate = sf.read(wav)
    assert rate == 44100 and len(audio) == result.grid.samples and np.abs(audio).max() > 0.01

    clip = tmp_path / "preview.wav"
    code, out, _ = run(capsys, "preview", "tiny", "--level", "detail", "--index", 4, "--out", clip)
    assert code == 0 and out.startswith(f"wrote {clip}: 1.01 s of Detail code 4 of model 'tiny'")
    assert np.abs(sf.read(clip)[0]).max() > 1e-3


def test_encode_without_out_writes_the_sounds_name_in_the_outputs_folder(library, sound_folder, home, capsys):
    first, second = home / "outputs" / "pad_1.json", home / "outputs" / "pad_1-2.json"
    code, out, _ = run(capsys, "encode", "TINY", sound_folder / "pad_1.wav")  # names ignore case
    assert code == 0 and out.rstrip().endswith(f"-> {first}")
    assert load_codes(first).grid.source == "pad_1.wav"
    code, out, _ = run(capsys, "encode", "tiny", sound_folder / "pad_1.wav")
    assert code == 0 and out.rstrip().endswith(f"-> {second}")  # never over an earlier grid
    assert first.is_file() and second.is_file()


def test_copy_into_another_position(library, sound_folder, tmp_path, capsys):
    pad, kick = tmp_path / "pad.json", tmp_path / "kick.json"
    run(capsys, "encode", "tiny", sound_folder / "pad_1.wav", "--out", pad)
    run(capsys, "encode", "tiny", sound_folder / "kick_1.wav", "--out", kick)
    code, out, _ = run(capsys, "codes", "copy", kick, pad, "--start", 0, "--end", 4, "--at", 20)
    assert code == 0 and out == f"copy columns 0-3 (all levels) from {kick} to column 20 -> {pad}\n"
    assert np.array_equal(load_codes(pad).grid.codes[:, 20:24], load_codes(kick).grid.codes[:, :4])


@pytest.mark.parametrize(
    "argv, message",
    [
        (["codes", "set", "{pad}", "--level", "timbre", "--frame", "3", "--index", "16"], "code index 16 is outside the codebook (0-15)"),
        (["codes", "set", "{pad}", "--level", "texture", "--frame", "3", "--index", "1"], "level 'texture' does not exist: use 0-2 or one of Structure, Timbre, Detail"),
        (["codes", "swap", "{pad}", "{kick}", "--start", "5", "--end", "20"], "region [5, 20) does not fit: it needs 0 <= start < end <= 9"),
        (["codes", "swap", "{pad}", "{pad}", "--start", "0", "--end", "2"], "was given twice"),
        (["codes", "swap", "{pad}", "{kick}", "--start", "0", "--end", "two"], "'two' is neither a column number nor a time like 0.5s"),
        (["codes", "blend", "{pad}", "{kick}", "--weight", "-1", "--out", "{out}"], "blend weight must be a number from 0 to 1, not -1.0"),
        (["codes", "undo", "{pad}"], "nothing to undo in the grid of pad_1.wav"),
        (["codes", "show", "{missing}"], "does not exist"),
        (["decode", "nope", "{pad}", "--out", "{out}"], "'nope' is neither a model file nor a model in the library"),
        (["preview", "tiny", "--level", "0", "--index", "99", "--out", "{out}"], "code index 99 is outside the codebook (0-15)"),
        # a name longer than the file system allows was an OSError traceback (issue 16 probes)
        (["encode", "tiny", "{sound}", "--out", "{out}" + "d" * 300 + ".json"], "' (File name too long)"),
        (["codes", "show", "{out}" + "d" * 300], "cannot be read as a code grid file (File name too long)"),
    ],
)
def test_errors_are_one_line_and_change_nothing(library, sound_folder, tmp_path, capsys, argv, message):
    pad, kick = tmp_path / "pad.json", tmp_path / "kick.json"
    run(capsys, "encode", "tiny", sound_folder / "pad_1.wav", "--out", pad)
    run(capsys, "encode", "tiny", sound_folder / "kick_1.wav", "--out", kick)
    before = pad.read_bytes(), kick.read_bytes()
    paths = {"pad": pad, "kick": kick, "out": tmp_path / "out.json", "missing": tmp_path / "missing.json", "sound": sound_folder / "hat_1.wav"}
    code, out, err = run(capsys, *(arg.format(**paths) for arg in argv))
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert (pad.read_bytes(), kick.read_bytes()) == before
    assert not (tmp_path / "out.json").exists() and not (tmp_path / "out.wav").exists()


def test_blend_needs_the_model_in_the_library_or_named(library, sound_folder, tmp_path, capsys, tiny_model_file):
    pad, kick, out = tmp_path / "pad.json", tmp_path / "kick.json", tmp_path / "out.json"
    run(capsys, "encode", "tiny", sound_folder / "pad_1.wav", "--out", pad)
    run(capsys, "encode", "tiny", sound_folder / "kick_1.wav", "--out", kick)
    library.delete("tiny")
    code, _, err = run(capsys, "codes", "blend", pad, kick, "--weight", 0.5, "--out", out)
    assert code == 1 and "no model in the library has id" in err and "--model" in err
    assert run(capsys, "codes", "blend", pad, kick, "--weight", 0.5, "--out", out, "--model", tiny_model_file)[0] == 0


def test_real_console_script(library, sound_folder, tmp_path, loaded_tiny):
    script = Path(sys.executable).parent / "distill"
    codes = tmp_path / "hat.json"
    env = {**os.environ, "DISTILL_HOME": str(library.home)}
    encoded = subprocess.run([str(script), "encode", "tiny", str(sound_folder / "hat_1.wav"), "--out", str(codes)], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert encoded.returncode == 0, encoded.stderr
    assert encoded.stdout.startswith("encoded hat_1.wav with model 'tiny'")
    assert load_codes(codes).grid == encode_file(loaded_tiny, sound_folder / "hat_1.wav")


def test_a_grid_too_long_to_decode_is_one_line(library, sound_folder, tmp_path, capsys):
    """A 3 x 3,000,000 grid (19 hours) is refused before any decoding, not decoded without bound."""
    from dataclasses import replace

    from engine.codes.grid import save_codes

    short = encode_file(load_vqvae(library.resolve("tiny")), sound_folder / "pad_1.wav")
    columns = 3_000_000
    frames = columns * short.downsample
    huge = replace(short, codes=np.zeros((3, columns), dtype=np.int64), frames=frames, samples=(frames - 1) * short.hop_length)
    save_codes(tmp_path / "huge.json", huge)
    code, out, err = run(capsys, "decode", "tiny", tmp_path / "huge.json", "--out", tmp_path / "huge.wav")
    assert (code, out) == (1, "")
    assert err == "error: pad_1.wav has 3000000 columns (2322 minutes); distill decodes at most 65536 (51 minutes)\n"
    assert not (tmp_path / "huge.wav").exists()


@pytest.mark.parametrize("field, value", [("levels", 100), ("hop_length", 2**40), ("sample_rate", 1), ("codebook_size", 4096), ("downsample", 3)])
def test_a_grid_edited_by_hand_to_another_shape_is_refused_by_its_model(library, sound_folder, tmp_path, capsys, field, value):
    """A grid that keeps its model's id but claims other levels or timing made decoding fail with an IndexError
    (100 levels) or a ValueError (hop 2^40), or write 16756 s of audio (sample rate 1) (issue 16 probes)."""
    import json

    assert run(capsys, "encode", "tiny", sound_folder / "kick_1.wav", "--out", tmp_path / "kick.json")[0] == 0
    data = json.loads((tmp_path / "kick.json").read_text())
    if field == "levels":  # a grid's levels are its rows of codes
        model_value = len(data["codes"])
        data["codes"], data["labels"] = [data["codes"][0]] * value, [f"L{n}" for n in range(value)]
    else:
        model_value, data[field] = data[field], value
        data["frames"] = len(data["codes"][0]) * data["downsample"]  # the file stays self-consistent
        data["samples"] = (data["frames"] - 1) * data["hop_length"]
    (tmp_path / "kick.json").write_text(json.dumps(data))
    code, out, err = run(capsys, "decode", "tiny", tmp_path / "kick.json", "--out", tmp_path / "kick.wav")
    assert (code, out) == (1, "")
    assert err == f"error: the codes of kick_1.wav have {field} {value}, but model 'tiny', which made them, has {model_value}: the grid file was changed since\n"
    assert not (tmp_path / "kick.wav").exists()


def test_encoding_a_file_whose_name_is_not_utf8_is_one_line(library, sound_folder, tmp_path, capsys):
    latin1 = os.fsdecode(os.fsencode(tmp_path) + b"/caf\xe9.wav")
    os.link(sound_folder / "pad_1.wav", latin1)
    code, out, err = run(capsys, "encode", "tiny", latin1, "--out", tmp_path / "cafe.json")
    assert (code, out) == (1, "") and err.count("\n") == 1
    assert "caf\ufffd.wav' has a name that is not valid UTF-8; rename it to use it" in err


def test_reimagine_and_continue_with_the_prior(home, tiny_prior_file, sound_folder, tmp_path, capsys):
    from engine.codes.grid import load_codes

    Library().import_file(tiny_prior_file)
    pad, longer = tmp_path / "pad.json", tmp_path / "longer.json"
    assert run(capsys, "encode", "tiny", sound_folder / "pad_1.wav", "--out", pad)[0] == 0
    before = load_codes(pad).grid
    code, out, _ = run(capsys, "codes", "reimagine", pad, "--start", 5, "--end", 20, "--levels", "timbre", "detail", "--seed", 4)
    assert code == 0 and out.startswith("reimagine columns 5-19 (Timbre, Detail) (seed 4)")
    after = load_codes(pad)
    assert np.array_equal(after.grid.codes[0], before.codes[0]) and (after.grid.codes[1:, 5:20] != before.codes[1:, 5:20]).any()
    copy_line = out.splitlines()[1]  # memorisation stays visible
    assert copy_line.startswith("longest verbatim copy of a training file:") and f"the grid has {before.columns} columns, columns 5-19 redrawn" in copy_line
    assert [step.grid for step in after.undo] == [before]  # one undoable edit

    code, out, _ = run(capsys, "codes", "continue", pad, "--seconds", 1, "--from", "0.5s", "--out", longer)
    seed_line, report = out.splitlines()[:2]
    assert code == 0 and seed_line.startswith("seed ") and report.startswith("continued pad_1.wav after column 11 for 1 s")
    assert out.splitlines()[2].startswith("longest verbatim copy of a training file:") and "the first 11 are the prompt" in out
    grown = load_codes(longer)
    assert np.array_equal(grown.grid.codes[:, :11], after.grid.codes[:, :11]) and grown.grid.columns == 11 + round(1 / grown.grid.column_seconds)
    assert not grown.undo and load_codes(pad) == after  # a new file; FILE is unchanged

    Library().delete("tiny")
    code, _, err = run(capsys, "codes", "reimagine", pad, "--start", 0, "--end", 3)
    assert code == 1 and "no model in the library has id" in err
