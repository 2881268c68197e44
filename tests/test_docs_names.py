"""The names the docs give an operator exist in the code, and the code's exist in the docs: the
``WSGI_PLOT_*`` variables, the metrics ``/metrics`` serves and the reasons it counts refusals by."""

import ast
import dataclasses
import re
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.declare.settings import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
OPERATIONS = ROOT / "docs" / "operations.md"

#: Names the docs show on purpose though no setting has them: the example of a misspelt variable.
NOT_SETTINGS = {"WSGI_PLOT_MAX_STREAM"}


def docs_text() -> str:
    return "\n".join(page.read_text() for page in PAGES)


def metrics_table() -> dict[str, str]:
    """The rows of docs/operations.md's metrics table: metric name -> the rest of its row."""
    rows = {}
    for line in OPERATIONS.read_text().splitlines():
        match = re.match(r"\| `(wsgi_plot_\w+)` \|(.*)\|$", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def served_metric_names() -> set[str]:
    """The wsgi_plot metrics a fresh app serves, as Prometheus names them (counters with ``_total``)."""
    text = Client(create_app()).get("/metrics").get_data(as_text=True)
    names = set()
    for family in text_string_to_metric_families(text):
        # prometheus_client also writes each counter's and histogram's creation time, as a gauge
        # family of its own named ``*_created``: part of those metrics, not another one.
        if family.name.startswith("wsgi_plot_") and not family.name.endswith("_created"):
            names.add(family.name + "_total" if family.type == "counter" else family.name)
    return names


def rejection_reasons_in_code() -> set[str]:
    """Every literal reason the package passes to ``metrics.rejected``."""
    reasons = set()
    for path in (ROOT / "wsgi_plot").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "rejected"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                reasons.add(node.args[0].value)
    return reasons


def test_every_variable_the_docs_name_is_a_setting():
    settings = {ENV_PREFIX + field.name.upper() for field in dataclasses.fields(Settings)}
    named = set(re.findall(r"\bWSGI_PLOT_[A-Z0-9_]*[A-Z0-9]", docs_text()))
    assert named - NOT_SETTINGS <= settings, sorted(named - NOT_SETTINGS - settings)


def test_every_setting_is_named_in_the_docs():
    named = set(re.findall(r"\bWSGI_PLOT_[A-Z0-9_]*[A-Z0-9]", docs_text()))
    settings = {ENV_PREFIX + field.name.upper() for field in dataclasses.fields(Settings)}
    assert settings <= named, sorted(settings - named)


def test_the_metrics_table_lists_exactly_the_metrics_served():
    assert set(metrics_table()) == served_metric_names()


def test_the_metrics_table_lists_exactly_the_reasons_refusals_are_counted_by():
    row = metrics_table()["wsgi_plot_rejections_total"]
    documented = set(re.findall(r"`(\w+)`", row)) - {"reason"}
    assert documented == rejection_reasons_in_code()
