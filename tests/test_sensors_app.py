"""The sensors example served in process: start-up checks, every readings parameter and error, the row cap,
the pooled figure against a full draw while its time axis moves, live data (real SQLite files)."""

import contextlib
import datetime as dt
import sqlite3
import time
from html.parser import HTMLParser

import numpy as np
import pytest
from werkzeug.test import Client

from examples.sensors import build_app, db
from examples.sensors.app import SensorsConfigError
from wsgi_plot.figures.layout import _drawn_tick_labels
from wsgi_plot.figures.pipeline import draw_still
from wsgi_plot.figures.render import PreparedFigure

from .clocks import FakeClock
from .conftest import decode_png

NOW = "2026-03-01T12:00:00Z"
NOW_S = db.parse_timestamp(NOW)
SMALL = "dpi=40"  # 160x120 px: the pictures are compared, not looked at


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("sensors") / "s.db"
    db.create(path, sensors=3, days=3, seed=2, now=NOW_S)
    return path


@pytest.fixture(scope="module")
def app(db_path):
    return build_app(db_path, environ={}, pool_size=4)


@pytest.fixture
def client(app):
    return Client(app)


def get(client, url):
    return client.get(url, headers={"Accept": "application/json"})


def error(response):
    return response.status_code, response.get_json()["error"]["param"], response.get_json()["error"]["message"]


# -- start-up -------------------------------------------------------------------------------------

def test_missing_variable_is_named():
    with pytest.raises(SensorsConfigError, match="SENSORS_DB is not set"):
        build_app(environ={})


@pytest.mark.parametrize("content", [None, b"not a database at all, just text" * 40, "no-table", "empty"])
def test_a_file_that_is_not_a_sensors_database_is_refused_naming_the_variable(tmp_path, content):
    path = tmp_path / "x.db"
    if content == "no-table":
        sqlite3.connect(path).execute("CREATE TABLE other (x)").connection.close()
    elif content == "empty":
        conn = sqlite3.connect(path)
        conn.execute(db.SCHEMA)
        conn.commit()
        conn.close()
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(SensorsConfigError, match=f"SENSORS_DB='{path}' (is not a sensors database|has no readings)"):
        build_app(environ={"SENSORS_DB": str(path)})


def test_the_gunicorn_target_reads_the_variable(db_path, tmp_path):
    import subprocess
    import sys

    from .servers import ROOT
    code = "import examples.sensors as s; print(sorted(p.name for p in s.app.registry))"
    ok = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                        env={"SENSORS_DB": str(db_path), "PATH": "/usr/bin:/bin"})
    assert ok.returncode == 0, ok.stderr
    assert "readings" in ok.stdout and "normal" in ok.stdout
    missing = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode != 0 and "SENSORS_DB is not set" in missing.stderr


# -- parameters and errors ---------------------------------------------------------------------------

class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.controls, self.options, self._select = {}, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select") and "name" in attrs:
            self.controls.setdefault(attrs["name"], []).append((tag, attrs))
            self._select = attrs["name"] if tag == "select" else self._select
        if tag == "option" and self._select == "sensor":
            self.options.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None


def test_page_offers_the_database_sensors_dates_every_and_grid(client):
    response = client.get("/plot/readings?refresh=5")
    assert response.status_code == 200
    form = _Form()
    form.feed(response.get_data(as_text=True))
    assert form.options == ["attic", "cellar", "greenhouse"]  # read from the database
    assert form.controls["start"][0][1]["type"] == form.controls["end"][0][1]["type"] == "datetime-local"
    assert form.controls["every"][0][0] == "select"
    assert [attrs["type"] for _, attrs in form.controls["grid"]] == ["hidden", "checkbox"]
    assert form.controls["refresh"][0][1]["value"] == "5"


def test_default_is_the_last_24_hours_of_data(client, app):
    default = get(client, f"/plot/readings.png?{SMALL}&seed=1")
    explicit = get(client, f"/plot/readings.png?{SMALL}&start=2026-02-28T12:01:00Z&end=2026-03-01T12:00:59Z")
    assert default.status_code == 200 and default.mimetype == "image/png"
    assert default.data == explicit.data  # the same 1440 minutes
    earlier = get(client, f"/plot/readings.png?{SMALL}&start=2026-02-27T12:01:00Z&end=2026-02-28T12:00:59Z")
    assert earlier.status_code == 200 and earlier.data != default.data


