"""deploy/kubernetes: valid against the Kubernetes API's schemas, consistent with the app's settings,
and run for real with ``podman kube play``: two replicas, each reached through its own nginx.

``podman kube play`` understands no kustomization, so it is given what ``kubectl kustomize`` makes
(the ConfigMap of nginx.conf included) through an overlay that names the image built here, as a
user's overlay names theirs. Two changes, for Debian's podman 4.3, are made to that output and
to nothing else: it is given the ConfigMap and the Deployment only (it runs no Service, budget,
autoscaler or policy), and the containers' ``ports`` are left out (podman 4.3 publishes each
containerPort on the host's 0.0.0.0, where the second replica's cannot bind; a port is only
named there, for the probes, which then name the number). Each pod then has only its loopback
(``--network none``): the test enters the pod's network namespace (nsenter) and sends its
requests to the pod's nginx on :8080, as a Service would on the pod's address.
"""

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from . import containers, tools
from .conftest import decode_png
from .servers import ROOT

KUSTOMIZATION = ROOT / "deploy" / "kubernetes"
#: gunicorn's graceful_timeout in the shipped gunicorn settings (wsgi-plot serve's).
GRACEFUL_TIMEOUT = 30


def kustomize(directory: Path) -> list[dict]:
    yaml = tools.module("yaml")
    kubectl = tools.executable("kubectl")
    built = subprocess.run([kubectl, "kustomize", str(directory)], capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    return [doc for doc in yaml.safe_load_all(built.stdout) if doc]


@pytest.fixture(scope="module")
def manifests():
    return {doc["kind"]: doc for doc in kustomize(KUSTOMIZATION)}


def test_the_manifests_pass_the_kubernetes_schemas(manifests):
    validate = tools.module("kubernetes_validate")
    assert set(manifests) == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget",
                              "HorizontalPodAutoscaler", "NetworkPolicy"}
    # The oldest release still served by the big clouds' Kubernetes, and the newest the package knows;
    # strict: a misspelt or misplaced field is an error too.
    for version in ("1.29.0", validate.latest_version()):
        for doc in manifests.values():
            validate.validate(doc, version, strict=True)


def env_of(container: dict) -> dict[str, str]:
    return {item["name"]: item["value"] for item in container.get("env", [])}


