"""Persistence of one memory directory: SQLite (WAL) for rows, content-addressed .npz files for arrays,
JPEG snapshot images, a writer lock and a schema version.

Layout (docs/memory.md, "Memory directory")::

    MEMORY/
      memory.db (+ -wal, -shm)   SQLite: meta, objects, redirects, frames, sightings, views, best_views,
                                 frontiers, frontier_views
      lock                       advisory lock (fcntl) held by the one process that writes
      arrays/obj-<id>-<sha>.npz  an object's points (+ colours)
      arrays/emb-<sha>.npz       every object's embedding sum
      arrays/occ-<sha>.npz       the occupancy grid
      images/<seq>.jpg           kept frames (memory and frontier snapshots)

Crash safety: array files are named by the SHA-256 of their bytes, written to a temporary name, fsynced
and renamed *before* the SQLite transaction that references them commits; files are deleted only *after*
a commit that no longer references them. So the committed rows always reference complete files: a crash
before the commit leaves the previous state (plus unreferenced files, removed at the next open), a crash
after it leaves the new state. Loading re-hashes every array file, so a damaged file is reported, never
silently used.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from robomem.errors import StoreError

log = logging.getLogger(__name__)

FORMAT = "robomem-memory"
SCHEMA_VERSION = 2
DB_NAME = "memory.db"
LOCK_NAME = "lock"
ARRAYS = "arrays"
IMAGES = "images"
REBUILD = "rebuild it with `robomem map --memory NEW_DIR` or restore the directory from a backup"

PAIRS_TABLE = ("CREATE TABLE IF NOT EXISTS pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, apart INTEGER NOT NULL, "
               "together INTEGER NOT NULL, PRIMARY KEY (a, b))")


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Version 2 adds ``pairs`` (how often two objects were seen apart / together; old memories start
    empty), each object's point grid ``voxel`` (0.03 m before) and packs of point sets (old per-object
    point files are still read)."""
    conn.execute(PAIRS_TABLE)
    conn.execute("ALTER TABLE objects ADD COLUMN voxel REAL NOT NULL DEFAULT 0.03")


