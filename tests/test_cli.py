"""The wsgi-plot command from the checkout; tests/test_wheel.py runs it installed from the wheel."""

import subprocess
import sys

import pytest

from wsgi_plot import cli

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
    assert run_cli("uwsgi-ini").stdout.strip() == str(servers.ROOT / "wsgi_plot" / "uwsgi.ini")
    assert "ini = %dwsgi_plot/uwsgi.ini" in (servers.ROOT / "uwsgi.ini").read_text().splitlines()
