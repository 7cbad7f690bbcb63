"""The admin API under ``/__admin/``: fault rules, scenarios, journal, tokens and discovery.

Modelled on what WireMock (``/__admin/mappings``, ``/__admin/requests``) and Toxiproxy (toxics)
give testers, documented with curl examples in docs/mock.md. Every answer is JSON; a bad request
gets 400 with ``{"error": ...}``, an unknown thing 404.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from mocks.faults import RuleSpec, parse_scenario
from mocks.settings import DataEra, Dialect, EnvelopeStyle
from mocks.state import MockState

__all__ = ["admin_routes"]

_MAX_SAMPLE = 1000


class JSONResponse(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class _ConfigPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dialect: Dialect | None = None
    envelope_style: EnvelopeStyle | None = None
    data_era: DataEra | None = None
    token_lifetime_s: int | None = Field(None, ge=1)


def _flag(request: Request, name: str) -> bool | None:
    value = request.query_params.get(name)
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered not in {"true", "false", "1", "0", "yes", "no"}:
        raise ValueError(f"{name} must be true or false")
    return lowered in {"true", "1", "yes"}


def _int(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name)
    value = default if text is None else int(text)
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}")
    return value


def _sex(request: Request) -> bool | None:
    value = request.query_params.get("sex")
    if value not in (None, "", "male", "female"):
        raise ValueError("sex must be male or female")
    return None if not value else value == "male"


class AdminApi:
    """The admin endpoints of one mock, bound to its state."""

    def __init__(self, state: MockState) -> None:
        self._state = state

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/__admin", self.info, methods=["GET"]),
            Route("/__admin/config", self.get_config, methods=["GET"]),
            Route("/__admin/config", self.patch_config, methods=["PATCH"]),
            Route("/__admin/faults", self.list_faults, methods=["GET"]),
            Route("/__admin/faults", self.add_faults, methods=["POST"]),
            Route("/__admin/faults", self.clear_faults, methods=["DELETE"]),
            Route("/__admin/faults/{rule_id}", self.get_fault, methods=["GET"]),
            Route("/__admin/faults/{rule_id}", self.delete_fault, methods=["DELETE"]),
            Route("/__admin/scenario", self.put_scenario, methods=["PUT"]),
            Route("/__admin/hangs/release", self.release_hangs, methods=["POST"]),
            Route("/__admin/journal", self.get_journal, methods=["GET"]),
            Route("/__admin/journal", self.reset_journal, methods=["DELETE"]),
            Route("/__admin/tokens", self.tokens, methods=["GET"]),
            Route("/__admin/tokens/expire", self.expire_tokens, methods=["POST"]),
            Route("/__admin/tokens/{token}", self.revoke_token, methods=["DELETE"]),
            Route("/__admin/citizens/sample", self.sample, methods=["GET"]),
            Route("/__admin/citizens/{number}", self.citizen, methods=["GET"]),
            Route("/__admin/households/{number}", self.household, methods=["GET"]),
            Route("/__admin/reset", self.reset, methods=["POST"]),
        ]

    async def info(self, _: Request) -> JSONResponse:
        settings = self._state.settings
        return JSONResponse(
            {
                "service": "lgsp mock national side",
                "population_size": self._state.population.size,
                "households": self._state.population.census.households,
                "seed": settings.seed,
                "dialect": self._state.dialect,
                "envelope_style": self._state.envelope_style,
                "data_era": self._state.data_era,
                "population_path": settings.population_path,
                "token_lifetime_s": self._state.tokens.lifetime_s,
                "rules": len(self._state.faults.rules),
                "held": self._state.held,
            }
        )

    async def get_config(self, _: Request) -> JSONResponse:
        return JSONResponse(
            {
                "dialect": self._state.dialect,
                "envelope_style": self._state.envelope_style,
                "data_era": self._state.data_era,
                "token_lifetime_s": self._state.tokens.lifetime_s,
            }
        )

    async def patch_config(self, request: Request) -> JSONResponse:
        try:
            patch = _ConfigPatch.model_validate_json(await request.body())
        except ValidationError as exc:
            return _error(400, str(exc))
        if patch.dialect is not None:
            self._state.dialect = patch.dialect
        if patch.envelope_style is not None:
            self._state.envelope_style = patch.envelope_style
        if patch.data_era is not None:
            self._state.data_era = patch.data_era
        if patch.token_lifetime_s is not None:
            self._state.tokens.lifetime_s = patch.token_lifetime_s
        return await self.get_config(request)

    async def list_faults(self, _: Request) -> JSONResponse:
        return JSONResponse({"faults": [rule.to_json() for rule in self._state.faults.rules]})

    async def add_faults(self, request: Request) -> JSONResponse:
        try:
            data = orjson.loads(await request.body())
            items = data.get("faults", [data]) if isinstance(data, dict) else data
            specs = [RuleSpec.model_validate(item) for item in items]
            rules = [self._state.faults.add(spec) for spec in specs]
        except (orjson.JSONDecodeError, ValueError, AttributeError, TypeError) as exc:
            return _error(400, str(exc))
        created = [rule.to_json() for rule in rules]
        return JSONResponse(created[0] if isinstance(data, dict) and "faults" not in data
                            else {"faults": created}, status_code=201)  # fmt: skip

    async def clear_faults(self, _: Request) -> Response:
        self._state.faults.clear()
        return Response(status_code=204)

    async def get_fault(self, request: Request) -> JSONResponse:
        rule = self._state.faults.get(request.path_params["rule_id"])
        return _error(404, "no such rule") if rule is None else JSONResponse(rule.to_json())

    async def delete_fault(self, request: Request) -> Response:
        if not self._state.faults.remove(request.path_params["rule_id"]):
            return _error(404, "no such rule")
        return Response(status_code=204)

    async def put_scenario(self, request: Request) -> JSONResponse:
        try:
            scenario = parse_scenario(await request.body())
            ids = self._state.apply(scenario)
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse({"faults": ids, "dialect": self._state.dialect,
                             "token_lifetime_s": self._state.tokens.lifetime_s})  # fmt: skip

    async def release_hangs(self, _: Request) -> Response:
        self._state.release_hangs()
        return Response(status_code=204)

    async def get_journal(self, request: Request) -> JSONResponse:
        try:
            limit = _int(request, "limit", 100, 0, 100_000)
        except ValueError as exc:
            return _error(400, str(exc))
        params = request.query_params
        journal = self._state.journal.to_json(
            operation=params.get("operation"), number=params.get("personal_id"), limit=limit
        )
        return JSONResponse(journal)

    async def reset_journal(self, _: Request) -> Response:
        self._state.journal.reset()
        return Response(status_code=204)

    async def tokens(self, _: Request) -> JSONResponse:
        return JSONResponse(
            {"active": self._state.tokens.active(), "lifetime_s": self._state.tokens.lifetime_s}
        )

    async def expire_tokens(self, _: Request) -> JSONResponse:
        return JSONResponse({"expired": self._state.tokens.expire_all()})

    async def revoke_token(self, request: Request) -> Response:
        if not self._state.tokens.revoke(request.path_params["token"]):
            return _error(404, "no such token")
        return Response(status_code=204)

    async def sample(self, request: Request) -> JSONResponse:
        params = request.query_params
        try:
            citizens = self._state.population.sample(
                _int(request, "n", 5, 0, _MAX_SAMPLE),
                province=params.get("province") or None,
                with_cmnd=_flag(request, "with_cmnd"),
                year_only=_flag(request, "year_only"),
                household=params.get("household") or None,
                male=_sex(request),
                page=_int(request, "page", 0, 0, 1_000_000),
            )
        except ValueError as exc:
            return _error(400, str(exc))
        return JSONResponse([citizen.summary() for citizen in citizens])

    async def citizen(self, request: Request) -> JSONResponse:
        found = self._state.population.find(request.path_params["number"])
        return _error(404, "no such citizen") if found is None else JSONResponse(found.to_json())

    async def household(self, request: Request) -> JSONResponse:
        number = request.path_params["number"]
        population = self._state.population
        found = population.household_by_book(number) if len(number) == 9 else None
        found = found or population.household(number)
        return _error(404, "no such household") if found is None else JSONResponse(found.to_json())

    async def reset(self, _: Request) -> Response:
        self._state.reset()
        return Response(status_code=204)


def admin_routes(state: MockState) -> list[BaseRoute]:
    """The admin routes, bound to one mock's state."""
    return AdminApi(state).routes()