@pytest.mark.parametrize("query", [
    "sensor=cellar", "sensor=greenhouse&every=hour", "every=day", "grid=true", "grid=false", "grid=on",
    "start=2026-02-28T00:00Z", "end=2026-02-28T00:00:00%2B01:00", "start=2026-02-27T06:00Z&end=2026-02-28T18:00Z&every=hour",
    "start=2026-03-01T11:59:00Z&end=2026-03-01T11:59:00Z",  # one reading: one marked point
    "start=2026-02-27&end=2026-03-01&every=hour",  # dates alone: their midnights UTC
])
def test_each_parameter_draws(client, query):
    response = get(client, f"/plot/readings.png?{SMALL}&{query}")
    assert response.status_code == 200, response.data
    assert decode_png(response.data).size == (160, 120)
    assert get(client, f"/plot/readings.svg?{query}").status_code == 200


def test_parameters_change_the_picture(client):
    bodies = {q: get(client, f"/plot/readings.png?{SMALL}&{q}").data
              for q in ("sensor=attic", "sensor=cellar", "sensor=attic&every=hour", "sensor=attic&grid=true")}
    assert len(set(bodies.values())) == len(bodies)


@pytest.mark.parametrize("query, param, words", [
    ("sensor=kitchen", "sensor", "attic, cellar, greenhouse"),
    ("every=week", "every", "minute"),
    ("grid=maybe", "grid", "true/false"),
    ("start=yesterday", "start", "date and time"),
    ("end=2026-02-30T00:00Z", "end", "not a valid"),
    ("start=2026-03-01T00:00Z&end=2026-02-28T00:00Z", "start", "after end"),
    ("refresh=2", "refresh", "unknown"),  # a page key, not an image parameter
])
def test_bad_values_are_400_naming_the_parameter(client, query, param, words):
    status, named, message = error(get(client, f"/plot/readings.png?{query}"))
    assert (status, named) == (400, param) and words in message, message


def test_start_after_end_is_refused_on_the_page_too(client):
    status, named, _ = error(get(client, "/plot/readings?start=2026-03-01T00:00Z&end=2026-02-28T00:00Z"))
    assert (status, named) == (400, "start")


def test_a_date_alone_is_its_midnight_utc(client):
    by_date = get(client, f"/plot/readings.png?{SMALL}&start=2026-02-27&end=2026-03-01&every=hour")
    by_time = get(client, f"/plot/readings.png?{SMALL}&start=2026-02-27T00:00:00Z&end=2026-03-01T00:00Z&every=hour")
    assert by_date.status_code == 200 and by_date.data == by_time.data


@pytest.mark.parametrize("route", ["/plot/readings.png", "/plot/readings"])
def test_a_range_without_readings_is_404_naming_sensor_and_range(client, route):
    status, _, message = error(get(client, f"{route}?sensor=cellar&start=2020-01-01T00:00Z&end=2020-01-02T00:00Z"))
    assert status == 404
    assert "'cellar'" in message and "2020-01-01T00:00:00Z" in message and "2020-01-02T00:00:00Z" in message


@pytest.mark.parametrize("query, param", [
    ("start=9999-12-31T12:00Z", "sensor"),  # 24 h after start is in the year 10000
    ("end=0001-01-01T12:00Z", "sensor"),
    ("start=0001-01-01T00:00Z&end=0001-01-01T12:00Z", "sensor"),
])
def test_a_range_at_the_ends_of_the_calendar_is_4xx_naming_it(client, query, param):
    """Writing the 404's message raised 'year 10000 is out of range': a 500."""
    status, named, message = error(get(client, f"/plot/readings.png?{query}"))
    assert 400 <= status < 500 and named == param, message


