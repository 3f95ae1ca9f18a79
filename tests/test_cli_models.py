"""`distill models ...` end to end: what the user sees on stdout/stderr and the exit status."""

from __future__ import annotations

import importlib
import io
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import engine.cli
from engine.cli.models import EMPTY_LIBRARY, format_duration, format_size
from engine.errors import LibraryError
from engine.generation.settings import GenerationSettings
from engine.library import Library
from engine.store import History, Presets
from engine.modelfile import read_model_metadata, save_model_file


def sample_metadata(name: str, **changes) -> dict:
    metadata = {
        "name": name,
        "created": "2026-11-21T10:00:00+00:00",
        "description": "",
        "tags": ["kit"],
        "config": {"levels": 3, "codebook_size": 64, "codebook_dim": 128},
        "mel": {"sample_rate": 44100, "n_mels": 80},
        "dataset": {
            "folder": "/sounds/kit",
            "file_count": 7,
            "duration_s": 31.5,
            "files": [f"kick{i}.wav" for i in range(1, 8)],
        },
        "training": {"epochs": 40, "seconds": 125.0, "best_val_loss": 0.31,
                     "history": [{"epoch": 40, "train_loss": 0.29, "val_loss": 0.31}]},
        "health": {"levels": [
            {"level": 0, "label": "Structure", "utilisation": 0.8, "perplexity": 40.1, "dead": 12,
             "status": "Healthy", "light": "green"},
            {"level": 1, "label": "Detail", "utilisation": 0.45, "perplexity": 20.0, "dead": 30,
             "status": "Some codes underused", "light": "yellow"},
        ]},
        "prior": None,
    }
    return {**metadata, **changes}


