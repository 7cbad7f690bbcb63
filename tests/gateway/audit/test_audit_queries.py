"""Reading the trail: search by filters, page through it, look up a citizen, export it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from gateway.audit import AuditQuery, AuditQueryError, AuditReader, AuditTrail
from tests.gateway.audit.support import CMND, PERSONAL_ID, make_event

DAY0 = datetime(2021, 7, 1, 8, 0, tzinfo=UTC)
OTHER_ID = "079185000123"  # TP Hồ Chí Minh, female, born 1985

SEED = [
    # request_id, day, client, officer, purpose, operation, subject, outcome
    ("a", 0, "portal-phu-yen", "officer-17", "1.001612", "lookup", PERSONAL_ID, "success"),
    ("b", 1, "portal-phu-yen", "officer-17", "1.001612", "verify", OTHER_ID, "success"),
    ("c", 2, "portal-phu-yen", "officer-23", "1.000894", "lookup", PERSONAL_ID, "not_found"),
    ("d", 3, "one-stop-tuy-an", "officer-23", "1.000894", "household", CMND, "success"),
    ("e", 4, "one-stop-tuy-an", "officer-40", "1.001612", "lookup", None, "rejected"),
    ("f", 5, "one-stop-tuy-an", "officer-40", "1.001612", "lookup", PERSONAL_ID, "error"),
]


@pytest.fixture
async def seeded(trail: AuditTrail) -> None:
    for request_id, day, client, officer, purpose, operation, subject, outcome in SEED:
        await trail.record(
            make_event(
                request_id=request_id,
                occurred_at=DAY0 + timedelta(days=day),
                client_id=client,
                officer_id=officer,
                purpose_code=purpose,
                operation=operation,
                subject_number=subject,
                outcome=outcome,
            )
        )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        pytest.param(AuditQuery(), "fedcba", id="everything-newest-first"),
        pytest.param(AuditQuery(client_id="one-stop-tuy-an"), "fed", id="client"),
        pytest.param(AuditQuery(officer_id="officer-23"), "dc", id="officer"),
        pytest.param(AuditQuery(purpose_code="1.000894"), "dc", id="purpose"),
        pytest.param(AuditQuery(outcome="success"), "dba", id="outcome"),
        pytest.param(AuditQuery(operation="lookup"), "feca", id="operation"),
        pytest.param(AuditQuery(agency_code="000.00.00.H45"), "fedcba", id="agency"),
        pytest.param(AuditQuery(request_id="c"), "c", id="request-id"),
        pytest.param(
            AuditQuery(since=DAY0 + timedelta(days=1), until=DAY0 + timedelta(days=3)),
            "cb",
            id="time-range-until-exclusive",
        ),
        pytest.param(
            AuditQuery(client_id="portal-phu-yen", outcome="success", officer_id="officer-17"),
            "ba",
            id="filters-combine",
        ),
        pytest.param(AuditQuery(client_id="nobody"), "", id="no-match"),
    ],
)
async def test_search_filters(
    seeded: None, reader: AuditReader, query: AuditQuery, expected: str
) -> None:
    page = await reader.search(query)
    assert "".join(r.request_id for r in page.records) == expected
    assert page.next_cursor is None


async def test_pages_cover_everything_once(seeded: None, reader: AuditReader) -> None:
    """Keyset pages of 4: every record exactly once, in order, and a cursor only while more."""
    first = await reader.search(limit=4)
    second = await reader.search(limit=4, cursor=first.next_cursor)
    assert [r.request_id for r in first.records + second.records] == list("fedcba")
    assert first.next_cursor is not None
    assert second.next_cursor is None


async def test_pages_oldest_first(seeded: None, reader: AuditReader) -> None:
    first = await reader.search(limit=3, newest_first=False)
    second = await reader.search(limit=3, newest_first=False, cursor=first.next_cursor)
    assert [r.request_id for r in first.records + second.records] == list("abcdef")


@pytest.mark.parametrize("limit", [pytest.param(0, id="zero"), pytest.param(1001, id="too-big")])
async def test_page_size_is_bounded(reader: AuditReader, limit: int) -> None:
    with pytest.raises(AuditQueryError):
        await reader.search(limit=limit)


@pytest.mark.parametrize("cursor", [pytest.param(2**64, id="2^64"), pytest.param(-1, id="neg")])
async def test_cursor_is_bounded_to_row_ids(reader: AuditReader, cursor: int) -> None:
    """Past 64 bits both stores' drivers overflow; the reader refuses it as a bad query first."""
    with pytest.raises(AuditQueryError, match="cursor"):
        await reader.search(cursor=cursor)
    with pytest.raises(AuditQueryError, match="cursor"):
        await reader.subject(PERSONAL_ID, cursor=cursor)


def test_a_time_range_must_be_aware_and_ordered() -> None:
    with pytest.raises(AuditQueryError):
        AuditQuery(since=datetime(2021, 7, 1))
    with pytest.raises(AuditQueryError):
        AuditQuery(since=DAY0, until=DAY0)


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        pytest.param(PERSONAL_ID, "fca", id="personal-id"),
        pytest.param(CMND, "d", id="cmnd"),
        pytest.param("001200000001", "", id="never-looked-up"),
    ],
)
async def test_subject_shows_who_looked_a_citizen_up(
    seeded: None, reader: AuditReader, number: str, expected: str
) -> None:
    """The Data Tracker view: every look-up of one citizen, newest first, with who and why."""
    page = await reader.subject(number)
    assert "".join(r.request_id for r in page.records) == expected
    assert all(r.officer_id and r.purpose_code and r.client_id for r in page.records)


@pytest.mark.parametrize(
    "number",
    [
        pytest.param("05409200826", id="eleven-digits"),
        pytest.param("05409200826x", id="not-digits"),
        pytest.param("", id="empty"),
    ],
)
async def test_subject_refuses_what_is_not_a_number(reader: AuditReader, number: str) -> None:
    with pytest.raises(AuditQueryError, match="not a citizen number"):
        await reader.subject(number)


async def test_export_jsonl_has_every_record_and_column(seeded: None, reader: AuditReader) -> None:
    out = io.StringIO()
    count = await reader.export(out, "jsonl")
    rows = [orjson.loads(line) for line in out.getvalue().splitlines()]
    assert count == len(rows) == len(SEED)
    assert [row["request_id"] for row in rows] == list("abcdef")
    assert rows[0]["subject_masked"] == "054*******62"
    assert rows[0]["fields_returned"] == ["full_name", "date_of_birth", "permanent_address"]
    assert PERSONAL_ID not in out.getvalue()


async def test_export_csv_honours_filters(seeded: None, reader: AuditReader) -> None:
    out = io.StringIO()
    count = await reader.export(out, "csv", AuditQuery(officer_id="officer-40"))
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert count == 2
    assert [row["request_id"] for row in rows] == ["e", "f"]
    assert rows[0]["subject_hmac"] == ""  # the rejected request had no number
    assert rows[1]["fields_returned"] == "full_name;date_of_birth;permanent_address"
    assert len(rows[1]["hash"]) == 64
