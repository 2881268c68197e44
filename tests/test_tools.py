"""A missing tool skips a test locally and fails it in CI."""

import pytest

from . import tools


@pytest.mark.parametrize("ci, outcome", [("", pytest.skip.Exception), ("true", pytest.fail.Exception)],
                         ids=["local", "ci"])
def test_missing_program(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no-such-program-xyz is not installed"):
        tools.executable("no-such-program-xyz", "/nonexistent/no-such-program-xyz")


@pytest.mark.parametrize("ci, outcome", [("", pytest.skip.Exception), ("true", pytest.fail.Exception)],
                         ids=["local", "ci"])
def test_missing_module(monkeypatch, ci, outcome):
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="no_such_package_xyz"):
        tools.module("no_such_package_xyz.sub")


def test_found(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert tools.executable("sh").endswith("/sh")
    assert tools.module("wsgiref.validate").validator
