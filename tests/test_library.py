"""The model library: files are the truth, the SQLite index follows them; search accepts any text."""

from __future__ import annotations

import os
import random
import shutil
import sqlite3
import threading

import pytest
import torch

from engine.errors import LibraryError, ModelFileError
from engine.library import Library, check_name
from engine.modelfile import read_model_file, read_model_metadata, save_model_file


def sample_tensors() -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {"vqvae.weight": torch.randn(4, 8, generator=generator), "vqvae.steps": torch.arange(3)}


def sample_metadata(name: str = "drums", **changes) -> dict:
    metadata = {
        "name": name,
        "created": "2026-11-21T10:00:00+00:00",
        "description": "",
        "tags": [],
        "config": {"levels": 3, "codebook_size": 64, "codebook_dim": 128},
        "mel": {"sample_rate": 44100},
        "dataset": {"folder": "/kit", "file_count": 2, "duration_s": 31.5, "files": ["kick1.wav", "snare.wav"]},
        "training": {"epochs": 40, "seconds": 120.0, "best_val_loss": 0.31, "history": []},
        "health": {
            "levels": [
                {"level": 0, "label": "Structure", "utilisation": 0.8, "perplexity": 5.0, "dead": 12, "status": "Healthy", "light": "green"},
                {"level": 1, "label": "Detail", "utilisation": 0.1, "perplexity": 5.0, "dead": 58, "status": "Codebook collapse detected", "light": "red"},
                {"level": 2, "label": "Texture", "utilisation": 0.4, "perplexity": 5.0, "dead": 38, "status": "Some codes underused", "light": "yellow"},
            ]
        },
        "prior": None,
    }
    return {**metadata, **changes}


def add_model(library: Library, name: str, **changes):
    """Write a model into the library as the trainer does."""
    entry, notice = library.save_new(name, lambda path: save_model_file(path, sample_tensors(), sample_metadata(name, **changes)))
    assert notice == ""
    return entry


def real_model(path, tiny_model_file, **changes):
    """A model file that really loads (the tiny model's weights and config), its metadata changed by `changes`."""
    tensors, metadata = read_model_file(tiny_model_file)
    return save_model_file(path, tensors, {**metadata, **changes})


def folder_listing(library: Library) -> list[str]:
    return sorted(path.name for path in library.models_dir.iterdir())


@pytest.fixture
def library(tmp_path, monkeypatch) -> Library:
    monkeypatch.setenv("DISTILL_HOME", str(tmp_path / "home"))
    return Library()


def test_new_library_is_empty_and_lives_in_distill_home(library, tmp_path):
    assert library.list() == []
    assert library.models_dir == tmp_path / "home" / "models"
    assert (tmp_path / "home" / "library.db").is_file()


def test_register_and_get_read_the_metadata(library):
    entry = add_model(library, "drums", tags=["kit"], description="punchy")

    assert entry == library.get("drums")
    assert entry.name == "drums"
    assert entry.path == library.models_dir / "drums.sda"
    assert (entry.levels, entry.codebook_size, entry.sample_rate) == (3, 64, 44100)
    assert (entry.file_count, entry.duration_s) == (2, 31.5)
    assert entry.size_bytes == entry.path.stat().st_size
    assert entry.created == "2026-11-21T10:00:00+00:00"
    assert (entry.description, entry.tags) == ("punchy", ["kit"])
    assert entry.has_prior is False
    assert entry.health_summary == "Codebook collapse detected"  # the worst light wins
    assert entry.metadata == read_model_metadata(entry.path)


def test_missing_keys_are_tolerated(library):
    entry, _ = library.save_new("bare", lambda path: save_model_file(path, sample_tensors(), {"prior": {"layers": 2}}))

    assert (entry.levels, entry.codebook_size, entry.file_count, entry.duration_s) == (None, None, None, None)
    assert (entry.created, entry.description, entry.tags, entry.health_summary) == ("", "", [], None)
    assert entry.has_prior is True


def test_list_is_sorted_by_name_ignoring_case(library):
    for name in ("pads", "Bass", "drums", "atmos"):
        add_model(library, name)
    assert [entry.name for entry in library.list()] == ["atmos", "Bass", "drums", "pads"]


def test_get_unknown_name_points_to_the_list(library):
    with pytest.raises(LibraryError) as caught:
        library.get("nope")
    assert str(caught.value) == "no model named 'nope' in the library (see `distill models list`)"


