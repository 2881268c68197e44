"""docs/operations.md's table of environment variables names every variable the code reads, and nothing else.

The code: every ALL-CAPS name that wsgi_plot/ and gunicorn.conf.py read with ``os.environ`` or
``os.getenv`` (directly, through a named constant, or gunicorn_config's ``_whole_number``), the
``if-env`` blocks of the uwsgi.ini files, and ``WSGI_PLOT_<FIELD>`` for each setting. Names that start
with ``_`` are the servers' own bookkeeping between master and reloads, not for users.
"""

import dataclasses
import re
from pathlib import Path

from wsgi_plot.declare.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "operations.md"
#: Documented because users set them for us, though only a library reads them.
READ_BY_LIBRARIES = {"GUNICORN_CMD_ARGS"}

_NAME = r"['\"]([A-Z][A-Z0-9_]+)['\"]"
_PYTHON_READS = [
    re.compile(rf"os\.environ(?:\.get|\.setdefault|\.pop)?\(?\[?{_NAME}"),
    re.compile(rf"os\.getenv\({_NAME}"),
    re.compile(rf"_whole_number\({_NAME}"),
    re.compile(rf"^[A-Z_]*VARIABLE\s*=\s*{_NAME}", re.M),  # a constant later read with os.environ
]
_INI_READS = re.compile(r"^if-(?:not-)?env\s*=\s*([A-Z][A-Z0-9_]+)", re.M)


def read_by_code() -> set[str]:
    names: set[str] = set()
    for path in [*sorted((ROOT / "wsgi_plot").rglob("*.py")), ROOT / "gunicorn.conf.py"]:
        text = path.read_text()
        for pattern in _PYTHON_READS:
            names |= set(pattern.findall(text))
    for path in (ROOT / "uwsgi.ini", ROOT / "wsgi_plot" / "serve" / "uwsgi.ini"):
        names |= set(_INI_READS.findall(path.read_text()))
    names |= {ENV_PREFIX + field.name.upper() for field in dataclasses.fields(Settings)}
    return {name for name in names if not name.startswith("_")}


def documented() -> set[str]:
    text = DOC.read_text()
    section = text.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", section, re.M))


def test_every_variable_the_code_reads_is_documented():
    missing = read_by_code() - documented()
    assert not missing, f"read by the code, not in docs/operations.md's table: {sorted(missing)}"


def test_every_documented_variable_is_read():
    unread = documented() - read_by_code() - READ_BY_LIBRARIES
    assert not unread, f"in docs/operations.md's table, read nowhere: {sorted(unread)}"


def test_the_scan_finds_each_kind_of_read():
    found = read_by_code()
    # os.environ.get, os.environ[...], _whole_number, a named constant, uwsgi.ini, a setting
    assert {"BIND", "PROBE_PORT", "WEB_CONCURRENCY", "PROMETHEUS_MULTIPROC_DIR", "TMPDIR",
            "WSGI_PLOT_PNG_COMPRESSION"} <= found
