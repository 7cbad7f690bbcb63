"""``lgsp admin-units``: look a unit up in either era and convert it to the other."""

from __future__ import annotations

from typing import Annotated, Literal

import typer

from contracts.admin_eras._views import entry
from contracts.models import AdminUnitEntry, AdminUnitRef

__all__ = ["admin_units_app"]

admin_units_app = typer.Typer(
    help="Administrative units of 2021 and 2025 (official conversion table of 01/7/2025).",
    no_args_is_help=True,
)


@admin_units_app.command("convert")
def convert_command(
    code: Annotated[str, typer.Argument(help="2-digit province, 3-digit district, 5-digit ward.")],
    from_era: Annotated[
        str, typer.Option("--from", help="The era CODE belongs to: 2021 or 2025.")
    ] = "2021",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Name CODE in its era and list the other era's units the official table gives for it."""
    era = _era(from_era)
    found = entry(code, era)
    if found is None:
        typer.echo(
            f"{code!r} is not a {era} administrative unit code: check it, or try --from "
            f"{'2025' if era == '2021' else '2021'}.",
            err=True,
        )
        raise typer.Exit(1)
    if as_json:
        typer.echo(found.model_dump_json(indent=2))
        return
    typer.echo(_describe(found))


def _era(text: str) -> Literal["2021", "2025"]:
    if text == "2021":
        return "2021"
    if text == "2025":
        return "2025"
    raise typer.BadParameter("--from must be 2021 or 2025")


def _line(unit: AdminUnitRef) -> str:
    where = [unit.district_name, unit.province_name] if unit.level == "commune" else []
    place = ", ".join(part for part in where if part)
    return f"{unit.code}  {unit.name}" + (f"  ({place})" if place else "")


def _describe(found: AdminUnitEntry) -> str:
    other = found.other_era
    lines = [f"{found.unit.era}: {_line(found.unit)}", f"{other.era}:"]
    lines += [f"  {_line(unit)}" for unit in other.units] or ["  (none in the table)"]
    if other.partial:
        lines.append("partial: the table gives no single whole answer (see every candidate)")
    return "\n".join(lines)
