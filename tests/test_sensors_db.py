"""The sensors example's database: init, CSV import, the live writer, read-only queries (real SQLite files)."""

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from examples.sensors import db
from examples.sensors.query import DatabaseBusy, ReadingsStore, TooManyPoints

from .clocks import FakeClock
from .servers import ROOT

NOW = "2026-03-01T12:00:00Z"
NOW_S = db.parse_timestamp(NOW)


def cli(*args, timeout=60):
    return subprocess.run([sys.executable, "-m", "examples.sensors", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)


def rows(path, sql="SELECT sensor, timestamp, value FROM readings ORDER BY sensor, timestamp"):
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(sql).fetchall()


@pytest.fixture
def small_db(tmp_path):
    path = tmp_path / "s.db"
    db.create(path, sensors=2, days=1, seed=5, now=NOW_S)
    return path


def test_init_writes_one_reading_per_minute_per_sensor_in_wal_mode(tmp_path):
    path = tmp_path / "s.db"
    result = cli("init", "--db", path, "--sensors", 3, "--days", 2, "--seed", 1, "--now", NOW)
    assert result.returncode == 0, result.stderr
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        per_sensor = conn.execute("SELECT sensor, count(*), min(timestamp), max(timestamp) FROM readings"
                                  " GROUP BY sensor ORDER BY sensor").fetchall()
        gaps = conn.execute("SELECT DISTINCT t2.timestamp - t1.timestamp FROM readings t1 JOIN readings t2"
                            " ON t1.sensor = t2.sensor AND t2.timestamp = (SELECT min(timestamp) FROM readings"
                            " WHERE sensor = t1.sensor AND timestamp > t1.timestamp)").fetchall()
    assert [name for name, *_ in per_sensor] == sorted(db.sensor_names(3))
    assert all(count == 2 * 1440 and last == NOW_S and first == NOW_S - (2 * 1440 - 1) * 60
               for _, count, first, last in per_sensor)
    assert gaps == [(60,)]


def test_init_is_deterministic_for_a_seed(tmp_path):
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        assert cli("init", "--db", tmp_path / f"{name}.db", "--days", 1, "--seed", seed, "--now", NOW).returncode == 0
    a, b, c = (rows(tmp_path / f"{name}.db") for name in "abc")
    assert a == b
    assert [r[:2] for r in a] == [r[:2] for r in c] and a != c


def test_init_refuses_to_overwrite_unless_forced(tmp_path):
    path = tmp_path / "s.db"
    path.write_text("precious")
    result = cli("init", "--db", path, "--days", 1)
    assert result.returncode == 2 and "--force" in result.stderr
    assert path.read_text() == "precious"
    assert cli("init", "--db", path, "--days", 1, "--force").returncode == 0
    assert len(rows(path)) == 3 * 1440


@pytest.mark.parametrize("args, message", [(("--days", 0), "--days"), (("--days", db.MAX_DAYS + 1), "--days"),
                                           (("--sensors", 0), "--sensors")])
def test_init_bounds(tmp_path, args, message):
    result = cli("init", "--db", tmp_path / "s.db", *args)
    assert result.returncode == 2 and message in result.stderr


def test_import_adds_a_good_file(small_db, tmp_path):
    csv = tmp_path / "good.csv"
    csv.write_text("sensor,timestamp,value\n"
                   "lab,2026-03-01T10:00:00Z,1.5\n"
                   "lab,2026-03-01T11:30:00+01:00,2.5\n"  # 10:30 UTC
                   "lab,2026-03-01T10:45:00,3\n"  # naive: UTC
                   f"lab,{NOW_S},-4e-1\n")  # seconds since the epoch
    before = len(rows(small_db))
    result = cli("import", "--db", small_db, csv)
    assert result.returncode == 0, result.stderr
    assert "4 readings" in result.stdout
    assert rows(small_db, "SELECT timestamp, value FROM readings WHERE sensor = 'lab' ORDER BY timestamp") == [
        (NOW_S - 7200, 1.5), (NOW_S - 5400, 2.5), (NOW_S - 4500, 3.0), (NOW_S, -0.4)]
    assert len(rows(small_db)) == before + 4


@pytest.mark.parametrize("bad_line, reason", [
    ("lab,2026-02-30T10:00:00Z,1", "timestamp"),
    ("lab,yesterday,1", "timestamp"),
    ("lab,2026-03-01T10:05:00Z,warm", "value"),
    ("lab,2026-03-01T10:05:00Z,nan", "not finite"),
    ("lab,2026-03-01T10:05:00Z", "3 columns"),
    (",2026-03-01T10:05:00Z,1", "sensor"),
    ("lab,2026-03-01T10:00:00Z,9", "exists already"),  # the same sensor and second as line 2
    ('"a,b",2026-03-01T10:05:00Z,1', "cannot be served: "),  # a choice of the sensor parameter has no comma
    ("lab,253402300800,1", "outside the years"),  # epoch seconds in the year 10000
    ("lab,99999999999999999999999,1", "outside the years"),  # past SQLite's integers
    ("lab,2026-03-01T10:05:00Z,1e200", "within"),  # past what the value axis can show
])
def test_a_bad_row_names_its_line_and_nothing_of_the_file_is_kept(small_db, tmp_path, bad_line, reason):
    csv = tmp_path / "bad.csv"
    csv.write_text(f"sensor,timestamp,value\nlab,2026-03-01T10:00:00Z,1\nlab,2026-03-01T10:01:00Z,2\n{bad_line}\n"
                   "lab,2026-03-01T10:09:00Z,3\n")
    before = rows(small_db)
    result = cli("import", "--db", small_db, csv)
    assert result.returncode == 2
    assert "line 4" in result.stderr and reason in result.stderr, result.stderr
    assert rows(small_db) == before


def test_a_line_that_is_not_utf8_is_refused_with_its_number(small_db, tmp_path):
    csv = tmp_path / "latin1.csv"
    csv.write_bytes("sensor,timestamp,value\nlab,2026-03-01T10:00:00Z,1\nk\u00fcche,2026-03-01T10:00:00Z,1\n"
                    .encode("latin-1"))
    before = rows(small_db)
    result = cli("import", "--db", small_db, csv)
    assert result.returncode == 2
    assert "line 3: not UTF-8" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert rows(small_db) == before


def test_import_refuses_a_wrong_header_and_a_file_that_is_not_a_sensors_database(small_db, tmp_path):
    csv = tmp_path / "x.csv"
    csv.write_text("when,what,value\n")
    result = cli("import", "--db", small_db, csv)
    assert result.returncode == 2 and "line 1" in result.stderr and "header" in result.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    result = cli("import", "--db", other, csv)
    assert result.returncode == 2 and "readings" in result.stderr


def test_append_commits_every_interval_until_its_seconds(small_db):
    clock = FakeClock()
    stamps: list[int]
    before, stamps = len(rows(small_db)), []
    commits = db.append(small_db, interval=1, seconds=2.5, seed=0, on_commit=stamps.append, clock=clock)
    assert commits == 3 and stamps == [int(clock.now - 2.5) + i for i in range(3)]
    assert clock.waits == [1, 1, 0.5]  # the last wait ends at the deadline
    assert len(rows(small_db)) == before + 2 * commits


def test_append_stops_after_its_seconds(small_db):
    before = len(rows(small_db))
    started = time.monotonic()
    result = cli("append", "--db", small_db, "--seconds", 0.5)  # the pacing itself: above, by the clock
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 30
    commits = int(result.stdout.rsplit(": ", 1)[1].split()[0])
    assert commits == 1
    assert len(rows(small_db)) == before + 2 * commits
    newest = rows(small_db, "SELECT max(timestamp) FROM readings")[0][0]
    assert abs(newest - time.time()) < 30  # stamped now


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_append_stops_on_a_signal_with_its_last_transaction_committed(small_db, sig):
    before = len(rows(small_db))
    proc = subprocess.Popen([sys.executable, "-m", "examples.sensors", "append", "--db", str(small_db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while len(rows(small_db)) < before + 4 and time.monotonic() < deadline:  # two commits seen
        time.sleep(0.1)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    commits = int(out.rsplit(": ", 1)[1].split()[0])
    assert commits >= 2 and len(rows(small_db)) == before + 2 * commits


def test_bucket_means_are_computed_in_sql(small_db):
    store = ReadingsStore(small_db)
    raw = np.array(rows(small_db, "SELECT timestamp, value FROM readings WHERE sensor = 'cellar'"), dtype=float)
    start, end = NOW_S - 86399, NOW_S
    for every, width in (("minute", 60), ("hour", 3600), ("day", 86400)):
        times, means = store.bucket_means("cellar", start, end, every, 10_000)
        inside = raw[(raw[:, 0] >= start) & (raw[:, 0] <= end)]
        buckets = inside[:, 0] // width
        expected = [inside[buckets == b, 1].mean() for b in np.unique(buckets)]
        assert np.array_equal(times, np.unique(buckets).astype(np.int64) * width)
        assert np.allclose(means, expected)
    assert len(store.bucket_means("cellar", start, end, "minute", 10_000)[0]) == 1440


def test_row_cap_refuses_before_querying_and_suggests_a_coarser_every(small_db):
    store = ReadingsStore(small_db)
    start, end = NOW_S - 1439 * 60, NOW_S + 59  # 1440 minutes
    assert len(store.bucket_means("cellar", start, end, "minute", 1440)[0]) == 1440  # at the cap
    with pytest.raises(TooManyPoints, match="1441 minutes.*1440 points.*every=hour"):
        store.bucket_means("cellar", start - 60, end, "minute", 1440)
    with pytest.raises(TooManyPoints, match="shorter range"):
        store.bucket_means("cellar", 0, end, "day", 100)


def test_store_is_read_only(small_db):
    store = ReadingsStore(small_db)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        store.connection().execute("INSERT INTO readings VALUES ('x', 1, 1)")


def test_each_process_opens_its_own_connection_after_fork(small_db):
    store = ReadingsStore(small_db)
    parent = store.connection()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new connection, which works; the inherited one untouched
        try:
            child = store.connection()
            ok = child is not parent and store._inherited == [parent] and store.latest("cellar") == NOW_S
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert store.connection() is parent and store.latest("cellar") == NOW_S


def test_a_reader_waits_out_a_lock_and_a_long_lock_is_database_busy(small_db):
    locker = sqlite3.connect(small_db, isolation_level=None, check_same_thread=False)
    locker.execute("PRAGMA locking_mode=EXCLUSIVE")
    locker.execute("BEGIN EXCLUSIVE")  # in WAL mode, exclusive locking mode shuts readers out
    locker.execute("INSERT INTO readings VALUES ('lab', 1, 1)")
    patient, hasty = ReadingsStore(small_db, busy_timeout=10), ReadingsStore(small_db, busy_timeout=0.2)
    with pytest.raises(DatabaseBusy):
        hasty.latest("cellar")

    def release_lock():
        locker.execute("COMMIT")
        locker.close()  # closing ends exclusive mode

    release = threading.Timer(0.5, release_lock)
    release.start()
    started = time.monotonic()
    try:
        assert patient.latest("cellar") == NOW_S
    finally:
        release.join()
    assert time.monotonic() - started >= 0.3  # it did wait for the lock


def test_a_query_past_its_time_limit_is_interrupted(small_db):
    store = ReadingsStore(small_db, query_timeout=0.05)
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
    started = time.monotonic()
    with pytest.raises(DatabaseBusy, match="interrupted"):
        store._rows(slow)
    assert time.monotonic() - started < 5
