"""Read-only queries of the sensors database from a served app: bucket means computed in SQL.

Each worker process opens its own connection on first use (never one inherited
across ``fork()``: SQLite's file locks belong to the process that took them),
read-only (``mode=ro``), with a busy timeout, so that a writer appending or
checkpointing makes a reader wait briefly instead of failing with "database is
locked". A query that runs past its time limit is interrupted.
"""

import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Sequence

import numpy as np

from .db import read_only_uri

#: Seconds the readiness check waits for a writer's lock: a commit's moment, not the busy timeout, so
#: that a probe (and the liveness probe queued behind it on a sync worker) never waits seconds.
READY_BUSY_TIMEOUT = 0.25

#: Bucket width in seconds per ``every`` value.
BUCKETS = {"minute": 60, "hour": 3600, "day": 86400}


class TooManyPoints(ValueError):
    """The range holds more buckets than the row cap allows at this ``every``."""

    def __init__(self, buckets: int, max_points: int, every: str):
        coarser = [name for name, width in BUCKETS.items() if width > BUCKETS[every]]
        hint = f"; use every={coarser[0]} or a shorter range" if coarser else "; use a shorter range"
        super().__init__(f"the range spans {buckets} {every}s, more than the {max_points} points allowed{hint}")


def check_bucket_count(start: int, end: int, every: str, max_points: int) -> None:
    """Raise ``TooManyPoints`` when ``[start, end]`` spans more than ``max_points`` buckets."""
    width = BUCKETS[every]
    buckets = end // width - start // width + 1
    if buckets > max_points:
        raise TooManyPoints(buckets, max_points, every)


class DatabaseBusy(RuntimeError):
    """The database stayed locked past the busy timeout, or a query passed its time limit."""


class DatabaseUnavailable(RuntimeError):
    """The database file is gone (deleted, moved) or cannot be opened: no query can be answered."""