def test_a_database_deleted_while_serving_is_503_and_not_ready_until_it_is_back(tmp_path):
    path = tmp_path / "gone.db"
    db.create(path, sensors=2, days=1, seed=1, now=NOW_S)
    app = build_app(path, environ={}, pool_size=4)
    client = Client(app)
    assert get(client, f"/plot/readings.png?{SMALL}").status_code == 200
    assert client.get("/readyz").status_code == 200
    saved = path.read_bytes()
    for leftover in (path, tmp_path / "gone.db-wal", tmp_path / "gone.db-shm"):
        leftover.unlink(missing_ok=True)
    for query in ("", "&sensor=cellar", "&every=hour", "&grid=true"):  # pooled figures and new ones alike
        response = get(client, f"/plot/readings.png?{SMALL}{query}")
        assert response.status_code == 503, response.data
        assert response.headers.getlist("Retry-After") == ["30"]
        assert "database is unavailable" in response.get_json()["error"]["message"]
    assert get(client, "/plot/readings").status_code == 503
    ready = client.get("/readyz")
    assert ready.status_code == 503 and "gone" in ready.get_json()["reason"]
    assert client.get("/fig/5_2?dpi=20").status_code == 200  # the other plots are served on
    path.write_bytes(saved)  # restored: a new file at the path
    assert client.get("/readyz").status_code == 200
    assert get(client, f"/plot/readings.png?{SMALL}").status_code == 200


def test_refused_ranges_cost_no_figure(db_path):
    """Range errors are found when the request is parsed, before a figure is taken from the pool."""
    app = build_app(db_path, environ={}, max_points=1440, pool_size=2)
    client, pool = Client(app), app.pool
    assert get(client, f"/plot/readings.png?{SMALL}").status_code == 200
    assert pool.size == 1
    for query in ("start=2020-01-01T00:00Z&end=2020-01-02T00:00Z", "start=2026-02-01T00:00Z&end=2026-03-01T00:00Z",
                  "start=2026-03-01T00:00Z&end=2026-02-28T00:00Z"):
        assert get(client, f"/plot/readings.png?{SMALL}&{query}").status_code in (400, 404)
        assert pool.size == 1 and pool.in_use == 0, query  # the figure was kept, not dropped


def test_the_row_cap_at_its_bound(db_path):
    capped = Client(build_app(db_path, environ={}, max_points=1440, pool_size=2))
    at = get(capped, f"/plot/readings.png?{SMALL}")  # the default 24 h: 1440 minutes
    assert at.status_code == 200
    assert get(capped, "/plot/readings?start=2026-02-28T12:00:00Z&end=2026-03-01T12:00:59Z").status_code == 400
    over = "start=2026-02-28T12:00:00Z&end=2026-03-01T12:00:59Z"  # 1441 minutes
    status, named, message = error(get(capped, f"/plot/readings.png?{over}"))
    assert (status, named) == (400, "every") and "1441" in message and "every=hour" in message
    assert get(capped, f"/plot/readings.png?{SMALL}&{over}&every=hour").status_code == 200
    status, named, message = error(get(capped, "/plot/readings.png?every=day&start=2000-01-01T00:00Z&end=2026-03-01T00:00Z"))
    assert (status, named) == (400, "every") and "shorter range" in message


def test_a_locked_database_is_503_never_database_is_locked(tmp_path):
    path = tmp_path / "locked.db"
    db.create(path, sensors=1, days=1, seed=1, now=NOW_S)
    app = build_app(path, environ={}, busy_timeout=0.1, pool_size=2)
    store = app.store  # type: ignore[attr-defined]  # build_app keeps its store on the app
    assert getattr(store._local, "conn", None) is None  # building it left no connection open
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("PRAGMA locking_mode=EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")  # shuts out WAL readers until it ends
        locker.execute("INSERT INTO readings VALUES ('zz', 1, 1)")
        response = Client(app).get(f"/plot/readings.png?{SMALL}")
        locker.execute("ROLLBACK")
    finally:
        locker.close()
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert "locked" not in response.get_data(as_text=True) and "busy" in response.get_data(as_text=True)
    assert Client(app).get(f"/plot/readings.png?{SMALL}").status_code == 200  # and it recovers


# -- the pooled figure -----------------------------------------------------------------------------