def test_names_ignore_case_and_a_near_miss_names_the_closest(library):
    add_model(library, "mykit")
    add_model(library, "pads")

    assert library.get("MyKit").name == "mykit"
    assert library.resolve("MYKIT") == library.models_dir / "mykit.sda"
    assert library.canonical_name("MyKit") == "mykit" and library.canonical_name("other") == "other"
    assert library.find("MyKit").name == "mykit"
    with pytest.raises(LibraryError) as caught:
        library.get("mykti")
    assert str(caught.value) == "no model named 'mykti' in the library; did you mean 'mykit'?"
    with pytest.raises(LibraryError, match="did you mean 'pads'"):
        library.resolve("Pad")
    with pytest.raises(LibraryError, match=r"see `distill models list`"):
        library.resolve("zzzzzz")  # nothing close: where to look instead

    assert library.rename("MYKIT", "MyKit").name == "MyKit"  # a change of case is a rename
    assert folder_listing(library) == ["MyKit.sda", "pads.sda"]
    library.delete("mykit")
    assert [entry.name for entry in library.list()] == ["pads"]


def test_the_exact_spelling_wins_over_a_file_differing_in_case(library):
    add_model(library, "kit")
    save_model_file(library.models_dir / "KIT.sda", sample_tensors(), sample_metadata("KIT", description="upper"))  # put there by hand

    assert library.get("KIT").description == "upper" and library.get("kit").description == ""


@pytest.mark.parametrize("name", ["a", "drums_v2.1-final", "X" * 64, "808"])
def test_valid_names(library, name):
    assert library.path_for(name) == library.models_dir / f"{name}.sda"
    assert check_name(name) == name


@pytest.mark.parametrize("name", ["", "my drums", "../up", "a/b", ".hidden", "-flag", "x" * 65, "dr\u00fcms", "a\nb"])
def test_invalid_names_are_refused(library, name):
    with pytest.raises(LibraryError, match="is not a valid model name"):
        library.path_for(name)


def test_search_by_prefix_description_tags_and_dataset(library):
    add_model(library, "drums", tags=["percussion"], description="acoustic kit")
    add_model(library, "pads", description="slow evolving textures", dataset={"folder": "/warm", "files": ["pad_c.wav"]})

    def names(query: str) -> list[str]:
        return [entry.name for entry in library.search(query)]

    assert names("dru") == ["drums"]
    assert names("ACOUST") == ["drums"]
    assert names("percus") == ["drums"]
    assert names("snare") == ["drums"]
    assert names("kick1.wav") == ["drums"]
    assert names("warm") == ["pads"]
    assert names("pad_c") == ["pads"]
    assert names("evolving slow") == ["pads"]  # every word must match, in any order
    assert names("slow kit") == []
    assert names("violin") == []
    assert names("   ") == ["drums", "pads"]


def test_search_ranks_name_hits_first(library):
    add_model(library, "aaa", description="a kick drum collection")
    add_model(library, "kick")
    assert [entry.name for entry in library.search("kick")][0] == "kick"


WEIRD_QUERIES = ['"', "AND (", "a OR", "NOT", "NEAR(a b)", "*", "^dru", "name:drums", "{name tags}: x", "'",
                 "\x00", "dru\x00ms", "drums\"", "(((", ")", "-", "+", "\\", "%", "_", ";DROP TABLE files;--"]


@pytest.mark.parametrize("query", WEIRD_QUERIES)
def test_search_accepts_any_text(library, query):
    add_model(library, "drums")
    assert isinstance(library.search(query), list)


def test_search_survives_random_punctuation(library):
    add_model(library, "drums")
    rng = random.Random(0)
    alphabet = "\"'()*^:{}+-.,;!?<>=|&%$#@~`[]\\/ abc\x00\t"
    for _ in range(300):
        query = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
        assert isinstance(library.search(query), list), query


def test_operators_are_matched_as_words(library):
    add_model(library, "drums", description="rock and roll")
    assert [entry.name for entry in library.search("AND")] == ["drums"]
    assert [entry.name for entry in library.search('"drums')] == ["drums"]


