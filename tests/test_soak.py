"""bench/soak.py works end to end: a short run against real gunicorn finds no errors and reports RSS."""

import json
import subprocess
import sys

import pytest

from . import servers

pytestmark = [pytest.mark.server, pytest.mark.exclusive]


def test_a_short_soak_finds_no_errors_and_reports_rss_per_worker():
    run = subprocess.run([sys.executable, "bench/soak.py", "--requests", "150", "--concurrency", "2"],
                         cwd=servers.ROOT, capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    assert run.returncode == 0, report
    assert report["responses"] == 150 and report["connection_errors"] == 0 and report["status_5xx"] == 0
    assert report["unexpected_status"] == 0
    assert set(report["statuses"]) >= {"200", "400", "404"}
    for stage in ("boot", "warm", "end"):
        rss = report["rss_mib_per_worker"][stage]
        assert len(rss) == 2 and all(mib > 10 for mib in rss.values()), (stage, rss)
