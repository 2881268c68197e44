"""Memory of a gunicorn (or uWSGI) master's worker processes, read from /proc (Linux)."""

from pathlib import Path


def worker_pids(master: int) -> list[int]:
    return sorted(int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split())


def rss_mib(pid: int) -> float | None:
    """Resident set size in MiB, or None once the process is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except FileNotFoundError:
        return None
    return None
