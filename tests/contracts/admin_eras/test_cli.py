"""``lgsp admin-units convert``: the issue's two examples, in JSON and as text."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gateway.cli import app


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["admin-units", "convert", *args])
    return result.exit_code, result.output


def test_old_ward_of_tuy_hoa_lists_both_new_wards_and_says_partial() -> None:
    code, output = _run("22024", "--from", "2021", "--json")
    assert code == 0, output
    found = json.loads(output)
    units = found["other_era"]["units"]
    assert [(u["code"], u["province_code"]) for u in units] == [("22015", "66"), ("22045", "66")]
    assert found["other_era"]["partial"] is True
    assert found["unit"]["name"] == "Phường 9"


def test_new_ward_lists_every_old_ward_merged_into_it() -> None:
    code, output = _run("22015", "--from", "2025")
    assert code == 0, output
    for old in ("22015", "22018", "22024", "22030", "22033", "22036", "22312", "22315"):
        assert f"  {old}  " in output
    assert "partial" in output


def test_an_unknown_code_says_what_to_try() -> None:
    code, output = _run("99999", "--from", "2025")
    assert code == 1
    assert "try --from 2021" in output


def test_a_bad_era_is_a_usage_error() -> None:
    code, _ = _run("22015", "--from", "2030")
    assert code == 2