def write_model(path: Path, name: str, **changes) -> Path:
    return save_model_file(path, {"vqvae.weight": torch.randn(4, 8)}, sample_metadata(name, **changes))


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("DISTILL_HOME", str(home))
    # Only this module's commands: these tests must not depend on the other command modules importing.
    monkeypatch.setattr(engine.cli, "COMMAND_MODULES", ("engine.cli.models",))
    return home


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = engine.cli.main(["models", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def add(home: Path, name: str, **changes) -> Path:
    return write_model(home / "models" / f"{name}.sda", name, **changes)


def test_empty_library_says_how_to_get_a_model(home, capsys):
    assert run(capsys, "list") == (0, EMPTY_LIBRARY + "\n", "")


def test_list_prints_an_aligned_table(home, capsys):
    add(home, "drums")
    add(home, "pads-with-a-long-name", prior={"layers": 2}, dataset={"file_count": 120, "duration_s": 3725.0})

    code, out, err = run(capsys, "list")

    assert (code, err) == (0, "")
    header, first, second = out.splitlines()
    assert header.split() == ["NAME", "CODES", "FILES", "DURATION", "PRIOR", "HEALTH", "CREATED"]
    assert first.split() == ["drums", "3x64", "7", "31.5s", "no", "Some", "codes", "underused", "2026-11-21"]
    assert second.split()[:5] == ["pads-with-a-long-name", "3x64", "120", "1h02m", "yes"]
    for column in ("CODES", "PRIOR", "HEALTH"):  # left-aligned columns start at the same place
        assert first[header.index(column) - 1] == " " and first[header.index(column)] != " "
    assert first.index("31.5s") + len("31.5s") == second.index("1h02m") + len("1h02m")  # right-aligned


def test_list_warns_about_damaged_files(home, capsys):
    add(home, "drums")
    (home / "models" / "broken.sda").write_bytes(b"junk" * 10)

    code, out, err = run(capsys, "list")

    assert code == 0
    assert "drums" in out and "broken" not in out
    assert err.startswith("warning: ") and "broken.sda is damaged" in err


def test_search_prints_matches_or_says_none(home, capsys):
    add(home, "drums")
    add(home, "pads", tags=["ambient"], dataset={"files": ["pad.wav"]})

    code, out, _ = run(capsys, "search", "amb")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["NAME", "pads"]

    code, out, _ = run(capsys, "search", "kick", "kit")
    assert code == 0 and [line.split()[0] for line in out.splitlines()] == ["NAME", "drums"]

    for query in ("violin", '"', "AND (", "*"):
        assert run(capsys, "search", query) == (0, f"No models match '{query}'.\n", "")


def test_show_prints_everything_about_a_model(home, capsys):
    path = add(home, "drums", description="punchy kit")

    code, out, err = run(capsys, "show", "drums")

    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "drums"
    expected = [
        f"path         {path} ({format_size(path.stat().st_size)})",
        "description  punchy kit",
        "prior        no",
        "codebook_size  64",
        "sample_rate  44100",
        "files        7 (31.5s in all)",
        "first files  kick1.wav, kick2.wav, kick3.wav, kick4.wav, kick5.wav, and 2 more",
        "epochs         40",
        "time           2m05s",
        "best val loss  0.31",
        "last epoch     40: train loss 0.29, val loss 0.31",
    ]
    for fragment in expected:
        assert any(line.strip() == fragment for line in lines), fragment
    health = lines[lines.index("Health") + 1:]
    assert health[0].split() == (
        ["level", "0", "Structure", "Healthy", "utilisation", "80%", "perplexity", "40.1", "dead", "codes", "12"]
    )
    assert "Some codes underused" in health[1]


def test_show_accepts_a_file_path(home, capsys, tmp_path):
    loose = write_model(tmp_path / "loose.sda", "strings")
    code, out, _ = run(capsys, "show", str(loose))
    assert code == 0 and out.splitlines()[0] == "strings"


def test_unknown_model_is_one_error_line(home, capsys):
    code, out, err = run(capsys, "show", "nope")
    assert (code, out) == (1, "")
    assert err == "error: 'nope' is neither a model file nor a model in the library (see `distill models list`)\n"


def test_names_ignore_case_and_a_near_miss_suggests_the_closest(home, capsys):
    add(home, "mykit", description="punchy kit")

    code, out, err = run(capsys, "show", "MyKit")
    assert (code, err) == (0, "") and out.splitlines()[0] == "mykit" and "punchy kit" in out
    code, out, err = run(capsys, "show", "mikit")
    assert (code, out) == (1, "")
    assert err == "error: 'mikit' is neither a model file nor a model in the library; did you mean 'mykit'?\n"
    assert run(capsys, "rename", "MYKIT", "kit-a") == (0, "Renamed 'mykit' to 'kit-a'.\n", "")
    code, _, err = run(capsys, "delete", "kit-b", "--yes")
    assert code == 1 and "did you mean 'kit-a'?" in err
    assert run(capsys, "delete", "KIT-A", "--yes") == (0, "Deleted 'kit-a'.\n", "")


def test_tag_and_describe_are_shown_and_searched(home, capsys):
    add(home, "drums", tags=[])

    assert run(capsys, "tag", "Drums", "vinyl", "breaks") == (0, "'drums' is tagged vinyl, breaks.\n", "")
    assert run(capsys, "tag", "drums", "VINYL", "dusty") == (0, "'drums' is tagged vinyl, breaks, dusty.\n", "")
    assert run(capsys, "tag", "drums", "breaks", "--remove") == (0, "'drums' is tagged vinyl, dusty.\n", "")
    assert run(capsys, "tag", "drums") == (0, "'drums' is tagged vinyl, dusty.\n", "")
    code, _, err = run(capsys, "tag", "drums", "tape", "--remove")
    assert code == 1 and err == "error: model 'drums' has no tag 'tape' (its tags: vinyl, dusty)\n"
    code, _, err = run(capsys, "tag", "drums", "lo,fi")
    assert code == 1 and err.startswith("error: 'lo,fi' is not a usable tag") and err.count("\n") == 1

    assert run(capsys, "describe", "drums", "dusty", "breakbeats") == (0, "'drums' is described as: dusty breakbeats\n", "")
    code, out, _ = run(capsys, "show", "drums")
    assert "  description  dusty breakbeats" in out.splitlines() and "  tags         vinyl, dusty" in out.splitlines()
    assert read_model_metadata(home / "models" / "drums.sda")["tags"] == ["vinyl", "dusty"]
    code, out, _ = run(capsys, "search", "breakbeats", "vinyl")
    assert code == 0 and out.splitlines()[1].startswith("drums")
    assert run(capsys, "describe", "drums", "") == (0, "'drums' has no description now.\n", "")
    assert read_model_metadata(home / "models" / "drums.sda")["description"] == ""


def test_delete_with_yes(home, capsys):
    add(home, "drums")
    assert run(capsys, "delete", "drums", "--yes") == (0, "Deleted 'drums'.\n", "")
    assert not (home / "models" / "drums.sda").exists()


def test_delete_without_yes_refuses_when_not_interactive(home, capsys, monkeypatch):
    add(home, "drums")
    monkeypatch.setattr(sys, "stdin", io.StringIO("y\n"))

    code, out, err = run(capsys, "delete", "drums")

    assert (code, out) == (1, "")
    assert err == "error: not deleting 'drums' without confirmation; add --yes to delete it\n"
    assert (home / "models" / "drums.sda").exists()


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("answer", "deleted"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False), ("", False)]
)
def test_delete_asks_on_a_terminal(home, capsys, monkeypatch, answer, deleted):
    add(home, "drums")
    monkeypatch.setattr(sys, "stdin", FakeTerminal(answer))

    code, out, _ = run(capsys, "delete", "drums")

    assert out.startswith("Delete model 'drums' (")
    assert code == (0 if deleted else 1)
    assert out.endswith("Deleted 'drums'.\n" if deleted else "Nothing deleted.\n")
    assert (home / "models" / "drums.sda").exists() is not deleted