# Upgrades from older schema versions: {old version: function(connection)} bringing it to old + 1.
MIGRATIONS: dict[int, Any] = {1: _v1_to_v2}

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE objects (
    id INTEGER PRIMARY KEY, label TEXT NOT NULL, caption TEXT NOT NULL,
    cx REAL NOT NULL, cy REAL NOT NULL, cz REAL NOT NULL,
    min_x REAL NOT NULL, min_y REAL NOT NULL, min_z REAL NOT NULL,
    max_x REAL NOT NULL, max_y REAL NOT NULL, max_z REAL NOT NULL,
    n_sightings INTEGER NOT NULL, n_detections INTEGER NOT NULL, n_embeddings INTEGER NOT NULL,
    first_seen REAL NOT NULL, last_seen REAL NOT NULL, last_seq INTEGER NOT NULL, n_missed INTEGER NOT NULL,
    label_votes TEXT NOT NULL, caption_votes TEXT NOT NULL,
    n_points INTEGER NOT NULL, points_file TEXT NOT NULL, voxel REAL NOT NULL DEFAULT 0.03
);
CREATE TABLE redirects (id INTEGER PRIMARY KEY, into_id INTEGER NOT NULL);
CREATE TABLE frames (seq INTEGER PRIMARY KEY, frame_id INTEGER NOT NULL, t REAL NOT NULL, pose BLOB NOT NULL);
CREATE TABLE sightings (
    object_id INTEGER NOT NULL, seq INTEGER NOT NULL REFERENCES frames(seq), frame_id INTEGER NOT NULL,
    t REAL NOT NULL, x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL, n_points INTEGER NOT NULL,
    PRIMARY KEY (object_id, seq)
);
CREATE INDEX sightings_by_time ON sightings (t);
CREATE TABLE views (
    seq INTEGER PRIMARY KEY, frame_id INTEGER NOT NULL, t REAL NOT NULL, pose BLOB NOT NULL,
    scores TEXT NOT NULL, path TEXT NOT NULL, selected INTEGER NOT NULL
);
CREATE TABLE best_views (object_id INTEGER PRIMARY KEY, score REAL NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE frontiers (
    id INTEGER PRIMARY KEY, x REAL NOT NULL, y REAL NOT NULL, z REAL NOT NULL, size INTEGER NOT NULL,
    view_x REAL NOT NULL, view_y REAL NOT NULL, view_z REAL NOT NULL, view_yaw REAL NOT NULL
);
CREATE TABLE frontier_views (
    frontier_id INTEGER PRIMARY KEY, score REAL NOT NULL, seq INTEGER NOT NULL, frame_id INTEGER NOT NULL,
    t REAL NOT NULL, pose BLOB NOT NULL, path TEXT NOT NULL
);
CREATE TABLE pairs (a INTEGER NOT NULL, b INTEGER NOT NULL, apart INTEGER NOT NULL, together INTEGER NOT NULL,
    PRIMARY KEY (a, b));
"""


def pose_blob(T: np.ndarray) -> bytes:
    return np.asarray(T, dtype="<f8").reshape(16).tobytes()


def blob_pose(b: bytes) -> np.ndarray:
    return np.frombuffer(b, dtype="<f8").reshape(4, 4).copy()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durable(path: Path, data: bytes) -> None:
    """Write bytes to ``path`` through a temporary file + fsync + rename (the directory is fsynced by the
    caller once per batch)."""
    tmp = path.with_name(f".tmp-{path.name}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Store:
    """One memory directory on disk. Use ``create`` or ``open``; ``close`` releases the writer lock."""

    def __init__(self, path: Path, conn: sqlite3.Connection, readonly: bool, lock_fd: int | None):
        self.path = path
        self.conn = conn
        self.readonly = readonly
        self._lock_fd = lock_fd
        self._unsynced: list[Path] = []  # files written since the last commit, to fsync before it

    # ---- opening -----------------------------------------------------------------------------------

    @staticmethod
    def exists(path: str | Path) -> bool:
        return (Path(path) / DB_NAME).is_file()

    @classmethod
    def create(cls, path: str | Path, meta: dict[str, Any]) -> Store:
        """A new, empty memory directory (the directory may exist but must not hold a memory)."""
        path = Path(path)
        if (path / DB_NAME).exists():
            raise StoreError(f"{path} already holds a memory",
                             "open it (robomem map resumes it) or choose a new directory")
        if path.exists() and not path.is_dir():
            raise StoreError(f"{path} exists and is not a directory", "choose a directory path for the memory")
        leftovers = [p.name for p in (path.iterdir() if path.is_dir() else []) if p.name in (ARRAYS, IMAGES)]
        if leftovers:
            raise StoreError(f"{path} has {', '.join(leftovers)}/ but no {DB_NAME}: a damaged memory",
                             f"delete the directory or {REBUILD}")
        (path / ARRAYS).mkdir(parents=True, exist_ok=True)
        (path / IMAGES).mkdir(exist_ok=True)
        lock_fd = cls._lock(path)
        try:
            conn = sqlite3.connect(path / DB_NAME, isolation_level=None)
            cls._pragmas(conn)
            conn.execute("BEGIN IMMEDIATE")
            for stmt in filter(str.strip, SCHEMA.split(";")):
                conn.execute(stmt)
            base = {"format": FORMAT, "schema_version": SCHEMA_VERSION, **meta}
            conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in base.items()])
            conn.execute("COMMIT")
            _fsync_dir(path)
        except BaseException:
            os.close(lock_fd)
            raise
        return cls(path, conn, readonly=False, lock_fd=lock_fd)

    @classmethod
    def open(cls, path: str | Path, readonly: bool = False) -> Store:
        """An existing memory directory, checked (format, schema version, database integrity)."""
        path = Path(path)
        db = path / DB_NAME
        if not path.is_dir():
            raise StoreError(f"memory directory {path} does not exist",
                             "create one with `robomem map --source SOURCE --memory DIR`")
        if not db.is_file():
            if (path / ARRAYS).exists() or (path / IMAGES).exists():
                raise StoreError(f"{db} is missing: the memory in {path} is damaged", REBUILD)
            raise StoreError(f"{path} does not hold a robomem memory (no {DB_NAME})",
                             "pass the directory `robomem map --memory` wrote")
        lock_fd = None if readonly else cls._lock(path)
        try:
            if readonly:
                conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)
            else:
                conn = sqlite3.connect(db, isolation_level=None)
            try:
                cls._pragmas(conn, readonly)
                ok = conn.execute("PRAGMA quick_check").fetchone()[0]
                if ok != "ok":
                    raise StoreError(f"{db} failed SQLite's integrity check ({ok})", REBUILD)
                rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            except sqlite3.DatabaseError as e:
                raise StoreError(f"{db} is not a readable SQLite database ({e})", REBUILD) from None
            try:
                fmt = json.loads(rows.get("format", "null"))
                version = json.loads(rows.get("schema_version", "null"))
            except json.JSONDecodeError:
                fmt = version = None
            if fmt != FORMAT or not isinstance(version, int):
                raise StoreError(f"{db} is not a robomem memory (format {fmt!r}, schema version {version!r})",
                                 "pass a directory written by robomem")
            if version > SCHEMA_VERSION:
                raise StoreError(f"memory {path} has schema version {version}, newer than this robomem reads "
                                 f"({SCHEMA_VERSION})", "upgrade robomem to the version that wrote it")
            if version < SCHEMA_VERSION:
                if readonly:
                    raise StoreError(f"memory {path} has the older schema version {version} "
                                     f"(this robomem uses {SCHEMA_VERSION})",
                                     "open it once for writing to migrate it, or rebuild it")
                cls._migrate(conn, path, version)
        except BaseException:
            if lock_fd is not None:
                os.close(lock_fd)
            raise
        return cls(path, conn, readonly=readonly, lock_fd=lock_fd)

    @staticmethod
    def _pragmas(conn: sqlite3.Connection, readonly: bool = False) -> None:
        if not readonly:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=OFF")

    @staticmethod
    def _migrate(conn: sqlite3.Connection, path: Path, version: int) -> None:
        while version < SCHEMA_VERSION:
            step = MIGRATIONS.get(version)
            if step is None:
                raise StoreError(f"memory {path} has schema version {version} and no migration to "
                                 f"{SCHEMA_VERSION} exists", REBUILD)
            conn.execute("BEGIN IMMEDIATE")
            step(conn)
            version += 1
            conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (json.dumps(version),))
            conn.execute("COMMIT")
            log.info("migrated memory %s to schema version %d", path, version)

    @staticmethod
    def _lock(path: Path) -> int:
        fd = os.open(path / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as e:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            if e.errno in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                raise StoreError(f"memory {path} is already open for writing (process {holder})",
                                 "stop the other writer, or open the memory read-only") from None
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        return fd

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.conn.close()
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
            self._lock_fd = None

    # ---- reading -----------------------------------------------------------------------------------

    def meta(self) -> dict[str, Any]:
        try:
            return {k: json.loads(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}
        except (sqlite3.DatabaseError, json.JSONDecodeError) as e:
            raise StoreError(f"{self.path / DB_NAME} metadata cannot be read ({e})", REBUILD) from None

    def rows(self, sql: str, args: tuple = ()) -> list[dict[str, Any]]:
        try:
            cur = self.conn.execute(sql, args)
            names = [d[0] for d in cur.description]
            return [dict(zip(names, r)) for r in cur.fetchall()]
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path / DB_NAME} cannot be read ({e})", REBUILD) from None

    def read_array(self, name: str) -> dict[str, np.ndarray]:
        """The arrays of one content-addressed file, after checking its hash."""
        p = self.path / ARRAYS / name
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"{p} is missing (referenced by {DB_NAME})", REBUILD) from None
        digest = name.rsplit("-", 1)[-1].removesuffix(".npz")
        if hashlib.sha256(data).hexdigest()[: len(digest)] != digest:
            raise StoreError(f"{p} is corrupt (its content does not match its checksum)", REBUILD)
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError, KeyError) as e:
            raise StoreError(f"{p} cannot be read as arrays ({e})", REBUILD) from None

    # ---- writing -----------------------------------------------------------------------------------

    def write_array(self, prefix: str, arrays: dict[str, np.ndarray]) -> str:
        """Store arrays under a content-addressed name (not referenced until a commit names it)."""
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        data = buf.getvalue()
        name = f"{prefix}-{hashlib.sha256(data).hexdigest()[:20]}.npz"
        p = self.path / ARRAYS / name
        if not p.exists():
            write_durable(p, data)
            self._unsynced.append(p.parent)
        return name

    def write_image(self, name: str, data: bytes) -> str:
        """Store an encoded image (fsynced at the next commit); returns its path relative to the memory."""
        p = self.path / IMAGES / name
        tmp = p.with_name(f".tmp-{p.name}")
        tmp.write_bytes(data)
        os.replace(tmp, p)
        self._unsynced.append(p)
        return f"{IMAGES}/{name}"

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Make every file written so far durable, then run the block as one SQLite transaction."""
        if self.readonly:
            raise StoreError(f"memory {self.path} is open read-only", "open it for writing to change it")
        for p in dict.fromkeys(self._unsynced):
            if p.is_dir():
                _fsync_dir(p)
            elif p.exists():
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
        if self._unsynced:
            _fsync_dir(self.path / IMAGES)
            _fsync_dir(self.path / ARRAYS)
        self._unsynced = []
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def collect_garbage(self, keep_arrays: set[str], keep_images: set[str]) -> int:
        """Delete array and image files no committed row references (and temporary leftovers)."""
        if self.readonly:
            return 0
        n = 0
        for folder, keep in ((ARRAYS, keep_arrays), (IMAGES, {Path(p).name for p in keep_images})):
            for p in (self.path / folder).iterdir():
                if p.name not in keep:
                    with contextlib.suppress(FileNotFoundError):
                        p.unlink()
                        n += 1
        return n
