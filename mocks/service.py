"""The population database's three operations, answered from the synthetic population."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from contracts.matching import Strategy, dates_match, names_match
from mocks.lru import LRU
from mocks.population import Citizen, Population
from mocks.soap import (
    EnvelopeStyle,
    Operation,
    SoapRequest,
    dialect_for,
    era_for,
    render_citizen,
    render_collection,
    render_household,
    render_verify,
)

__all__ = ["PopulationService", "verify_matches"]

_VIETNAM = timezone(timedelta(hours=7))
_RENDERED_CACHE = 8192


class _DataTime:
    """ThoiDiemDuLieu: the current time in Vietnam, formatted once per second."""

    def __init__(self) -> None:
        self._second = -1
        self._text = ""

    def now(self) -> str:
        second = int(time.time())
        if second != self._second:
            self._second = second
            self._text = datetime.fromtimestamp(second, _VIETNAM).isoformat()
        return self._text


def verify_matches(citizen: Citizen, request: SoapRequest) -> bool:
    """Whether the name, birth date (or year) and sex supplied agree with the record.

    Names and dates by the project's one rule (``contracts.matching``, strategy ``exact``): case,
    spacing and apostrophe variants never decide, diacritics do; a record that knows only the year
    of birth is matched on the year alone. The request parser refused a request without name or
    birth date (fault 200), as the national operation needs both.
    """
    typed_birth = request.birth_date.isoformat() if request.birth_date else request.birth_year
    if request.full_name is None or typed_birth is None:
        return False
    if not names_match(request.full_name, citizen.full_name, Strategy.EXACT):
        return False
    if request.sex not in (None, "0") and request.sex != citizen.sex_code:
        return False
    return dates_match(str(typed_birth), citizen.date_of_birth)


class PopulationService:
    """Answers a parsed request with the body of a 200 and an outcome word for the journal."""

    def __init__(
        self,
        population: Population,
        dialect: Callable[[], str],
        style: Callable[[], EnvelopeStyle] = lambda: "wrapped",
        era: Callable[[], str] = lambda: "2021",
    ) -> None:
        self.population = population
        self._dialect = dialect
        self._style = style
        self._era = era
        self._data_time = _DataTime()
        # (number asked, dialect, era) -> rendered CongDan; answers repeat, rendering is hot
        self._rendered: LRU[tuple[str, str, str], str] = LRU(_RENDERED_CACHE)

    def answer(self, request: SoapRequest) -> tuple[bytes, str]:
        if request.operation == Operation.VERIFY:
            return self._verify(request)
        if request.operation == Operation.HOUSEHOLD:
            return self._household(request)
        return self._lookup(request)

    def _lookup(self, request: SoapRequest) -> tuple[bytes, str]:
        key = (request.number, self._dialect(), self._era())
        record = self._rendered.get(key)
        if record is None:
            citizen = self.population.find(request.number)
            if citizen is None:
                return render_collection("", 0, self._data_time.now(), self._style()), "not_found"
            dialect = dialect_for(key[1], citizen.personal_id)
            era = era_for(key[2], citizen.personal_id)
            record = self._rendered.put(key, render_citizen(citizen, dialect, era))
        return render_collection(record, 1, self._data_time.now(), self._style()), "ok"

    def _verify(self, request: SoapRequest) -> tuple[bytes, str]:
        citizen = self.population.find(request.number)
        exists = citizen is not None and verify_matches(citizen, request)
        return render_verify(exists, self._style()), "verified" if exists else "not_verified"

    def _household(self, request: SoapRequest) -> tuple[bytes, str]:
        household = self.population.household(request.number)
        number = request.number if household is None else household.head.personal_id
        body = render_household(household, dialect_for(self._dialect(), number), self._style())
        return body, "not_found" if household is None else "ok"