def test_rename(home, capsys):
    add(home, "drums")
    add(home, "pads")

    assert run(capsys, "rename", "drums", "kit") == (0, "Renamed 'drums' to 'kit'.\n", "")
    assert read_model_metadata(home / "models" / "kit.sda")["name"] == "kit"

    code, _, err = run(capsys, "rename", "kit", "pads")
    assert code == 1 and err == "error: a model named 'pads' is already in the library; choose another name\n"


def test_import_and_export_round_trip(home, capsys, tmp_path, tiny_model_file):
    source = tmp_path / "download.sda"
    source.write_bytes(tiny_model_file.read_bytes())  # import builds the model, so it must be a real one

    code, out, _ = run(capsys, "import", str(source), "--name", "violins")
    assert code == 0 and out == f"Imported 'violins' ({home / 'models' / 'violins.sda'}).\n"

    destination = tmp_path / "out"
    destination.mkdir()
    assert run(capsys, "export", "violins", str(destination)) == (
        0, f"Exported 'violins' to {destination / 'violins.sda'}.\n", ""
    )
    assert read_model_metadata(destination / "violins.sda")["name"] == "violins"


def test_import_of_a_damaged_file_changes_nothing(home, capsys, tmp_path):
    add(home, "drums")
    damaged = tmp_path / "damaged.sda"
    damaged.write_bytes(write_model(tmp_path / "whole.sda", "x").read_bytes()[:200])

    code, out, err = run(capsys, "import", str(damaged))

    assert (code, out) == (1, "")
    assert err.startswith(f"error: {damaged} is damaged") and err.count("\n") == 1
    assert [entry.name for entry in Library().list()] == ["drums"]
    assert sorted(p.name for p in (home / "models").iterdir()) == ["drums.sda"]


def test_models_without_action_prints_help(home, capsys):
    code, out, _ = run(capsys)
    assert code == 2 and "list" in out and "export" in out


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "-"), (0.25, "0.2s"), (59.94, "59.9s"), (59.97, "1m00s"), (125.4, "2m05s"), (3725, "1h02m")],
)
def test_format_duration(seconds, text):
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"), [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KB"), (5 * 1024**2, "5.0 MB")]
)
def test_format_size(size, text):
    assert format_size(size) == text


def _command_modules_import_error() -> str | None:
    """Why the real `distill` script cannot start (another command module is missing or broken), if so."""
    for name in engine.cli.COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ImportError as error:
            return f"{name} does not import yet: {error}"
    return None


