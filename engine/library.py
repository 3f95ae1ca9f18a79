"""The model library: model files `<DISTILL_HOME>/models/<name>.sda` and a searchable index of them.

The files are the truth. The SQLite index `<DISTILL_HOME>/library.db` is a cache of their headers with an
FTS5 table over name, description, tags and dataset (folder and file names). Every call first compares the
folder (file names, sizes, mtimes, inodes) with the index and re-reads only the files that changed, so a file
dropped in or deleted by hand, or by another distill process, shows up on the next call. A file that cannot
be read stays out of the listing and is reported by `Library.problems()`.

Two processes may use the library at once: changes happen inside short `BEGIN IMMEDIATE` transactions (the
index's write lock), the database runs in WAL mode and waits up to 10 s for a lock. That write lock is the
library's lock: every read-modify-write of a model file in the folder (a trained model's save through
`save_new`, a prior's through `rewrite`, rename, import, description and tags) reads and writes while holding
it, so no writer replaces a file another one changed meanwhile.

The index is checked when a Library is opened (header and `PRAGMA quick_check`); a damaged one is set aside
and rebuilt from the files. Where it cannot be written at all (a read-only data folder, a full disk) it is
built in memory instead, so listing, searching and deleting (which frees space) still work.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import os
import re
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import unquote

from engine.errors import LibraryError, ModelFileError
from engine.fileio import atomic_path, remove_stale_temporaries
from engine.limits import MAX_DESCRIPTION_CHARS, MAX_TAG_CHARS, MAX_TAGS
from engine.model_health import ModelHealth
from engine.modelfile import read_model_file, read_model_metadata, save_model_file, update_model_metadata
from engine.paths import distill_home, make_folder, models_dir, user_path

MODEL_SUFFIX = ".sda"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SUGGEST_CUTOFF = 0.6  # difflib similarity from which a not-found name is answered with "did you mean"
_NAME_RULE = "1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit"

# Bumped whenever the tables change; an index of another version is dropped and rebuilt from the files.
_SCHEMA_VERSION = 1
_SCHEMA = (
    """CREATE TABLE files (
        file TEXT PRIMARY KEY,      -- file name inside the models folder
        name TEXT NOT NULL,         -- the file name without .sda: the model's name
        signature TEXT NOT NULL,    -- size, mtime and inode when last read; any change means read again
        size_bytes INTEGER NOT NULL,
        metadata TEXT,              -- the metadata JSON; NULL when the file could not be read
        problem TEXT                -- why the file could not be read; NULL when it could
    )""",
    "CREATE INDEX files_name ON files (name COLLATE NOCASE)",
    # rowid matches files.rowid; only readable files have a row.
    "CREATE VIRTUAL TABLE search USING fts5(name, description, tags, dataset)",
)
# bm25 weights for the search columns (name, description, tags, dataset): a hit in the name counts most.
_RANKING = "bm25(search, 10.0, 2.0, 5.0, 1.0)"


@dataclass
class ModelEntry:
    """One model as the library lists it: the main facts from its metadata plus the full metadata dict."""

    name: str
    path: Path
    created: str  # ISO 8601 timestamp, "" when unknown
    description: str
    tags: list[str]
    levels: int | None  # residual quantizer levels
    codebook_size: int | None
    sample_rate: int | None
    file_count: int | None  # sound files it was trained on
    duration_s: float | None  # total duration of those files
    has_prior: bool
    size_bytes: int
    health_summary: str | None  # status of the worst codebook level, e.g. "Healthy"; None when unknown
    metadata: dict = field(repr=False)


def check_name(name: str) -> str:
    """Return `name` if it is a valid model name, otherwise raise LibraryError saying what is allowed."""
    if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
        raise LibraryError(f"{name!r} is not a valid model name: use {_NAME_RULE}")
    return name


def stated_name(metadata: dict, path: Path) -> str:
    """The name a model file gives itself, when it is a valid model name, else its file name without .sda.

    A file's metadata may say anything: '../../x' or 100 KB of text would otherwise name the sounds made with it
    and travel in every OSC reply that names the model (where 100 KB never arrives).
    """
    name = metadata.get("name")
    return name if isinstance(name, str) and NAME_PATTERN.fullmatch(name) else path.stem


def entry_from_metadata(name: str, path: Path, size_bytes: int, metadata: dict) -> ModelEntry:
    """A ModelEntry from a metadata dict, tolerating missing or mistyped keys."""
    config = _section(metadata, "config")
    mel = _section(metadata, "mel")
    dataset = _section(metadata, "dataset")
    return ModelEntry(
        name=name,
        path=path,
        created=_text(metadata.get("created")),
        description=_text(metadata.get("description")),
        tags=_strings(metadata.get("tags")),
        levels=_int(config.get("levels")),
        codebook_size=_int(config.get("codebook_size")),
        sample_rate=_int(mel.get("sample_rate")),
        file_count=_int(dataset.get("file_count")),
        duration_s=_float(dataset.get("duration_s")),
        has_prior=bool(metadata.get("prior")),
        size_bytes=size_bytes,
        health_summary=_health_summary(metadata),
        metadata=metadata,
    )


class Library:
    """The model files in `<home>/models` and their search index `<home>/library.db`."""

    def __init__(self, home: Path | None = None):
        """Open (creating if needed) the library under `home`, by default `distill_home()`.

        A damaged index (unreadable header or pages failing SQLite's quick check) is set aside and rebuilt
        from the files. When the index cannot be written at all (a read-only data folder, a full disk), it
        is built in memory for this object, so reading commands still work and deleting a model can free
        space; LibraryError in one sentence when `library.db` is a folder or is locked too long.
        """
        self.home = Path(home) if home is not None else distill_home()
        self.models_dir = models_dir() if home is None else make_folder(self.home / "models")
        self.db_path = self.home / "library.db"
        if self.db_path.is_dir():
            raise LibraryError(f"{self.db_path} is a folder, but distill keeps its library index there; move the folder away")
        self._index_db: str | Path = self.db_path
        self._memory: sqlite3.Connection | None = None  # keeps an in-memory index alive
        try:
            self._open_index()
        except UnwritableDatabase as error:
            print(f"warning: {error}; the library index is kept in memory for now", file=sys.stderr)
            self._index_db = f"file:distill-index-{id(self)}?mode=memory&cache=shared"
            self._memory = sqlite3.connect(self._index_db, uri=True)
            self._create_schema()

    def _open_index(self) -> None:
        """Create or check the index file, setting a damaged one aside and rebuilding it."""
        try:
            self._create_schema()
        except sqlite3.DatabaseError as error:  # not an OperationalError: `connect` turns those into LibraryError
            # "file is not a database" or "malformed": the model index is only a cache, so rebuild it; the
            # file also holds presets and generation history, so keep it aside for recovery, never delete it.
            aside = f"{self.db_path}.damaged-{time.strftime('%Y%m%d-%H%M%S')}"
            for suffix in ("", "-wal", "-shm"):
                if Path(f"{self.db_path}{suffix}").exists():
                    os.replace(f"{self.db_path}{suffix}", f"{aside}{suffix}")
            print(f"warning: {self.db_path} was damaged ({error}); it was moved to {aside} and the index rebuilt", file=sys.stderr)
            self._create_schema()

    # -- reading ---------------------------------------------------------------------------------------

    def list(self) -> list[ModelEntry]:
        """Every readable model in the library, sorted by name."""
        with self._reader() as conn:
            rows = conn.execute(
                "SELECT name, file, size_bytes, metadata FROM files WHERE problem IS NULL"
                " ORDER BY name COLLATE NOCASE, name"
            ).fetchall()
        return [self._entry(row) for row in rows]

    def get(self, name: str) -> ModelEntry:
        """The model called `name`: LibraryError if there is none, ModelFileError if its file is damaged."""
        with self._reader() as conn:
            return self._get(conn, name)

    def search(self, query: str) -> list[ModelEntry]:
        """Models matching every word of `query` as a prefix (in name, description, tags or dataset).

        Best matches come first; a hit in the name counts most. Any text is accepted: quotes and FTS5
        operators are matched literally. A blank query returns every model.
        """
        words = query.replace("\x00", " ").split()  # SQLite ends the query text at a NUL
        if not words:
            return self.list()
        # Each word becomes a quoted phrase (quotes doubled) with a prefix star: "dru"* finds drums.
        fts_query = " ".join('"' + word.replace('"', '""') + '"*' for word in words)
        with self._reader() as conn:
            rows = conn.execute(
                "SELECT files.name, files.file, files.size_bytes, files.metadata"
                " FROM search JOIN files ON files.rowid = search.rowid"
                f" WHERE search MATCH ? ORDER BY {_RANKING}, files.name",
                (fts_query,),
            ).fetchall()
        return [self._entry(row) for row in rows]

    def problems(self) -> dict[str, str]:
        """Model files in the folder that could not be read: file name -> the reason, one sentence."""
        with self._reader() as conn:
            rows = conn.execute("SELECT file, problem FROM files WHERE problem IS NOT NULL ORDER BY file")
            return dict(rows.fetchall())

    def resolve(self, name_or_path: str | os.PathLike) -> Path:
        """The model file (absolute path) meant by a file path or a library name (any case); an existing path wins.

        The file is not read here; whoever opens it reports a damaged file. LibraryError names the closest
        library name when there is one.
        """
        candidate = user_path(name_or_path, "a model file or name")
        if candidate.is_file():
            return candidate.absolute()
        with self._reader() as conn:
            if NAME_PATTERN.fullmatch(str(name_or_path)):
                row = self._lookup(conn, str(name_or_path))
                if row is not None:
                    return self.models_dir / row[1]
            hint = self._closest(conn, str(name_or_path))
        raise LibraryError(f"'{name_or_path}' is neither a model file nor a model in the library{hint}")

    def canonical_name(self, name: str) -> str:
        """The library's spelling of model `name` when a model of that name (any case) exists, else `name`."""
        with self._reader() as conn:
            row = self._lookup(conn, name)
        return name if row is None else row[0]

    def find(self, name_or_path: str | os.PathLike) -> ModelEntry:
        """The entry for a library name or any model file path, read from the file's header."""
        path = self.resolve(name_or_path)
        metadata = read_model_metadata(path)
        in_library = path.resolve().parent == self.models_dir.resolve()  # there the file name is the model's name
        name = path.stem if in_library else stated_name(metadata, path)
        return entry_from_metadata(name, path, path.stat().st_size, metadata)

    def path_for(self, name: str) -> Path:
        """Where a model called `name` lives (or will be written); the name is validated, not reserved."""
        return self.models_dir / f"{check_name(name)}{MODEL_SUFFIX}"

    # -- changing --------------------------------------------------------------------------------------

    def delete(self, name: str) -> None:
        """Delete the model called `name` (its file and its index entry).

        On a full disk the index lives in memory (see `__init__`), so this still works and frees the space.
        """
        with self._locked() as conn:
            entry = self._get(conn, name)
            entry.path.unlink()
            self._drop(conn, entry.path.name)

    def rename(self, old: str, new: str) -> ModelEntry:
        """Rename model `old` to `new`: the file and the name inside its metadata. Refuses a taken name."""
        new_path = self.path_for(new)
        with self._locked() as conn:
            entry = self._get(conn, old)
            if new == entry.name:
                return entry
            self._refuse_taken(conn, new, ignore_file=entry.path.name)
            update_model_metadata(entry.path, {**read_model_metadata(entry.path), "name": new})
            os.replace(entry.path, new_path)
            self._drop(conn, entry.path.name)
            self._index(conn, new_path.name)
            return self._get(conn, new)

    def set_description(self, name: str, text: str) -> ModelEntry:
        """Replace the description of model `name` (written into its file); at most MAX_DESCRIPTION_CHARS."""
        if not isinstance(text, str):
            raise TypeError(f"a description must be a string, not {type(text).__name__}")
        text = text.strip()
        if len(text) > MAX_DESCRIPTION_CHARS:
            raise LibraryError(f"a description holds at most {MAX_DESCRIPTION_CHARS} characters, not {len(text)}")
        return self._edit_metadata(name, lambda metadata: {"description": text})

    def edit_tags(self, name: str, add: list[str] = (), remove: list[str] = ()) -> ModelEntry:
        """Add tags to and remove tags from model `name`, reading and writing its file under the library's lock.

        Tags are compared ignoring case: adding a tag the model has changes nothing, removing one it does not
        have is refused with the tags it has (a typo should not pass silently).
        """
        adding, removing = _clean_tags(add), _clean_tags(remove)

        def change(metadata: dict) -> dict:
            tags = _strings(metadata.get("tags"))
            missing = [tag for tag in removing if tag.lower() not in {have.lower() for have in tags}]
            if missing:
                held = ", ".join(tags) or "none"
                raise LibraryError(f"model '{metadata.get('name', name)}' has no tag '{missing[0]}' (its tags: {held})")
            kept = [tag for tag in tags if tag.lower() not in {gone.lower() for gone in removing}]
            new = [tag for tag in adding if tag.lower() not in {have.lower() for have in kept}]
            return {"tags": _check_tags(kept + new)}

        return self._edit_metadata(name, change)

    def import_file(self, path: str | os.PathLike, name: str | None = None) -> ModelEntry:
        """Copy the model file at `path` into the library as `name` (default: its stated name, else its stem).

        The whole file is read and its model (and prior, if any) built first, so a damaged file, or one whose
        weights do not fit its configuration, is refused (ModelFileError) and nothing is added.
        """
        from engine.model.persist import load_vqvae  # torch only here: listing stays fast
        from engine.prior.bundle import load_prior

        source = user_path(path, "imported")
        loaded = load_vqvae(source)
        if loaded.metadata.get("prior"):
            load_prior(loaded)
        tensors, metadata = loaded.tensors, loaded.metadata
        if name is None:
            stated = metadata.get("name")
            name = stated if isinstance(stated, str) and stated else source.stem  # an invalid one is refused below
        destination = self.path_for(name)
        with self._locked() as conn:
            self._refuse_taken(conn, name)
            save_model_file(destination, tensors, {**metadata, "name": name})
            self._index(conn, destination.name)
            return self._get(conn, name)

    def export(self, name: str, dest: str | os.PathLike) -> Path:
        """Copy model `name` to `dest` (a file path, or a folder to put `<name>.sda` in) and return the path.

        An existing file at the destination is not overwritten.
        """
        entry = self.get(name)
        destination = user_path(dest, "exported to")
        if destination.is_dir():
            destination = destination / entry.path.name
        if destination.exists():
            raise LibraryError(f"{destination} already exists; choose another file name")
        with atomic_path(destination, suffix=MODEL_SUFFIX) as tmp:
            shutil.copyfile(entry.path, tmp)
        return destination

    def save_new(self, name: str, write: Callable[[Path], object], replaces: Callable[[dict], bool] | None = None) -> tuple[ModelEntry, str]:
        """Write a new model called `name` with `write(path)` under the library's lock -> (its entry, notice).

        A model of that name (any case) is never replaced, unless `replaces(its metadata)` allows it (a resumed
        run replacing its own earlier result); the new model is then kept under a free name (`name-2`, ...)
        and the notice says so in one sentence. The notice is "" when the model got the name it asked for.
        """
        with self._locked() as conn:
            taken = conn.execute(
                "SELECT name, metadata FROM files WHERE name = ? COLLATE NOCASE", (check_name(name),)
            ).fetchone()
            final = name
            if taken is not None and not (taken[0] == name and taken[1] and replaces and replaces(json.loads(taken[1]))):
                final = self._free_name(conn, name)
            path = self.path_for(final)
            write(path)
            self._index(conn, path.name)
            entry = self._get(conn, final)
        if final == name:
            return entry, ""
        return entry, f"a model named '{taken[0]}' came into the library meanwhile and was kept, so this one was saved as '{final}'"

    def rewrite(self, path: str | os.PathLike, model_id: str, write: Callable[[Path], object], recreate: Callable[[Path], object]) -> tuple[Path, str]:
        """Rewrite the model file at `path`, whose VQ-VAE is `model_id`, under the library's lock -> (path, notice).

        `write(target)` must read the file again and write it back (a read-modify-write). A library model
        renamed meanwhile is followed by its model id. A file replaced by another model, or deleted, is left
        as it is: `recreate(target)` then writes the writer's whole result as a new library model under a
        free name, and the notice says so in one sentence. The notice is "" when the file was still there.
        """
        path = Path(path).absolute()
        in_library = path.parent.resolve() == self.models_dir.resolve()
        with self._locked() as conn:
            target = path if _holds_model(path, model_id) else None
            if target is None and in_library:
                row = conn.execute(
                    "SELECT file FROM files WHERE problem IS NULL AND json_extract(metadata, '$.model_id') = ?"
                    " ORDER BY name COLLATE NOCASE LIMIT 1",
                    (model_id,),
                ).fetchone()
                target = None if row is None else self.models_dir / row[0]
            if target is not None:
                write(target)
                notice = "" if target == path else f"'{path.stem}' was renamed to '{target.stem}' meanwhile; the result was saved there"
            else:
                stem = path.stem if NAME_PATTERN.fullmatch(path.stem) else "model"
                target = self.path_for(self._free_name(conn, stem))
                recreate(target)
                notice = f"{path} no longer holds the model this run started from, so the result was saved as a new model '{target.stem}'"
            if target.parent.resolve() == self.models_dir.resolve():
                self._index(conn, target.name)
        return target, notice

    # -- internals -------------------------------------------------------------------------------------

    def _connect(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        return connect(self._index_db)

    def _create_schema(self) -> None:
        """Create the tables, replacing an index written with another schema version; check an existing one."""
        with self._connect() as conn:
            if conn.execute("PRAGMA user_version").fetchone()[0] == _SCHEMA_VERSION:
                verdict = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
                if verdict != "ok":  # damaged pages past the header
                    raise sqlite3.DatabaseError(f"integrity check: {verdict}")
                _check_readable(conn)
                return
            with transaction(conn):
                if conn.execute("PRAGMA user_version").fetchone()[0] == _SCHEMA_VERSION:
                    return  # another process created it while we waited for the lock
                conn.execute("DROP TABLE IF EXISTS files")
                conn.execute("DROP TABLE IF EXISTS search")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
                self._sync(conn, reread_all=True)

    @contextlib.contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A connection to an index brought up to date with the folder (cheap when nothing changed)."""
        with self._connect() as conn:
            if self._is_stale(conn):
                with transaction(conn):
                    self._sync(conn)
            yield conn

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        """A connection holding the index's write lock, index up to date; commits on success.

        A file operation that fails (read-only folder, full disk) becomes a LibraryError in one sentence.
        """
        with self._connect() as conn, transaction(conn):
            self._sync(conn)
            try:
                yield conn
            except OSError as error:
                raise LibraryError(f"cannot change the library in {self.models_dir} ({error.strerror or error})") from error

    def _is_stale(self, conn: sqlite3.Connection) -> bool:
        """Whether the folder's files differ from what the index last saw."""
        on_disk = {file: _signature(stat) for file, stat in _scan(self.models_dir).items()}
        return on_disk != dict(conn.execute("SELECT file, signature FROM files").fetchall())

    def _sync(self, conn: sqlite3.Connection, reread_all: bool = False) -> None:
        """Inside a transaction: drop entries whose file is gone, (re)read new and changed files.

        Model files are only written under the lock this transaction holds, so a temporary model file found
        now was left by a writer killed mid-write, and is deleted.
        """
        remove_stale_temporaries(self.models_dir, suffix=MODEL_SUFFIX)
        on_disk = _scan(self.models_dir)
        indexed = dict(conn.execute("SELECT file, signature FROM files").fetchall())
        for file in indexed.keys() - on_disk.keys():
            self._drop(conn, file)
        for file, stat in on_disk.items():
            if reread_all or indexed.get(file) != _signature(stat):
                self._index(conn, file)

    def _index(self, conn: sqlite3.Connection, file: str) -> None:
        """Inside a transaction: (re)read one file of the models folder into the index."""
        self._drop(conn, file)
        path = self.models_dir / file
        name = file[: -len(MODEL_SUFFIX)]
        metadata = problem = None
        try:
            stat = path.stat()
            if NAME_PATTERN.fullmatch(name) is None:
                problem = f"{path} has a name distill cannot use; rename the file to {_NAME_RULE}"
            else:
                metadata = read_model_metadata(path)
        except (FileNotFoundError, ModelFileError) as error:
            if not path.exists():
                return  # removed meanwhile, by hand or by another process
            problem = str(error)
        metadata_json = None if metadata is None else json.dumps(metadata)
        cursor = conn.execute(
            "INSERT INTO files (file, name, signature, size_bytes, metadata, problem)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (file, name, _signature(stat), stat.st_size, metadata_json, problem),
        )
        if metadata is not None:
            conn.execute(
                "INSERT INTO search (rowid, name, description, tags, dataset) VALUES (?, ?, ?, ?, ?)",
                (cursor.lastrowid, *_search_columns(name, metadata)),
            )

    def _drop(self, conn: sqlite3.Connection, file: str) -> None:
        """Inside a transaction: remove one file's entry from the index."""
        row = conn.execute("SELECT rowid FROM files WHERE file = ?", (file,)).fetchone()
        if row is not None:
            conn.execute("DELETE FROM search WHERE rowid = ?", row)
            conn.execute("DELETE FROM files WHERE rowid = ?", row)

    def _get(self, conn: sqlite3.Connection, name: str) -> ModelEntry:
        row = self._lookup(conn, name)
        if row is None:
            raise LibraryError(f"no model named '{name}' in the library{self._closest(conn, name)}")
        if row[4] is not None:
            raise ModelFileError(row[4])
        return self._entry(row[:4])

    def _lookup(self, conn: sqlite3.Connection, name: str) -> tuple | None:
        """The index row (name, file, size_bytes, metadata, problem) of model `name`, ignoring case.

        Names are unique ignoring case (see `_refuse_taken`); should files differing only in case have been
        put in the folder by hand, the exact spelling wins.
        """
        return conn.execute(
            "SELECT name, file, size_bytes, metadata, problem FROM files WHERE name = ? COLLATE NOCASE"
            " ORDER BY name = ? DESC, name LIMIT 1",
            (name, name),
        ).fetchone()

    def _closest(self, conn: sqlite3.Connection, name: str) -> str:
        """The end of a not-found sentence: '; did you mean 'x'?' with the closest model name, or where to look."""
        names = [row[0] for row in conn.execute("SELECT name FROM files WHERE problem IS NULL")]
        by_lower = {known.lower(): known for known in names}
        close = difflib.get_close_matches(str(name).lower(), list(by_lower), n=1, cutoff=SUGGEST_CUTOFF)
        if close:
            return f"; did you mean '{by_lower[close[0]]}'?"
        return " (see `distill models list`)"

    def _refuse_taken(self, conn: sqlite3.Connection, name: str, ignore_file: str | None = None) -> None:
        """LibraryError if `name` is in use, ignoring case so the library survives case-blind file systems."""
        taken = conn.execute(
            "SELECT name FROM files WHERE name = ? COLLATE NOCASE AND file IS NOT ?", (name, ignore_file)
        ).fetchone()
        if taken is not None:
            raise LibraryError(f"a model named '{taken[0]}' is already in the library; choose another name")

    def _free_name(self, conn: sqlite3.Connection, name: str) -> str:
        """`name` if no model uses it (any case), else the first free `name-2`, `name-3`, ... (kept to 64 characters)."""
        candidate, number = name, 1
        while conn.execute("SELECT 1 FROM files WHERE name = ? COLLATE NOCASE", (candidate,)).fetchone() is not None:
            number += 1
            candidate = check_name(f"{name[: 63 - len(str(number))]}-{number}")
        return candidate

    def _edit_metadata(self, name: str, change: Callable[[dict], dict]) -> ModelEntry:
        """Rewrite model `name`'s file with `change(its metadata)` merged into its metadata, and re-index it.

        The file is read and written under the library's lock, so no other writer's change is lost.
        """
        with self._locked() as conn:
            entry = self._get(conn, name)
            metadata = read_model_metadata(entry.path)
            update_model_metadata(entry.path, {**metadata, **change(metadata)})
            self._index(conn, entry.path.name)
            return self._get(conn, name)

    def _entry(self, row: tuple) -> ModelEntry:
        name, file, size_bytes, metadata = row
        return entry_from_metadata(name, self.models_dir / file, size_bytes, json.loads(metadata))


class UnwritableDatabase(LibraryError):
    """The library's SQLite file cannot be opened for writing: a read-only folder, a full disk."""


BUSY_TIMEOUT_S = 10.0  # how long a connection waits for another process's write lock
_UNWRITABLE = ("SQLITE_READONLY", "SQLITE_FULL", "SQLITE_CANTOPEN", "SQLITE_IOERR")  # name prefixes


@contextlib.contextmanager
def connect(db_path: str | Path) -> Iterator[sqlite3.Connection]:
    """A fresh connection to `db_path` in autocommit mode (transactions are explicit), WAL, closed afterwards.

    The library index, presets and history share the file; every user of it connects through here. A
    "file:" URI string opens an SQLite URI (the library's in-memory index, a read-only store). SQLite's operational errors
    become one sentence: UnwritableDatabase when the file cannot be written, LibraryError otherwise
    (another process holding the lock for more than BUSY_TIMEOUT_S, for one).
    """
    uri = isinstance(db_path, str) and db_path.startswith("file:")
    try:
        conn = sqlite3.connect(db_path, timeout=BUSY_TIMEOUT_S, isolation_level=None, uri=uri)
        try:
            if not uri:  # in memory or opened read-only: nothing to journal
                conn.execute("PRAGMA journal_mode=WAL")
            yield conn
        finally:
            conn.close()
    except sqlite3.OperationalError as error:
        name = getattr(error, "sqlite_errorname", "")
        shown = unquote(db_path.split("?")[0].removeprefix("file://")) if uri else db_path
        if name.startswith(_UNWRITABLE):
            raise UnwritableDatabase(f"{shown} cannot be written ({error})") from error
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            raise LibraryError(f"{shown} is busy: another distill process held it for more than {BUSY_TIMEOUT_S:g} s; try again") from error
        raise LibraryError(f"{shown} cannot be used ({error})") from error


def _check_readable(conn: sqlite3.Connection) -> None:
    """Read every column of the index once: sqlite3.DatabaseError (the index is rebuilt) for damage that SQLite's
    quick check does not see, which would otherwise fail every later command the same way: text that is not
    UTF-8 in damaged cells, or tables changed by hand ("no such column"). Busy and unwritable stay what they are."""
    try:
        conn.execute("SELECT file, name, signature, size_bytes, metadata, problem FROM files").fetchall()
        conn.execute("SELECT name, description, tags, dataset FROM search").fetchall()
    except sqlite3.OperationalError as error:
        if getattr(error, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED", *_UNWRITABLE)):
            raise
        raise sqlite3.DatabaseError(f"unreadable: {str(error).split(' with text ')[0]}") from error  # not the damaged text itself


@contextlib.contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """Hold the database's write lock for the block; commit on success, roll back on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def model_facts(entry: ModelEntry) -> dict[str, str | int | float]:
    """What is known about a library model, in a fixed order; a fact that is not recorded is left out.

    Texts: created, description, tags (comma-joined), health (the worst level's status), dataset (the
    folder it was trained on), prior_val_perplexity (comma-joined per level); whole numbers: levels,
    codebook_size, codebook_dim, hidden, sample_rate, files, size_bytes, has_prior (0/1), epochs;
    numbers: duration_s, best_val_l1.
    """
    metadata = entry.metadata
    config, training, dataset = (_section(metadata, key) for key in ("config", "training", "dataset"))
    perplexities = [p for p in (_section(metadata, "prior").get("val_perplexity") or []) if _float(p) is not None]
    facts = {
        "created": entry.created or None,
        "description": entry.description,
        "tags": ",".join(entry.tags),
        "levels": entry.levels,
        "codebook_size": entry.codebook_size,
        "codebook_dim": _int(config.get("codebook_dim")),
        "hidden": _int(config.get("hidden")),
        "sample_rate": entry.sample_rate,
        "files": entry.file_count,
        "duration_s": entry.duration_s,
        "size_bytes": entry.size_bytes,
        "has_prior": int(entry.has_prior),
        "health": entry.health_summary,
        "dataset": _text(dataset.get("folder")) or None,
        "epochs": _int(training.get("epochs")),
        "best_val_l1": _float(training.get("best_val_l1")),
        "prior_val_perplexity": ",".join(f"{p:.4g}" for p in perplexities) or None,
    }
    return {key: value for key, value in facts.items() if value is not None}


def _scan(folder: Path) -> dict[str, os.stat_result]:
    """Model files in `folder` (hidden files, such as atomic writes in progress, are skipped, and so is what is
    no regular file: a folder, a pipe, a device, a link that leads nowhere or in a loop)."""
    found = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.endswith(MODEL_SUFFIX) and not entry.name.startswith("."):
                try:
                    if entry.is_file():
                        found[entry.name] = entry.stat()
                except OSError:  # a link in a loop (ELOOP), or a file removed since the listing
                    continue
    return found


def _holds_model(path: Path, model_id: str) -> bool:
    """Whether the model file at `path` exists and holds the VQ-VAE `model_id` (its metadata's, else its weights')."""
    try:
        stored = read_model_metadata(path).get("model_id")
        if stored is None:
            from engine.model.persist import weights_id  # torch only here: listing stays fast

            stored = weights_id(read_model_file(path)[0])
    except ModelFileError:
        return False
    return stored == model_id


def _signature(stat: os.stat_result) -> str:
    # The inode changes on every atomic replace, which catches rewrites within one mtime tick.
    return f"{stat.st_size}:{stat.st_mtime_ns}:{stat.st_ino}"


def _search_columns(name: str, metadata: dict) -> tuple[str, str, str, str]:
    """The text indexed for search: name, description, tags, dataset folder and file names."""
    dataset = _section(metadata, "dataset")
    dataset_words = [_text(dataset.get("folder")), *_strings(dataset.get("files"))]
    tags = _strings(metadata.get("tags"))
    return name, _text(metadata.get("description")), " ".join(tags), " ".join(dataset_words)


def _clean_tags(tags: list[str]) -> list[str]:
    """`tags` stripped, blanks and repeats (ignoring case) dropped; TypeError unless a list of strings."""
    if isinstance(tags, str) or not all(isinstance(tag, str) for tag in tags):
        raise TypeError("tags must be a list of strings")
    unique: dict[str, str] = {}
    for tag in (tag.strip() for tag in tags):
        if tag:
            unique.setdefault(tag.lower(), tag)
    return list(unique.values())


def _check_tags(tags: list[str]) -> list[str]:
    """`tags` if each fits MAX_TAG_CHARS without commas or control characters and there are at most MAX_TAGS."""
    for tag in tags:
        if len(tag) > MAX_TAG_CHARS or "," in tag or not tag.isprintable():
            raise LibraryError(f"'{tag}' is not a usable tag: use up to {MAX_TAG_CHARS} printable characters without commas")
    if len(tags) > MAX_TAGS:
        raise LibraryError(f"a model holds at most {MAX_TAGS} tags, not {len(tags)}")
    return tags


def _health_summary(metadata: dict) -> str | None:
    """The worst level's status, or None when no health is recorded."""
    worst = ModelHealth.from_metadata(metadata).worst
    return worst.status if worst is not None else None


def _section(metadata: dict, key: str) -> dict:
    value = metadata.get(key)
    return value if isinstance(value, dict) else {}


def _strings(value: object) -> list[str]:
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: object) -> float | None:
    """A finite number as a float, else None (a bool is no number here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)
