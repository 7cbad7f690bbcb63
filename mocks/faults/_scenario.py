"""Scenario files: the fault rules (and a little run-time configuration) in YAML or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import yaml

from mocks.faults._rules import Scenario

__all__ = ["load_scenario", "parse_scenario"]


def parse_scenario(text: str | bytes, *, json_only: bool = False) -> Scenario:
    """A scenario from YAML (a superset of JSON) or strictly JSON; raises ValueError if invalid."""
    try:
        data: Any = orjson.loads(text) if json_only else yaml.safe_load(text)
    except (orjson.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"scenario is not valid {'JSON' if json_only else 'YAML'}: {exc}") from exc
    if isinstance(data, list):  # a bare list of rules is accepted too
        data = {"faults": data}
    return Scenario.model_validate(data or {})


def load_scenario(path: Path) -> Scenario:
    text = path.read_text(encoding="utf-8")
    return parse_scenario(text, json_only=path.suffix.lower() == ".json")