def test_real_console_script(tmp_path):
    script = Path(sys.executable).parent / "distill"
    reason = _command_modules_import_error()
    if reason:
        pytest.skip(reason)
    home = tmp_path / "home"
    write_model(home / "models" / "drums.sda", "drums")
    env = {**os.environ, "DISTILL_HOME": str(home)}

    listed = subprocess.run(
        [str(script), "models", "list"], env=env, capture_output=True, text=True, timeout=60
    )

    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split()[:2] == ["drums", "3x64"]


def test_list_skips_deeply_nested_and_hostile_files_with_one_line_each(home, capsys):
    from safetensors.torch import save_file

    add(home, "drums")
    deep = '{"name": "deep", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"
    save_file({"vqvae.weight": torch.zeros(2)}, str(home / "models" / "deep.sda"), metadata={"format": "distill-model", "version": "2", "metadata": deep})
    add(home, "huge", config={"levels": 3, "codebook_size": 2**40, "hidden": 300000})

    code, out, err = run(capsys, "list")

    assert code == 0 and "drums" in out and "deep" not in out and "huge" not in out
    assert err.splitlines() == [
        f"warning: {home / 'models' / 'deep.sda'} has corrupt metadata (nested more than 32 levels deep)",
        f"warning: {home / 'models' / 'huge.sda'} declares config codebook_size = 1099511627776, outside the 2 to 4096 distill accepts",
    ]
    code, _, err = run(capsys, "show", "huge")
    assert code == 1 and err.count("\n") == 1 and "outside the 2 to 4096" in err


def test_damaged_pages_in_the_index_are_set_aside_and_rebuilt(home, capsys):
    for index in range(30):
        add(home, f"model{index:02d}", description="words " * 200)
    assert run(capsys, "list")[0] == 0
    db = home / "library.db"
    pages = db.stat().st_size // 4096
    assert pages > 4 and not Path(f"{db}-wal").exists()  # checkpointed: the pages are in the file
    with open(db, "r+b") as handle:  # the file header (page 1) stays intact; every other page's is broken
        for page in range(1, pages):
            handle.seek(page * 4096)
            handle.write(b"\xff" * 16)

    code, out, err = run(capsys, "list")
    assert code == 0 and out.count("\n") == 31  # header and 30 models
    assert err.startswith(f"warning: {db} was damaged (integrity check: ") and err.endswith("and the index rebuilt\n")
    assert run(capsys, "list") == (0, out, "")  # and it stays repaired
    assert len(list(home.glob("library.db.damaged-*"))) == 1


@pytest.mark.parametrize(
    "damage, found",
    [
        ("UPDATE files SET metadata = CAST(x'7b22ff22' AS TEXT)", "Could not decode to UTF-8 column 'metadata'"),
        ("DROP TABLE files; CREATE TABLE files (x)", "no such column: file"),
    ],
    ids=["text that is not UTF-8", "a table changed by hand"],
)
def test_damage_the_quick_check_misses_is_set_aside_and_rebuilt(home, capsys, damage, found):
    # Random bytes in the cells of library.db passed SQLite's quick check and then failed every command with
    # "cannot be used (Could not decode to UTF-8 ...)" (issue 16 probes).
    add(home, "drums")
    assert run(capsys, "list")[0] == 0
    db = home / "library.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(damage)
    conn.close()

    code, out, err = run(capsys, "list")
    assert code == 0 and "drums" in out
    assert err.startswith(f"warning: {db} was damaged (unreadable: {found}") and err.endswith("and the index rebuilt\n")
    assert run(capsys, "list") == (0, out, "")


