"""deploy/compose.yaml, checked structurally: no Docker engine and no network here.

These are hand-written checks, not the compose specification's JSON schema: no project dependency
ships that schema (see docs/deploy.md, "What the tests prove"). They check what would break the
stack at ``up``: unknown services in ``depends_on``, undeclared volumes, mounted files that do not
exist, a replica without the shared stores, two replicas writing the same audit chain.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.services import require_or_skip

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
REPLICAS = ("gateway-1", "gateway-2")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text("utf-8"))
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def test_top_level_keys_are_compose_keys(compose: dict[str, Any]) -> None:
    """Only keys the compose specification defines (x- extensions allowed) at the top level."""
    allowed = {"name", "services", "volumes", "networks", "configs", "secrets", "include"}
    unknown = {k for k in compose if k not in allowed and not k.startswith("x-")}
    assert not unknown


def test_the_stack_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    """Proxy, two replicas, mock national side, stores and monitoring."""
    expected = {"nginx", *REPLICAS, "ngsp-mock", "postgres", "redis", "prometheus", "grafana"}
    assert set(services) == expected


def test_every_service_has_an_image_or_a_build(services: dict[str, dict[str, Any]]) -> None:
    """An image pinned by version (never ``latest``), or a build of this repository."""
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        image = service.get("image", "")
        if "build" not in service:
            assert re.fullmatch(r"[\w./-]+:v?\d+(\.\d+)+[\w.-]*", image), (name, image)


def test_builds_use_the_repository_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    """Every build context resolves to the folder that holds the Dockerfile."""
    for name, service in services.items():
        if build := service.get("build"):
            assert (DEPLOY / build["context"] / build["dockerfile"]).is_file(), name


def test_replicas_and_mock_run_the_documented_commands(
    services: dict[str, dict[str, Any]],
) -> None:
    """``lgsp serve`` for the replicas, ``lgsp mock --host 0.0.0.0`` for the national side."""
    for name in REPLICAS:
        assert services[name]["command"][:2] == ["lgsp", "serve"]
    mock = services["ngsp-mock"]["command"]
    assert mock[:2] == ["lgsp", "mock"]
    assert mock[mock.index("--host") + 1] == "0.0.0.0"  # noqa: S104 -- inside its container


def test_replicas_share_the_stores(services: dict[str, dict[str, Any]]) -> None:
    """Redis limits, PostgreSQL audit and jobs, one maintenance file, production mode."""
    for name in REPLICAS:
        env = services[name]["environment"]
        assert env["LGSP_ENV"] == "production"
        assert env["LGSP_RATE_LIMIT_BACKEND"] == "redis"
        assert env["LGSP_REDIS_URL"].startswith("redis://redis:")
        assert env["LGSP_AUDIT_DSN"].startswith("postgresql://")
        assert "@postgres:" in env["LGSP_AUDIT_DSN"]
        assert env["LGSP_JOBS_DSN"].startswith("postgresql://")
        assert env["LGSP_MAINTENANCE_FILE"].startswith("/var/lib/lgsp/maintenance/")
        assert "maintenance:/var/lib/lgsp/maintenance" in services[name]["volumes"]


def test_replicas_write_distinct_audit_chains(services: dict[str, dict[str, Any]]) -> None:
    """Two processes appending to one chain would fork it: each replica names its own."""
    writer_ids = {services[name]["environment"]["LGSP_AUDIT_WRITER_ID"] for name in REPLICAS}
    assert len(writer_ids) == len(REPLICAS)


def test_production_secrets_come_from_the_env_file(services: dict[str, dict[str, Any]]) -> None:
    """Every secret production demands is required (``:?``) and listed in env.example."""
    template = (DEPLOY / "env.example").read_text("utf-8")
    env = services["gateway-1"]["environment"]
    for name in (
        "LGSP_TOKEN_SIGNING_KEY",
        "LGSP_AUDIT_HMAC_KEY",
        "LGSP_AUDIT_SIGNING_KEY",
        "LGSP_NGSP_CONSUMER_SECRET",
        "LGSP_ADMIN_TOKEN",
    ):
        assert env[name].startswith("${" + name + ":?"), name
        assert re.search(rf"^{name}=", template, re.MULTILINE), name
    assert env["LGSP_CLIENTS_FILE"] == "/etc/lgsp/clients.yaml"


def test_depends_on_names_existing_services(services: dict[str, dict[str, Any]]) -> None:
    """Every ``depends_on`` target is a service, with a condition compose knows."""
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for name, service in services.items():
        for target, spec in service.get("depends_on", {}).items():
            assert target in services, (name, target)
            assert spec["condition"] in conditions, (name, target)
            if spec["condition"] == "service_healthy":
                assert "healthcheck" in services[target], (name, target)


def test_named_volumes_are_declared(
    compose: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    """A named volume a service mounts is declared at the top level, and every one is used."""
    used = set()
    for service in services.values():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if not source.startswith((".", "/")):
                used.add(source)
    assert used == set(compose["volumes"])


def test_bind_mounted_files_exist(services: dict[str, dict[str, Any]]) -> None:
    """Config files mounted from the repository exist (clients.yaml is made by the operator)."""
    for name, service in services.items():
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith(".") and source != "./clients.yaml":
                assert (DEPLOY / source).exists(), (name, source)


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    """The proxy, replicas, mock and stores report health (monitoring containers need not)."""
    for name in ("nginx", *REPLICAS, "ngsp-mock", "postgres", "redis"):
        check = services[name]["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"}, name


def test_nginx_balances_both_replicas() -> None:
    """The upstream block names each replica on the port the gateway listens on."""
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text("utf-8")
    upstream = re.search(r"upstream\s+lgsp_gateway\s*\{(.*?)\}", conf, re.DOTALL)
    assert upstream is not None
    servers = re.findall(r"^\s*server\s+([\w.-]+:\d+)", upstream.group(1), re.MULTILINE)
    assert servers == [f"{name}:8000" for name in REPLICAS]


def test_prometheus_scrapes_both_replicas() -> None:
    """deploy/prometheus/prometheus.yml targets the compose service names."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text("utf-8"))
    targets = config["scrape_configs"][0]["static_configs"][0]["targets"]
    assert targets == [f"{name}:8000" for name in REPLICAS]


def test_grafana_loads_the_dashboard_where_provisioning_looks(
    services: dict[str, dict[str, Any]],
) -> None:
    """The dashboard file is mounted inside the folder the dashboard provider reads."""
    provider = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "dashboards" / "lgsp.yml").read_text("utf-8")
    )
    folder = provider["providers"][0]["options"]["path"]
    targets = [m.split(":")[1] for m in services["grafana"]["volumes"]]
    assert f"{folder}/lgsp-gateway.json" in targets


def test_nginx_accepts_the_config(tmp_path: Path) -> None:
    """``nginx -t`` parses deploy/nginx/nginx.conf (replica names pointed at loopback)."""
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if nginx is None:
        require_or_skip("nginx is not installed (apt-get install nginx-light)")
    conf = (DEPLOY / "nginx" / "nginx.conf").read_text("utf-8")
    for name in REPLICAS:
        conf = conf.replace(f"server {name}:", "server 127.0.0.1:")
    conf = conf.replace("pid /tmp/nginx.pid;", f"pid {tmp_path}/nginx.pid;")
    (tmp_path / "nginx.conf").write_text(conf, "utf-8")
    (tmp_path / "logs").mkdir()
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", "nginx.conf", "-e", "stderr"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr
