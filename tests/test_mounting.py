"""wsgi_plot mounted at /plots in the examples' host apps: a plain werkzeug one and a Flask one."""

import importlib
from wsgiref.validate import validator

import pytest
from werkzeug.test import Client

from . import tools
from .mounting_checks import CHECKS


@pytest.fixture(scope="module", params=["werkzeug_host", "flask_host"])
def host(request):
    """The example's WSGI application (for Flask, the Flask object itself)."""
    if request.param == "flask_host":
        tools.module("flask")
    return importlib.import_module(f"examples.{request.param}").app


@pytest.fixture
def client(host):
    # validator: the host, the dispatcher and wsgi_plot together still speak valid WSGI.
    return Client(validator(host))


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_mounted(client, check):
    check(client)
