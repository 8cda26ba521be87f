"""PII never reaches a log line: emails, phone numbers and card numbers are masked."""

from __future__ import annotations

import logging

import pytest

from app import pii


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("from jane.doe+tag@example.co.uk today", "from [email] today"),
        ("card 4242 4242 4242 4242 ok", "card [card] ok"),
        ("card 4111-1111-1111-1111", "card [card]"),
        ("call +44 20 7946 0958", "call [phone]"),
        ("call (415) 555-2671 or 415.555.2671", "call [phone] or [phone]"),
        ("mobile 07700 900123", "mobile [phone]"),
        # Not PII: order numbers that fail the card checksum, dates, ids, ports, uuids.
        ("order 1234567890123", "order 1234567890123"),
        ("at 2026-11-28 12:00:00 in 0.0123s", "at 2026-11-28 12:00:00 in 0.0123s"),
        (
            "http://127.0.0.1:8000/api/v1/conversations/42",
            "http://127.0.0.1:8000/api/v1/conversations/42",
        ),
        ("5f1c2d3e-1111-2222-3333-444455556666", "5f1c2d3e-1111-2222-3333-444455556666"),
    ],
)
def test_mask(text: str, expected: str) -> None:
    assert pii.mask(text) == expected


def test_every_log_record_is_masked_once_installed(caplog: pytest.LogCaptureFixture) -> None:
    pii.install()
    log = logging.getLogger("parley.test.pii")
    with caplog.at_level(logging.INFO, logger="parley.test.pii"):
        log.info("visitor %s paid with %s", "ada@example.com", "4242424242424242")
        log.warning("call %(phone)s", {"phone": "+1 415 555 2671"})
        try:
            raise ValueError("no account for bob@example.org")
        except ValueError:
            log.exception("lookup failed (%d tries)", 3)
    text = caplog.text
    assert "ada@example.com" not in text and "4242424242424242" not in text
    assert "+1 415 555 2671" not in text and "bob@example.org" not in text
    assert "visitor [email] paid with [card]" in text
    assert "call [phone]" in text
    assert "lookup failed (3 tries)" in text and "no account for [email]" in text


def test_uvicorn_access_log_arguments_still_format() -> None:
    # uvicorn's access formatter unpacks record.args: masking must keep them a tuple.
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/x?email=a@b.io", "1.1", 200),
        None,
    )
    pii.mask_record(record)
    assert isinstance(record.args, tuple) and record.args[4] == 200
    assert record.getMessage() == '127.0.0.1:5000 - "GET /x?email=[email] HTTP/1.1" 200'
