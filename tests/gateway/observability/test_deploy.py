"""deploy/: the Grafana dashboard and the Prometheus rules name only metrics the gateway exports,
and every alert has its runbook entry in docs/operations.md."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gateway.observability.conftest import OpsStack, scraped_after_traffic

REPO = Path(__file__).resolve().parents[3]
DASHBOARD = REPO / "deploy" / "grafana" / "lgsp-gateway.json"
ALERTS = REPO / "deploy" / "prometheus" / "alerts.yml"
SCRAPE_CONFIG = REPO / "deploy" / "prometheus" / "prometheus.yml"
RUNBOOK = REPO / "docs" / "operations.md"

# Metric names in PromQL: ours and the process collector's by prefix; ``up`` is Prometheus' own.
_METRIC = re.compile(r"\b((?:lgsp|process|python)_[a-z0-9_]+|up(?=\{))")
_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "info": ("_info",),
}


def _exported(families: dict[str, Any]) -> set[str]:
    """Every series name a scrape can hold, from the families and their types."""
    names = {"up"}
    for name, family in families.items():
        suffixes = _SUFFIXES.get(family.type, ("",))
        names |= {name + suffix for suffix in suffixes}
    return names


def _expressions(node: object) -> Iterator[str]:
    """Every PromQL string in a dashboard: targets, variable queries, annotations."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("expr", "definition") and isinstance(value, str):
                yield value
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item)


def _alert_rules() -> list[dict[str, Any]]:
    config = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    return [rule for group in config["groups"] for rule in group["rules"]]


@pytest.fixture
async def exported(ops: OpsStack) -> set[str]:
    _, families = await scraped_after_traffic(ops)
    return _exported(families)


def test_dashboard_is_valid_json_with_panels() -> None:
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    assert dashboard["uid"] == "lgsp-gateway"
    panels = [p for p in dashboard["panels"] if p["type"] != "row"]
    assert len(panels) >= 10
    assert all(p["targets"] and p["datasource"]["uid"] == "${datasource}" for p in panels)


def test_dashboard_panels_do_not_overlap() -> None:
    cells: set[tuple[int, int]] = set()
    for panel in json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]:
        grid = panel["gridPos"]
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, panel["title"]
        assert grid["x"] + grid["w"] <= 24
        cells |= area


async def test_dashboard_references_only_exported_metrics(exported: set[str]) -> None:
    expressions = list(_expressions(json.loads(DASHBOARD.read_text(encoding="utf-8"))))
    used = {name for expr in expressions for name in _METRIC.findall(expr)}
    assert all(_METRIC.search(expr) for expr in expressions), "an expression names no metric"
    assert used - exported == set()
    assert len(used) >= 15, "the dashboard covers every family"


async def test_alert_rules_reference_only_exported_metrics(exported: set[str]) -> None:
    for rule in _alert_rules():
        used = set(_METRIC.findall(rule["expr"]))
        assert used, rule["alert"]
        assert used - exported == set(), rule["alert"]


@pytest.mark.parametrize("rule", [pytest.param(rule, id=rule["alert"]) for rule in _alert_rules()])
def test_every_alert_has_a_severity_and_a_runbook_entry(rule: dict[str, Any]) -> None:
    assert rule["labels"]["severity"] in {"critical", "warning", "info"}
    anchor = rule["annotations"]["runbook_url"].removeprefix("docs/operations.md#")
    headings = re.findall(r"^#+ (.+)$", RUNBOOK.read_text(encoding="utf-8"), re.MULTILINE)
    assert anchor in {heading.strip().lower() for heading in headings}, rule["alert"]


def test_scrape_config_loads_the_rules_and_names_the_job_the_rules_use() -> None:
    config = yaml.safe_load(SCRAPE_CONFIG.read_text(encoding="utf-8"))
    assert [SCRAPE_CONFIG.parent / name for name in config["rule_files"]] == [ALERTS]
    (job,) = config["scrape_configs"]
    assert (job["job_name"], job["metrics_path"]) == ("lgsp-gateway", "/metrics")
    assert 'job="lgsp-gateway"' in ALERTS.read_text(encoding="utf-8")
