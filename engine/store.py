"""Presets (named generation settings) and the generation history, in the library's SQLite file.

Both live in `<DISTILL_HOME>/library.db` next to the library's index. The index there is a cache that the
library rebuilds from the model files when its `PRAGMA user_version` changes; these tables are user data,
so they are created with `CREATE TABLE IF NOT EXISTS`, never dropped, and carry their own schema version in
the table `store_schema`; an older schema is brought up to date in place (schema 2 added the `inversion`
column, filled for older entries with what they were made with). A database written by a newer distill (a
higher version) is refused with one sentence rather than misread. Connections wait up to 10 s for another process's write lock (WAL mode, as
the library, whose `connect` and `transaction` helpers they share).

    presets      name (unique, case-insensitive) | settings (GenerationSettings JSON) | updated
    generations  id | created | model_name, model_path, model_id, prior_id | seed | threads
                 | settings (GenerationSettings JSON) | export (ExportSettings JSON) | path
                 | inversion (InversionSettings JSON)
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from engine.errors import DistillError
from engine.generation.settings import LEGACY_INVERSION, ExportSettings, GenerationSettings, InversionSettings
from engine.library import NAME_PATTERN, Library, UnwritableDatabase, connect, transaction

STORE_SCHEMA_VERSION = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS store_schema (version INTEGER NOT NULL)",
    """CREATE TABLE IF NOT EXISTS presets (
        name TEXT PRIMARY KEY COLLATE NOCASE,
        settings TEXT NOT NULL,     -- GenerationSettings.to_dict() as JSON
        updated TEXT NOT NULL       -- ISO 8601, UTC
    )""",
    """CREATE TABLE IF NOT EXISTS generations (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created TEXT NOT NULL,      -- ISO 8601, UTC
        model_name TEXT NOT NULL,
        model_path TEXT NOT NULL,   -- the model file used
        model_id TEXT NOT NULL,     -- fingerprint of its VQ-VAE weights
        prior_id TEXT NOT NULL,     -- fingerprint of its prior weights
        seed INTEGER NOT NULL,
        threads INTEGER NOT NULL,   -- torch CPU threads used: the samples depend on it at float precision
        settings TEXT NOT NULL,     -- GenerationSettings.to_dict() as JSON
        export TEXT NOT NULL,       -- ExportSettings.to_dict() as JSON, sample_rate always set
        path TEXT NOT NULL,         -- the file written
        inversion TEXT NOT NULL     -- InversionSettings.to_dict() as JSON
    )""",
)
_MIGRATIONS = {  # schema version -> the statements that bring it to the next version
    1: (f"ALTER TABLE generations ADD COLUMN inversion TEXT NOT NULL DEFAULT '{json.dumps(LEGACY_INVERSION.to_dict())}'",),
}
_PRESET_NAME_RULE = "1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"


class StoreError(DistillError):
    """An unknown preset or history entry, a bad preset name, or a database from a newer distill."""


@dataclass(frozen=True)
class Preset:
    """Named generation settings."""

    name: str
    settings: GenerationSettings
    updated: str  # ISO 8601, UTC


@dataclass(frozen=True)
class GenerationRecord:
    """One generated file: everything needed to make it again."""

    id: int
    created: str  # ISO 8601, UTC
    model_name: str
    model_path: str
    model_id: str  # `LoadedModel.model_id` of the model used
    prior_id: str  # fingerprint of the prior's weights (see engine.generation.files.prior_id)
    seed: int
    threads: int  # torch CPU threads it was made with
    settings: GenerationSettings
    export: ExportSettings  # sample_rate is the rate actually written
    path: Path
    inversion: InversionSettings  # how its mel became audio


class _Store:
    """A connection factory for `library.db` that makes sure the presets and history tables exist."""

    def __init__(self, db_path: Path | None = None):
        """Use the SQLite file at `db_path`, by default the library's (`Library().db_path`).

        A file that cannot be written (read-only data folder, full disk) is opened read-only as it is, so
        listing still works; a change then fails with one sentence (UnwritableDatabase), and so does
        everything when the file holds no presets and history tables yet.
        """
        self.db_path = Path(db_path) if db_path is not None else Library().db_path
        self._source: str | Path = self.db_path
        try:
            self._create_schema()
        except UnwritableDatabase as unwritable:
            if not self.db_path.is_file():
                raise
            self._source = f"{self.db_path.absolute().as_uri()}?immutable=1"
            with self._connect() as conn:
                if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'store_schema'").fetchone() is None:
                    raise unwritable from None  # no presets or history yet, and none can be stored: say why
                self._check_version(conn)

    def _create_schema(self) -> None:
        """Create missing tables and bring an older schema up to date."""
        with self._connect() as conn, transaction(conn):
            for statement in _SCHEMA:
                conn.execute(statement)
            version = self._check_version(conn)
            if version is None:
                conn.execute("INSERT INTO store_schema (version) VALUES (?)", (STORE_SCHEMA_VERSION,))
            while version is not None and version < STORE_SCHEMA_VERSION:
                for statement in _MIGRATIONS[version]:
                    conn.execute(statement)
                version += 1
                conn.execute("UPDATE store_schema SET version = ?", (version,))

    def _check_version(self, conn: sqlite3.Connection) -> int | None:
        """The stored schema version (None when there is none yet); StoreError for a newer distill's."""
        version = conn.execute("SELECT max(version) FROM store_schema").fetchone()[0]
        if version is not None and version > STORE_SCHEMA_VERSION:
            raise StoreError(
                f"{self.db_path} holds presets and history from a newer distill (schema {version}, this one "
                f"reads {STORE_SCHEMA_VERSION}); update distill to use them"
            )
        return version

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self._source)


