"""A pytest plugin: no personal data the suite handled may appear in clear in anything it printed.

The logging guard (``gateway.logs.guard_personal_data``) masks numbers by shape and drops known
keys; it cannot recognise a name or a birth date under a key it does not know. This plugin checks
the result from the outside, over the whole session:

1. **Collect** what is personal. Every HTTP exchange made through httpx in the session (the tests'
   calls to the gateway and to the mock, and the gateway's own calls to the national side) is read:
   citizen fields in JSON bodies at any depth (numbers, full names, birth dates), the same in SOAP
   bodies (``SoDinhDanh``, ``SoCMND``, ``Ten``/``HoVaTen``, ``NgayThangNam``), and 9/12-digit runs
   in request paths (numbers asked about, found or not).
2. **Watch** what was printed. pytest's capture of every test phase's stdout and stderr: the
   gateway's JSON log lines and anything else written there. (pytest's own "Captured log" view of
   standard-library records is not output of ours: our handler writes the guarded form to stderr.)
3. **Check** at the end: any collected value found in clear fails the session, naming the test
   and the kind of value, shown masked.

With output capture off (``-s``) there is nothing to check; the summary says so.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

NUMBER_KEYS = frozenset({"personal_id", "cmnd", "number", "subject_number"})
NAME_KEYS = frozenset({"full_name"})
DATE_KEYS = frozenset({"date_of_birth", "birth_date"})

_NUMBER = re.compile(r"^(\d{12}|\d{9})$")
_NUMBER_RUN = re.compile(r"(?<!\d)(\d{12}|\d{9})(?!\d)")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A date in output, but not the date of a timestamp (2021-06-23T10:00:00): those are not personal.
_DATE_RUN = re.compile(r"(?<![\d-])(\d{4}-\d{2}-\d{2}|\d{8})(?![\dT-])")
_XML_NUMBER = re.compile(r"<(?:\w+:)?(?:SoDinhDanh|SoCMND)>(\d{12}|\d{9})</")
_XML_NAME = re.compile(r"<(?:\w+:)?(?:Ten|HoVaTen)>([^<]+)</")
_XML_DATE = re.compile(r"<(?:\w+:)?NgayThangNam>(\d{4}-?\d{2}-?\d{2})</")


def mask(value: str) -> str:
    """What the report shows instead of the value: enough to find it, not enough to be it."""
    return value[:3] + "*" * max(0, len(value) - 5) + value[-2:] if len(value) > 5 else "*****"


@dataclass
class PersonalData:
    """The values the session handled that must never be printed in clear."""

    numbers: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    dates: set[str] = field(default_factory=set)  # ISO yyyy-mm-dd

    def add_number(self, value: object) -> None:
        if isinstance(value, str) and _NUMBER.fullmatch(value):
            self.numbers.add(value)

    def add_name(self, value: object) -> None:
        # One-word or very short names would match ordinary text; full names are what leaks.
        if isinstance(value, str) and len(value.split()) >= 2 and len(value.strip()) >= 6:
            self.names.add(value.strip())

    def add_date(self, value: object) -> None:
        if isinstance(value, str) and _ISO_DATE.fullmatch(value):
            self.dates.add(value)
        elif isinstance(value, str) and re.fullmatch(r"\d{8}", value):
            self.dates.add(f"{value[:4]}-{value[4:6]}-{value[6:]}")

    def add_json(self, data: object) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                self._add_field(key, value)
                self.add_json(value)
        elif isinstance(data, list):
            for item in data:
                self.add_json(item)

    def _add_field(self, key: str, value: object) -> None:
        if key in NUMBER_KEYS:
            self.add_number(value)
        elif key in NAME_KEYS:
            self.add_name(value)
        elif key in DATE_KEYS:
            self.add_date(value)

    def add_xml(self, text: str) -> None:
        for number in _XML_NUMBER.findall(text):
            self.add_number(number)
        for name in _XML_NAME.findall(text):
            self.add_name(name)
        for date in _XML_DATE.findall(text):
            self.add_date(date)

    def add_body(self, content_type: str, body: bytes) -> None:
        if not body:
            return
        if "json" in content_type:
            try:
                self.add_json(json.loads(body))
            except ValueError:
                return
        elif "xml" in content_type:
            self.add_xml(body.decode("utf-8", errors="replace"))

    def add_exchange(self, request: httpx.Request, response: httpx.Response) -> None:
        for number in _NUMBER_RUN.findall(request.url.path):
            self.add_number(number)
        for message in (request, response):
            try:
                body = message.content
            except (httpx.RequestNotRead, httpx.ResponseNotRead):  # streamed: not ours to read
                continue
            self.add_body(message.headers.get("content-type", ""), body)


@dataclass(frozen=True)
class Leak:
    where: str
    kind: str
    shown: str


def _name_forms(name: str) -> set[str]:
    """The name as text, and as ASCII-escaped JSON would write it."""
    return {name.casefold(), json.dumps(name)[1:-1].casefold()}


def find_leaks(outputs: list[tuple[str, str]], data: PersonalData) -> list[Leak]:
    """Every personal value of ``data`` that appears in clear in an output ``(where, text)``."""
    leaks: list[Leak] = []
    for where, text in outputs:
        leaks += [Leak(where, "number", mask(n)) for n in _numbers_in(text) & data.numbers]
        leaks += [Leak(where, "birth date", mask(d)) for d in _dates_in(text) & data.dates]
        folded = text.casefold()
        leaks += [
            Leak(where, "name", mask(name))
            for name in sorted(data.names)
            if any(form in folded for form in _name_forms(name))
        ]
    return leaks


def _numbers_in(text: str) -> set[str]:
    return set(_NUMBER_RUN.findall(text))


def _dates_in(text: str) -> set[str]:
    found = set()
    for run in _DATE_RUN.findall(text):
        found.add(run if "-" in run else f"{run[:4]}-{run[4:6]}-{run[6:]}")
    return found


class PersonalDataGuard:
    """The plugin object: collects personal values and captured output, checks at session end."""

    def __init__(self, capturing: bool) -> None:
        self.capturing = capturing
        self.data = PersonalData()
        self.outputs: list[tuple[str, str]] = []
        self.leaks: list[Leak] = []
        self._restore: list[Callable[[], None]] = []

    def install(self) -> None:
        self._wrap_async_send()
        self._wrap_sync_send()

    def uninstall(self) -> None:
        for restore in reversed(self._restore):
            restore()
        self._restore.clear()

    def _wrap_async_send(self) -> None:
        original: Callable[..., Awaitable[httpx.Response]] = httpx.AsyncClient.send
        data = self.data

        async def send(client: httpx.AsyncClient, request: httpx.Request, **kw: Any) -> Any:
            response = await original(client, request, **kw)
            data.add_exchange(request, response)
            return response

        httpx.AsyncClient.send = send  # type: ignore[method-assign,assignment]
        self._restore.append(lambda: setattr(httpx.AsyncClient, "send", original))

    def _wrap_sync_send(self) -> None:
        original: Callable[..., httpx.Response] = httpx.Client.send
        data = self.data

        def send(client: httpx.Client, request: httpx.Request, **kw: Any) -> Any:
            response = original(client, request, **kw)
            data.add_exchange(request, response)
            return response

        httpx.Client.send = send  # type: ignore[method-assign,assignment]
        self._restore.append(lambda: setattr(httpx.Client, "send", original))

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, content in _phase_output(report):
            self.outputs.append((f"{report.nodeid} ({name})", content))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.leaks = find_leaks(self.outputs, self.data)
        if self.leaks and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.capturing:
            terminalreporter.write_line("personal-data guard: output capture is off; not checked")
            return
        if not self.leaks:
            terminalreporter.write_line(self._clean_line())
            return
        terminalreporter.section("personal data in clear in captured output", red=True)
        for leak in self.leaks:
            terminalreporter.write_line(f"{leak.where}: {leak.kind} {leak.shown}")

    def _clean_line(self) -> str:
        data = self.data
        counts = f"{len(data.numbers)} numbers, {len(data.names)} names, {len(data.dates)} dates"
        return f"personal-data guard: {counts} checked against {len(self.outputs)} outputs; clean"


def _phase_output(report: pytest.TestReport) -> Iterator[tuple[str, str]]:
    """This phase's captured stdout and stderr (a report repeats earlier phases' sections)."""
    for name, content in report.sections:
        if name in (f"Captured stdout {report.when}", f"Captured stderr {report.when}"):
            yield name.removeprefix("Captured "), content


def pytest_configure(config: pytest.Config) -> None:
    guard = PersonalDataGuard(capturing=config.getoption("capture") != "no")
    guard.install()
    config.pluginmanager.register(guard, "personal-data-guard")
    config.add_cleanup(guard.uninstall)