def test_an_index_that_is_a_folder_or_locked_is_one_sentence(home, capsys, monkeypatch):
    add(home, "drums")
    (home / "library.db").mkdir(parents=True)
    code, out, err = run(capsys, "list")
    assert (code, out) == (1, "") and err == f"error: {home / 'library.db'} is a folder, but distill keeps its library index there; move the folder away\n"
    (home / "library.db").rmdir()

    assert run(capsys, "list")[0] == 0
    monkeypatch.setattr("engine.library.BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(home / "library.db", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another process in the middle of a long change
    try:
        code, out, err = run(capsys, "rename", "drums", "kit")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (code, out) == (1, "")
    assert err == f"error: {home / 'library.db'} is busy: another distill process held it for more than 0.2 s; try again\n"
    assert run(capsys, "rename", "drums", "kit")[0] == 0


def test_a_read_only_data_folder_still_lists_and_refuses_changes_in_one_sentence(small_disk, capsys, monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("DISTILL_HOME", str(home))
    add(home, "drums")
    add(home, "pads")
    assert run(capsys, "list")[0] == 0
    Presets().save("soft", GenerationSettings(temperature=0.5))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)

    code, out, err = run(capsys, "list")
    assert code == 0 and "drums" in out and "pads" in out
    assert err.startswith(f"warning: {home / 'library.db'} cannot be written (") and err.endswith("the library index is kept in memory for now\n")
    assert run(capsys, "search", "pad")[1].count("pads") == 1
    code, out, err = run(capsys, "rename", "drums", "kit")
    assert (code, out) == (1, "") and err.splitlines()[-1] == f"error: cannot change the library in {home / 'models'} (Read-only file system)"

    assert [preset.name for preset in Presets().list()] == ["soft"]  # presets and history are read as they are
    with pytest.raises(LibraryError, match=f"^{home / 'library.db'} cannot be written \\(attempt to write a readonly database\\)$"):
        Presets().save("loud", GenerationSettings(temperature=1.0))


def test_presets_and_history_on_a_read_only_data_folder_that_never_had_them_say_it_cannot_be_written(small_disk, monkeypatch):
    # They said "library.db cannot be used (no such table: store_schema)" (issue 16 probes).
    home = small_disk / "home"
    monkeypatch.setenv("DISTILL_HOME", str(home))
    add(home, "drums")
    Library().list()  # library.db now holds the index, but no presets or history tables
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    for store in (Presets, History):
        with pytest.raises(LibraryError, match=f"^{home / 'library.db'} cannot be written \\("):
            store()


def test_a_data_folder_that_cannot_hold_folders_is_one_sentence(small_disk, capsys, monkeypatch, sound_folder):
    # Each ended in a FileExistsError, NotADirectoryError or OSError traceback from mkdir (issue 16 probes).
    (small_disk / "file").write_text("x")
    (small_disk / "home" / "models").parent.mkdir()
    (small_disk / "home" / "models").write_text("x")
    for home, message in (
        (small_disk / "file", f"{small_disk / 'file'} is a file, but distill keeps a folder there; move the file away"),
        (small_disk / "file" / "below", f"cannot make the folder {small_disk / 'file' / 'below'} (Not a directory)"),
        (small_disk / "home", f"{small_disk / 'home' / 'models'} is a file, but distill keeps a folder there; move the file away"),
    ):
        monkeypatch.setenv("DISTILL_HOME", str(home))
        assert run(capsys, "list") == (1, "", f"error: {message}\n")
    monkeypatch.setenv("DISTILL_HOME", str(small_disk / "ro"))
    add(small_disk / "ro", "drums")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    assert engine.cli.main(["train", str(sound_folder), "--name", "kit", "--epochs", "1"]) == 1
    assert capsys.readouterr().err.endswith(f"error: cannot make the folder {small_disk / 'ro' / 'checkpoints'} (Read-only file system)\n")


def test_on_a_full_disk_models_list_and_delete_still_work(small_disk, fill_disk, capsys, monkeypatch):
    home = small_disk / "home"
    monkeypatch.setenv("DISTILL_HOME", str(home))
    for name in ("big", "small"):
        save_model_file(home / "models" / f"{name}.sda", {"vqvae.weight": torch.zeros(100_000)}, sample_metadata(name))
    assert run(capsys, "list")[0] == 0
    fill_disk(small_disk)

    code, out, err = run(capsys, "list")
    assert code == 0 and "big" in out and "small" in out and "kept in memory" in err
    code, out, err = run(capsys, "delete", "big", "--yes")
    assert (code, out) == (0, "Deleted 'big'.\n")
    assert not (home / "models" / "big.sda").exists()
    code, out, err = run(capsys, "list")  # the space it freed lets the index be written again
    assert (code, err) == (0, "") and "big" not in out and "small" in out
