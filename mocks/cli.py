"""``lgsp mock``: serve the mock national side, or print known-good citizens to test with.

Mounted by the gateway's CLI as ``app.add_typer(mock_app, name="mock")``. Importing this module
builds nothing: the population is built when the server starts or ``sample`` runs.
"""

# ruff: noqa: PLC0415 -- imports are lazy on purpose: `lgsp --help` must not build anything

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

__all__ = ["mock_app"]

mock_app = typer.Typer(
    help="The mock NGSP + national population database (token, SOAP, faults, journal).",
    no_args_is_help=False,
)

_DIALECT_HELP = "Answer shape: qcvn, live or mixed."


def _settings(**overrides: Any) -> Any:
    from mocks.settings import MockSettings

    return MockSettings(**{key: value for key, value in overrides.items() if value is not None})


@mock_app.callback(invoke_without_command=True)
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    scenario: Annotated[
        Path | None, typer.Option(exists=True, dir_okay=False, help="Fault scenario file.")
    ] = None,
    population_size: Annotated[int | None, typer.Option(help="Number of citizens.")] = None,
    dialect: Annotated[str | None, typer.Option(help=_DIALECT_HELP)] = None,
    envelope_style: Annotated[
        str | None, typer.Option(help="Answer envelope: wrapped (QCVN 109) or bare (Spring-WS).")
    ] = None,
    data_era: Annotated[
        str | None, typer.Option(help="Address codes: 2021, 2025 or mixed (per citizen).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the population.")] = None,
) -> None:
    """Serve the mock with uvicorn (settings also from LGSP_MOCK_* variables)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from mocks.app import create_mock_app

    settings = _settings(
        host=host,
        port=port,
        scenario=scenario,
        population_size=population_size,
        dialect=dialect,
        envelope_style=envelope_style,
        data_era=data_era,
        seed=seed,
    )
    app = create_mock_app(settings)
    app.state.population  # noqa: B018 - build before accepting traffic, not on the first request
    _tune_gc()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False)


def _tune_gc() -> None:
    """Keep the garbage collector off the hot path of this dedicated server process.

    Start-up objects are frozen out of collection, and young collections run less often: the
    request path allocates many short-lived objects and no reference cycles (measured ~30 %).
    """
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


@mock_app.command()
def sample(
    n: Annotated[int, typer.Option("--n", "-n", help="How many citizens.")] = 10,
    province: Annotated[str | None, typer.Option(help="2-digit GSO code of birth.")] = None,
    with_cmnd: Annotated[bool | None, typer.Option(help="Only with (or without) CMND.")] = None,
    year_only: Annotated[bool | None, typer.Option(help="Only year-only birth dates.")] = None,
    household: Annotated[str | None, typer.Option(help="Members of this book number.")] = None,
    population_size: Annotated[int | None, typer.Option(help="Number of citizens.")] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the population.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print citizens that exist in the mock (same seed and size as the server to match it)."""
    from mocks.population import Population

    settings = _settings(population_size=population_size, seed=seed)
    citizens = Population(settings.population_size, settings.seed).sample(
        n, province=province, with_cmnd=with_cmnd, year_only=year_only, household=household
    )
    rows = [citizen.summary() for citizen in citizens]
    if as_json:
        import orjson

        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    _print_table(rows)


def _print_table(rows: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    columns = ("personal_id", "cmnd", "full_name", "date_of_birth", "sex", "province_code",
               "household_id", "relation_code")  # fmt: skip
    table = Table(*columns, title=f"{len(rows)} citizens")
    for row in rows:
        table.add_row(*("" if row[c] is None else str(row[c]) for c in columns))
    Console().print(table)
