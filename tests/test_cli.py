"""The wsgi-plot command from the checkout; tests/test_wheel.py runs it installed from the wheel."""

import subprocess
import sys
import urllib.request

import pytest

from wsgi_plot.serve import cli

from . import servers


def run_cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "wsgi_plot", *args], capture_output=True, text=True, timeout=120,
                          cwd=servers.ROOT, env=env)


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_serve_refuses_a_bad_worker_count_before_starting_anything(workers, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["serve", "--workers", workers])
    assert info.value.code == 2 and "--workers" in capsys.readouterr().err


def test_a_command_is_required(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([])
    assert info.value.code == 2 and "COMMAND" in capsys.readouterr().err


def test_check_reports_an_app_that_cannot_be_imported():
    answer = run_cli("check", "--app", "no_such_module_here:app")
    assert answer.returncode == 1
    assert answer.stderr.strip() == "wsgi-plot check: ModuleNotFoundError: No module named 'no_such_module_here'"


def test_check_builds_another_module_s_app_and_prints_its_settings():
    answer = run_cli("check", "--app", "examples.werkzeug_host:app")
    assert answer.returncode == 0 and answer.stdout.startswith("wsgi-plot check: examples.werkzeug_host:app is ready")


def test_the_repository_uwsgi_ini_includes_the_packaged_one():
    assert run_cli("uwsgi-ini").stdout.strip() == str(servers.ROOT / "wsgi_plot" / "serve" / "uwsgi.ini")
    assert "ini = %dwsgi_plot/serve/uwsgi.ini" in (servers.ROOT / "uwsgi.ini").read_text().splitlines()


@pytest.mark.server
def test_serve_bind_keeps_the_probe_address(tmp_path):
    """--bind becomes BIND, not gunicorn's --bind, which would drop the PROBE_PORT address."""
    port, probe_port = servers.free_port(), servers.free_port()
    cmd = [sys.executable, "-m", "wsgi_plot", "serve", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    with servers.running(cmd, f"http://127.0.0.1:{port}/healthz", env={"PROBE_PORT": str(probe_port), "BIND": None},
                         log_path=tmp_path / "serve.log"):
        with urllib.request.urlopen(f"http://127.0.0.1:{probe_port}/healthz", timeout=30) as response:
            assert response.status == 200
    assert f"Listening at: http://127.0.0.1:{probe_port},http://127.0.0.1:{port} (" in (tmp_path / "serve.log").read_text()


def environ(**variables):
    import os

    return {**os.environ, **variables}


@pytest.mark.parametrize("variable, text", [("WEB_CONCURRENCY", "two"), ("TIMEOUT", "abc"), ("MAX_REQUESTS", "x"),
                                            ("WSGI_PLOT_MAX_INCHES", "inf")])
def test_check_names_a_bad_server_variable_in_one_line(variable, text):
    answer = run_cli("check", env=environ(**{variable: text}))
    assert answer.returncode == 1
    assert answer.stderr.startswith(f"wsgi-plot check: {variable}") and "Traceback" not in answer.stderr
    assert answer.stderr.count("\n") == 1


def test_check_refuses_a_render_timeout_not_below_the_worker_timeout_naming_both():
    answer = run_cli("check", env=environ(TIMEOUT="20", WSGI_PLOT_RENDER_TIMEOUT="20"))
    assert answer.returncode == 1
    assert "render_timeout (WSGI_PLOT_RENDER_TIMEOUT) is 20 s" in answer.stderr
    assert "worker timeout of 20 s" in answer.stderr and "TIMEOUT" in answer.stderr


def test_check_warns_of_a_misspelt_variable():
    answer = run_cli("check", env=environ(WSGI_PLOT_MAX_STREAM="3"))
    assert answer.returncode == 0
    assert "WSGI_PLOT_MAX_STREAM is not a wsgi_plot setting and is ignored; did you mean WSGI_PLOT_MAX_STREAMS" \
        in answer.stderr


@pytest.mark.parametrize("variable, text, says", [
    ("WSGI_PLOT_POOL_TIMEOUT", "1e10", "must be between 0 and 3,600"),  # past threading.TIMEOUT_MAX: a 500 per wait
    ("WSGI_PLOT_RENDER_TIMEOUT", "1e-300", "must be between 0.001 and 3,600"),  # every image a 503
    ("WSGI_PLOT_MAX_INCHES", "1e308", "must be between 0.01 and 1,000"),  # size=1e307x1: OverflowError
    ("WSGI_PLOT_MAX_PIXELS", "1000000000", "must be between 1 and 67,108,864"),  # Agg's std::bad_alloc
    ("WSGI_PLOT_MAX_DPI", "6000", "over the 65535 px Agg can draw"),  # with max_inches=40
    ("WSGI_PLOT_MAX_BODY_BYTES", "10000000000", "must be between 1 and 268,435,456"),
])
def test_check_refuses_a_setting_out_of_its_bounds_naming_the_variable(variable, text, says):
    answer = run_cli("check", env=environ(**{variable: text}))
    assert answer.returncode == 1
    assert answer.stderr.startswith(f"wsgi-plot check: {variable}: ") and says in answer.stderr, answer.stderr
    assert "Traceback" not in answer.stderr and answer.stderr.count("\n") == 1
