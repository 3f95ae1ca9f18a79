"""Presets and generation history in the library's SQLite file (real files, real SQLite)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from engine.generation.settings import LEGACY_INVERSION, ExportSettings, GenerationSettings, InversionSettings
from engine.library import Library
from engine.store import STORE_SCHEMA_VERSION, History, Presets, StoreError

WARM = GenerationSettings(duration_s=2.0, temperature=0.8, top_k=10, top_p=0.9, stereo_width=0.5)


def _record(history: History, seed: int = 1, **changes):
    fields = {
        "model_name": "kit", "model_path": "/models/kit.sda", "model_id": "a" * 16, "prior_id": "b" * 16, "seed": seed, "threads": 2,
        "settings": WARM, "export": ExportSettings("flac", 48000, 24), "path": f"/out/kit_seed{seed}.flac",
        "inversion": InversionSettings(),
    }
    return history.add(**(fields | changes))


def test_presets_save_get_list_replace_delete(home):
    presets = Presets()
    assert presets.list() == []
    saved, replaced = presets.save("warm", WARM)
    assert not replaced and saved.settings == WARM and saved.name == "warm"
    presets.save("bright", GenerationSettings(temperature=1.3))
    assert [p.name for p in presets.list()] == ["bright", "warm"]
    assert Presets().get("WARM").settings == WARM  # names ignore case, and survive a new connection

    again, replaced = presets.save("Warm", GenerationSettings())
    assert replaced and again.name == "Warm"
    assert [p.name for p in presets.list()] == ["bright", "Warm"]
    assert presets.get("warm").settings == GenerationSettings()

    presets.delete("warm")
    assert [p.name for p in presets.list()] == ["bright"]
    with pytest.raises(StoreError, match="no preset named 'warm'"):
        presets.get("warm")
    with pytest.raises(StoreError, match="no preset named 'warm'"):
        presets.delete("warm")


@pytest.mark.parametrize("name", ["", "-x", "a b", "x" * 65, "semi;colon"])
def test_bad_preset_names_are_refused(home, name):
    with pytest.raises(StoreError, match="not a valid preset name"):
        Presets().save(name, WARM)


def test_history_records_in_order_with_everything_needed_again(home):
    history = History()
    first, second, third = (_record(history, seed) for seed in (1, 2, 3))
    assert (first.id, second.id, third.id) == (1, 2, 3)
    assert history.get(2) == second
    assert second.settings == WARM and second.export == ExportSettings("flac", 48000, 24)
    assert second.path == Path("/out/kit_seed2.flac") and second.created.endswith("+00:00") and second.threads == 2
    assert [r.id for r in history.list()] == [3, 2, 1]
    assert [r.id for r in history.list(limit=2)] == [3, 2]
    with pytest.raises(StoreError, match="no generation #9"):
        history.get(9)
    with pytest.raises(ValueError, match="sample rate"):
        _record(history, export=ExportSettings("wav", None, 16))


def test_presets_and_history_live_in_the_library_database_and_survive_its_rebuild(home):
    library = Library()
    Presets().save("warm", WARM)
    _record(History())
    assert Presets().db_path == History().db_path == library.db_path
    with sqlite3.connect(library.db_path) as conn:  # an index of another version is dropped and rebuilt
        conn.execute("PRAGMA user_version = 0")
    Library().list()
    assert Presets().get("warm").settings == WARM
    assert History().get(1).seed == 1


def test_history_from_schema_1_is_migrated_with_the_inversion_it_was_made_with(home):
    db_path = Library().db_path
    db_path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(db_path) as conn:  # the tables as distill wrote them before inversion settings existed
        conn.execute("CREATE TABLE store_schema (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO store_schema (version) VALUES (1)")
        conn.execute(
            "CREATE TABLE generations (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, model_name TEXT NOT NULL,"
            " model_path TEXT NOT NULL, model_id TEXT NOT NULL, prior_id TEXT NOT NULL, seed INTEGER NOT NULL,"
            " threads INTEGER NOT NULL, settings TEXT NOT NULL, export TEXT NOT NULL, path TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO generations VALUES (NULL, '2026-11-20T10:00:00+00:00', 'kit', '/models/kit.sda', ?, ?, 7, 1, ?, ?, '/out/a.wav')",
            ("a" * 16, "b" * 16, json.dumps(WARM.to_dict()), json.dumps(ExportSettings(sample_rate=44100).to_dict())),
        )
    history = History()
    assert history.get(1).inversion == LEGACY_INVERSION == InversionSettings(iterations=32, phase="zero")
    assert _record(history, seed=2).inversion == InversionSettings()  # new entries record today's default
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT max(version) FROM store_schema").fetchone()[0] == STORE_SCHEMA_VERSION == 2


def test_a_database_from_a_newer_distill_is_refused(home):
    db_path = Presets().db_path
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE store_schema SET version = ?", (STORE_SCHEMA_VERSION + 1,))
    with pytest.raises(StoreError, match="newer distill"):
        Presets()
    with pytest.raises(StoreError, match="newer distill"):
        History()
