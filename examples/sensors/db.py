"""The sensors database: its schema, the synthetic history, CSV import, the live writer, read-only access.

One table, ``readings(sensor, timestamp, value)``; ``timestamp`` is whole seconds
since 1970-01-01 UTC (an integer, so buckets are integer division in SQL).
The file is in WAL mode: the writer appends while readers keep reading the last
committed state, never waiting on each other except for brief checkpoints,
which the readers' busy timeout absorbs.
"""

import csv
import math
import os
import signal
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Protocol

import numpy as np

SCHEMA = """
CREATE TABLE readings (
    sensor TEXT NOT NULL,
    timestamp INTEGER NOT NULL,  -- seconds since 1970-01-01 UTC
    value REAL NOT NULL,
    PRIMARY KEY (sensor, timestamp)  -- one reading per sensor and second; ranges of one sensor are index scans
) WITHOUT ROWID;
"""

COLUMNS = ("sensor", "timestamp", "value")
SENSOR_NAMES = ("greenhouse", "cellar", "attic", "garage", "kitchen", "workshop", "barn", "pond")
MAX_SENSORS = 100  # synthetic sensors; names beyond the list are sensor-9, sensor-10, ...
MAX_DAYS = 366  # of synthetic history: 3 sensors x 366 days is 1.6 million rows, about 60 MB
MAX_SENSOR_NAME = 64  # characters, in imported files

DAY = 86400  # seconds


class NotASensorsDatabase(ValueError):
    """The file is missing, not SQLite, or has no usable readings table."""


def sensor_names(count: int) -> list[str]:
    return [SENSOR_NAMES[i] if i < len(SENSOR_NAMES) else f"sensor-{i + 1}" for i in range(count)]


def connect_writer(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A read-write connection, in WAL mode, that commits only when told to."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL's safe setting: a power cut may lose the last commit, never the file
    return conn


def create(path: str | os.PathLike[str], *, sensors: int = 3, days: int = 30, seed: int = 0, now: float | None = None,
           force: bool = False) -> int:
    """A new database with one synthetic reading per minute per sensor over ``days`` up to ``now``.

    The values depend only on ``seed`` and the timestamps, so the same seed and
    ``now`` give the same rows. Returns the number of rows.
    """
    if not 1 <= sensors <= MAX_SENSORS:
        raise ValueError(f"--sensors must lie in [1, {MAX_SENSORS}], got {sensors}")
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"--days must lie in [1, {MAX_DAYS}], got {days}")
    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists; pass --force to replace it")
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    end = int((time.time() if now is None else now) // 60 * 60)
    minutes = days * 24 * 60
    timestamps = end - 60 * np.arange(minutes - 1, -1, -1, dtype=np.int64)
    conn = connect_writer(path)
    try:
        conn.execute("BEGIN")
        conn.execute(SCHEMA)
        for index, name in enumerate(sensor_names(sensors)):
            values = synthetic_values(np.random.default_rng([seed, index]), index, timestamps)
            conn.executemany("INSERT INTO readings VALUES (?, ?, ?)",
                             zip([name] * minutes, timestamps.tolist(), values.tolist()))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return sensors * minutes


def synthetic_values(rng: np.random.Generator, index: int, timestamps: Iterable[int] | np.ndarray) -> np.ndarray:
    """A temperature-like series: a daily cycle (warmest mid-afternoon UTC) plus slow, smooth noise."""
    base, swing = 12.0 + 3.0 * index, 4.0 + index % 3
    hour = (np.asarray(timestamps) % DAY) / 3600
    cycle = swing * np.sin(2 * np.pi * (hour - 9) / 24)
    noise = np.convolve(rng.normal(0, 1.2, len(hour) + 59), np.ones(60) / 60 ** 0.5, mode="valid") * 0.25
    return np.round(base + cycle + noise, 3)


def parse_timestamp(text: str) -> int:
    """ISO 8601 (naive means UTC) or whole seconds since the epoch, as whole seconds."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp())


def import_csv(path: str | os.PathLike[str], csv_path: str | os.PathLike[str]) -> int:
    """Add the rows of a CSV file with the header ``sensor,timestamp,value``, all or nothing.

    A bad row raises ``ValueError`` naming its line; the transaction is rolled
    back, so nothing of that file is kept. Returns the number of rows added.
    """
    from .plot import check_row  # how the app reads a row; imported here, as it imports matplotlib

    check(path)
    conn = connect_writer(path)
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            count = 0
            with open(csv_path, "rb") as handle:
                reader = csv.reader(_decoded_lines(handle, csv_path))
                header = next(reader, None)
                if header is None or [h.strip() for h in header] != list(COLUMNS):
                    raise ValueError(f"{csv_path}, line 1: expected the header {','.join(COLUMNS)}, got {header!r}")
                for row in reader:
                    line = reader.line_num
                    try:
                        parsed = _parse_row(row)
                        check_row(*parsed)
                        conn.execute("INSERT INTO readings VALUES (?, ?, ?)", parsed)
                    except (ValueError, OverflowError, sqlite3.IntegrityError) as exc:
                        reason = "a reading for this sensor and time exists already" \
                            if isinstance(exc, sqlite3.IntegrityError) else str(exc)
                        raise ValueError(f"{csv_path}, line {line}: {reason}") from None
                    count += 1
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    finally:
        conn.close()
    return count


def _decoded_lines(handle: Iterable[bytes], csv_path: str | os.PathLike[str]) -> Iterator[str]:
    """The file's lines as text; a line that is not UTF-8 is refused with its number, not the file."""
    for number, raw in enumerate(handle, 1):
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"{csv_path}, line {number}: not UTF-8 (byte {raw[exc.start]:#04x} at "
                             f"column {exc.start + 1})") from None


