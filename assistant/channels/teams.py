"""Microsoft Teams channel: ``POST /api/messages`` on the same FastAPI app and Assistant.

    router = build_router(settings, get_assistant)   # api.py includes it

Per request: 503 when ``NBHD_TEAMS_APP_ID`` is unset (there is no unauthenticated mode);
401 unless the bearer token passes every Bot Framework check (teams_auth.py); 403 when
the activity's ``serviceUrl`` host is not allow-listed (SSRF guard, before any outbound
call). Then:

* ``message`` -> 202 at once; the work runs after the response (a background task): strip
  ``<at>`` mentions, run a command ("help", "compare X and Y", "plan ...") or ask the
  Assistant with ``conversation_id = "teams:{conversation.id}"`` so follow-ups keep their
  context. Personal chat streams (informative "Searching the documents…", streaming chunks
  as ``delta`` events arrive, final message); group chats and channels get a typing
  indicator and one reply. Answers carry the AI-generated label, up to 20 citation entities
  and ``feedbackLoopEnabled``.
* ``invoke`` ``message/submitAction`` (the thumbs) -> stored with the widget's feedback via
  ``history.add_feedback(answer_id, "up"|"down", reason, "teams")``. Teams names the bot
  message (``replyToId``), so we remember which answer each message we sent carries
  (``ReplyMap``; a table beside the history when it is SQL, else memory).
* ``conversationUpdate`` adding the bot -> the help card.

SDK decision. We use the Teams SDK for Python (``microsoft-teams-apps`` 2.x) for its
activity and card models (``ActivityTypeAdapter``, ``MessageActivityInput.add_ai_generated()``
/ ``add_citation()``, ``TypingActivityInput``, streaminfo entities, ``AdaptiveCard``) but not
for its ``App``/``HttpServer``, token validator or API client, because in 2.1.x: the
validator takes the JWKS address by rewriting the metadata URL instead of reading
``jwks_uri``, skips the ``serviceurl`` check when an activity omits ``serviceUrl``, accepts a
second (Entra) issuer and fetches keys with a blocking call on the event loop; outbound
tokens come from MSAL, which requires an https authority and does instance discovery
against Microsoft's hosts, so ``NBHD_TEAMS_LOGIN_ENDPOINT`` cannot point at another service;
there is no serviceUrl allow-list; and the ``App`` registers its route on the FastAPI app
itself and replaces the app's lifespan instead of giving us a router. Our checks live in
teams_auth.py (inbound) and teams_connector.py (outbound); both are small.

Message text is never logged.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from microsoft_teams.api.activities import (
    ActivityTypeAdapter,
    ConversationUpdateActivity,
    TypingActivityInput,
)
from microsoft_teams.api.activities.message import MessageActivity, MessageActivityInput
from microsoft_teams.api.activities.utils import strip_mentions_text
from microsoft_teams.api.models import ChannelData, StreamInfoEntity
from pydantic import ValidationError
from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from assistant.channels import teams_cards as cards
from assistant.channels.teams_auth import AuthError, BotFrameworkAuth, BotFrameworkKeys, KeysUnavailableError
from assistant.channels.teams_connector import (
    ClientCredentialsToken,
    ConnectorClient,
    ConnectorError,
    ManagedIdentityToken,
    ServiceUrlNotAllowedError,
    TokenSource,
    check_service_url,
)
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.privacy import redact
from assistant.types import Answer, ChatRequest

log = logging.getLogger(__name__)

NOT_CONFIGURED = "Teams channel not configured"
MAX_BODY_BYTES = 512_000
FEEDBACK_REASON_CHARS = 1000
SORRY = "Sorry, I couldn't answer that just now. Please try again in a moment."
COMPARE_USAGE = 'Tell me what to compare, e.g. "compare Nottingham and Derby".'
COMPARE_SOON = (
    "Comparisons are coming to Teams soon. For now, ask about each approach in turn and I'll "
    "answer with sources."
)
PLAN_USAGE = 'Tell me what the plan is for, e.g. "plan neighbourhood working for a district council".'
PLAN_SOON = (
    "Action plans are coming to Teams soon. For now, ask me what has worked elsewhere and I'll "
    "answer with sources."
)


class FeedbackStore(Protocol):
    def add_feedback(self, answer_id: str, rating: str, reason: str | None, channel: str) -> None: ...


class TeamsAssistant(Protocol):
    """What this channel needs of the Assistant facade (assistant/chat.py)."""

    @property
    def history(self) -> FeedbackStore: ...

    def answer(self, request: ChatRequest) -> Answer: ...

    def stream(self, request: ChatRequest) -> Iterator[tuple[str, dict[str, Any]]]: ...


GetAssistant = Callable[[], TeamsAssistant]


class PlanStore(Protocol):
    """Where plans wait for their DOCX download (web.py's PlanStore): ``put`` returns the plan id."""

    def put(self, plan: Any, groups: tuple[str, ...]) -> str: ...


def build_router(
    settings: Settings,
    get_assistant: GetAssistant,
    *,
    auth: BotFrameworkAuth | None = None,
    connector: ConnectorClient | None = None,
    plans: PlanStore | None = None,
    stream_interval_s: float = 1.0,
) -> APIRouter:
    """The Teams router. ``auth``/``connector`` default to ones built from ``settings``.

    ``plans``: the store behind ``GET /api/plans/{id}.docx`` (the web router's), so a plan made in
    Teams can be downloaded; without it the card links to the plan's own ``id`` if it has one.
    """
    router = APIRouter(tags=["teams"])
    bot = (
        TeamsBot(
            settings,
            get_assistant,
            auth=auth,
            connector=connector,
            plans=plans,
            stream_interval_s=stream_interval_s,
        )
        if settings.teams_app_id
        else None
    )
    if bot is None:
        log.info("Teams channel disabled: NBHD_TEAMS_APP_ID is not set")

    @router.post("/api/messages", include_in_schema=False)
    async def messages(request: Request) -> Response:
        if bot is None:
            return JSONResponse({"detail": NOT_CONFIGURED}, status_code=503)
        return await bot.receive(request)

    return router


@dataclass(frozen=True)
class Ref:
    """Where a reply goes: the conversation an inbound activity came from."""

    service_url: str
    conversation: dict[str, Any]
    bot: dict[str, Any]
    user: dict[str, Any]
    activity_id: str | None
    personal: bool

    @property
    def conversation_id(self) -> str:
        return str(self.conversation["id"])

    def address(self, activity: dict[str, Any], *, reply: bool = True) -> dict[str, Any]:
        activity.update(conversation=self.conversation, recipient=self.user)
        activity["from"] = self.bot
        if reply and self.activity_id:
            activity["replyToId"] = self.activity_id
        return activity


class TeamsBot:
    def __init__(
        self,
        settings: Settings,
        get_assistant: GetAssistant,
        *,
        auth: BotFrameworkAuth | None = None,
        connector: ConnectorClient | None = None,
        plans: PlanStore | None = None,
        stream_interval_s: float = 1.0,
    ) -> None:
        self.settings = settings
        self.plans = plans
        self.get_assistant = get_assistant
        self.allowed_hosts = settings.teams_service_host_list
        if auth is None or connector is None:
            http = httpx.Client(timeout=httpx.Timeout(10.0), follow_redirects=False)
            auth = auth or BotFrameworkAuth(
                settings.teams_app_id, BotFrameworkKeys(settings.teams_openid_metadata_url, http)
            )
            connector = connector or ConnectorClient(http, _token_source(settings, http), self.allowed_hosts)
        self.auth = auth
        self.connector = connector
        self.stream_interval_s = stream_interval_s
        self.replies = ReplyMap()

    # ----- inbound
    async def receive(self, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        if not authorization or not authorization.lower().startswith("bearer "):
            log.warning("teams: rejected an activity without a bearer token")
            return _unauthorized()
        raw = await _read_body(request)
        if raw is None:
            return JSONResponse({"detail": "Request too large"}, status_code=413)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"detail": "Body must be a JSON activity"}, status_code=400)
        try:
            await run_in_threadpool(self.auth.validate, authorization, body)
        except KeysUnavailableError:
            return JSONResponse({"detail": "Signing keys unavailable"}, status_code=503)
        except AuthError as exc:
            log.warning("teams: rejected an activity (type=%s): %s", _safe(body.get("type")), exc)
            return _unauthorized()
        try:
            check_service_url(str(body.get("serviceUrl")), self.allowed_hosts)
        except ServiceUrlNotAllowedError as exc:
            log.warning("teams: rejected an activity: %s", exc)
            return JSONResponse({"detail": "serviceUrl not allowed"}, status_code=403)
        return await self.dispatch(body)

    async def dispatch(self, body: dict[str, Any]) -> Response:
        kind = body.get("type")
        if kind == "invoke":
            if body.get("name") == "message/submitAction":
                try:
                    status = await run_in_threadpool(self.on_feedback, body)
                except AssistantError as exc:
                    return JSONResponse({"detail": str(exc)}, status_code=503)
                return Response(status_code=status)
            return Response(status_code=200)
        if kind not in ("message", "conversationUpdate"):
            return Response(status_code=200)
        try:
            activity = ActivityTypeAdapter.validate_python(body)
        except ValidationError:
            log.warning("teams: could not read a %s activity", _safe(kind))
            return JSONResponse({"detail": "Malformed activity"}, status_code=400)
        if isinstance(activity, MessageActivity):
            text = clean_text(activity)
            if not text:
                return Response(status_code=200)
            return Response(status_code=202, background=BackgroundTask(self.on_message, activity, text))
        if isinstance(activity, ConversationUpdateActivity):
            bot_id = activity.recipient.id
            if any(m.id == bot_id for m in activity.members_added or []):
                return Response(status_code=202, background=BackgroundTask(self.on_installed, activity))
        return Response(status_code=200)

    # ----- handlers (run in a worker thread, after the HTTP response)
    def on_message(self, activity: MessageActivity, text: str) -> None:
        ref = _ref(activity)
        try:
            command, argument = parse_command(text)
            if command == "help":
                self.send(ref, cards.help_activity())
            elif command == "compare":
                self.compare(ref, argument)
            elif command == "plan":
                self.plan(ref, argument)
            elif ref.personal:
                self.answer_streaming(ref, text)
            else:
                self.answer_once(ref, text)
        except Exception as exc:  # a failed turn must not go silent; never log the text
            # where it failed, without the exception's message (it may quote the question)
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("teams: turn failed (%s)\n%s", type(exc).__name__, frames)
            with contextlib.suppress(ConnectorError):
                self.send(ref, cards.text_activity(SORRY))

    def on_installed(self, activity: ConversationUpdateActivity) -> None:
        try:
            self.send(_ref(activity), cards.help_activity(), reply=False)
        except ConnectorError as exc:
            log.warning("teams: could not send the welcome card: %s", exc)

    def on_feedback(self, body: Mapping[str, Any]) -> int:
        value = _dict(body.get("value"))
        if value.get("actionName") != "feedback":
            return 200
        action = _dict(value.get("actionValue"))
        rating = {"like": "up", "dislike": "down"}.get(str(action.get("reaction")))
        if rating is None:
            return 400
        assistant = self.get_assistant()
        answer_id = self.replies.lookup(
            assistant.history,
            str(_dict(body.get("conversation")).get("id", "")),
            str(body.get("replyToId") or ""),
        )
        if answer_id is None:
            log.warning("teams: feedback on a message we have no answer for")
            return 200
        reason = feedback_reason(action.get("feedback"))
        assistant.history.add_feedback(answer_id, rating, redact(reason) if reason else None, "teams")
        return 200

    # ----- the turns
    def request(self, ref: Ref, text: str) -> ChatRequest:
        key = conversation_key(ref.conversation_id)
        return ChatRequest(message=text, conversation_id=key, channel="teams")

    def answer_once(self, ref: Ref, text: str) -> None:
        self.typing(ref)
        answer = self.get_assistant().answer(self.request(ref, text)).to_json()
        sent = self.send(
            ref,
            cards.answer_activity(answer, self.settings.public_base_url),
            feedback=bool(answer.get("answer_id")),
        )
        self.remember(ref, answer, sent)

    def answer_streaming(self, ref: Ref, text: str) -> None:
        stream = Stream(self, ref, self.stream_interval_s)
        stream.inform(cards.SEARCHING)
        final: dict[str, Any] | None = None
        for event, data in self.get_assistant().stream(self.request(ref, text)):
            if event == "delta":
                stream.add(str(data.get("text") or ""))
            elif event == "done":
                final = data
            elif event == "error":
                final = {"status": "error", "answer": str(data.get("message") or SORRY)}
        if final is None:
            final = {"status": "error", "answer": SORRY}
        activity = cards.answer_activity(final, self.settings.public_base_url)
        sent = stream.finish(activity, feedback=bool(final.get("answer_id")))
        self.remember(ref, final, *sent)

    def compare(self, ref: Ref, argument: str) -> None:
        names = split_names(argument)
        if len(names) < 2:
            self.send(ref, cards.text_activity(COMPARE_USAGE))
            return
        assistant = self.get_assistant()
        compare = getattr(assistant, "compare", None)
        if compare is None:
            self.send(ref, cards.text_activity(COMPARE_SOON))
            return
        self.typing(ref)
        result = to_json(compare(names, groups=self.request(ref, argument).groups))
        self.send(ref, cards.compare_activity(result, self.settings.public_base_url))

    def plan(self, ref: Ref, brief: str) -> None:
        if not brief:
            self.send(ref, cards.text_activity(PLAN_USAGE))
            return
        assistant = self.get_assistant()
        plan = getattr(assistant, "plan", None)
        if plan is None:
            self.send(ref, cards.text_activity(PLAN_SOON))
            return
        self.typing(ref)
        groups = self.request(ref, brief).groups
        result = plan(brief, groups=groups)
        data = to_json(result)
        plan_id: str | None = None
        if self.plans is not None:
            plan_id = self.plans.put(result, groups)
        else:
            found = getattr(result, "id", None) or data.get("id") or data.get("plan_id")
            plan_id = str(found) if found else None
        base = self.settings.public_base_url.rstrip("/")
        docx = f"{base}/api/plans/{quote(str(plan_id), safe='')}.docx" if base and plan_id else None
        self.send(ref, cards.plan_activity(data, docx))

    # ----- outbound
    def send(
        self,
        ref: Ref,
        activity: MessageActivityInput | TypingActivityInput,
        *,
        feedback: bool = False,
        reply: bool = True,
    ) -> str | None:
        return self.connector.send(
            ref.service_url,
            ref.conversation_id,
            ref.address(cards.wire(activity, feedback=feedback), reply=reply),
        )

    def typing(self, ref: Ref) -> None:
        try:
            self.send(ref, cards.typing_activity())
        except ConnectorError as exc:  # cosmetic: carry on without it
            log.info("teams: typing indicator not sent: %s", exc)

    def remember(self, ref: Ref, answer: Mapping[str, Any], *activity_ids: str | None) -> None:
        answer_id = str(answer.get("answer_id") or "")
        if not answer_id:
            return
        history = self.get_assistant().history
        for activity_id in {a for a in activity_ids if a}:
            self.replies.remember(history, ref.conversation_id, activity_id, answer_id)


