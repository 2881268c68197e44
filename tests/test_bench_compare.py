"""bench/compare.py runs from what the repository ships: wsgi_plot beside the recipe in bench/recipe."""

import json
import subprocess
import sys

import pytest

from . import servers, tools


@pytest.mark.server
def test_the_recipe_comparison_runs_from_the_repository(tmp_path):
    tools.executable("wrk")
    tools.module("flask")
    run = subprocess.run([sys.executable, "bench/compare.py", "--workers", "1", "--duration", "1", "--warmup", "1",
                          "--rounds", "1", "--png-compression", "fast", "--memory-requests", "0",
                          "--out", str(tmp_path)], cwd=servers.ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    baseline = {key: row for key, row in rows.items() if key.startswith("baseline ")}
    ours = {key: row for key, row in rows.items() if not key.startswith("baseline ")}
    # Both apps answered both shared routes, with 200s only, and the ratios were printed.
    assert {key.split(" ", 1)[1] for key in baseline} == {"/fig/5_2", "/normal/5_2"}
    assert all(row["requests_per_s"] > 0 and row["non_2xx"] == 0 for row in (*baseline.values(), *ours.values()))
    assert "ratios wsgi_plot / baseline" in run.stdout
