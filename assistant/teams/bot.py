"""The Teams bot: checks an activity, routes it, answers through the Assistant facade.

Per request (``assistant.teams.router`` hands it over): 401 unless the bearer token
passes every Bot Framework check (auth.py); 403 when
the activity's ``serviceUrl`` host is not allow-listed (SSRF guard, before any outbound
call). Then:

* ``message`` -> 202 at once; the work runs after the response (a background task): strip
  ``<at>`` mentions, route it (``assistant.features.intents.route``, as the web chat does:
  help, a comparison, a plan, or a question) and ask the Assistant with
  ``conversation_id = "teams:{conversation.id}"`` so follow-ups keep their context.
  Personal chat streams (informative "Searching the documents…", streaming chunks as
  ``delta`` events arrive, final message); group chats and channels get a typing
  indicator and one reply. Answers carry the AI-generated label, up to 20 citation entities
  and ``feedbackLoopEnabled``.
* ``invoke`` ``message/submitAction`` (the thumbs) -> stored with the widget's feedback via
  ``history.add_feedback(answer_id, "up"|"down", reason, "teams")``. Teams names the bot
  message (``replyToId``), so the history remembers which answer each message we sent carries.
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
auth.py (inbound) and connector.py (outbound); both are small.

Message text is never logged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import traceback
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from fastapi import Request
from fastapi.responses import JSONResponse, Response
from microsoft_teams.api.activities import (
    ActivityTypeAdapter,
    ConversationUpdateActivity,
    TypingActivityInput,
)
from microsoft_teams.api.activities.message import MessageActivity, MessageActivityInput
from pydantic import ValidationError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_, StoreUnavailableError
from assistant.facade import AssistantAPI
from assistant.features.intents import COMPARE_USAGE, PLAN_USAGE, Intent, route
from assistant.features.plans import docx_path
from assistant.privacy import redact
from assistant.teams import cards
from assistant.teams.auth import AuthError, BotFrameworkAuth, BotFrameworkKeys, KeysUnavailableError
from assistant.teams.connector import (
    ClientCredentialsToken,
    ConnectorClient,
    ConnectorError,
    ManagedIdentityToken,
    ServiceUrlNotAllowedError,
    TokenSource,
    check_service_url,
)
from assistant.teams.messages import (
    Ref,
    as_dict,
    clean_text,
    conversation_key,
    feedback_reason,
    ref_of,
    safe_label,
)
from assistant.teams.stream import Stream
from assistant.types import ChatRequest

__all__ = ["SORRY", "GetAssistant", "TeamsBot"]

log = logging.getLogger(__name__)

# A Teams activity's body limit (the app lets this path through up to the same size).
MAX_BODY_BYTES = 512_000
SORRY = "Sorry, I couldn't answer that just now. Please try again in a moment."

GetAssistant = Callable[[], AssistantAPI]


class TeamsBot:
    def __init__(
        self,
        settings: Settings,
        get_assistant: GetAssistant,
        *,
        auth: BotFrameworkAuth | None = None,
        connector: ConnectorClient | None = None,
        stream_interval_s: float = 1.0,
    ) -> None:
        self.settings = settings
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

    # ----- inbound
    async def receive(self, request: Request) -> Response:
        authorization = request.headers.get("authorization")
        if not authorization or not authorization.lower().startswith("bearer "):
            log.warning("teams: rejected an activity without a bearer token")
            return _unauthorized()
        raw = await _read_body(request)
        if raw is None:
            return JSONResponse({"error": "Request too large"}, status_code=413)
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JSONResponse({"error": "Body must be a JSON activity"}, status_code=400)
        try:
            await run_in_threadpool(self.auth.validate, authorization, body)
        except KeysUnavailableError:
            return JSONResponse({"error": "Signing keys unavailable"}, status_code=503)
        except AuthError as exc:
            log.warning("teams: rejected an activity (type=%s): %s", safe_label(body.get("type")), exc)
            return _unauthorized()
        try:
            check_service_url(str(body.get("serviceUrl")), self.allowed_hosts)
        except ServiceUrlNotAllowedError as exc:
            log.warning("teams: rejected an activity: %s", exc)
            return JSONResponse({"error": "serviceUrl not allowed"}, status_code=403)
        return await self.dispatch(body)

    async def dispatch(self, body: dict[str, Any]) -> Response:
        kind = body.get("type")
        if kind == "invoke":
            if body.get("name") == "message/submitAction":
                try:
                    status = await run_in_threadpool(self.on_feedback, body)
                except AssistantError as exc:
                    return JSONResponse({"error": str(exc)}, status_code=503)
                return Response(status_code=status)
            return Response(status_code=200)
        if kind not in ("message", "conversationUpdate"):
            return Response(status_code=200)
        try:
            activity = ActivityTypeAdapter.validate_python(body)
        except ValidationError:
            log.warning("teams: could not read a %s activity", safe_label(kind))
            return JSONResponse({"error": "Malformed activity"}, status_code=400)
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
        ref = ref_of(activity)
        try:
            intent = route(text)
            if intent.kind == "help":
                self.send(ref, cards.help_activity())
            elif intent.kind == "compare":
                self.compare(ref, intent)
            elif intent.kind == "plan":
                self.plan(ref, intent)
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
            self.send(ref_of(activity), cards.help_activity(), reply=False)
        except ConnectorError as exc:
            log.warning("teams: could not send the welcome card: %s", exc)

    def on_feedback(self, body: Mapping[str, Any]) -> int:
        value = as_dict(body.get("value"))
        if value.get("actionName") != "feedback":
            return 200
        action = as_dict(value.get("actionValue"))
        rating = {"like": "up", "dislike": "down"}.get(str(action.get("reaction")))
        if rating is None:
            return 400
        assistant = self.get_assistant()
        reply_to = str(body.get("replyToId") or "")
        conversation = conversation_key(str(as_dict(body.get("conversation")).get("id", "")))
        answer_id = assistant.history.reply_answer(conversation, reply_to) if reply_to else None
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

    def compare(self, ref: Ref, intent: Intent) -> None:
        result = self._feature(ref, intent, COMPARE_USAGE)
        if result is not None:
            self.send(ref, cards.compare_activity(result, self.settings.public_base_url))

    def plan(self, ref: Ref, intent: Intent) -> None:
        data = self._feature(ref, intent, PLAN_USAGE)
        if data is None:
            return
        plan_id = str(data.get("plan_id") or "")
        base = self.settings.public_base_url.rstrip("/")
        docx = None
        if base and plan_id:  # a signed, short-lived link: Teams opens it in a browser, without an API key
            link = self.get_assistant().plan_link(plan_id, self.request(ref, "").groups)
            docx = base + docx_path(plan_id, str(link["token"]))
        self.send(ref, cards.plan_activity(data, docx))

    def _feature(self, ref: Ref, intent: Intent, usage: str) -> dict[str, Any] | None:
        """A comparison or plan for this conversation; None when the user was told why not."""
        if not intent.complete:
            self.send(ref, cards.text_activity(usage))
            return None
        self.typing(ref)
        assistant, groups = self.get_assistant(), self.request(ref, "").groups
        try:
            if intent.kind == "compare":
                return assistant.compare(list(intent.names), groups)
            return assistant.plan(intent.brief, None, groups)
        except (StoreUnavailableError, IndexError_):
            raise
        except AssistantError as exc:  # an unknown name, or a brief too short to plan from
            self.send(ref, cards.text_activity(str(exc)))
            return None

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
            history.remember_reply(conversation_key(ref.conversation_id), activity_id, answer_id)


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
    return JSONResponse({"error": "Unauthorized"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
