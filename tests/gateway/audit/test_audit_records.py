"""What an audit record holds: a keyed hash and a masked form of the subject, chained by a MAC."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from gateway.audit import AuditConfigError, AuditKeys, open_store
from gateway.audit._model import GENESIS
from gateway.audit._seal import seal_batch
from tests.gateway.audit.support import CMND, KEY, PERSONAL_ID, make_event


@pytest.fixture
def keys() -> AuditKeys:
    return AuditKeys(KEY)


def test_event_refuses_a_naive_time() -> None:
    """An event's time must say its timezone; a naive time is a programming error."""
    with pytest.raises(ValueError, match="timezone-aware"):
        make_event(occurred_at=datetime(2021, 7, 1, 8, 0))


def test_event_repr_leaves_the_number_out() -> None:
    """An event printed in a log or traceback never shows the subject's number."""
    assert PERSONAL_ID not in repr(make_event())


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        pytest.param(PERSONAL_ID, "054*******62", id="personal-id-12-digits"),
        pytest.param(CMND, "221****67", id="cmnd-9-digits"),
    ],
)
def test_record_keeps_a_masked_number_and_its_keyed_hash(
    keys: AuditKeys, number: str, masked: str
) -> None:
    """The stored form of a subject is its masked number plus an HMAC, never the number."""
    [record] = seal_batch([make_event(subject_number=number)], GENESIS, "gw", keys)
    assert record.subject_masked == masked
    assert record.subject_hmac == keys.subject_digest(number)
    assert number not in str(record.to_dict())


def test_subject_hash_depends_on_the_key() -> None:
    """Without the key, nobody can recompute a subject hash to test a guessed number."""
    other = AuditKeys(b"another-key-of-enough-length!!")
    assert AuditKeys(KEY).subject_digest(PERSONAL_ID) != other.subject_digest(PERSONAL_ID)


def test_a_short_key_is_refused() -> None:
    with pytest.raises(AuditConfigError, match="at least 16 bytes"):
        AuditKeys(b"short")


def test_event_without_subject_has_no_subject_columns(keys: AuditKeys) -> None:
    """A rejected request with no number (e.g. missing) is recorded without subject fields."""
    [record] = seal_batch(
        [make_event(subject_number=None, outcome="rejected")], GENESIS, "gw", keys
    )
    assert (record.subject_hmac, record.subject_masked) == (None, None)


def test_sealed_batch_continues_the_chain(keys: AuditKeys) -> None:
    """Each record links to the hash of the one before it, from genesis on."""
    records = seal_batch([make_event() for _ in range(3)], GENESIS, "gw", keys)
    assert [r.seq for r in records] == [1, 2, 3]
    assert [r.prev_hash for r in records] == [GENESIS.hash, records[0].hash, records[1].hash]


def test_time_is_stored_in_utc(keys: AuditKeys) -> None:
    hanoi = timezone(timedelta(hours=7))
    [record] = seal_batch(
        [make_event(occurred_at=datetime(2021, 7, 1, 8, 0, tzinfo=hanoi))], GENESIS, "gw", keys
    )
    assert record.to_dict()["occurred_at"] == "2021-07-01T01:00:00.000000+00:00"


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"officer_id": "officer-99"}, id="officer"),
        pytest.param({"purpose_code": "1.000000"}, id="purpose"),
        pytest.param({"fields_returned": ("full_name", "religion_code")}, id="fields"),
        pytest.param({"occurred_at": datetime(2020, 1, 1, tzinfo=UTC)}, id="time"),
        pytest.param({"writer_id": "gw-2"}, id="writer"),
        pytest.param({"prev_hash": "f" * 64}, id="link"),
    ],
)
def test_any_change_breaks_the_mac(keys: AuditKeys, change: dict[str, object]) -> None:
    """The MAC covers every stored value, so editing any of them shows."""
    [record] = seal_batch([make_event()], GENESIS, "gw", keys)
    assert keys.record_mac(replace(record, **change)) != record.hash  # type: ignore[arg-type]


def test_seq_is_a_locator_outside_the_mac(keys: AuditKeys) -> None:
    """Order lives in ``prev_hash``; renumbering alone is caught by the links, not the MAC."""
    [record] = seal_batch([make_event()], GENESIS, "gw", keys)
    assert keys.record_mac(replace(record, seq=99)) == record.hash


@pytest.mark.parametrize(
    ("dsn", "kind"),
    [
        pytest.param(
            "sqlite:///var/audit.sqlite3", "SqliteStore('var/audit.sqlite3')", id="relative"
        ),
        pytest.param(
            "sqlite:////srv/audit.sqlite3", "SqliteStore('/srv/audit.sqlite3')", id="absolute"
        ),
        pytest.param("postgresql://db/lgsp", "PostgresStore(schema='public')", id="postgres"),
        pytest.param(
            "postgres://db/lgsp?schema=audit", "PostgresStore(schema='audit')", id="schema"
        ),
    ],
)
def test_dsn_selects_the_store(dsn: str, kind: str) -> None:
    assert repr(open_store(dsn)) == kind


@pytest.mark.parametrize(
    "dsn",
    [
        pytest.param("mysql://db/lgsp", id="unknown-scheme"),
        pytest.param("sqlite:///:memory:", id="sqlite-in-memory"),
        pytest.param("sqlite://audit.sqlite3", id="sqlite-without-path"),
        pytest.param('postgresql://db/lgsp?schema=x";drop', id="unsafe-schema"),
    ],
)
def test_unusable_dsn_is_refused(dsn: str) -> None:
    with pytest.raises(AuditConfigError):
        open_store(dsn)