class _Opened:
    """The connections one process opened, each with its thread, closed once nothing can use them.

    A thread that ends takes its thread-local with it: its connection is closed on the next open
    (or by ``close_all``) instead of waiting for the garbage collector with its file handle.
    Connections a fork copied are never closed by the child: SQLite's locks belong to the parent.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._connections: list[tuple[threading.Thread, sqlite3.Connection]] = []

    def add(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            self._own_process()
            self._connections.append((threading.current_thread(), conn))

    def close(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            self._connections = [(thread, c) for thread, c in self._connections if c is not conn]
        conn.close()

    def close_ended(self) -> None:
        with self._lock:
            self._own_process()
            ended = [c for thread, c in self._connections if not thread.is_alive()]
            self._connections = [(thread, c) for thread, c in self._connections if thread.is_alive()]
        for conn in ended:
            conn.close()

    def close_all(self) -> None:
        with self._lock:
            self._own_process()
            opened, self._connections = [c for _, c in self._connections], []
        for conn in opened:
            conn.close()

    def _own_process(self) -> None:
        if self._pid != os.getpid():  # after a fork, the parent's connections are left alone
            self._pid, self._connections = os.getpid(), []


class ReadingsStore:
    """Queries of one database file, each worker process and thread on its own connection."""

    def __init__(self, path: str | os.PathLike[str], *, busy_timeout: float = 5.0,  # seconds a query waits for a lock
                 query_timeout: float = 5.0) -> None:  # seconds a query may run before it is interrupted
        self.path = str(path)
        self.uri = read_only_uri(path)
        self.busy_timeout = busy_timeout
        self.query_timeout = query_timeout
        self._local = threading.local()
        self._inherited: list[sqlite3.Connection] = []  # connections a fork copied: kept, never used or closed in the child
        self._opened = _Opened()
        weakref.finalize(self, self._opened.close_all)  # a store dropped without close() closes its own

    def connection(self) -> sqlite3.Connection:
        """This process's and thread's connection to the file now at ``path``.

        An open connection keeps reading a file deleted or replaced under it, so the path is
        looked up on each query (a ``stat``, microseconds): a file gone is DatabaseUnavailable,
        a file replaced is opened anew.
        """
        try:
            inode = os.stat(self.path).st_ino
        except OSError as exc:
            raise DatabaseUnavailable(f"{self.path}: the database file is gone ({exc.strerror})") from None
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            if getattr(local, "conn", None) is not None:
                self._inherited.append(local.conn)
            local.conn = None
        elif getattr(local, "inode", None) != inode and local.conn is not None:
            self._opened.close(local.conn)  # our own, opened in this process and thread, on the file that was there
            local.conn = None
        if getattr(local, "conn", None) is None:
            self._opened.close_ended()
            try:
                # Used only by the thread that opened it; check_same_thread=False lets another
                # thread close it once that thread has ended.
                local.conn = sqlite3.connect(self.uri, uri=True, timeout=self.busy_timeout, check_same_thread=False)
            except sqlite3.OperationalError as exc:
                raise DatabaseUnavailable(f"{self.path}: cannot be opened ({exc})") from None
            local.pid, local.inode = os.getpid(), inode
            self._opened.add(local.conn)
        return local.conn

    def check_available(self) -> None:
        """Raise DatabaseUnavailable unless the file is there and its table can be read within
        READY_BUSY_TIMEOUT: for /readyz. A writer holding its lock longer makes this process not ready
        (its queries would wait, then 503) rather than making the probe wait."""
        try:
            conn = self.connection()
            conn.execute(f"PRAGMA busy_timeout = {round(min(READY_BUSY_TIMEOUT, self.busy_timeout) * 1000)}")
            try:
                self._rows("SELECT 1 FROM readings LIMIT 1")
            finally:
                conn.execute(f"PRAGMA busy_timeout = {round(self.busy_timeout * 1000)}")
        except DatabaseBusy:
            raise DatabaseUnavailable(f"{self.path}: locked by a writer for over {READY_BUSY_TIMEOUT:g} s") from None
        except sqlite3.DatabaseError as exc:
            raise DatabaseUnavailable(f"{self.path}: cannot be read ({exc})") from None

    def close(self) -> None:
        """Close every connection this process opened; the next query opens a new one."""
        self._opened.close_all()
        self._local = threading.local()

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list:
        conn = self.connection()
        deadline = time.monotonic() + self.query_timeout
        # Called every ~10,000 virtual-machine steps; a true return interrupts the query.
        conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc) or "interrupted" in str(exc):
                raise DatabaseBusy(f"the database is busy ({exc})") from None
            if "unable to open" in str(exc) or "no such table" in str(exc) or "disk I/O" in str(exc):
                raise DatabaseUnavailable(f"{self.path}: cannot be read ({exc})") from None
            raise
        finally:
            conn.set_progress_handler(None, 0)

    def sensors(self) -> list[str]:
        return [name for (name,) in self._rows("SELECT DISTINCT sensor FROM readings ORDER BY sensor")]

    def latest(self, sensor: str) -> int | None:
        """The sensor's newest timestamp (an index lookup), or None when it has none."""
        return self._rows("SELECT max(timestamp) FROM readings WHERE sensor = ?", (sensor,))[0][0]

    def has_readings(self, sensor: str, start: int, end: int) -> bool:
        """Whether the sensor has a reading in ``[start, end]``: one index probe."""
        return bool(self._rows("SELECT 1 FROM readings WHERE sensor = ? AND timestamp BETWEEN ? AND ? LIMIT 1",
                               (sensor, start, end)))

    def value_range(self, sensor: str) -> tuple[float, float] | None:
        low, high = self._rows("SELECT min(value), max(value) FROM readings WHERE sensor = ?", (sensor,))[0]
        return None if low is None else (low, high)

    def bucket_means(self, sensor: str, start: int, end: int, every: str,
                     max_points: int) -> tuple[np.ndarray, np.ndarray]:
        """``(bucket start times, means)`` of the readings in ``[start, end]``, one row per non-empty bucket.

        The mean is computed in SQL, so at most ``max_points`` rows ever reach
        Python; a range with more buckets than that is refused before the query.
        """
        check_bucket_count(start, end, every, max_points)
        width = BUCKETS[every]
        rows = self._rows(
            "SELECT timestamp / ? AS bucket, avg(value) FROM readings"
            " WHERE sensor = ? AND timestamp BETWEEN ? AND ? GROUP BY bucket ORDER BY bucket LIMIT ?",
            (width, sensor, start, end, max_points))
        if not rows:
            return np.empty(0, dtype=np.int64), np.empty(0)
        data = np.array(rows, dtype=float)
        return data[:, 0].astype(np.int64) * width, data[:, 1]