def test_rename_moves_the_file_and_updates_its_metadata(library):
    add_model(library, "drums")
    tensors_before, _ = read_model_file(library.path_for("drums"))

    entry = library.rename("drums", "kit-2")

    assert entry.name == "kit-2"
    assert folder_listing(library) == ["kit-2.sda"]
    tensors_after, metadata = read_model_file(entry.path)
    assert metadata["name"] == "kit-2"
    assert all(torch.equal(tensors_after[key], tensor) for key, tensor in tensors_before.items())
    assert [e.name for e in library.search("kit")] == ["kit-2"]
    assert library.search("drums") == []
    with pytest.raises(LibraryError):
        library.get("drums")


def test_rename_refuses_a_taken_name_even_in_another_case(library):
    add_model(library, "drums")
    add_model(library, "pads")

    for new in ("pads", "PADS"):
        with pytest.raises(LibraryError, match="already in the library"):
            library.rename("drums", new)
    assert folder_listing(library) == ["drums.sda", "pads.sda"]
    assert read_model_metadata(library.path_for("drums"))["name"] == "drums"


def test_rename_refuses_bad_or_unknown_names(library):
    add_model(library, "drums")
    with pytest.raises(LibraryError, match="not a valid model name"):
        library.rename("drums", "my drums")
    with pytest.raises(LibraryError, match="no model named 'nope'"):
        library.rename("nope", "other")
    assert folder_listing(library) == ["drums.sda"]


def test_description_and_tags_are_written_into_the_file(library):
    add_model(library, "drums")

    library.set_description("drums", "  dusty breakbeats  ")
    entry = library.edit_tags("drums", add=["breaks", " vinyl ", "", "Breaks"])

    assert (entry.description, entry.tags) == ("dusty breakbeats", ["breaks", "vinyl"])
    metadata = read_model_metadata(library.path_for("drums"))
    assert (metadata["description"], metadata["tags"]) == ("dusty breakbeats", ["breaks", "vinyl"])
    assert [e.name for e in library.search("dusty vinyl")] == ["drums"]
    with pytest.raises(TypeError):
        library.edit_tags("drums", add="breaks")


def test_tags_are_added_and_removed_under_the_lock_ignoring_case(library):
    add_model(library, "drums", tags=["Breaks"])

    assert library.edit_tags("DRUMS", add=["vinyl", "breaks", " dusty "]).tags == ["Breaks", "vinyl", "dusty"]
    assert library.edit_tags("drums", remove=["BREAKS"], add=["lofi"]).tags == ["vinyl", "dusty", "lofi"]
    assert read_model_metadata(library.path_for("drums"))["tags"] == ["vinyl", "dusty", "lofi"]
    assert [entry.name for entry in library.search("lofi")] == ["drums"]
    with pytest.raises(LibraryError, match=r"model 'drums' has no tag 'tape' \(its tags: vinyl, dusty, lofi\)"):
        library.edit_tags("drums", remove=["tape"])
    assert library.get("drums").tags == ["vinyl", "dusty", "lofi"]  # a refused edit changes nothing


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda library: library.edit_tags("drums", add=["a,b"]), "'a,b' is not a usable tag"),
        (lambda library: library.edit_tags("drums", add=["x" * 41]), "is not a usable tag: use up to 40"),
        (lambda library: library.edit_tags("drums", add=["tab\there"]), "is not a usable tag"),
        (lambda library: library.edit_tags("drums", add=[f"t{i}" for i in range(33)]), "at most 32 tags, not 3"),
        (lambda library: library.set_description("drums", "x" * 2001), "at most 2000 characters, not 2001"),
    ],
)
def test_tags_and_descriptions_beyond_their_limits_are_refused(library, change, message):
    add_model(library, "drums", description="kept", tags=["kept"])
    with pytest.raises(LibraryError, match=message):
        change(library)
    entry = library.get("drums")
    assert (entry.description, entry.tags) == ("kept", ["kept"])


def test_delete_removes_file_and_entry(library):
    add_model(library, "drums")
    add_model(library, "pads")

    library.delete("drums")

    assert folder_listing(library) == ["pads.sda"]
    assert [entry.name for entry in library.list()] == ["pads"]
    assert library.search("dru") == []
    with pytest.raises(LibraryError):
        library.delete("drums")


def test_files_dropped_in_or_removed_by_hand_are_picked_up(library, tmp_path):
    outside = save_model_file(tmp_path / "other.sda", sample_tensors(), sample_metadata("strings", tags=["bowed"]))
    shutil.copy(outside, library.models_dir / "strings.sda")

    assert [entry.name for entry in library.list()] == ["strings"]
    assert [entry.name for entry in library.search("bowed")] == ["strings"]

    save_model_file(library.path_for("strings"), sample_tensors(), sample_metadata("strings", tags=["plucked"]))
    assert [entry.name for entry in library.search("plucked")] == ["strings"]
    assert library.search("bowed") == []

    (library.models_dir / "strings.sda").unlink()
    assert library.list() == []
    assert library.search("plucked") == []


