"""`distill outputs clean`: sound files leave the outputs folder, the history keeps its entries and can replay them."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

import engine.cli
from engine.cli import main
from engine.errors import DistillError
from engine.library import Library
from engine.outputs import clean_outputs
from engine.store import History

DAY = 24 * 60 * 60


def write(path: Path, size: int = 100, age_days: float = 0.0) -> Path:
    path.write_bytes(b"x" * size)
    stamp = time.time() - age_days * DAY
    os.utime(path, (stamp, stamp))
    return path


def test_only_old_enough_sound_files_directly_in_the_folder_go(tmp_path):
    old = write(tmp_path / "old.wav", 300, age_days=10)
    new = write(tmp_path / "new.flac", 200, age_days=1)
    notes = write(tmp_path / "notes.txt", 50, age_days=10)  # not a sound
    (tmp_path / "inner").mkdir()
    inner = write(tmp_path / "inner" / "deep.wav", 50, age_days=10)  # not directly in the folder
    elsewhere = write(tmp_path.parent / f"{tmp_path.name}-target.wav", 50, age_days=10)
    (tmp_path / "link.wav").symlink_to(elsewhere)

    cleaned = clean_outputs(tmp_path, older_than_days=7)
    assert (cleaned.removed, cleaned.freed_bytes, cleaned.kept) == (1, 300, 1)
    assert not old.exists() and new.exists() and notes.exists() and inner.exists() and elsewhere.exists()
    assert clean_outputs(tmp_path).removed == 1 and not new.exists()  # 0 days: every sound file


def test_kept_paths_stay(tmp_path):
    keep = write(tmp_path / "keep.wav", age_days=3)
    write(tmp_path / "other.wav", age_days=3)
    cleaned = clean_outputs(tmp_path, keep=frozenset({keep}))
    assert (cleaned.removed, cleaned.kept) == (1, 1) and keep.exists()


@pytest.mark.parametrize("days", [-1, 36501, float("nan"), True, "3"])
def test_a_bad_age_or_folder_is_one_sentence(tmp_path, days):
    with pytest.raises(DistillError, match="^the age must be a number of days from 0 to 36500, not"):
        clean_outputs(tmp_path, older_than_days=days)
    with pytest.raises(DistillError, match="is not a folder"):
        clean_outputs(tmp_path / "missing")


def test_the_command_cleans_and_the_history_replays_a_removed_sound(home, tiny_prior_file, capsys, monkeypatch):
    monkeypatch.setattr(engine.cli, "COMMAND_MODULES", ("engine.cli.generate", "engine.cli.outputs"))
    Library().import_file(tiny_prior_file)
    assert main(["generate", "tiny", "--duration", "0.3", "--seed", "5", "--count", "2"]) == 0
    first, second = [Path(line) for line in capsys.readouterr().out.splitlines()]
    decoded = write(home / "outputs" / "tiny_A_decoded.wav")  # a file with no history entry

    assert main(["outputs", "clean", "--keep-history"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Removed 1 sound file(s)") and "kept 2" in out
    assert first.exists() and second.exists() and not decoded.exists()

    assert main(["outputs", "clean", "--older-than", "1"]) == 0  # nothing is a day old
    assert capsys.readouterr().out.startswith("Removed 0 sound file(s)")
    assert main(["outputs", "clean"]) == 0
    assert "Removed 2 sound file(s)" in capsys.readouterr().out and not first.exists()

    assert [r.id for r in History().list()] == [2, 1]  # the history keeps its entries
    assert main(["history", "show", "1"]) == 0
    assert f"{first} (missing)" in capsys.readouterr().out
    assert main(["history", "regenerate", "1"]) == 0
    captured = capsys.readouterr()
    assert captured.err == f"note: the file of generation #1, {first}, is gone; the sound is made again as a new file\n"
    assert Path(captured.out.strip()).is_file()

    assert main(["outputs", "clean", "--older-than", "-2"]) == 1
    assert capsys.readouterr().err == "error: the age must be a number of days from 0 to 36500, not -2.0\n"


def test_the_engine_says_a_replayed_entry_s_file_is_gone(home, tiny_prior_file, tmp_path):
    from engine.core import Engine
    from engine.events import JobProgress

    Library().import_file(tiny_prior_file)
    engine = Engine(out_dir=tmp_path / "out")
    events = []
    engine.subscribe(events.append)
    try:
        engine.load_model("tiny")
        made = engine.generate(0.3, seed=4).result(60)
        record = engine.generations(1)[0]
        assert clean_outputs(tmp_path / "out").removed == 1 and not made.path.exists()
        again = engine.replay(record.id).result(60)
        assert again.path.is_file()
        messages = [e.message for e in events if isinstance(e, JobProgress) and e.message.startswith("making generation")]
        assert messages == [f"making generation #{record.id} again (the file of generation #{record.id}, {made.path}, is gone; the sound is made again as a new file)"]
    finally:
        engine.shutdown()
