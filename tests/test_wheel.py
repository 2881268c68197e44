"""As a new user outside a clone: build the sdist and wheel, install the wheel in a fresh virtualenv
in a temporary directory, and run ``wsgi-plot`` from there.

The wheel is built from the sdist (``python -m build``), so a file missing from the sdist is
missing from the wheel too. The fresh virtualenv gets wsgi_plot's dependencies from the package
index, as a user's would; it runs with an empty working directory and no PYTHONPATH, so nothing
of the checkout can be imported.
"""

import email
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from . import servers, tools
from .http_checks import check_recipe_png
from .metrics_text import samples, value
from .servers import worker_pids

pytestmark = pytest.mark.server

#: Settings of the user's shell that must not reach the installed command.
CLEARED = ("PYTHONPATH", "VIRTUAL_ENV", "PROMETHEUS_MULTIPROC_DIR", "BIND", "PORT", "WEB_CONCURRENCY",
           "GUNICORN_CMD_ARGS")
#: What a build must not pick up from a developer's checkout.
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", "results")


def run(cmd, timeout=300, **kwargs):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kwargs)


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    """The sdist and wheel, built without network access from a copy of the sources."""
    tools.module("build")
    tools.module("wheel")
    work = tmp_path_factory.mktemp("dist")
    source = work / "source"
    shutil.copytree(servers.ROOT, source, ignore=NOT_SOURCES)
    out = work / "dist"
    built = run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)])
    assert built.returncode == 0, built.stdout + built.stderr
    (sdist,), (wheel,) = out.glob("*.tar.gz"), out.glob("*.whl")
    return sdist, wheel


@pytest.fixture(scope="module")
def user(dist):
    """``(run, env, venv)``: a fresh virtualenv with the wheel installed, outside the repository."""
    home = Path(tempfile.mkdtemp(prefix="wsgi_plot-user-"))  # not under the checkout, whatever pytest's basetemp
    try:
        venv = home / "venv"
        made = run([sys.executable, "-m", "venv", str(venv)])
        assert made.returncode == 0, made.stderr
        # --no-compile: byte-compiling matplotlib and numpy would double the install's CPU time.
        installed = run([str(venv / "bin" / "pip"), "install", "-q", "--no-compile", str(dist[1])], timeout=600)
        assert installed.returncode == 0, installed.stdout + installed.stderr
        cwd = home / "cwd"
        (cwd / "tmp").mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k not in CLEARED}
        env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", TMPDIR=str(cwd / "tmp"))

        def user_run(*args, extra_env=None, **kwargs):
            return run(list(args), cwd=cwd, env={**env, **(extra_env or {})}, **kwargs)

        yield user_run, env, venv
    finally:
        shutil.rmtree(home, ignore_errors=True)


def test_the_wheel_holds_the_package_its_settings_licence_and_readme(dist):
    sdist, wheel = dist
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA")).rpartition("/")[0]
        metadata = email.message_from_string(archive.read(f"{info}/METADATA").decode())
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
    assert {"wsgi_plot/serve/gunicorn_config.py", "wsgi_plot/serve/uwsgi.ini", "wsgi_plot/serve/cli.py", "wsgi_plot/__main__.py",
            "wsgi_plot/py.typed", f"{info}/LICENSE"} <= names
    assert not any(name.startswith(("tests/", "examples/", "bench/")) for name in names)
    assert "wsgi-plot = wsgi_plot.serve.cli:main" in entry_points
    assert metadata["License"] == "MIT" and metadata["Description-Content-Type"] == "text/markdown"
    readme = (servers.ROOT / "README.md").read_text()
    description = metadata.get_payload()
    assert isinstance(description, str) and description.strip() == readme.strip()
    with tarfile.open(sdist) as archive:
        members = {name.partition("/")[2] for name in archive.getnames()}
    assert {"LICENSE", "README.md", "gunicorn.conf.py", "uwsgi.ini", "wsgi_plot/serve/uwsgi.ini", "wsgi_plot/py.typed",
            "ruff.toml", "setup.cfg", "examples/django_host/wsgi.py", "tests/test_wheel.py", "docs/plots.md",
            "docs/operations.md"} <= members


def test_installed_from_the_wheel_not_the_checkout(user, dist):
    user_run, _, venv = user
    where = user_run(str(venv / "bin" / "python"), "-c", "import wsgi_plot, wsgi_plot.serve.cli as c; "
                     "print(wsgi_plot.__file__); print(c.uwsgi_ini_path())")
    assert where.returncode == 0, where.stderr
    package, ini = where.stdout.split()
    assert Path(package).is_relative_to(venv) and not Path(package).is_relative_to(servers.ROOT)
    printed = user_run("wsgi-plot", "uwsgi-ini")
    assert printed.stdout.strip() == ini and Path(ini).is_relative_to(venv)
    assert "[uwsgi]" in Path(ini).read_text()
    version = dist[1].name.split("-")[1]
    for command in (["wsgi-plot", "--version"], [str(venv / "bin" / "python"), "-m", "wsgi_plot", "--version"]):
        answer = user_run(*command)
        assert (answer.returncode, answer.stdout.strip()) == (0, f"wsgi-plot {version}"), answer.stderr


def test_check_names_the_bad_variable_as_start_up_does(user):
    user_run, _, _ = user
    good = user_run("wsgi-plot", "check")
    assert good.returncode == 0 and "pool_size = 8" in good.stdout, good.stderr
    bad = user_run("wsgi-plot", "check", extra_env={"WSGI_PLOT_POOL_SIZE": "many"})
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.startswith("wsgi-plot check: WSGI_PLOT_POOL_SIZE='many': ")
    message = bad.stderr.removeprefix("wsgi-plot check: ").strip()
    # The server refuses to start with the very same message.
    served = user_run("wsgi-plot", "serve", "--workers", "1", "--bind", f"127.0.0.1:{servers.free_port()}",
                      extra_env={"WSGI_PLOT_POOL_SIZE": "many"}, timeout=120)
    assert served.returncode != 0 and message in served.stdout + served.stderr


def test_serve_two_workers_metrics_summed_and_sigterm(user):
    user_run, env, venv = user
    tmp = Path(env["TMPDIR"])
    port = servers.free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp.parent / "serve.log"
    cmd = ["wsgi-plot", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with servers.running(cmd, base + "/healthz", env=env, cwd=tmp.parent, log_path=log) as proc:
        check_recipe_png(base)
        sent = 1
        # serve execs gunicorn: the command's process is the master, and these are its workers.
        deadline = time.monotonic() + 60
        while len(pids := worker_pids(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(pids) == 2
        (metrics_dir,) = tmp.glob("wsgi_plot-metrics-*")  # made by the packaged gunicorn settings

        def counted_pids():
            return {int(f.stem.rpartition("_")[2]) for f in metrics_dir.glob("counter_*.db")}

        def fetch_some():
            for _ in range(5):
                with urllib.request.urlopen(base + "/fig/5_2?dpi=30", timeout=30) as response:
                    response.read()

        # The kernel may hand a burst to one worker: bounded bursts until both have counted.
        for _ in range(20):
            if counted_pids() >= pids:
                break
            threads = [threading.Thread(target=fetch_some) for _ in range(4)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            sent += 20
        assert counted_pids() >= pids
        with urllib.request.urlopen(base + "/metrics", timeout=30) as response:
            scraped = samples(response.read().decode())
        assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="200") == sent

        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert not metrics_dir.exists()  # the settings' on_exit removed their own directory
    text = log.read_text()
    assert "Shutting down: Master" in text and "Traceback" not in text