def test_links_pipes_and_devices_named_like_models_are_not_listed(library):
    # A link in a loop made every command that lists the library a traceback (issue 16 probes); a pipe
    # must not be opened (reading it would wait for a writer for ever).
    add_model(library, "drums")
    models = library.models_dir
    (models / "loop.sda").symlink_to("loop.sda")
    (models / "dangling.sda").symlink_to("missing.sda")
    (models / "zero.sda").symlink_to("/dev/zero")
    os.mkfifo(models / "pipe.sda")
    (models / "folder.sda").mkdir()
    assert [entry.name for entry in library.list()] == ["drums"]
    assert library.problems() == {}
    with pytest.raises(LibraryError, match="no model named 'pipe' in the library"):
        library.get("pipe")


def test_another_library_object_sees_changes(library, tmp_path):
    other = Library(tmp_path / "home")
    add_model(library, "drums")
    assert [entry.name for entry in other.list()] == ["drums"]
    other.delete("drums")
    assert library.list() == []


def test_a_lost_or_damaged_index_rebuilds_from_files(library):
    add_model(library, "drums", description="acoustic")
    add_model(library, "pads")

    library.db_path.unlink()
    assert [entry.name for entry in Library().list()] == ["drums", "pads"]

    library.db_path.write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        library.db_path.with_name(library.db_path.name + suffix).unlink(missing_ok=True)
    rebuilt = Library()
    assert [entry.name for entry in rebuilt.search("acoustic")] == ["drums"]
    # the damaged file also held presets and history: it is kept aside, not deleted
    kept = list(library.db_path.parent.glob("library.db.damaged-*"))
    assert len(kept) == 1 and kept[0].read_bytes() == b"this is not a database" * 100