class Presets(_Store):
    """Named generation settings: `save`, `get`, `list`, `delete`."""

    def save(self, name: str, settings: GenerationSettings) -> tuple[Preset, bool]:
        """Store `settings` as `name`, replacing a preset of that name (any case) -> (preset, replaced)."""
        if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
            raise StoreError(f"{name!r} is not a valid preset name: use {_PRESET_NAME_RULE}")
        updated = _now()
        with self._connect() as conn, transaction(conn):
            replaced = conn.execute("SELECT 1 FROM presets WHERE name = ?", (name,)).fetchone() is not None
            conn.execute(
                "INSERT INTO presets (name, settings, updated) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE"
                " SET name = excluded.name, settings = excluded.settings, updated = excluded.updated",
                (name, json.dumps(settings.to_dict()), updated),
            )
        return Preset(name, settings, updated), replaced

    def get(self, name: str) -> Preset:
        """The preset called `name` (any case); StoreError if there is none."""
        with self._connect() as conn:
            row = conn.execute("SELECT name, settings, updated FROM presets WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StoreError(f"no preset named '{name}' (see `distill presets list`)")
        return _preset(row)

    def list(self) -> list[Preset]:
        """Every preset, sorted by name."""
        with self._connect() as conn:
            rows = conn.execute("SELECT name, settings, updated FROM presets ORDER BY name").fetchall()
        return [_preset(row) for row in rows]

    def delete(self, name: str) -> None:
        """Delete the preset called `name` (any case); StoreError if there is none."""
        with self._connect() as conn, transaction(conn):
            if conn.execute("DELETE FROM presets WHERE name = ?", (name,)).rowcount == 0:
                raise StoreError(f"no preset named '{name}' (see `distill presets list`)")


class History(_Store):
    """Every generated file, newest last: `add`, `get`, `list`."""

    _COLUMNS = "id, created, model_name, model_path, model_id, prior_id, seed, threads, settings, export, path, inversion"

    def add(
        self,
        *,
        model_name: str,
        model_path: str | Path,
        model_id: str,
        prior_id: str,
        seed: int,
        threads: int,
        settings: GenerationSettings,
        export: ExportSettings,
        path: str | Path,
        inversion: InversionSettings,
    ) -> GenerationRecord:
        """Record one generated file (created now) and return it with its id."""
        if export.sample_rate is None:
            raise ValueError("record the sample rate actually written, not None")
        values = (
            _now(), model_name, str(model_path), model_id, prior_id, seed, threads,
            json.dumps(settings.to_dict()), json.dumps(export.to_dict()), str(path), json.dumps(inversion.to_dict()),
        )
        with self._connect() as conn, transaction(conn):
            cursor = conn.execute(f"INSERT INTO generations ({self._COLUMNS}) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
            return _record((cursor.lastrowid, *values))

    def get(self, record_id: int) -> GenerationRecord:
        """The entry with id `record_id`; StoreError if there is none."""
        with self._connect() as conn:
            row = conn.execute(f"SELECT {self._COLUMNS} FROM generations WHERE id = ?", (record_id,)).fetchone()
        if row is None:
            raise StoreError(f"no generation #{record_id} in the history (see `distill history list`)")
        return _record(row)

    def list(self, limit: int | None = None) -> list[GenerationRecord]:
        """The newest `limit` entries (all when None), newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                f"SELECT {self._COLUMNS} FROM generations ORDER BY id DESC LIMIT ?", (-1 if limit is None else limit,)
            ).fetchall()
        return [_record(row) for row in rows]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _preset(row: tuple) -> Preset:
    name, settings, updated = row
    return Preset(name, GenerationSettings.from_dict(json.loads(settings)), updated)


def _record(row: tuple) -> GenerationRecord:
    record_id, created, model_name, model_path, model_id, prior_id, seed, threads, settings, export, path, inversion = row
    return GenerationRecord(
        id=record_id, created=created, model_name=model_name, model_path=model_path, model_id=model_id,
        prior_id=prior_id, seed=seed, threads=threads, settings=GenerationSettings.from_dict(json.loads(settings)),
        export=ExportSettings.from_dict(json.loads(export)), path=Path(path),
        inversion=InversionSettings.from_dict(json.loads(inversion)),
    )
