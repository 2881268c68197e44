"""The ``wsgi-plot`` command, also ``python -m wsgi_plot``: serve under gunicorn, check the settings.

    wsgi-plot serve [--bind HOST:PORT] [--workers N] [--app MODULE:NAME]
    wsgi-plot check [--app MODULE:NAME]
    wsgi-plot uwsgi-ini
    wsgi-plot --version

``serve`` replaces this process with gunicorn (``os.execv``), exactly as if one had typed
``python -m gunicorn -c python:wsgi_plot.serve.gunicorn_config ... wsgi_plot:app``: one way to start
the server, so the command and the documented gunicorn line cannot drift apart. gunicorn parses
its own options and ``GUNICORN_CMD_ARGS`` (for any option not named here), handles HUP and
TERM, and its master keeps this process's id, so a supervisor's signal reaches it directly.
Nothing imported here stays in the master: exec starts a fresh interpreter.
"""

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from types import ModuleType

from .. import __version__

PROG = "wsgi-plot"
DEFAULT_APP = "wsgi_plot:app"
#: The gunicorn settings, as a module: ``-c python:...`` imports it from the installed package.
GUNICORN_CONFIG = "python:wsgi_plot.serve.gunicorn_config"


def uwsgi_ini_path() -> str:
    """The uWSGI settings installed with the package (``uwsgi --ini "$(wsgi-plot uwsgi-ini)"``)."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "uwsgi.ini")


def gunicorn_argv(app: str, workers: int | None = None) -> list[str]:
    """The gunicorn command line that ``serve`` runs."""
    argv = [sys.executable, "-m", "gunicorn", "--config", GUNICORN_CONFIG]
    if workers is not None:
        argv += ["--workers", str(workers)]
    return [*argv, app]


def serve(args: argparse.Namespace) -> int:
    if args.bind:
        # As BIND rather than gunicorn's --bind, which would replace every address the settings
        # bind, the probe address (PROBE_PORT) included.
        os.environ["BIND"] = args.bind
    argv = gunicorn_argv(args.app, args.workers)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(argv[0], argv)  # does not return


def check(args: argparse.Namespace) -> int:
    """Build the app as a server's worker would and report what would stop its start-up."""
    # As in gunicorn: the current directory is importable, so --app can name a module there.
    sys.path.insert(0, os.getcwd())
    # The server's config first, as in the master: it sets PROMETHEUS_MULTIPROC_DIR (a temporary
    # directory, unless given) before the app imports prometheus_client.
    try:
        from . import gunicorn_config
    except ValueError as exc:  # WEB_CONCURRENCY=two, TIMEOUT=abc: named, not a traceback
        print(f"{PROG} check: {exc}", file=sys.stderr)
        return 1
    from gunicorn.util import import_app

    from ..web.server_limits import ServerLimits
    from .fitting import fit_to_server

    try:
        app = import_app(args.app)
        # As a worker's post_worker_init does, with the configured timeout (threads: not known here).
        fit_to_server(app, ServerLimits(worker_timeout=float(gunicorn_config.timeout) or None))
    except Exception as exc:  # whatever would stop a worker from booting, reported in one line
        message = str(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {exc}"
        print(f"{PROG} check: {message}", file=sys.stderr)
        return 1
    finally:
        if "wsgi_plot.serve.gunicorn_config" in sys.modules:
            _forget_this_process(sys.modules["wsgi_plot.serve.gunicorn_config"])
    from ..web.application import find_plot_apps

    plot_apps = find_plot_apps(app)
    print(f"{PROG} check: {args.app} is ready")
    if not plot_apps:
        print(f"  no wsgi_plot app found in {args.app}: the server will neither fit nor warm one; "
              "name it with wsgi_plot.serve_plot_apps(application, plots)")
    for number, plot_app in enumerate(plot_apps, 1):
        where = "" if plot_app is app else " (mounted inside it)"
        print(f"  wsgi_plot app {number} of {len(plot_apps)}{where}: fitted to the server, warmed at worker start")
        for name, value in dataclasses.asdict(plot_app.settings).items():
            print(f"  {name} = {value!r}")
    return 0


def _forget_this_process(gunicorn_config: ModuleType) -> None:
    """Leave no metrics of this short-lived process behind, as the server does for a worker."""
    if "prometheus_client" in sys.modules and os.path.isdir(os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
    gunicorn_config.on_exit(None)  # removes the directory if the config made it


def uwsgi_ini(args: argparse.Namespace) -> int:
    print(uwsgi_ini_path())
    return 0


def workers_count(text: str) -> int:
    count = int(text)
    if count < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {count}")
    return count


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="matplotlib plots over HTTP (wsgi_plot).")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    app_help = f"the WSGI application, MODULE:NAME (default {DEFAULT_APP})"

    serve_parser = commands.add_parser(
        "serve", help="run the app under gunicorn with wsgi_plot's settings",
        description=f"Run gunicorn -c {GUNICORN_CONFIG} with these options. Settings come from the "
                    "environment (PORT, BIND, PROBE_PORT, PROBE_BIND, WEB_CONCURRENCY, MAX_REQUESTS, TIMEOUT, "
                    "LOG_LEVEL, WSGI_PLOT_*); any other gunicorn option through GUNICORN_CMD_ARGS.")
    serve_parser.add_argument("--bind", metavar="HOST:PORT", help="where to listen (default 127.0.0.1:8000, or BIND/PORT)")
    serve_parser.add_argument("--workers", type=workers_count, metavar="N",
                              help="worker processes (default: one per CPU, or WEB_CONCURRENCY)")
    serve_parser.add_argument("--app", default=DEFAULT_APP, metavar="MODULE:NAME", help=app_help)
    serve_parser.set_defaults(func=serve)

    check_parser = commands.add_parser(
        "check", help="build the app from the environment; exit 1 with the error that would stop start-up",
        description="Build the app as a worker would, from the environment, and report a bad setting "
                    "with the message start-up would give (exit status 1), or print the settings.")
    check_parser.add_argument("--app", default=DEFAULT_APP, metavar="MODULE:NAME", help=app_help)
    check_parser.set_defaults(func=check)

    ini_parser = commands.add_parser("uwsgi-ini", help="print the path of the uWSGI settings file installed with wsgi_plot",
                                      description='Print the path of wsgi_plot\'s uwsgi.ini: uwsgi --ini "$(wsgi-plot uwsgi-ini)"')
    ini_parser.set_defaults(func=uwsgi_ini)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Callable[[argparse.Namespace], int] = args.func  # set_defaults(func=) of its subcommand
    return command(args)
