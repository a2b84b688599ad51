"""E-mail (EML): the subject as the title, who and when, then the message body.

The plain-text body is read like a text file; an HTML-only message like a web page.
Attachments are not read: the warning names them, so they can be saved and ingested as files.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage
from pathlib import Path

from assistant.errors import IngestError
from ingest.clean import clean_line
from ingest.document import LoadedDocument
from ingest.loaders._structure import DocBuilder
from ingest.loaders.text import parse_text

__all__ = ["load_eml"]


def load_eml(path: Path, data: bytes) -> LoadedDocument:
    message = email.message_from_bytes(data, policy=email.policy.default)
    if not isinstance(message, EmailMessage) or not (message.get("From") or message.get("Subject")):
        raise IngestError("not an e-mail message (no From or Subject header)")
    builder = DocBuilder(path)
    subject = clean_line(str(message.get("Subject") or "")) or "(no subject)"
    builder.add("heading", subject, level=1)
    who = "; ".join(
        f"{name}: {clean_line(str(message[name]))}" for name in ("From", "To", "Date") if message.get(name)
    )
    if who:
        builder.add("paragraph", who)
    body = message.get_body(preferencelist=("plain", "html"))
    if body is not None:
        content = body.get_content()
        text = content if isinstance(content, str) else content.decode("utf-8", "replace")
        if body.get_content_type() == "text/html":
            from ingest.loaders.html import load_html

            page = load_html(path, text.encode("utf-8"))
            for block in page.blocks:
                builder.add(block.kind, block.text, level=block.level)
        else:
            for item in parse_text(text):
                builder.add(item.kind, item.text, level=max(item.level, 2) if item.kind == "heading" else 0)
    attachments = [part.get_filename() or "unnamed" for part in message.iter_attachments()]
    if attachments:
        builder.warnings.append(
            f"{len(attachments)} attachment(s) not read ({', '.join(attachments[:3])}): save and ingest them"
        )
    try:
        return builder.build()
    except IngestError:
        raise IngestError("empty e-mail: no message body") from None