def test_pooled_figure_matches_a_full_draw_as_its_time_axis_moves(app):
    """The static part is drawn again when a request's range moves the axes, and reused when it
    does not: the fast path equals a full draw of the same figure, window after window, and no
    tick label of a moved axis leaves the picture (the layout is checked before each draw)."""
    plot = app._plot("readings")
    windows = ["", "end=2026-03-01T06:00Z", "end=2026-03-01T06:30Z", "", "start=2026-02-27T00:00Z&every=hour",
               "end=2026-02-28T23:00Z&grid=true"]
    values = [plot.parse(dict(pair.split("=") for pair in query.split("&") if pair)) for query in windows]
    by_static: dict[tuple, PreparedFigure] = {}
    for query, value in zip(windows, values):
        prepared = by_static.setdefault(plot.static_key(value), PreparedFigure(plot, plot.static_values(value), 4, 3, 40))
        fast, _ = draw_still(prepared, value, np.random.default_rng(0), "png")
        prepared.reusable = False  # the same figure, drawn in full
        full, _ = draw_still(prepared, value, np.random.default_rng(0), "png")
        prepared.reusable = True
        assert np.array_equal(np.asarray(decode_png(fast)), np.asarray(decode_png(full))), query
        width, height = prepared.figure.canvas.get_width_height()
        labels = [label.get_window_extent(prepared.canvas.get_renderer())
                  for axis in (prepared.figure.axes[0].xaxis, prepared.figure.axes[0].yaxis)
                  for label in _drawn_tick_labels(axis)]
        assert labels and all(box.x0 >= 0 and box.y0 >= 0 and box.x1 <= width and box.y1 <= height
                              for box in labels), query


def test_same_window_takes_the_fast_path(app, client, monkeypatch):
    from wsgi_plot.figures import render

    saves = []
    original = render.PreparedFigure._forget_static_part

    def forget_static_part(self):
        saves.append(1)
        original(self)

    monkeypatch.setattr(render.PreparedFigure, "_forget_static_part", forget_static_part)
    url = f"/plot/readings.png?{SMALL}&sensor=greenhouse&end=2026-02-28T10:00Z"
    first = get(client, url)
    count = len(saves)
    assert count >= 1  # built, or moved to this window
    for _ in range(3):
        assert get(client, url).data == first.data
    assert len(saves) == count  # the static part was not drawn again
    get(client, f"/plot/readings.png?{SMALL}&sensor=greenhouse&end=2026-02-28T14:00Z")  # the axis moves
    assert len(saves) > count


# -- live data --------------------------------------------------------------------------------------

def test_the_picture_follows_rows_as_they_arrive(tmp_path):
    path = tmp_path / "live.db"
    db.create(path, sensors=1, days=1, seed=3)  # up to now
    # No response cache: its copy stays fresh for a second of real time, and the writer's clock is fake.
    client = Client(build_app(path, environ={}, pool_size=2, response_cache_bytes=0))
    first = get(client, f"/plot/readings.png?{SMALL}").data
    db.append(path, seconds=2.5, seed=1, clock=FakeClock())  # three readings, a second apart
    # The writer's random walk moves 0.05 a step: at 160x120 px that may move no pixel. One more
    # reading, far off, makes the newest bucket's mean move for sure.
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        (sensor, value, stamp), = conn.execute("SELECT sensor, value, max(timestamp) FROM readings")
        conn.execute("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", (sensor, stamp, value + 100))
    second = get(client, f"/plot/readings.png?{SMALL}").data
    assert first != second


def test_datetime_parameters_take_a_date_alone_as_its_midnight_utc():
    from wsgi_plot import Param

    at = Param("at", dt.datetime, optional=True)
    assert at.parse("2024-02-29") == dt.datetime(2024, 2, 29, tzinfo=dt.timezone.utc)
    for bad in ("2023-02-29", "2024-2-29", "2024-02-29T"):
        with pytest.raises(Exception, match="at:"):
            at.parse(bad)


def test_readiness_does_not_wait_for_a_writer_s_lock_and_liveness_never_asks(tmp_path):
    """In rollback-journal mode a writer's lock shuts out readers; /readyz says not ready at once
    instead of waiting the queries' busy timeout, and /healthz never touches the database."""
    path = tmp_path / "journal.db"
    db.create(path, sensors=1, days=1, seed=1, now=NOW_S)
    with contextlib.closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=DELETE")
    busy_timeout = 20.0
    app = build_app(path, environ={}, busy_timeout=busy_timeout, pool_size=2)
    client = Client(app)
    assert client.get("/readyz").status_code == 200
    locker = sqlite3.connect(path, isolation_level=None)
    try:
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("INSERT INTO readings VALUES ('zz', 1, 1)")
        started = time.monotonic()
        ready = client.get("/readyz")
        waited = time.monotonic() - started
        live = client.get("/healthz")
        locker.execute("ROLLBACK")
    finally:
        locker.close()
    assert ready.status_code == 503 and "locked by a writer" in ready.get_json()["reason"]
    assert waited < busy_timeout / 10  # the probe's own short wait, not the queries' busy timeout
    assert live.status_code == 200
    assert client.get("/readyz").status_code == 200  # ready again once the writer is done
