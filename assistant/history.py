"""Conversation turns, feedback, and which channel message carries which answer, in SQL
(SQLite in the data dir by default; any SQLAlchemy URL, e.g. PostgreSQL, to share state
between workers and machines).

Questions are stored with personal data redacted (see ``privacy.redact``).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

metadata = MetaData()

turns = Table(
    "turns",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(64), index=True, nullable=False),
    Column("question", Text, nullable=False),
    Column("standalone", Text, nullable=False),
    Column("answer_id", String(64), index=True),
    Column("status", String(20)),
    Column("answer", Text),
    Column("citations_json", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("answer_id", String(64), index=True, nullable=False),
    Column("rating", String(8), nullable=False),
    Column("reason", Text),  # the user's comment (redacted)
    Column("channel", String(20)),
    Column("category", String(20)),  # wrong | incomplete | wrong_source | out_of_date | other
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# A message a channel sent (Teams names it in feedback as ``replyToId``) -> the answer it carries.
replies = Table(
    "teams_replies",
    metadata,
    Column("conversation", String(64), primary_key=True),
    Column("activity_id", String(255), primary_key=True),
    Column("answer_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

__all__ = ["FEEDBACK_CATEGORIES", "History", "Turn", "create_tables", "make_engine"]

FEEDBACK_CATEGORIES = ("wrong", "incomplete", "wrong_source", "out_of_date", "other")


@dataclass(frozen=True)
class Turn:
    question: str
    standalone: str
    answer: str
    status: str
    cited_chunks: tuple[str, ...] = ()  # chunk ids the answer cited


def _chunk_ids(citations_json: str | None) -> tuple[str, ...]:
    try:
        citations = json.loads(citations_json or "[]")
    except ValueError:
        return ()
    if not isinstance(citations, list):
        return ()
    ids = (c.get("chunk_id") for c in citations if isinstance(c, dict))
    return tuple(dict.fromkeys(i for i in ids if isinstance(i, str) and i))


def _citations(citations_json: str | None) -> list[dict[str, Any]]:
    try:
        found = json.loads(citations_json or "[]")
    except ValueError:
        return []
    return [c for c in found if isinstance(c, dict)] if isinstance(found, list) else []


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _wal(conn, _record):  # type: ignore[no-untyped-def]
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_tables(engine: Engine, tables: MetaData = metadata, attempts: int = 5) -> None:
    """``tables.create_all``, retried: workers starting together against one fresh PostgreSQL
    database race to create the tables, and the loser's CREATE fails ("already exists", or a
    unique violation in pg_type) once the winner commits. A retry then finds the tables.
    Columns added since a table was created are added to it (``_ADDED_COLUMNS``)."""
    for attempt in range(attempts):
        try:
            tables.create_all(engine)
            _add_columns(engine, tables)
            return
        except DBAPIError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.1 * (attempt + 1))


# Columns added to a table after it first shipped: (table, column, SQL type), added on start-up.
_ADDED_COLUMNS = (("feedback", "category", "VARCHAR(20)"),)


def _add_columns(engine: Engine, tables: MetaData) -> None:
    names = {t for t, _c, _k in _ADDED_COLUMNS if t in tables.tables}
    if not names:
        return
    found = inspect(engine)
    for table, column, kind in _ADDED_COLUMNS:
        if table in names and column not in {c["name"] for c in found.get_columns(table)}:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE {table} ADD COLUMN {column} {kind}"))


class History:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._lock = threading.Lock()
        create_tables(self.engine)

    @staticmethod
    def new_id() -> str:
        return uuid.uuid4().hex

    def recent(self, conversation_id: str, limit: int = 6) -> list[Turn]:
        query = (
            select(
                turns.c.question, turns.c.standalone, turns.c.answer, turns.c.status, turns.c.citations_json
            )
            .where(turns.c.conversation_id == conversation_id)
            .order_by(turns.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [Turn(r[0], r[1], r[2] or "", r[3] or "", _chunk_ids(r[4])) for r in reversed(rows)]

    def add(
        self,
        conversation_id: str,
        question: str,
        standalone: str,
        answer_id: str,
        status: str,
        answer: str,
        citations_json: str = "[]",
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                turns.insert().values(
                    conversation_id=conversation_id,
                    question=question,
                    standalone=standalone,
                    answer_id=answer_id,
                    status=status,
                    answer=answer,
                    citations_json=citations_json,
                    created_at=datetime.now(UTC),
                )
            )

    def add_feedback(
        self, answer_id: str, rating: str, reason: str | None, channel: str, category: str | None = None
    ) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                feedback.insert().values(
                    answer_id=answer_id,
                    rating=rating,
                    reason=reason,
                    channel=channel,
                    category=category if category in FEEDBACK_CATEGORIES else None,
                    created_at=datetime.now(UTC),
                )
            )

    def answer_exists(self, answer_id: str) -> bool:
        with self.engine.connect() as conn:
            n = conn.execute(select(func.count()).select_from(turns).where(turns.c.answer_id == answer_id))
            return bool(n.scalar())

    def feedback_rows(self) -> list[dict[str, str | None]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    feedback.c.answer_id, feedback.c.rating, feedback.c.reason, feedback.c.channel
                ).order_by(feedback.c.id)
            ).all()
        return [{"answer_id": r[0], "rating": r[1], "reason": r[2], "channel": r[3]} for r in rows]

    # --- what the admin's feedback page reads (questions are stored redacted)
    def feedback_details(self, limit: int = 500) -> list[dict[str, Any]]:
        """Feedback, newest first, with the question, the answer and what it cited."""
        query = (
            select(
                feedback.c.answer_id,
                feedback.c.rating,
                feedback.c.category,
                feedback.c.reason,
                feedback.c.channel,
                feedback.c.created_at,
                turns.c.standalone,
                turns.c.answer,
                turns.c.status,
                turns.c.citations_json,
            )
            .select_from(feedback.outerjoin(turns, turns.c.answer_id == feedback.c.answer_id))
            .order_by(feedback.c.id.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [
            {
                "answer_id": r[0],
                "rating": r[1],
                "category": r[2],
                "comment": r[3],
                "channel": r[4],
                "created_at": r[5].isoformat(timespec="seconds") if r[5] else None,
                "question": r[6] or "",
                "answer": r[7] or "",
                "status": r[8] or "",
                "citations": _citations(r[9]),
            }
            for r in rows
        ]

    def turn(self, answer_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            r = conn.execute(
                select(turns.c.standalone, turns.c.answer, turns.c.status, turns.c.citations_json).where(
                    turns.c.answer_id == answer_id
                )
            ).first()
        if r is None:
            return None
        return {"question": r[0], "answer": r[1] or "", "status": r[2] or "", "citations": _citations(r[3])}

    def declined(self, limit: int = 2000) -> list[str]:
        """The questions (as rewritten, redacted) the assistant declined, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(turns.c.standalone)
                .where(turns.c.status == "no_answer")
                .order_by(turns.c.id.desc())
                .limit(limit)
            ).all()
        return [r[0] for r in rows]

    def cited_documents(self) -> dict[str, int]:
        """doc_id -> how many answers cited it (withdrawn documents included: history keeps it)."""
        counts: dict[str, int] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(turns.c.citations_json).where(turns.c.citations_json != "[]")).all()
        for (raw,) in rows:
            for doc_id in {c.get("doc_id") for c in _citations(raw)}:
                if isinstance(doc_id, str) and doc_id:
                    counts[doc_id] = counts.get(doc_id, 0) + 1
        return counts

    # --- channel messages -> answers (Teams feedback names the message, not the answer)
    def remember_reply(self, conversation: str, activity_id: str, answer_id: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                replies.insert().values(
                    conversation=conversation,
                    activity_id=activity_id,
                    answer_id=answer_id,
                    created_at=datetime.now(UTC),
                )
            )

    def reply_answer(self, conversation: str, activity_id: str) -> str | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(replies.c.answer_id).where(
                    replies.c.conversation == conversation, replies.c.activity_id == activity_id
                )
            ).first()
        return str(row[0]) if row else None