def _parse_row(row: list[str]) -> tuple[str, int, float]:
    if len(row) != 3:
        raise ValueError(f"expected 3 columns (sensor,timestamp,value), got {len(row)}")
    sensor, stamp, value = (cell.strip() for cell in row)
    if not sensor or len(sensor) > MAX_SENSOR_NAME or not sensor.isprintable():
        raise ValueError(f"sensor must be 1 to {MAX_SENSOR_NAME} printable characters, got {sensor!r}")
    try:
        seconds = parse_timestamp(stamp)
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"timestamp {stamp!r} is neither ISO 8601 nor seconds since the epoch") from None
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"value {value!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"value {value!r} is not finite")
    return sensor, seconds, number


class Clock(Protocol):
    """What ``append`` reads time from and waits with: ``monotonic()``, ``time()``, ``wait(seconds)``."""

    def monotonic(self) -> float: ...
    def time(self) -> float: ...
    def wait(self, seconds: float) -> bool: ...


def append(path: str | os.PathLike[str], *, interval: float = 1.0, seconds: float | None = None, seed: int | None = None,
           on_commit: Callable[[int], object] | None = None, clock: Clock | None = None) -> int:
    """Add one reading per sensor every ``interval`` seconds, stamped now, until ``seconds`` pass or a signal.

    SIGINT and SIGTERM end the loop after the transaction in progress commits.
    Each sensor's value moves on from its last reading. Returns the number of commits.
    ``clock`` replaces real time (tests): ``monotonic()`` paces, ``time()`` stamps, and
    ``wait(seconds)`` waits, returning True if the writer was stopped meanwhile.
    """
    check(path)
    stop = threading.Event()
    monotonic, now, wait = (time.monotonic, time.time, stop.wait) if clock is None else \
        (clock.monotonic, clock.time, clock.wait)
    previous = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)} \
        if threading.current_thread() is threading.main_thread() else {}
    conn = connect_writer(path)
    rng = np.random.default_rng(seed)
    try:
        # SQLite takes the bare column (value) from the row where max() is found.
        last = {sensor: value for sensor, value, _ in conn.execute(
            "SELECT sensor, value, max(timestamp) FROM readings GROUP BY sensor")}
        names = sorted(last)
        deadline = None if seconds is None else monotonic() + seconds
        commits = 0
        next_tick = monotonic()
        while not stop.is_set() and (deadline is None or monotonic() < deadline):
            stamp = int(now())
            rows = []
            for name in names:
                last[name] = round(last[name] + rng.normal(0, 0.05), 3)
                rows.append((name, stamp, last[name]))
            # A second append within the same second replaces the first: one reading per sensor and second.
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", rows)
            conn.execute("COMMIT")
            commits += 1
            if on_commit:
                on_commit(stamp)
            next_tick += interval
            pause = next_tick - monotonic()
            if deadline is not None:
                pause = min(pause, deadline - monotonic())
            wait(max(0.0, pause))
        return commits
    finally:
        conn.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def read_only_uri(path: str | os.PathLike[str]) -> str:
    return "file:" + urllib.parse.quote(str(Path(path).resolve())) + "?mode=ro"


def check(path: str | os.PathLike[str]) -> list[str]:
    """The sensors of the database at ``path``; ``NotASensorsDatabase`` if it is not one."""
    if not Path(path).is_file():
        raise NotASensorsDatabase(f"{path}: no such file (create one with: python -m examples.sensors init --db {path})")
    try:
        conn = sqlite3.connect(read_only_uri(path), uri=True, timeout=5)
        try:
            columns = [row[1] for row in conn.execute("PRAGMA table_info(readings)")]
            if not set(COLUMNS) <= set(columns):
                raise NotASensorsDatabase(f"{path}: no table readings(sensor, timestamp, value)")
            return [row[0] for row in conn.execute("SELECT DISTINCT sensor FROM readings ORDER BY sensor")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise NotASensorsDatabase(f"{path}: not a SQLite database ({exc})") from None