def test_index_of_another_schema_version_is_rebuilt(library):
    add_model(library, "drums")
    with sqlite3.connect(library.db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    assert [entry.name for entry in Library().list()] == ["drums"]


def test_damaged_files_are_reported_not_listed(library):
    add_model(library, "drums")
    (library.models_dir / "broken.sda").write_bytes(b"\x00" * 100)
    (library.models_dir / "my drums.sda").write_bytes(library.path_for("drums").read_bytes())
    (library.models_dir / ".drums.sda.tmp123.sda").write_bytes(b"half-written")  # an atomic write in progress
    (library.models_dir / "notes.txt").write_text("not a model")

    assert [entry.name for entry in library.list()] == ["drums"]
    problems = library.problems()
    assert sorted(problems) == ["broken.sda", "my drums.sda"]
    assert "broken.sda is damaged" in problems["broken.sda"]
    assert "name distill cannot use" in problems["my drums.sda"]
    with pytest.raises(ModelFileError, match="broken.sda"):
        library.get("broken")

    shutil.copy(library.path_for("drums"), library.models_dir / "broken.sda")
    assert [entry.name for entry in library.list()] == ["broken", "drums"]


def test_import_copies_a_file_in(library, tmp_path, tiny_model_file):
    source = real_model(tmp_path / "downloaded.sda", tiny_model_file, name="strings")
    before = source.read_bytes()

    entry = library.import_file(source)

    assert entry.name == "strings"
    assert entry.path == library.models_dir / "strings.sda"
    assert source.read_bytes() == before
    assert read_model_file(entry.path)[1] == read_model_file(source)[1]

    renamed = library.import_file(source, name="strings-2")
    assert read_model_metadata(renamed.path)["name"] == "strings-2"
    assert folder_listing(library) == ["strings-2.sda", "strings.sda"]


def test_import_name_falls_back_to_the_file_stem(library, tmp_path, tiny_model_file):
    tensors, metadata = read_model_file(tiny_model_file)
    del metadata["name"]
    source = save_model_file(tmp_path / "found.sda", tensors, metadata)
    assert library.import_file(source).name == "found"


def test_import_refuses_taken_names_and_bad_files(library, tmp_path, tiny_model_file):
    add_model(library, "drums")
    good = real_model(tmp_path / "drums.sda", tiny_model_file, name="drums")
    data = good.read_bytes()
    truncated = tmp_path / "truncated.sda"
    truncated.write_bytes(data[: len(data) // 2])
    spaced = real_model(tmp_path / "spaced.sda", tiny_model_file, name="my drums")
    listing = folder_listing(library)

    with pytest.raises(LibraryError, match="'drums' is already in the library"):
        library.import_file(good)
    with pytest.raises(ModelFileError, match="truncated.sda"):
        library.import_file(truncated)
    with pytest.raises(ModelFileError, match="does not exist"):
        library.import_file(tmp_path / "missing.sda")
    with pytest.raises(LibraryError, match="not a valid model name"):
        library.import_file(spaced)

    assert folder_listing(library) == listing
    assert [entry.name for entry in library.list()] == ["drums"]


def test_export_to_a_folder_or_a_file(library, tmp_path):
    entry = add_model(library, "drums")

    to_folder = library.export("drums", tmp_path)
    to_file = library.export("drums", tmp_path / "out" / "copy.sda")

    assert to_folder == tmp_path / "drums.sda"
    assert to_file == tmp_path / "out" / "copy.sda"
    for copy in (to_folder, to_file):
        assert copy.read_bytes() == entry.path.read_bytes()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["copy.sda"]

    with pytest.raises(LibraryError, match="already exists"):
        library.export("drums", to_file)
    with pytest.raises(LibraryError, match="no model named 'nope'"):
        library.export("nope", tmp_path)


def test_resolve_accepts_a_path_or_a_name(library, tmp_path, monkeypatch):
    add_model(library, "drums")
    outside = save_model_file(tmp_path / "loose.sda", sample_tensors(), sample_metadata("loose"))
    monkeypatch.chdir(tmp_path)

    assert library.resolve(outside) == outside
    assert library.resolve("loose.sda") == tmp_path / "loose.sda"
    assert library.resolve("drums") == library.models_dir / "drums.sda"
    for missing in ("nope", "nope.sda", str(tmp_path)):
        with pytest.raises(LibraryError, match="is neither a model file nor a model in the library"):
            library.resolve(missing)


def test_find_reads_a_library_model_or_a_loose_file(library, tmp_path):
    add_model(library, "drums", description="kit")
    loose = save_model_file(tmp_path / "loose.sda", sample_tensors(), sample_metadata("strings"))

    assert library.find("drums") == library.get("drums")
    entry = library.find(loose)
    assert (entry.name, entry.path, entry.levels) == ("strings", loose, 3)


def test_concurrent_writers_do_not_lose_models(library, tmp_path, tiny_model_file):
    sources = [real_model(tmp_path / f"m{i}.sda", tiny_model_file, name=f"m{i}") for i in range(12)]
    errors: list[BaseException] = []

    def import_some(paths):
        own = Library(tmp_path / "home")  # its own connections, like another process
        try:
            for path in paths:
                own.import_file(path)
                own.list()
        except BaseException as error:  # collected and re-raised by the test below
            errors.append(error)

    threads = [threading.Thread(target=import_some, args=(sources[i::3],)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert [entry.name for entry in library.list()] == sorted(f"m{i}" for i in range(12))


def test_import_refuses_weights_that_do_not_fit_their_configuration(library, tmp_path, tiny_model_file, tiny_prior_file):
    config = read_model_metadata(tiny_model_file)["config"]
    wider = real_model(tmp_path / "wider.sda", tiny_model_file, config={**config, "hidden": 64})
    with pytest.raises(ModelFileError, match="wider.sda holds weights that do not match its configuration"):
        library.import_file(wider)
    prior = read_model_metadata(tiny_prior_file)["prior"]
    deeper = real_model(tmp_path / "deeper.sda", tiny_prior_file, prior={**prior, "config": {**prior["config"], "n_layers": 2}})
    with pytest.raises(ModelFileError, match="deeper.sda holds prior weights that do not match its configuration"):
        library.import_file(deeper)
    assert folder_listing(library) == [] and library.list() == []


def test_temporary_model_files_of_killed_writers_are_removed_under_the_lock(library):
    add_model(library, "drums")
    killed = library.models_dir / ".strings.sda.k1ll3d9x.sda"  # what atomic_path leaves when kill -9 hits mid-write
    killed.write_bytes(b"\0" * 4096)
    other = library.models_dir / ".notes.sda"
    other.write_text("not of our naming")
    library.set_description("drums", "punchy")
    assert not killed.exists() and other.exists()
