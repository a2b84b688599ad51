"""Personal data never reaches logs or stored history.

``redact(text)`` replaces email addresses, UK phone numbers and National Insurance
numbers with placeholders; ``RedactingFilter`` applies it to every log record.
"""

from __future__ import annotations

import logging
import re

__all__ = ["RedactingFilter", "contains_personal_data", "install_log_redaction", "redact"]

_PATTERNS = [
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "[email]"),
    (re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2}\s?\d{2}\s?\d{2}\s?\d{2}\s?[A-D]\b", re.IGNORECASE), "[NI number]"),
    (re.compile(r"(?:\+44\s?|\b0)(?:\d[\s-]?){8,9}\d\b"), "[phone]"),
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
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install_log_redaction() -> None:
    root = logging.getLogger()
    if not any(isinstance(f, RedactingFilter) for f in root.filters):
        root.addFilter(RedactingFilter())
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