def test_the_pods_are_locked_down_and_drain(manifests):
    deployment = manifests["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    for selector in (deployment["spec"]["selector"], manifests["PodDisruptionBudget"]["spec"]["selector"],
                     manifests["NetworkPolicy"]["spec"]["podSelector"]):
        assert selector["matchLabels"].items() <= labels.items()
    assert manifests["Service"]["spec"]["selector"].items() <= labels.items()
    assert manifests["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    containers_ = {container["name"]: container for container in pod["containers"]}
    assert set(containers_) == {"app", "nginx"}
    volumes = {volume["name"]: volume for volume in pod["volumes"]}
    for container in containers_.values():
        context = container["securityContext"]
        assert context["readOnlyRootFilesystem"] is True and context["allowPrivilegeEscalation"] is False
        assert context["capabilities"]["drop"] == ["ALL"]
        (tmp,) = [mount for mount in container["volumeMounts"] if mount["mountPath"] == "/tmp"]
        assert "emptyDir" in volumes[tmp["name"]]
        assert "memory" in container["resources"]["limits"]
    # The nginx.conf of the ConfigMap kustomize made (its name carries a hash of the content).
    assert volumes["nginx-conf"]["configMap"]["name"] == manifests["ConfigMap"]["metadata"]["name"]
    nginx_conf = manifests["ConfigMap"]["data"]["nginx.conf"]
    assert nginx_conf == (KUSTOMIZATION / "nginx.conf").read_text()
    # The app listens where nginx sends requests and probes, with max_conns twice its workers.
    app = containers_["app"]
    env = env_of(app)
    main = re.search(r"upstream wsgi_plot \{[^}]*?server (\S+) max_conns=(\d+)", nginx_conf)
    assert main and main.group(1) == env["BIND"] and int(main.group(2)) == 2 * int(env["WEB_CONCURRENCY"])
    probe_port = int(env["PROBE_BIND"].rpartition(":")[2])
    assert re.search(rf"upstream wsgi_plot_probes \{{\s*server 127\.0\.0\.1:{probe_port}\b", nginx_conf)
    ports = {port["name"]: port["containerPort"] for port in app["ports"]}
    assert app["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "probes"}
    assert app["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probes"}
    assert ports["probes"] == probe_port
    assert manifests["Service"]["spec"]["ports"][0]["targetPort"] == "http"
    assert {port["name"]: port["containerPort"] for port in containers_["nginx"]["ports"]} == {"http": 8080}
    assert re.search(r"^\s*listen 8080;", nginx_conf, flags=re.M)
    # Drain: each container waits for the endpoints to be updated, then stops gracefully, all
    # within the grace period.
    (sleep,) = app["lifecycle"]["preStop"]["exec"]["command"][1:]
    assert pod["terminationGracePeriodSeconds"] >= int(sleep) + GRACEFUL_TIMEOUT + 5
    nginx_stop = containers_["nginx"]["lifecycle"]["preStop"]["exec"]["command"][-1]
    assert nginx_stop.startswith(f"sleep {sleep};") and "-s quit" in nginx_stop
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}


def for_podman(docs: list[dict]) -> list[dict]:
    """What podman 4.3 runs (the module's docstring): the ConfigMap and Deployment, ports only named."""
    kept = [doc for doc in docs if doc["kind"] in ("ConfigMap", "Deployment")]
    for doc in kept:
        if doc["kind"] != "Deployment":
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            ports = {port["name"]: port["containerPort"] for port in container.pop("ports", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                for action in ("httpGet", "tcpSocket"):
                    if action in container.get(probe, {}):
                        port = container[probe][action]["port"]
                        container[probe][action]["port"] = ports.get(port, port)
    return kept


@pytest.mark.server
@pytest.mark.container
def test_two_replicas_run_with_podman_kube_play_each_behind_its_nginx(tmp_path):
    yaml = tools.module("yaml")
    tools.executable("nsenter")
    image = containers.image(tmp_path)
    name, _, tag = image.rpartition(":")
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text(json.dumps({
        "resources": [os.path.relpath(KUSTOMIZATION, overlay)],
        "images": [{"name": "wsgi-plot", "newName": name, "newTag": tag}],
    }))
    docs = for_podman(kustomize(overlay))
    (deployment,) = [doc for doc in docs if doc["kind"] == "Deployment"]
    assert deployment["spec"]["replicas"] == 2
    played = tmp_path / "played.yaml"
    played.write_text(yaml.safe_dump_all(docs))
    (config_map,) = [doc["metadata"]["name"] for doc in docs if doc["kind"] == "ConfigMap"]
    # Whatever an interrupted run left. (podman 4.3 keeps the volume it makes of the ConfigMap.)
    containers.podman("kube", "down", played, check=False)
    containers.podman("volume", "rm", "--force", config_map, check=False)
    try:
        containers.podman("kube", "play", "--network", "none", played, timeout=300)
        pods = [f"{deployment['metadata']['name']}-pod-{number}" for number in range(2)]
        for pod in pods:
            check_pod(pod)
    finally:
        for pod in ("wsgi-plot-pod-0", "wsgi-plot-pod-1"):
            for container in ("app", "nginx"):
                logs = containers.podman("logs", f"{pod}-{container}", check=False)
                print(f"--- {pod}-{container}\n{logs.stdout[-3000:]}{logs.stderr[-3000:]}")
        containers.podman("kube", "down", played, timeout=120)
        containers.podman("volume", "rm", "--force", config_map, check=False)


def check_pod(pod: str):
    infra = containers.podman("pod", "inspect", "--format", "{{.InfraContainerID}}", pod).stdout.strip()
    pid = containers.pid_of(infra)
    nginx = "http://127.0.0.1:8080"
    deadline = time.monotonic() + 120
    while True:  # until the pod's nginx passes /readyz on: the app's workers are up and warm
        try:
            status, headers, body = containers.fetch_in(pid, nginx + "/readyz")
        except AssertionError:
            status = None
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert status == 200 and headers["Server"] == "nginx" and json.loads(body)["status"] == "ok"
    request_id = f"kube-play-{pod}"
    status, headers, body = containers.fetch_in(pid, nginx + "/fig/5_2", {"X-Request-Id": request_id})
    assert status == 200 and headers["Server"] == "nginx" and headers["Content-Type"] == "image/png"
    assert headers["X-Request-Id"] == request_id  # nginx passed the client's id on, the app answered with it
    assert decode_png(body).size == (1200, 900)
    # Both logged it: nginx (its access log on stdout), then the app behind it.
    nginx_log = containers.podman("logs", f"{pod}-nginx").stdout
    app_log = containers.podman("logs", f"{pod}-app").stdout
    assert re.search(r'"GET /fig/5_2 HTTP/1\.1" 200 ', nginx_log) and "GET /fig/5_2 HTTP" in app_log
    # The kubelet's probes, on the app's probe address (the pod's address there; loopback here).
    for path in ("/healthz", "/readyz"):
        assert containers.fetch_in(pid, "http://127.0.0.1:8101" + path)[0] == 200
    # Both containers run as the image's non-root user.
    for container in ("app", "nginx"):
        status_ = containers.process_status(f"{pod}-{container}")
        assert status_["Uid"].split() == ["10001"] * 4