class Stream:
    """Teams streaming in personal chat: informative, then streaming chunks, then the final message.

    Chunks go at most every ``interval_s`` (Teams throttles streaming bots); each carries the
    whole text so far. If Teams refuses streaming (403: not allowed, or stopped by the user),
    updates stop and the answer still arrives as a final message.
    """

    def __init__(
        self, bot: TeamsBot, ref: Ref, interval_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.bot, self.ref, self.interval_s, self.clock = bot, ref, interval_s, clock
        self.stream_id: str | None = None
        self.sequence = 0
        self.text = ""
        self.last_sent = 0.0
        self.live = True

    def inform(self, text: str) -> None:
        self._update(text, "informative")

    def add(self, delta: str) -> None:
        if not delta:
            return
        if self.text and self.text[-1] in ".!?:;)]" and not delta[0].isspace():
            self.text += " "
        self.text += delta
        if self.live and self.stream_id and self.clock() - self.last_sent >= self.interval_s:
            self._update(self.text, "streaming")

    def finish(self, activity: MessageActivityInput, *, feedback: bool) -> tuple[str | None, str | None]:
        """Send the final message; returns (stream id, id of the final activity)."""
        if self.stream_id:
            activity.channel_data = ChannelData(stream_id=self.stream_id, stream_type="final")
            activity.add_entity(StreamInfoEntity(stream_id=self.stream_id, stream_type="final"))
            try:
                return self.stream_id, self.bot.send(self.ref, activity, feedback=feedback)
            except ConnectorError as exc:
                log.warning("teams: final streamed message refused (%s); sending it plainly", exc)
                activity.channel_data = None
                activity.entities = [e for e in activity.entities or [] if e.type != "streaminfo"]
        return None, self.bot.send(self.ref, activity, feedback=feedback)

    def _update(self, text: str, kind: Literal["informative", "streaming"]) -> None:
        self.sequence += 1
        typing = TypingActivityInput(text=text)
        typing.channel_data = ChannelData(
            stream_type=kind, stream_sequence=self.sequence, stream_id=self.stream_id
        )
        typing.add_entity(
            StreamInfoEntity(stream_id=self.stream_id, stream_type=kind, stream_sequence=self.sequence)
        )
        try:
            sent = self.bot.send(self.ref, typing)
        except ConnectorError as exc:
            log.info("teams: streaming stopped: %s", exc)
            self.live = False
            return
        self.last_sent = self.clock()
        if self.stream_id is None:
            self.stream_id = sent
            self.live = sent is not None


replies_table = Table(
    "teams_replies",
    MetaData(),
    Column("conversation", String(64), primary_key=True),
    Column("activity_id", String(255), primary_key=True),
    Column("answer_id", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)


class ReplyMap:
    """Bot message (conversation, activity id) -> answer id, so feedback finds its answer.

    Kept in a ``teams_replies`` table beside the history when the history is SQL (so it
    survives restarts and is shared by workers), and in a bounded memory map always.
    """

    def __init__(self, max_memory: int = 10_000) -> None:
        self._memory: OrderedDict[tuple[str, str], str] = OrderedDict()
        self._max = max_memory
        self._ready: set[int] = set()
        self._lock = threading.Lock()

    def remember(self, history: object, conversation_id: str, activity_id: str, answer_id: str) -> None:
        key = (conversation_key(conversation_id), activity_id)
        with self._lock:
            self._memory[key] = answer_id
            while len(self._memory) > self._max:
                self._memory.popitem(last=False)
        engine = self._engine(history)
        if engine is not None:
            with engine.begin() as conn:
                conn.execute(
                    replies_table.insert().values(
                        conversation=key[0],
                        activity_id=activity_id,
                        answer_id=answer_id,
                        created_at=datetime.now(UTC),
                    )
                )

    def lookup(self, history: object, conversation_id: str, activity_id: str) -> str | None:
        if not activity_id:
            return None
        key = (conversation_key(conversation_id), activity_id)
        with self._lock:
            if key in self._memory:
                return self._memory[key]
        engine = self._engine(history)
        if engine is None:
            return None
        with engine.connect() as conn:
            row = conn.execute(
                select(replies_table.c.answer_id).where(
                    replies_table.c.conversation == key[0], replies_table.c.activity_id == activity_id
                )
            ).first()
        return str(row[0]) if row else None

    def _engine(self, history: object) -> Engine | None:
        engine = getattr(history, "engine", None)
        if not isinstance(engine, Engine):
            return None
        if id(engine) not in self._ready:
            replies_table.metadata.create_all(engine)
            self._ready.add(id(engine))
        return engine


# ----- small pure helpers

_MENTION = re.compile(r"<at[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_COMPARE = re.compile(r"^compare\b[:\s]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_PLAN = re.compile(r"^plan\b[:\s]*(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_NAME_SPLIT = re.compile(r"\s*(?:,|;|&|\band\b|\bvs\.?|\bversus\b|\bwith\b)\s*", re.IGNORECASE)


def clean_text(activity: MessageActivity) -> str:
    """The user's words: @mentions removed (entities first, then any stray <at> tags), HTML unwrapped."""
    text = strip_mentions_text(activity) or ""
    text = _TAG.sub(" ", _MENTION.sub(" ", text))
    for entity, char in (("&nbsp;", " "), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
        text = text.replace(entity, char)
    return " ".join(text.split())


def parse_command(text: str) -> tuple[str, str]:
    """("help"|"compare"|"plan"|"ask", argument)."""
    bare = text.strip().lstrip("/").strip()
    if bare.lower().rstrip(" ?!.") in ("help", "") or bare == "?":
        return "help", ""
    if match := _COMPARE.match(bare):
        return "compare", match["rest"].strip().rstrip("?.!")
    if match := _PLAN.match(bare):
        return "plan", match["rest"].strip()
    return "ask", text


def split_names(argument: str) -> list[str]:
    return [n.strip(" \"'") for n in _NAME_SPLIT.split(argument) if n.strip(" \"'")]


def conversation_key(teams_conversation_id: str) -> str:
    """Our conversation id for a Teams conversation (hashed when it would not fit in 64 characters)."""
    key = f"teams:{teams_conversation_id}"
    if len(key) <= 64:
        return key
    return "teams:" + hashlib.sha256(teams_conversation_id.encode()).hexdigest()[:40]


def feedback_reason(raw: Any) -> str | None:
    """The free text of a Teams feedback (``feedback`` is a JSON string like {"feedbackText": "..."})."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw) if raw.strip().startswith("{") else {"feedbackText": raw}
        except ValueError:
            raw = {"feedbackText": raw}
    if not isinstance(raw, dict):
        return None
    text = " ".join(str(raw.get("feedbackText") or "").split())
    return text[:FEEDBACK_REASON_CHARS] or None


def to_json(result: Any) -> dict[str, Any]:
    if hasattr(result, "to_json"):
        data = result.to_json()
    elif is_dataclass(result) and not isinstance(result, type):
        data = asdict(result)
    else:
        data = result
    return data if isinstance(data, dict) else {}


def _ref(activity: MessageActivity | ConversationUpdateActivity) -> Ref:
    conversation = activity.conversation.model_dump(by_alias=True, exclude_none=True)
    return Ref(
        service_url=str(activity.service_url),
        conversation={
            k: conversation[k] for k in ("id", "conversationType", "tenantId", "isGroup") if k in conversation
        },
        bot=activity.recipient.model_dump(by_alias=True, exclude_none=True, include={"id", "name"}),
        user=activity.from_.model_dump(by_alias=True, exclude_none=True, include={"id", "name"}),
        activity_id=activity.id,
        personal=activity.conversation.conversation_type == "personal",
    )


def _token_source(settings: Settings, http: httpx.Client) -> TokenSource:
    if settings.teams_app_password is not None and settings.teams_app_password.get_secret_value():
        return ClientCredentialsToken(
            http,
            login_endpoint=settings.teams_login_endpoint,
            tenant=settings.teams_tenant_id,
            client_id=settings.teams_app_id,
            client_secret=settings.teams_app_password.get_secret_value(),
        )
    return ManagedIdentityToken(http, client_id=settings.teams_app_id)


async def _read_body(request: Request) -> bytes | None:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _unauthorized() -> JSONResponse:
    return JSONResponse({"detail": "Unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _safe(value: Any) -> str:
    return re.sub(r"[^\w./-]", "", str(value))[:40]
