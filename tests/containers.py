"""podman, a local Debian base image and the image of the top-level Containerfile, for
tests/test_container.py and tests/test_kubernetes.py.

No image registry is reachable where these tests run, so the base is made here: mmdebstrap
writes a minimal Debian bookworm with python3 and its venv module to a tarball (kept in
/var/tmp between runs, named by what it holds), which ``podman import`` makes an image. The
image is then built as docs/deploying.md says, in a copy of the sources: a wheelhouse
(``pip wheel . -w wheels/``), then ``podman build --build-arg BASE=...``. It is named by a hash
of everything that goes into it, so a second test (or run) with the same sources reuses it.

podman runs as root, with runc (crun fails on these machines' cgroups) and the project's
``deploy/container/containers.conf`` (no default ulimits: setting rlimits is refused here).
Containers and pods reach no network but loopback: a container's port is published on
127.0.0.1 through slirp4netns (a process on the host), and a pod's loopback is entered with
nsenter.
"""

import base64
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import tools
from .servers import ROOT

CONTAINERS_CONF = ROOT / "deploy" / "container" / "containers.conf"
#: What the local base holds (mmdebstrap's --include): the Containerfile needs python3 and venv.
BASE_PACKAGES = ("python3", "python3-venv")
BASE_SUITE = "bookworm"
#: Where the base's tarball is kept between runs (outside the repository: 100+ MB).
CACHE = Path("/var/tmp")
#: The name of the images this builds; the tag is a hash of their sources.
IMAGE_NAME = "localhost/wsgi-plot-test"
#: What a build must not pick up from a developer's checkout (as tests/test_wheel.py).
NOT_SOURCES = shutil.ignore_patterns(".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".hypothesis", "results", "wheels")
#: The dependencies whose versions the image gets from this suite's own environment (constraints),
#: so that a picture drawn in the container can be compared with one drawn here.
PINNED = ("matplotlib", "numpy", "pillow", "werkzeug", "gunicorn", "deflate", "isal", "prometheus_client",
          "contourpy", "fonttools", "kiwisolver", "pyparsing", "cycler", "python-dateutil", "packaging")


def podman_executable() -> str:
    """podman, runc and slirp4netns, as root; skipped (failed under CI=true) without them."""
    executable = tools.executable("podman")
    tools.executable("runc", "/usr/sbin/runc", "/usr/bin/runc")
    tools.executable("slirp4netns")
    if os.geteuid() != 0:
        tools.missing("these tests run podman as root (rootful: no user namespaces to set up)")
    return executable


def podman(*args, timeout=300, check=True) -> subprocess.CompletedProcess:
    """``podman --runtime runc ARGS`` with the project's containers.conf; its output as text."""
    cmd = [podman_executable(), "--runtime", "runc", *map(str, args)]
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    if check:
        assert done.returncode == 0, f"{' '.join(cmd)}: exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def image_exists(name: str) -> bool:
    return podman("image", "exists", name, check=False).returncode == 0


@contextlib.contextmanager
def locked(name: str):
    """One process at a time (pytest-xdist's workers, or two runs) builds a given image."""
    with open(CACHE / f"{name}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def base_image() -> str:
    """localhost/wsgi-plot-base:bookworm-HASH, imported from mmdebstrap's tarball (made if not kept)."""
    key = hashlib.sha256(repr((BASE_SUITE, "minbase", BASE_PACKAGES)).encode()).hexdigest()[:12]
    name = f"localhost/wsgi-plot-base:{BASE_SUITE}-{key}"
    with locked("wsgi-plot-base"):
        if image_exists(name):
            return name
        tarball = CACHE / f"wsgi-plot-base-{BASE_SUITE}-{key}.tar"
        if not tarball.exists():
            mmdebstrap = tools.executable("mmdebstrap")
            partial = tarball.with_suffix(".partial.tar")
            done = subprocess.run([mmdebstrap, "--quiet", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
                                   BASE_SUITE, str(partial)], capture_output=True, text=True, timeout=900)
            assert done.returncode == 0, f"mmdebstrap: exit {done.returncode}\n{done.stderr[-4000:]}"
            partial.rename(tarball)
        podman("import", tarball, name)
        return name


def image_sources() -> list[Path]:
    """The files an image is made of: the Containerfile and what it copies, and the package's sources.

    Not README.md, though the wheel's metadata holds it (as its long description): a change to the
    documentation changes nothing the image does, and should not cost a build.
    """
    files = [ROOT / "Containerfile", ROOT / ".containerignore", ROOT / "setup.cfg", ROOT / "pyproject.toml",
             *sorted((ROOT / "deploy" / "container").iterdir())]
    files += sorted(path for path in (ROOT / "wsgi_plot").rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    return [path for path in files if path.exists()]


def constraints() -> str:
    lines = []
    for name in PINNED:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            lines.append(f"{name}=={importlib.metadata.version(name)}\n")
    return "".join(lines)


def image(work: Path) -> str:
    """The image of the top-level Containerfile, built from a wheelhouse in a copy of the sources.

    ``work`` is a directory of the caller's for the copy and the build's log (build.log).
    """
    base = base_image()
    digest = hashlib.sha256(base.encode() + constraints().encode())
    for path in image_sources():
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    name = f"{IMAGE_NAME}:{digest.hexdigest()[:12]}"
    with locked("wsgi-plot-image"):
        if image_exists(name):
            return name
        context = work / "context"
        shutil.copytree(ROOT, context, ignore=NOT_SOURCES)
        (work / "constraints.txt").write_text(constraints())
        log = work / "build.log"
        started = time.monotonic()
        # As docs/deploying.md says, with this suite's own versions of the dependencies.
        wheels = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", ".", "-w", "wheels/",
                                 "-c", str(work / "constraints.txt")],
                                cwd=context, capture_output=True, text=True, timeout=600)
        assert wheels.returncode == 0, f"pip wheel: exit {wheels.returncode}\n{wheels.stderr[-4000:]}"
        wheelhouse_seconds = time.monotonic() - started
        _build(context, base, name, log)
        with open(log, "a") as out:
            out.write(f"wheelhouse {wheelhouse_seconds:.1f} s, image {time.monotonic() - started - wheelhouse_seconds:.1f} s\n")
        # Older test images (other sources) and the layers only they used.
        for other in podman("images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_NAME).stdout.split():
            if other != name:
                podman("rmi", "--force", other, check=False)
        podman("image", "prune", "--force", check=False)
        return name


def _build(context: Path, base: str, name: str, log: Path) -> None:
    cmd = [podman_executable(), "--runtime", "runc", "build", "--format", "docker", "--build-arg", f"BASE={base}",
           "-t", name, "-f", "Containerfile", "."]
    env = {**os.environ, "CONTAINERS_CONF": str(CONTAINERS_CONF)}
    with open(log, "a") as out:
        done = subprocess.run(cmd, cwd=context, stdout=out, stderr=subprocess.STDOUT, timeout=900, env=env)
    assert done.returncode == 0, f"podman build: exit {done.returncode}\n{log.read_text()[-6000:]}"


def pid_of(container: str) -> int:
    return int(podman("inspect", "--format", "{{.State.Pid}}", container).stdout)


def process_status(container: str) -> dict[str, str]:
    """/proc/1/status of the container (its PID 1), as name -> value."""
    text = podman("exec", container, "cat", "/proc/1/status").stdout
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


#: Run inside a pod's network namespace by fetch_in(): GET a URL, print status, headers and body.
_FETCH = """
import base64, json, sys, urllib.error, urllib.request
request = urllib.request.Request(sys.argv[1], headers=json.loads(sys.argv[2]))
try:
    response = urllib.request.urlopen(request, timeout=30)
except urllib.error.HTTPError as error:
    response = error
print(json.dumps({"status": response.status, "headers": dict(response.headers.items()),
                  "body": base64.b64encode(response.read()).decode()}))
"""


def fetch_in(pid: int, url: str, headers=None) -> tuple[int, dict, bytes]:
    """GET ``url`` from inside the network namespace of process ``pid`` (a pod's loopback)."""
    nsenter = tools.executable("nsenter")
    done = subprocess.run([nsenter, f"--net=/proc/{pid}/ns/net", sys.executable, "-c", _FETCH, url,
                           json.dumps(headers or {})], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    return answer["status"], answer["headers"], base64.b64decode(answer["body"])
