"""External programs and packages that the end-to-end tests drive.

One that is missing skips the test on a developer's machine but fails it under
``CI=true``, where ``.ci/run`` installs them all: a green CI run must mean that
these tests ran.
"""

import importlib
import importlib.util
import os
import shutil
from types import ModuleType
from typing import NoReturn

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def missing(reason: str) -> NoReturn:
    """Skip the calling test, or fail it in CI."""
    if in_ci():
        pytest.fail(f"{reason}; CI=true, so this is a failure: .ci/run should have installed it", pytrace=False)
    pytest.skip(reason)


def executable(name: str, *candidates: str | os.PathLike[str]) -> str:
    """The path of program ``name``: the first of ``candidates`` that exists, else found on PATH or in sbin."""
    for path in (*map(str, candidates), shutil.which(name), shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")):
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    missing(f"{name} is not installed")


def module(name: str) -> ModuleType:
    """Python module ``name``, imported."""
    if importlib.util.find_spec(name.partition(".")[0]) is None:
        missing(f"Python package {name.partition('.')[0]} is not installed (pip install '.[test]')")
    return importlib.import_module(name)
