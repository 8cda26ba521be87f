"""PII masking for logs: emails, phone numbers and card numbers never reach a log line.

``install()`` (called at start-up) wraps the log-record factory, so every record of every
logger is masked when it is created, whatever handler later writes it: the message with
its arguments, and the text of an attached exception or stack.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_EMAIL = re.compile(r"[A-Za-z0-9._%+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# 13-19 digits, optionally grouped by spaces or dashes; masked only if Luhn-valid.
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d(?![\w-])")
_PHONES = (
    # International: +44 20 7946 0958, +1 (415) 555-2671, +33612345678
    re.compile(r"(?<![\w+])\+\d[\d ().-]{6,18}\d(?!\w)"),
    # North American: (415) 555-2671, 415-555-2671, 415.555.2671
    re.compile(r"(?<![\w.-])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}(?![\w.-])"),
    # National with a trunk 0: 07700 900123, 020 7946 0958, 0612345678
    re.compile(r"(?<![\w.:/-])0\d{2,4}[ -]?\d{3,4}[ -]?\d{3,4}(?![\w.:/-])"),
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(m: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", m.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and _luhn(digits) else m.group(0)


def mask(text: str) -> str:
    """The text with emails, card numbers and phone numbers replaced by placeholders."""
    if not text:
        return text
    text = _EMAIL.sub("[email]", text)
    text = _CARD.sub(_card, text)
    for pattern in _PHONES:
        text = pattern.sub("[phone]", text)
    return text


def _mask_arg(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    masked = mask(text)
    # Objects are kept (so %d, %r and formatters that unpack args still work) unless
    # their text carries PII.
    return value if masked == text else masked


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask a record in place: its message, its arguments, exception and stack text.

    Arguments are masked one by one rather than merged into the message, because some
    formatters (uvicorn's access log) unpack them.
    """
    if getattr(record, "_pii_masked", False):
        return record
    if isinstance(record.msg, str):
        record.msg = mask(record.msg)
    elif record.msg is not None:
        record.msg = _mask_arg(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_mask_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _mask_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        # Formatters render exc_info only while exc_text is empty: the masked text wins.
        record.exc_text = mask(record.exc_text)
    if record.stack_info:
        record.stack_info = mask(record.stack_info)
    record._pii_masked = True
    return record


class PIIFilter(logging.Filter):
    """A logging filter that masks PII (for handlers configured outside this process)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask and keep the record."""
        mask_record(record)
        return True


_installed = False


def install() -> None:
    """Mask every log record created from now on, in this process (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
