"""Personal data never reaches logs or stored history.

``redact(text)`` replaces email addresses, UK phone numbers and National Insurance
numbers with placeholders, and the token of a signed download link (``?token=...``, a
credential while it lasts); ``RedactingFilter`` applies it to every log record, the server's
access log included.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "contains_personal_data", "install_log_redaction", "redact"]

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE), "[NI number]"),
    (re.compile(r"(?:\+44\s?|\b0)(?:\d[\s-]?){8,9}\d\b"), "[phone]"),
    (re.compile(r"(?<=[?&]token=)[^&\s\"']+"), "[token]"),
]


def redact(text: str) -> str:
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


def contains_personal_data(text: str) -> bool:
    return redact(text) != text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned == message:
            return True
        if isinstance(record.args, tuple) and isinstance(record.msg, str):
            # keep the record's shape where that is enough (uvicorn's access formatter unpacks its args)
            args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
            msg = redact(record.msg)
            try:
                rebuilt: str | None = msg % args if args else msg
            except (TypeError, ValueError):
                rebuilt = None
            if rebuilt is not None and redact(rebuilt) == rebuilt:
                record.msg, record.args = msg, args
                return True
        record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    # uvicorn's access log has its own handler and does not propagate: filter it at the logger
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactingFilter) for f in access.filters):
        access.addFilter(RedactingFilter())
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
