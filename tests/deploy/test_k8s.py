"""deploy/k8s/base: valid for a pinned Kubernetes version, and safe by the rules we promise.

No cluster here: the manifests are checked offline. ``kubernetes-validate`` carries the API's JSON
schemas (strict: an unknown field is an error, as ``kubectl apply --validate=strict`` would say);
``policy_problems`` checks what a schema cannot: probes on /healthz and /readyz, a non-root user,
a read-only root file system, resources, and secrets only by reference.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
KUBERNETES_VERSION = "1.33.0"  # the oldest release still supported upstream in late 2026
SECRET_VARIABLE = re.compile(r"(KEY|SECRET|TOKEN|DSN|PASSWORD|REDIS_URL)$")
Manifest = dict[str, Any]


@functools.cache
def _read_base() -> tuple[str, ...]:
    kustomization = yaml.safe_load((BASE / "kustomization.yaml").read_text("utf-8"))
    return tuple((BASE / name).read_text("utf-8") for name in kustomization["resources"])


def resources() -> list[Manifest]:
    """The base's manifests, parsed afresh (tests mutate their copies), read from disk once."""
    return [manifest for text in _read_base() for manifest in yaml.safe_load_all(text) if manifest]


def by_kind(kind: str) -> Manifest:
    (found,) = [manifest for manifest in resources() if manifest["kind"] == kind]
    return found


def container_problems(container: Manifest) -> list[str]:
    problems = []
    name = container.get("name", "?")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        if container.get(probe, {}).get("httpGet", {}).get("path") != path:
            problems.append(f"{name}: {probe} must GET {path}")
    security = container.get("securityContext", {})
    if security.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{name}: readOnlyRootFilesystem must be true")
    if security.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{name}: allowPrivilegeEscalation must be false")
    if security.get("runAsUser") == 0:
        problems.append(f"{name}: runs as root")
    resources = container.get("resources", {})
    if not resources.get("requests") or not resources.get("limits"):
        problems.append(f"{name}: resources need requests and limits")
    for variable in container.get("env", []):
        if SECRET_VARIABLE.search(variable["name"]) and "secretKeyRef" not in variable.get(
            "valueFrom", {}
        ):
            problems.append(f"{name}: {variable['name']} must come from a Secret")
    return problems


def policy_problems(deployment: Manifest) -> list[str]:
    """What a Deployment breaks of the rules docs/deploy.md promises (empty when it keeps them)."""
    pod = deployment["spec"]["template"]["spec"]
    problems = []
    security = pod.get("securityContext", {})
    if security.get("runAsNonRoot") is not True or security.get("runAsUser", 0) == 0:
        problems.append("pod: runAsNonRoot with a non-zero runAsUser is required")
    for container in pod["containers"]:
        problems += container_problems(container)
    return problems


@pytest.mark.parametrize(
    "manifest", resources(), ids=lambda m: f"{m['kind']}/{m['metadata']['name']}"
)
def test_manifest_is_valid_for_the_pinned_kubernetes(manifest: Manifest) -> None:
    kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_every_manifest_in_the_base_is_in_the_kustomization() -> None:
    """A file left out of ``resources`` would silently never be applied."""
    listed = set(yaml.safe_load((BASE / "kustomization.yaml").read_text("utf-8"))["resources"])
    present = {p.name for p in BASE.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert listed == present


def test_the_deployment_keeps_the_policy() -> None:
    assert policy_problems(by_kind("Deployment")) == []


def _without_probes(deployment: Manifest) -> None:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    del container["livenessProbe"], container["readinessProbe"]


def _as_root(deployment: Manifest) -> None:
    deployment["spec"]["template"]["spec"]["securityContext"]["runAsUser"] = 0


def _writable_root(deployment: Manifest) -> None:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"]["readOnlyRootFilesystem"] = False


def _secret_in_clear(deployment: Manifest) -> None:
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    container["env"].append({"name": "LGSP_AUDIT_HMAC_KEY", "value": "in-the-manifest"})


@pytest.mark.parametrize(
    ("break_it", "expected"),
    [
        pytest.param(_without_probes, "livenessProbe must GET /healthz", id="no-probes"),
        pytest.param(_as_root, "pod: runAsNonRoot", id="root-user"),
        pytest.param(_writable_root, "readOnlyRootFilesystem", id="writable-root"),
        pytest.param(
            _secret_in_clear, "LGSP_AUDIT_HMAC_KEY must come from a Secret", id="secret-value"
        ),
    ],
)
def test_a_broken_deployment_is_refused(break_it: Any, expected: str) -> None:
    """The policy is not vacuous: each way of breaking it is named."""
    deployment = copy.deepcopy(by_kind("Deployment"))
    break_it(deployment)
    assert any(expected in problem for problem in policy_problems(deployment))


def test_probes_and_service_use_the_container_port() -> None:
    deployment, service = by_kind("Deployment"), by_kind("Service")
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {p["name"] for p in container["ports"]} == {"http"}
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["selector"] == selector
    assert by_kind("PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == selector


def test_network_policy_allows_only_dns_ngsp_postgres_redis_and_otlp() -> None:
    policy = by_kind("NetworkPolicy")
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    ports = sorted(port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"])
    assert ports == [53, 53, 443, 4318, 5432, 6379]


def test_image_user_matches_the_pod_user() -> None:
    """runAsNonRoot can only be verified against a numeric USER; both say 10001."""
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    assert f"USER {pod['securityContext']['runAsUser']}:" in dockerfile


def test_strict_validation_refuses_a_misspelt_field() -> None:
    """A typo such as ``livenessprobe`` would be dropped silently by a lax apply."""
    deployment = copy.deepcopy(by_kind("Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)
